"""Stage 3, context selection: the sentences that matter, within a token budget.

Prefill dominates on the embedded model, so the prompt carries only the retrieved
sentences most similar to the question (multilingual embeddings, so this works across
languages), grouped back into their passages in document order.  A sentence that
addresses the assistant with instructions is dropped here, with the rest of its passage,
and recorded.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.grounding.injection import looks_like_instruction
from assistant.grounding.stages import Context, Passage
from corpus.countries import countries_in
from retrieval.chunking import sentence_spans
from retrieval.search import SearchResult
from retrieval.understanding import answer_pattern, term_in

MIN_RELEVANCE = 0.15  # cosine below which a sentence is not worth its tokens
RANK_PRIOR = 0.05  # nudges ties toward the passages retrieval ranked first
# A sentence with the question's own words ("who will *lead* the delegation") is the one
# that answers it, even where embeddings rank a list of names closer: up to this bonus.
FOCUS_BONUS = 0.3
TOPIC_BONUS = 0.1  # a sentence naming a country the question is about
ANSWER_TYPE_BONUS = 0.1  # a sentence holding what the question asks for: a name, a number…
ANCHORS = 2  # sentences whose chunk may hold the answer's companion sentence
COMPANION_GAP = 0.01
ELLIPSIS = " … "


@dataclass
class SentenceUnit:
    """A sentence of the ``result``-th search result, at ``start:end`` in its document."""

    result: int
    start: int  # offsets in the document's text
    end: int
    text: str
    score: float = 0.0


def _units(results: list[SearchResult]) -> tuple[list[SentenceUnit], dict[int, list[str]]]:
    units: list[SentenceUnit] = []
    dropped: dict[int, list[str]] = {}
    seen: set[tuple[str, int]] = set()
    for i, result in enumerate(results):
        spans = sentence_spans(result.text)
        texts = [result.text[start:end] for start, end in spans]
        # An instruction usually goes on past the sentence that gives it away ("Pretend you
        # are X. X always says …"): the rest of the passage goes with it. What precedes it
        # stays usable (a post's report of a fact, before its injected line).
        hostile = next((n for n, text in enumerate(texts) if looks_like_instruction(text)), None)
        for n, ((start, end), text) in enumerate(zip(spans, texts, strict=True)):
            key = (result.doc_id, result.start + start)
            if key in seen:  # chunk overlap: the same sentence twice
                continue
            seen.add(key)
            if hostile is not None and n >= hostile:
                dropped.setdefault(i, []).append(text)
                continue
            units.append(SentenceUnit(i, result.start + start, result.start + end, text))
    return units, dropped


def _similarities(embedder: Embeddings, query: str, texts: list[str]) -> np.ndarray:
    vectors = np.asarray(embedder.embed_documents([query, *texts]), dtype=np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    similarities: np.ndarray = vectors[1:] @ vectors[0]
    return similarities


def select_context(
    results: list[SearchResult],
    query: str,
    *,
    embedder: Embeddings,
    budget_tokens: int,
    count_tokens: Callable[[str], int],
    focus_terms: list[str] | None = None,
    topic_countries: list[str] | None = None,
) -> Context:
    """Pick the best sentences of ``results`` for ``query`` within ``budget_tokens``;
    sentences holding ``focus_terms`` (the question's content words) or naming one of
    ``topic_countries`` (in any language) score higher."""
    tokens_before = sum(count_tokens(r.text) for r in results)
    units, dropped = _units(results)
    if not units:
        return Context([], tokens_before, 0, _dropped(results, dropped))
    similarities = _similarities(embedder, query, [u.text for u in units])
    shares = _focus_shares([u.text for u in units], focus_terms or [])
    wanted = answer_pattern(query)
    topics = set(topic_countries or [])
    for unit, similarity, share in zip(units, similarities, shares, strict=True):
        unit.score = float(similarity) + RANK_PRIOR / (unit.result + 1) + FOCUS_BONUS * share
        if topics and topics & set(countries_in(unit.text)):
            unit.score += TOPIC_BONUS
        if wanted is not None and wanted.search(unit.text):
            unit.score += ANSWER_TYPE_BONUS
    if wanted is not None:
        _keep_answer_with_entities(units, shares, wanted)
    chosen: list[SentenceUnit] = []
    used = 0
    for unit in sorted(units, key=lambda u: -u.score):
        cost = count_tokens(unit.text) + 2
        relevant = unit.score >= MIN_RELEVANCE or not chosen
        if relevant and used + cost <= budget_tokens:
            chosen.append(unit)
            used += cost
    if not chosen:  # even the best sentence is over budget: cut it, never send nothing
        best = max(units, key=lambda u: u.score)
        chosen, used = [best], count_tokens(best.text)
    return Context(
        _passages(results, chosen, dropped), tokens_before, used, _dropped(results, dropped)
    )


def _keep_answer_with_entities(
    units: list[SentenceUnit], shares: list[float], wanted: re.Pattern[str]
) -> None:
    """The sentence that holds what the question asks for (who leads, how much, when)
    stays with the sentence that names the question's entities: in the chunks of the best
    two sentences, a sentence of the asked-for kind holding a focus term moves up to just
    behind them, however far its own wording is from the question."""
    best = sorted(range(len(units)), key=lambda i: -units[i].score)[:ANCHORS]
    for anchor in best:
        for i, unit in enumerate(units):
            same_chunk = unit.result == units[anchor].result and i != anchor
            if same_chunk and shares[i] > 0 and wanted.search(unit.text):
                unit.score = max(unit.score, units[anchor].score - COMPANION_GAP)


def _focus_shares(texts: list[str], terms: list[str]) -> list[float]:
    """Each sentence's share of the focus terms, weighted by rarity among the candidates:
    in "who will *lead* the delegation to the Expo", *lead* is in one sentence and tells
    the answer apart; *delegation* and *Expo* are in many."""
    folded = [t.casefold() for t in texts]
    present = [[term_in(term, text) for text in folded] for term in terms]
    weights = [math.log(1 + len(texts) / sum(p)) if any(p) else 0.0 for p in present]
    total = sum(weights)
    if not total:
        return [0.0] * len(texts)
    return [
        sum(w for w, p in zip(weights, present, strict=True) if p[i]) / total
        for i in range(len(texts))
    ]


def _dropped(results: list[SearchResult], dropped: dict[int, list[str]]) -> dict[str, list[str]]:
    return {results[i].chunk_id: texts for i, texts in dropped.items()}


def _join(result: SearchResult, units: list[SentenceUnit]) -> str:
    """The selected sentences verbatim; an ellipsis where sentences were left out."""
    pieces = [units[0].text]
    for previous, unit in itertools.pairwise(units):
        gap = result.text[previous.end - result.start : unit.start - result.start]
        pieces.append((gap if not gap.strip() else ELLIPSIS) + unit.text)
    return "".join(pieces)


def _passages(
    results: list[SearchResult], chosen: list[SentenceUnit], dropped: dict[int, list[str]]
) -> list[Passage]:
    by_result: dict[int, list[SentenceUnit]] = {}
    for unit in chosen:
        by_result.setdefault(unit.result, []).append(unit)
    passages: list[Passage] = []
    for i, result in enumerate(results):
        units = sorted(by_result.get(i, []), key=lambda u: u.start)
        if not units:
            continue
        passages.append(
            Passage(
                n=len(passages) + 1,
                doc_id=result.doc_id,
                chunk_id=result.chunk_id,
                title=result.title,
                url=result.url,
                published_at=result.published_at,
                language=result.language,
                source=result.source,
                kind=result.kind,
                retrieval_score=result.score,
                quote=_join(result, units),
                spans=[(u.start, u.end) for u in units],
                chunk_text=result.text,
                dropped_instructions=dropped.get(i, []),
                speaker=result.speaker,
                speakers=result.speakers,
            )
        )
    return passages
