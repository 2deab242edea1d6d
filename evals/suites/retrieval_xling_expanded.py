"""`retrieval-xling-expanded`: cross-lingual retrieval with the question translated for BM25.

The same questions as `retrieval-xling` (same sample for the same limit) on its six
cross-lingual pairs, searched twice: as `retrieval-xling` does (the question's own words:
dense ranking plus BM25 in the question's language, which the pool's language filter
empties), and as `ask` does (`answering.query.translate_query`: one model call puts the
question in the pool's language, and BM25 ranks the pool on it beside the dense ranking).
Each item keeps both rankings, so the gain of the expansion is paired."""

from __future__ import annotations

import time
from collections.abc import Iterator

from assistant.answering.query import translate_query
from evals.datasets import XQUAD_LANGUAGES, sample
from evals.harness import EvalContext, Item, Metric, register_suite, timing
from evals.metrics import recall_at, reciprocal_rank
from evals.suites.retrieval_xling import RetrievalXling
from evals.xquad_index import xquad_filters

K = 10


def _changed(items: list[Item]) -> float | None:
    values = [i["top5"] != i["top5_plain"] for i in items]
    return sum(values) / len(values) if values else None


def _ranked(ctx: EvalContext, question: str, pool: str, expansion: dict[str, str]) -> list[str]:
    """The gold-context ids of the top ``K`` chunks, in order, without repeats."""
    results = ctx.engine.search.search(
        question, clearance="public", k=K, filters=xquad_filters(pool), translations=expansion
    )
    return list(dict.fromkeys(ctx.xquad.context_of[r.doc_id] for r in results))


class RetrievalXlingExpanded:
    name = "retrieval-xling-expanded"
    description = (
        "XQuAD en/zh/es, the six cross-lingual pairs: each question searched in the 240 "
        "contexts of the other language with and without its translation for BM25 (as ask)."
    )
    group_by = "pair"
    metrics = (
        *RetrievalXling.metrics[:4],  # recall@1/5/10 and MRR@10, here with the translation
        Metric("recall@5_plain", "gold context in the top 5, the question's own words only"),
        Metric("mrr@10_plain", "mean reciprocal rank, the question's own words only"),
        Metric("top5_changed", "top 5 changed by the translation", fn=_changed, gate=False),
        timing("translate_ms", "the model's translation of the question"),
    )

    def items(self, ctx: EvalContext, limit: int | None) -> Iterator[Item]:
        index = ctx.xquad
        engine = ctx.engine
        pairs = [(a, b) for a in XQUAD_LANGUAGES for b in XQUAD_LANGUAGES if a != b]
        cache: dict[str, str] = {}
        for p, (a, b) in enumerate(pairs):
            questions = sample(index.data[a].questions, limit, seed="retrieval-xling")
            for n, q in enumerate(questions):
                started = time.perf_counter()
                translations = translate_query(q.question, a, [b], engine.llm, cache)
                translate_ms = (time.perf_counter() - started) * 1000
                plain = _ranked(ctx, q.question, b, {})
                expanded = _ranked(ctx, q.question, b, translations)
                yield {
                    "id": f"{q.id}:{a}>{b}",
                    "pair": f"{a}>{b}",
                    "question": q.question,
                    "translation": translations.get(b),
                    "gold": q.context_id,
                    "ranked": expanded,
                    "top5": expanded[:5],
                    "top5_plain": plain[:5],
                    "recall@1": recall_at(expanded, q.context_id, 1),
                    "recall@5": recall_at(expanded, q.context_id, 5),
                    "recall@10": recall_at(expanded, q.context_id, K),
                    "mrr@10": reciprocal_rank(expanded, q.context_id, K),
                    "recall@5_plain": recall_at(plain, q.context_id, 5),
                    "mrr@10_plain": reciprocal_rank(plain, q.context_id, K),
                    "translate_ms": round(translate_ms, 1),
                    "score": reciprocal_rank(expanded, q.context_id, K),
                }
                ctx.progress(f"{self.name} {a}>{b}", p * len(questions) + n + 1,
                             len(pairs) * len(questions))  # fmt: skip


register_suite(RetrievalXlingExpanded())
