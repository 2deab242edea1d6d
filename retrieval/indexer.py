"""The indexing stage: registry documents → chunks → embeddings → Chroma + BM25.

Crash-safe by construction: a document is marked ``indexed`` only after its chunks are
in Chroma, chunk ids are deterministic (upserts), and stale chunks are deleted before
a document is re-indexed; BM25 indexes are rebuilt from Chroma's own chunk set for
any language whose count disagrees.  So a re-run after ``kill -9`` converges.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from assistant.core.settings import Settings
from corpus.registry import Registry
from retrieval.chunking import Chunker
from retrieval.embedders import get_embedder
from retrieval.index import ChunkIndex, chunk_metadata
from retrieval.lexical import LexicalIndex
from retrieval.rerank import RerankVectors

DOCS_PER_BATCH = 32
IndexProgress = Callable[[int, int], None]  # (documents done, chunks done)


@dataclass
class IndexReport:
    documents_indexed: int = 0
    documents_excluded: int = 0
    chunks: int = 0
    lexical_rebuilt: list[str] | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["chunks_per_s"] = round(self.chunks / self.seconds, 1) if self.seconds else None
        return data


class Retrieval:
    """The pieces retrieval needs, opened once: embedder, chunker, dense and lexical indexes."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.embedder = get_embedder(settings.embedder, settings.llm.threads, settings)
        name = getattr(self.embedder, "name", settings.embedder)
        dimension = getattr(self.embedder, "dimension", None) or len(self.embedder.embed_query("x"))
        self.index = ChunkIndex(settings, name, dimension)
        spec = settings.rerank_embedder
        self.rerank = RerankVectors(settings, spec, self.index.client) if spec else None
        self.chunker = Chunker(settings.home / "tiktoken", max_tokens=settings.chunk_tokens)
        self.lexical_root = settings.home / "bm25"
        self._lexical: dict[str, LexicalIndex] = {}

    def lexical(self, language: str) -> LexicalIndex:
        if language not in self._lexical:
            self._lexical[language] = LexicalIndex(self.lexical_root, language)
        return self._lexical[language]

    def lexical_languages(self) -> list[str]:
        """The languages that have a BM25 index."""
        if not self.lexical_root.is_dir():
            return []
        return sorted(p.name for p in self.lexical_root.iterdir() if (p / "ids.json").exists())


def index_pending(
    retrieval: Retrieval, registry: Registry, progress: IndexProgress | None = None
) -> IndexReport:
    """Index every pending document, then bring the BM25 indexes in line with Chroma."""
    started = time.perf_counter()
    report = IndexReport()
    touched: set[str] = set()
    batch_size = min(DOCS_PER_BATCH, retrieval.settings.ingest_batch_size)
    while pending := registry.pending_index(batch_size):
        batch = [doc for doc, _ in pending]
        # Chunks of a changed document go first. A crash after the upsert but before the
        # mark leaves it "pending" with chunks in place: the same deterministic ids are
        # upserted again, so nothing is duplicated.
        stale_ids = [doc.doc_id for doc, stale in pending if stale]
        retrieval.index.delete_documents(stale_ids)
        if retrieval.rerank:
            retrieval.rerank.delete_documents(stale_ids)
        originals = [d for d in batch if d.duplicate_of is None]
        items = [
            (chunk, chunk_metadata(doc, chunk))
            for doc in originals
            for chunk in retrieval.chunker.chunk(doc.doc_id, doc.text)
        ]
        vectors = retrieval.embedder.embed_documents([chunk.text for chunk, _ in items])
        retrieval.index.upsert([(c, m, v) for (c, m), v in zip(items, vectors, strict=True)])
        excluded = [d.doc_id for d in batch if d.duplicate_of is not None]
        registry.mark_indexed([d.doc_id for d in originals], excluded)
        touched.update(d.language for d in batch)
        report.documents_indexed += len(originals)
        report.documents_excluded += len(excluded)
        report.chunks += len(items)
        if progress:
            progress(report.documents_indexed + report.documents_excluded, report.chunks)
    report.lexical_rebuilt = sync_lexical(retrieval, registry, touched)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def sync_lexical(retrieval: Retrieval, registry: Registry, touched: set[str]) -> list[str]:
    """Rebuild the BM25 index of every touched language, and of any that disagrees with Chroma."""
    rebuilt = []
    for language in sorted(touched | set(registry.indexed_languages())):
        lexical = retrieval.lexical(language)
        if language in touched or set(lexical.ids) != set(
            retrieval.index.ids_for_language(language)
        ):
            lexical.rebuild(*retrieval.index.texts_for_language(language))
            rebuilt.append(language)
    return rebuilt
