"""Helpers the answering suites share."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.grounding.support import content_terms
from assistant.grounding.verify import SupportJudge, judge_threshold, support_score
from retrieval.chunking import sentence_spans
from retrieval.search import SearchResult

if TYPE_CHECKING:
    from assistant.answering.pipeline import AskResult

_MARKER = re.compile(r"\s*\[\d+\]")


def answer_text(result: AskResult) -> str:
    """The answer without its [n] markers ('' when refused)."""
    return "" if result.refused else _MARKER.sub("", result.answer).strip()


def given_passages(texts: list[str], *, language: str, prefix: str) -> list[SearchResult]:
    """Fixed passages presented as search results, best-ranked first."""
    return [
        SearchResult(
            chunk_id=f"{prefix}:{i}",
            doc_id=f"{prefix}:{i}",
            title=f"Source {i + 1}",
            url=None,
            published_at=None,
            language=language,
            score=1.0 / (i + 1),
            text=text,
            start=0,
            end=len(text),
            source=prefix,
            kind="news",
        )
        for i, text in enumerate(texts)
    ]


def answer_record(result: AskResult) -> dict[str, Any]:
    """What every answering item keeps of the answer (for replay and reports)."""
    return {
        "answer": result.answer,
        "refused": result.refused,
        "refusal_reason": result.refusal_reason,
        "sentences": result.sentences,
        "cited": [
            {"n": c["n"], "doc_id": c["doc_id"], "quote": c["quote"]} for c in result.citations
        ],
        "timings": result.timings,
        "tokens": result.tokens,
    }


class CachedEmbeddings(Embeddings):
    """Memoises an embedder: a judge re-embeds the same reference for every claim."""

    def __init__(self, inner: Embeddings, max_items: int = 200_000) -> None:
        self.inner = inner
        self.max_items = max_items
        self.cache: dict[str, list[float]] = {}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        missing = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if missing:
            if len(self.cache) + len(missing) > self.max_items:
                self.cache.clear()
            self.cache.update(zip(missing, self.inner.embed_documents(missing), strict=True))
        return [self.cache[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def claims(text: str, min_terms: int = 3, limit: int = 10) -> list[str]:
    """The sentences of ``text`` that make a claim (headings and fragments skipped)."""
    sentences = [text[s:e].strip() for s, e in sentence_spans(text)]
    return [s for s in sentences if len(content_terms(s)) >= min_terms][:limit]


def closest_units(claim: str, units: list[str], embedder: Embeddings, keep: int) -> str:
    """The ``keep`` units most similar to ``claim``, in their original order."""
    if len(units) <= keep:
        return "\n".join(units)
    vectors = np.asarray(embedder.embed_documents([claim, *units]), dtype=np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    best = sorted(np.argsort(-(vectors[1:] @ vectors[0]))[:keep].tolist())
    return "\n".join(units[i] for i in best)


def supported(judge: SupportJudge, claim: str, evidence: str, same_language: bool = True) -> bool:
    """The verification rule: hard checks pass and the judge's score reaches its threshold."""
    return support_score(claim, evidence, same_language, judge) >= judge_threshold(judge)
