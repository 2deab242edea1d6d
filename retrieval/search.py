"""Hybrid search: dense (Chroma) + lexical (BM25 in the query's language), fused by rank.

The caller's clearance decides which Chroma collections both paths may read
(:meth:`ChunkIndex.readable`): dense hits come only from those, and lexical candidates
are re-read from those, so no path can return a chunk above the caller's clearance.
"""

from __future__ import annotations

import dataclasses

from assistant.core.clearance import readable_levels
from corpus.countries import country_name_in
from corpus.document import Clearance, http_url
from corpus.language import detect_language
from corpus.registry import Registry
from corpus.speakers import speaker_of, speakers_of
from retrieval.contracts import SearchResult as SearchResult  # the public name stays here too
from retrieval.index import Filters, Hit
from retrieval.indexer import Retrieval
from retrieval.understanding import Understood

# Defaults of DRAGOMAN_FUSION_RRF_K / DRAGOMAN_FUSION_LEXICAL_WEIGHT; see bench/RESULTS.md
# ("Rank fusion") for the dev-split tuning and why equal weights stay the default.
RRF_K = 60
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 1.0
CANDIDATES = 50
LEXICAL_DEPTH = 1000  # BM25 candidates read when filters will discard most of them
YEAR_BONUS = 0.5  # of a first rank's fused score, for a chunk from a year the question names


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
        understood: Understood | None = None,
        translations: dict[str, str] | None = None,
    ) -> list[SearchResult]:
        """Top ``k`` chunks for ``query`` that the caller's clearance allows.

        With ``understood``, its speaker and source narrow the search (unless the caller's
        own filters set them); when that leaves fewer than ``k`` chunks, the rest come from
        the unnarrowed search, never from another known speaker.  ``translations`` (language
        → the query in that language) add lexical rankings in the corpus's other languages.
        """
        filters = filters or Filters()
        understood = understood or Understood()
        narrowed = _narrowed(filters, understood)
        lexical = self._lexical_queries(query, understood, translations or {})
        results = self._search(lexical, query, clearance, k, narrowed, mode, understood)
        if narrowed != filters and len(results) < k:
            seen = {r.chunk_id for r in results}
            wanted = narrowed.speaker
            for extra in self._search(lexical, query, clearance, k, filters, mode, understood):
                if len(results) == k:
                    break
                if extra.chunk_id not in seen and (not extra.speakers or wanted in extra.speakers):
                    results.append(extra)
        return results

    def lexical_reach(
        self,
        *,
        clearance: Clearance | str,
        k: int,
        filters: Filters | None = None,
        understood: Understood | None = None,
    ) -> list[str]:
        """The corpus's lexical languages in which a query (a translation) can change what
        :meth:`search` returns: those holding chunks within the search's scope.

        The scope is the understood speaker's or source's chunks when there are at least
        ``k`` of them (the search then falls back to the caller's filters only when the
        registry no longer lets the caller read some of them: a stale index), else the
        caller's filters. A language outside it has no BM25 hit the filters would keep."""
        filters = filters or Filters()
        narrowed = _narrowed(filters, understood or Understood())
        index = self.retrieval.index
        scope = narrowed if narrowed != filters and index.holds(clearance, narrowed, k) else filters
        languages = self.retrieval.lexical_languages()
        if scope.language:
            return [scope.language] if scope.language in languages else []
        return [lang for lang in languages
                if index.holds(clearance, dataclasses.replace(scope, language=lang))]  # fmt: skip

    def _lexical_queries(
        self, query: str, understood: Understood, translations: dict[str, str]
    ) -> dict[str, str]:
        """The query per language for BM25, the question's own language first: as asked, as
        translated, and in the corpus's other languages at least the names of the countries
        it is about."""
        own = detect_language(query, default="en")
        queries = {own: query}
        if understood.speaker or understood.source:
            # within one speaker's or source's documents their names match everything:
            # the topic is what tells one paragraph of a long speech from another
            topic = understood.topic_query(own)
            if topic:
                queries[own] = topic
        speaker = [understood.speaker] if understood.speaker else []
        countries = understood.topic_countries or speaker
        for language in self.retrieval.lexical_languages():
            if language == own:
                continue
            names = [country_name_in(c, language) for c in countries]
            text = " ".join(n for n in [translations.get(language, ""), *names] if n)
            if text.strip():
                queries[language] = text
        return queries

    def _search(
        self,
        lexical: dict[str, str],
        query: str,
        clearance: Clearance | str,
        k: int,
        filters: Filters,
        mode: str,
        understood: Understood,
    ) -> list[SearchResult]:
        pool = max(CANDIDATES, 5 * k)
        hits: dict[str, Hit] = {}
        rankings: list[tuple[list[str], float]] = []
        if mode in ("hybrid", "dense"):
            vector = self.retrieval.embedder.embed_query(query)
            dense = self.retrieval.index.query(vector, pool, clearance, filters)
            if self.retrieval.rerank:  # the better embedder re-orders the first candidates
                dense = self.retrieval.rerank.reorder(query, dense, clearance)
            hits.update((h.chunk_id, h) for h in dense)
            rankings.append(([h.chunk_id for h in dense], DENSE_WEIGHT))
        settings = self.retrieval.settings
        if mode in ("hybrid", "lexical"):
            # a narrowing filter keeps few of BM25's best: look deeper before filtering
            depth = pool if filters.empty else LEXICAL_DEPTH
            own = next(iter(lexical))  # the question's language comes first
            for language, text in lexical.items():
                weight = settings.fusion.lexical_weight
                if language != own:  # the question translated, or country names only
                    weight = settings.fusion.translation_weight
                if not weight:  # a ranking weighed 0 is off: it must not add candidates
                    continue
                found = self.retrieval.lexical(language).search(text, depth)
                candidates = [cid for cid, _ in found]
                allowed = self.retrieval.index.get(candidates, clearance, filters)
                hits.update(allowed)
                allowed_ids = [cid for cid in candidates if cid in allowed]
                rankings.append((allowed_ids, weight))
        fused = fuse(rankings, k=settings.fusion.rrf_k)
        if understood.years:
            fused = _year_boost(fused, hits, understood.years, settings.fusion.rrf_k)
        # a few spare candidates replace any the registry no longer lets the caller read
        scored = [(hits[cid], score) for cid, score in fused[: 2 * k + 10]]
        return self._results(scored, clearance, k)

    def _results(
        self, scored: list[tuple[Hit, float]], clearance: Clearance | str, k: int
    ) -> list[SearchResult]:
        """The first ``k`` hits whose document the caller may read *now*: the registry is
        re-read at the caller's clearance, so a stale index (a document re-filed higher and
        not yet re-indexed, a crash mid-ingest) never shows its title, URL or source."""
        levels = readable_levels(clearance)
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
                    speaker=speaker_of(doc),
                    speakers=speakers_of(doc),
                )
            )
        return results


def _narrowed(filters: Filters, understood: Understood) -> Filters:
    """The caller's filters narrowed to the understood speaker and source (the caller's win)."""
    return dataclasses.replace(
        filters,
        speaker=filters.speaker or understood.speaker,
        source=filters.source or understood.source,
    )


def _year_boost(
    fused: list[tuple[str, float]], hits: dict[str, Hit], years: list[int], rrf_k: int
) -> list[tuple[str, float]]:
    """Chunks published in a year the question names move up, by half a first rank."""
    bonus = YEAR_BONUS / (rrf_k + 1)
    wanted = set(years)

    def year(cid: str) -> int | None:
        date = hits[cid].metadata.get("published_date")
        return int(date) // 10000 if isinstance(date, int) else None

    boosted = [(cid, score + (bonus if year(cid) in wanted else 0.0)) for cid, score in fused]
    return sorted(boosted, key=lambda item: (-item[1], item[0]))
