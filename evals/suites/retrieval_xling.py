"""`retrieval-xling`: cross-lingual retrieval on XQuAD (questions in A, pool in B)."""

from __future__ import annotations

import time
from collections.abc import Iterator

from evals.datasets import XQUAD_LANGUAGES, sample
from evals.harness import EvalContext, Item, Metric, register_suite, timing
from evals.metrics import ndcg_at, recall_at, reciprocal_rank
from evals.xquad_index import xquad_filters

K = 10


class RetrievalXling:
    name = "retrieval-xling"
    description = (
        "XQuAD en/zh/es: each question (language A) searched in the 240 contexts of "
        "language B through hybrid search; a hit is any chunk of the gold context."
    )
    group_by = "pair"
    metrics = (
        Metric("recall@1", "gold context ranked first"),
        Metric("recall@5", "gold context in the top 5"),
        Metric("recall@10", "gold context in the top 10"),
        Metric("mrr@10", "mean reciprocal rank of the gold context (0 beyond 10)"),
        Metric("ndcg@10", "nDCG@10 with the gold context as the one relevant item"),
        timing("latency_ms", "search latency per query"),
    )

    def items(self, ctx: EvalContext, limit: int | None) -> Iterator[Item]:
        index = ctx.xquad
        search = ctx.engine.search
        pairs = [(a, b) for a in XQUAD_LANGUAGES for b in XQUAD_LANGUAGES]
        for p, (a, b) in enumerate(pairs):
            questions = sample(index.data[a].questions, limit, seed="retrieval-xling")
            for n, q in enumerate(questions):
                started = time.perf_counter()
                results = search.search(
                    q.question, clearance="public", k=K, filters=xquad_filters(b)
                )
                latency = (time.perf_counter() - started) * 1000
                ranked = list(dict.fromkeys(index.context_of[r.doc_id] for r in results))
                rr = reciprocal_rank(ranked, q.context_id, K)
                yield {
                    "id": f"{q.id}:{a}>{b}",
                    "pair": f"{a}>{b}",
                    "question": q.question,
                    "gold": q.context_id,
                    "ranked": ranked,
                    "recall@1": recall_at(ranked, q.context_id, 1),
                    "recall@5": recall_at(ranked, q.context_id, 5),
                    "recall@10": recall_at(ranked, q.context_id, K),
                    "mrr@10": rr,
                    "ndcg@10": ndcg_at(ranked, q.context_id, K),
                    "latency_ms": round(latency, 2),
                    "score": rr,
                }
                ctx.progress(f"{self.name} {a}>{b}", p * len(questions) + n + 1,
                             len(pairs) * len(questions))  # fmt: skip


register_suite(RetrievalXling())
