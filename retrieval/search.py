"""Hybrid search: dense (Chroma) + lexical (BM25 in the query's language), fused by rank.

The caller's clearance decides which Chroma collections both paths may read
(:meth:`ChunkIndex.readable`): dense hits come only from those, and lexical candidates
are re-read from those, so no path can return a chunk above the caller's clearance.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from corpus.document import CLEARANCES, Clearance, http_url
from corpus.language import detect_language
from corpus.registry import Registry
from retrieval.index import Filters, Hit, clearance_level
from retrieval.indexer import Retrieval

# Defaults of DRAGOMAN_FUSION_RRF_K / DRAGOMAN_FUSION_LEXICAL_WEIGHT; see bench/RESULTS.md
# ("Rank fusion") for the dev-split tuning and why equal weights stay the default.
RRF_K = 60
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 1.0
CANDIDATES = 50


@dataclass
class SearchResult:
    chunk_id: str
    doc_id: str
    title: str
    url: str | None
    published_at: str | None
    language: str
    score: float
    text: str
    start: int
    end: int
    source: str | None = None
    kind: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def fuse(rankings: list[tuple[list[str], float]], k: int = RRF_K) -> list[tuple[str, float]]:
    """Weighted reciprocal-rank fusion of several ranked id lists."""
    scores: dict[str, float] = {}
    for ids, weight in rankings:
        for rank, chunk_id in enumerate(ids):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (k + rank + 1)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


class HybridSearch:
    """Search over the chunk index for a caller with a given clearance."""

    def __init__(self, retrieval: Retrieval, registry: Registry) -> None:
        self.retrieval = retrieval
        self.registry = registry

    def search(
        self,
        query: str,
        *,
        clearance: Clearance | str,
        k: int = 10,
        filters: Filters | None = None,
        mode: str = "hybrid",
    ) -> list[SearchResult]:
        """Top ``k`` chunks for ``query`` that the caller's clearance allows."""
        filters = filters or Filters()
        pool = max(CANDIDATES, 5 * k)
        hits: dict[str, Hit] = {}
        rankings: list[tuple[list[str], float]] = []
        if mode in ("hybrid", "dense"):
            vector = self.retrieval.embedder.embed_query(query)
            dense = self.retrieval.index.query(vector, pool, clearance, filters)
            hits.update((h.chunk_id, h) for h in dense)
            rankings.append(([h.chunk_id for h in dense], DENSE_WEIGHT))
        settings = self.retrieval.settings
        if mode in ("hybrid", "lexical"):
            language = detect_language(query, default="en")
            candidates = [cid for cid, _ in self.retrieval.lexical(language).search(query, pool)]
            allowed = self.retrieval.index.get(candidates, clearance, filters)
            hits.update(allowed)
            allowed_ids = [cid for cid in candidates if cid in allowed]
            rankings.append((allowed_ids, settings.fusion_lexical_weight))
        # a few spare candidates replace any the registry no longer lets the caller read
        fused = fuse(rankings, k=settings.fusion_rrf_k)[: 2 * k + 10]
        return self._results([(hits[cid], score) for cid, score in fused], clearance, k)

    def _results(
        self, scored: list[tuple[Hit, float]], clearance: Clearance | str, k: int
    ) -> list[SearchResult]:
        """The first ``k`` hits whose document the caller may read *now*: the registry is
        re-read at the caller's clearance, so a stale index (a document re-filed higher and
        not yet re-indexed, a crash mid-ingest) never shows its title, URL or source."""
        levels: list[str] = list(CLEARANCES[: clearance_level(clearance) + 1])
        ids = list({h.metadata["doc_id"] for h, _ in scored})
        documents = self.registry.existing(ids, clearance_levels=levels)
        results: list[SearchResult] = []
        for hit, score in scored:
            doc = documents.get(hit.metadata["doc_id"])
            if doc is None:  # gone, or no longer readable at this clearance: never shown
                continue
            if len(results) == k:
                break
            results.append(
                SearchResult(
                    chunk_id=hit.chunk_id,
                    doc_id=doc.doc_id,
                    title=doc.title,
                    url=http_url(doc.url),
                    published_at=doc.published_at.isoformat() if doc.published_at else None,
                    language=doc.language,
                    score=round(score, 6),
                    text=hit.text,
                    start=int(hit.metadata["start"]),
                    end=int(hit.metadata["end"]),
                    source=doc.source,
                    kind=doc.kind,
                )
            )
        return results
