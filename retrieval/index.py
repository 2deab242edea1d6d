"""The chunk index in Chroma: embedded (PersistentClient) or server (HttpClient), one code path.

Clearance is structural: chunks live in one collection per clearance level
(``dragoman_chunks_public`` / ``_internal`` / ``_restricted``), and every read goes through
:meth:`ChunkIndex.readable`, which opens only the levels the caller is cleared for — a
``public`` query never touches internal or restricted data.  (It is also fast: a Chroma
``where`` clause turns a 5 ms HNSW query into a 200 ms filtered scan at 40k chunks.)
Other filters are metadata predicates; countries are stored as boolean keys (``c_CHN``)
because Chroma metadata values are scalars; dates as integers (YYYYMMDD).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from assistant.core.clearance import CLEARANCE_LEVEL, clearance_level
from assistant.core.errors import ConfigError, StoreError
from assistant.core.settings import Settings
from corpus.document import Clearance, Document
from corpus.registry import DocFilters
from corpus.speakers import speaker_key, speakers_of
from retrieval.chunking import Chunk

COLLECTION_PREFIX = "dragoman_chunks"
OVERFETCH = 4  # filtered dense queries first over-fetch and filter in Python


Filters = DocFilters  # one filter type for listing documents and searching chunks


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    text: str
    metadata: dict[str, Any]
    distance: float | None = None


def where_clause(filters: Filters) -> dict[str, Any] | None:
    """The Chroma ``where`` for the filters (clearance is handled by collection choice)."""
    conditions: list[dict[str, Any]] = []
    for key in ("kind", "language", "source"):
        value = getattr(filters, key)
        if value:
            conditions.append({key: value})
    if filters.speaker:
        conditions.append({speaker_key(filters.speaker): True})
    if filters.country:
        conditions.append({f"c_{filters.country.upper()}": True})
    if filters.since:
        conditions.append({"published_date": {"$gte": filters.since}})
    if filters.until:
        conditions.append({"published_date": {"$lte": filters.until}})
    if not conditions:
        return None
    return conditions[0] if len(conditions) == 1 else {"$and": conditions}


def matches(metadata: dict[str, Any], filters: Filters) -> bool:
    """The same filters as :func:`where_clause`, evaluated on one chunk's metadata."""
    for key in ("kind", "language", "source"):
        value = getattr(filters, key)
        if value and metadata.get(key) != value:
            return False
    if filters.speaker and metadata.get(speaker_key(filters.speaker)) is not True:
        return False
    if filters.country and metadata.get(f"c_{filters.country.upper()}") is not True:
        return False
    date = metadata.get("published_date")
    if filters.since and (date is None or date < filters.since):
        return False
    return not (filters.until and (date is None or date > filters.until))


def chunk_metadata(doc: Document, chunk: Chunk) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "doc_id": doc.doc_id,
        "kind": doc.kind,
        "language": doc.language,
        "clearance_level": CLEARANCE_LEVEL[doc.clearance],
        "start": chunk.start,
        "end": chunk.end,
    }
    if doc.source:
        metadata["source"] = doc.source
    speakers = speakers_of(doc)
    if speakers:
        metadata["speaker"] = speakers[0]
    for speaker in speakers:
        metadata[speaker_key(speaker)] = True
    if doc.published_date:
        metadata["published_date"] = doc.published_date
    for code in doc.countries_mentioned:
        metadata[f"c_{code}"] = True
    return metadata


def open_client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = httpx.URL(settings.chroma_url)
        try:
            return chromadb.HttpClient(
                host=url.host, port=url.port or 8000, ssl=url.scheme == "https",
                settings=chroma_settings,
            )  # fmt: skip
        except (ValueError, httpx.HTTPError) as exc:
            raise StoreError(
                f"cannot reach Chroma at {settings.chroma_url}: {exc}",
                fix="start `chroma run` or correct DRAGOMAN_CHROMA_URL",
            ) from exc
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


class ChunkIndex:
    """Dense vectors of chunks, one collection per clearance level, tagged with the embedder."""

    def __init__(self, settings: Settings, embedder_name: str, dimension: int) -> None:
        self.client = open_client(settings)
        self.embedder_name, self.dimension = embedder_name, dimension
        self.collections = {
            level: self._open(f"{COLLECTION_PREFIX}_{name}")
            for name, level in CLEARANCE_LEVEL.items()
        }

    def _open(self, name: str) -> Any:
        collection = self.client.get_or_create_collection(
            name,
            metadata={"embedder": self.embedder_name, "dimension": self.dimension,
                      "hnsw:space": "cosine"},
            embedding_function=None,
        )  # fmt: skip
        recorded = collection.metadata or {}
        if (recorded.get("embedder"), recorded.get("dimension")) != (
            self.embedder_name,
            self.dimension,
        ):
            raise ConfigError(
                f"the index was built with embedder {recorded.get('embedder')!r} "
                f"({recorded.get('dimension')}-d), not {self.embedder_name!r} ({self.dimension}-d)",
                fix="run `dragoman reindex` to rebuild it with the configured embedder",
            )
        return collection

    def readable(self, clearance: Clearance | str) -> list[Any]:
        """The collections a caller with ``clearance`` may read: the only way reads start."""
        return [c for level, c in self.collections.items() if level <= clearance_level(clearance)]

    def upsert(self, items: list[tuple[Chunk, dict[str, Any], list[float]]]) -> None:
        for level, collection in self.collections.items():
            mine = [item for item in items if item[1]["clearance_level"] == level]
            if mine:
                collection.upsert(
                    ids=[c.chunk_id for c, _, _ in mine],
                    documents=[c.text for c, _, _ in mine],
                    metadatas=[m for _, m, _ in mine],
                    embeddings=[v for _, _, v in mine],
                )

    def delete_documents(self, doc_ids: Iterable[str]) -> None:
        ids = list(doc_ids)
        if ids:
            for collection in self.collections.values():
                collection.delete(where={"doc_id": {"$in": ids}})

    def query(
        self, vector: list[float], n: int, clearance: Clearance | str, filters: Filters
    ) -> list[Hit]:
        """Nearest chunks the caller may read that pass the filters, closest first."""
        hits: list[Hit] = []
        for collection in self.readable(clearance):
            if collection.count() == 0:
                continue
            found = [h for h in self._query(collection, vector, n * OVERFETCH, None)
                     if matches(h.metadata, filters)]  # fmt: skip
            if len(found) < n and not filters.empty:  # selective filter: let Chroma filter
                found = self._query(collection, vector, n, where_clause(filters))
            hits += found[:n]
        return sorted(hits, key=lambda h: (h.distance or 0.0, h.chunk_id))[:n]

    @staticmethod
    def _query(
        collection: Any, vector: list[float], n: int, where: dict[str, Any] | None
    ) -> list[Hit]:
        result = collection.query(
            query_embeddings=[vector], n_results=min(n, collection.count()), where=where,
            include=["documents", "metadatas", "distances"],
        )  # fmt: skip
        return [
            Hit(cid, text or "", dict(meta or {}), float(dist))
            for cid, text, meta, dist in zip(
                result["ids"][0],
                result["documents"][0],
                result["metadatas"][0],
                result["distances"][0],
                strict=True,
            )
        ]

    def get(self, ids: list[str], clearance: Clearance | str, filters: Filters) -> dict[str, Hit]:
        """The chunks among ``ids`` that the caller may read and that pass the filters."""
        found: dict[str, Hit] = {}
        if not ids:
            return found
        for collection in self.readable(clearance):
            result = collection.get(ids=ids, include=["documents", "metadatas"])
            for cid, text, meta in zip(
                result["ids"], result["documents"], result["metadatas"], strict=True
            ):
                if matches(dict(meta or {}), filters):
                    found[cid] = Hit(cid, text or "", dict(meta or {}))
        return found

    def ids_for_language(self, language: str) -> list[str]:
        return [
            cid
            for c in self.collections.values()
            for cid in c.get(where={"language": language}, include=[])["ids"]
        ]

    def texts_for_language(self, language: str) -> tuple[list[str], list[str]]:
        """(ids, texts) of every chunk in a language: the corpus its BM25 index is built on."""
        ids: list[str] = []
        texts: list[str] = []
        for collection in self.collections.values():
            result = collection.get(where={"language": language}, include=["documents"])
            ids += result["ids"]
            texts += [t or "" for t in result["documents"]]
        return ids, texts

    def all_ids(self) -> list[str]:
        return [cid for c in self.collections.values() for cid in c.get(include=[])["ids"]]

    def all_texts(self) -> list[str]:
        return [
            t or ""
            for c in self.collections.values()
            for t in c.get(include=["documents"])["documents"]
        ]

    def count(self) -> int:
        return sum(int(c.count()) for c in self.collections.values())

    def holds(self, clearance: Clearance | str, filters: Filters, at_least: int = 1) -> bool:
        """Whether the caller may read at least ``at_least`` chunks that pass the filters."""
        where = where_clause(filters)
        found = 0
        for collection in self.readable(clearance):
            if where is None:
                found += int(collection.count())
            else:
                limit = at_least - found
                found += len(collection.get(where=where, limit=limit, include=[])["ids"])
            if found >= at_least:
                return True
        return False


def reset_index(settings: Settings) -> None:
    """Drop the collections (``dragoman reindex`` rebuilds them)."""
    client = open_client(settings)
    for collection in client.list_collections():
        name = collection if isinstance(collection, str) else collection.name
        if name.startswith(COLLECTION_PREFIX):
            client.delete_collection(name)
