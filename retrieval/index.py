"""The chunk index in Chroma: embedded (PersistentClient) or server (HttpClient), one code path.

Clearance is part of every query this module builds: :func:`where_clause` always adds
``clearance_level <= the caller's level``, and there is no query method without a
clearance.  Countries are stored as boolean keys (``c_CHN``) because Chroma metadata
values are scalars; dates as integers (``published_date`` = YYYYMMDD).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from assistant.errors import ConfigError, InputError, StoreError
from assistant.settings import Settings
from corpus.document import CLEARANCES, Clearance, Document
from retrieval.chunking import Chunk

COLLECTION = "dragoman_chunks"
CLEARANCE_LEVEL = {name: level for level, name in enumerate(CLEARANCES)}


@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    language: str | None = None
    country: str | None = None
    source: str | None = None
    since: int | None = None  # YYYYMMDD
    until: int | None = None


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    text: str
    metadata: dict[str, Any]
    distance: float | None = None


def clearance_level(clearance: str) -> int:
    if clearance not in CLEARANCE_LEVEL:
        raise InputError(f"unknown clearance {clearance!r}", fix=f"one of {', '.join(CLEARANCES)}")
    return CLEARANCE_LEVEL[clearance]


def where_clause(filters: Filters, clearance: Clearance | str) -> dict[str, Any]:
    """The Chroma ``where`` for the filters, always bounded by the caller's clearance."""
    conditions: list[dict[str, Any]] = [{"clearance_level": {"$lte": clearance_level(clearance)}}]
    for key in ("kind", "language", "source"):
        value = getattr(filters, key)
        if value:
            conditions.append({key: value})
    if filters.country:
        conditions.append({f"c_{filters.country.upper()}": True})
    if filters.since:
        conditions.append({"published_date": {"$gte": filters.since}})
    if filters.until:
        conditions.append({"published_date": {"$lte": filters.until}})
    return conditions[0] if len(conditions) == 1 else {"$and": conditions}


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
    """Dense vectors of chunks, tagged with the embedder that made them."""

    def __init__(self, settings: Settings, embedder_name: str, dimension: int) -> None:
        self.client = open_client(settings)
        self.embedder_name, self.dimension = embedder_name, dimension
        self.collection = self.client.get_or_create_collection(
            COLLECTION,
            metadata={"embedder": embedder_name, "dimension": dimension, "hnsw:space": "cosine"},
            embedding_function=None,
        )
        recorded = self.collection.metadata or {}
        if (recorded.get("embedder"), recorded.get("dimension")) != (embedder_name, dimension):
            raise ConfigError(
                f"the index was built with embedder {recorded.get('embedder')!r} "
                f"({recorded.get('dimension')}-d), not {embedder_name!r} ({dimension}-d)",
                fix="run `dragoman reindex` to rebuild it with the configured embedder",
            )

    def upsert(self, items: list[tuple[Chunk, dict[str, Any], list[float]]]) -> None:
        if items:
            self.collection.upsert(
                ids=[c.chunk_id for c, _, _ in items],
                documents=[c.text for c, _, _ in items],
                metadatas=[m for _, m, _ in items],
                embeddings=[v for _, _, v in items],
            )

    def delete_documents(self, doc_ids: Iterable[str]) -> None:
        ids = list(doc_ids)
        if ids:
            self.collection.delete(where={"doc_id": {"$in": ids}})

    def query(self, vector: list[float], n: int, where: dict[str, Any]) -> list[Hit]:
        if self.collection.count() == 0:
            return []
        result = self.collection.query(
            query_embeddings=[vector], n_results=n, where=where,
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

    def get(self, ids: list[str], where: dict[str, Any]) -> dict[str, Hit]:
        """The chunks among ``ids`` that pass ``where`` (clearance included)."""
        if not ids:
            return {}
        result = self.collection.get(ids=ids, where=where, include=["documents", "metadatas"])
        return {
            cid: Hit(cid, text or "", dict(meta or {}))
            for cid, text, meta in zip(
                result["ids"], result["documents"], result["metadatas"], strict=True
            )
        }

    def ids_for_language(self, language: str) -> list[str]:
        return list(self.collection.get(where={"language": language}, include=[])["ids"])

    def texts_for_language(self, language: str) -> tuple[list[str], list[str]]:
        """(ids, texts) of every chunk in a language: the corpus its BM25 index is built on."""
        result = self.collection.get(where={"language": language}, include=["documents"])
        return list(result["ids"]), [t or "" for t in result["documents"]]

    def count(self) -> int:
        return int(self.collection.count())


def reset_index(settings: Settings) -> None:
    """Drop the collection (``dragoman reindex`` rebuilds it)."""
    client = open_client(settings)
    if COLLECTION in [c if isinstance(c, str) else c.name for c in client.list_collections()]:
        client.delete_collection(COLLECTION)
