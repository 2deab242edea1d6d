"""Tune the hybrid search's rank fusion (lexical weight, RRF constant) on an XQuAD dev split.

Same pipeline as ``xquad_retrieval.py``. For the same-language pairs (the only ones where
BM25 contributes: lexical scores are fused only within the query's language) the dense and
the lexical rankings of every question are computed once, then fused offline for every
candidate setting. Articles with an even index are the dev split (choose), odd ones the
test split (report), so the reported figure is not the one that was tuned on.

    python bench/tune_fusion.py [--limit N] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from _repo import ROOT

sys.path.insert(0, str(ROOT / "bench"))

from xquad_retrieval import LANGUAGES, build, load

from bench.support.report import print_table
from retrieval.index import Filters
from retrieval.search import LEXICAL_WEIGHT, RRF_K, HybridSearch, fuse

WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
RRF_CONSTANTS = (5, 10, 20, 40, 60, 100)
POOL = 50


def rankings(search: HybridSearch, doc_to_context: dict[str, str], language: str,
             limit: int) -> list[dict[str, Any]]:  # fmt: skip
    """Per question: gold context, article, dense and lexical rankings of contexts."""
    _, questions = load(language)
    rows = []
    for q in questions[:limit]:
        per_mode = {}
        for mode in ("dense", "lexical"):
            results = search.search(q["question"], clearance="public", k=POOL,
                                    filters=Filters(language=language), mode=mode)  # fmt: skip
            per_mode[mode] = [f"{doc_to_context[r.doc_id]}|{r.chunk_id}" for r in results]
        rows.append({"gold": q["context"], "article": int(q["context"].split("-")[0]), **per_mode})
    return rows


def score(rows: list[dict[str, Any]], weight: float, rrf_k: int) -> dict[str, float]:
    hits5 = 0
    reciprocal = 0.0
    for row in rows:
        fused = fuse([(row["dense"], 1.0), (row["lexical"], weight)], k=rrf_k)[:10]
        ranked = list(dict.fromkeys(key.split("|")[0] for key, _ in fused))
        rank = ranked.index(row["gold"]) + 1 if row["gold"] in ranked else None
        hits5 += rank is not None and rank <= 5
        reciprocal += 1 / rank if rank else 0.0
    n = max(len(rows), 1)
    return {"recall@5": hits5 / n, "mrr@10": reciprocal / n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=10_000, help="questions per language")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        search, doc_to_context = build(Path(tmp))
        data = {lang: rankings(search, doc_to_context, lang, args.limit) for lang in LANGUAGES}
    dev = {lang: [r for r in rows if r["article"] % 2 == 0] for lang, rows in data.items()}
    test = {lang: [r for r in rows if r["article"] % 2 == 1] for lang, rows in data.items()}

    def mean_mrr(split: dict[str, list[dict[str, Any]]], weight: float, rrf_k: int) -> float:
        return sum(score(rows, weight, rrf_k)["mrr@10"] for rows in split.values()) / len(split)

    grid = [(w, k, mean_mrr(dev, w, k)) for w in WEIGHTS for k in RRF_CONSTANTS]
    best_w, best_k, best_dev = max(grid, key=lambda g: (round(g[2], 4), -abs(g[0] - 1.0)))
    report = {
        "chosen": {"lexical_weight": best_w, "rrf_k": best_k, "dev_mrr@10": round(best_dev, 4)},
        "current": {"lexical_weight": LEXICAL_WEIGHT, "rrf_k": RRF_K},
        "test": {
            lang: {
                "n": len(rows),
                "chosen": {m: round(v, 4) for m, v in score(rows, best_w, best_k).items()},
                "current": {m: round(v, 4) for m, v in score(rows, LEXICAL_WEIGHT, RRF_K).items()},
                "dense_only": {m: round(v, 4) for m, v in score(rows, 0.0, RRF_K).items()},
            }
            for lang, rows in test.items()
        },
        "grid": [{"lexical_weight": w, "rrf_k": k, "dev_mrr@10": round(m, 4)} for w, k, m in grid],
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"chosen on dev (even articles): {report['chosen']}")
    print_table(
        ("language (test: odd articles)", "n", "setting", "recall@5", "MRR@10"),
        [(lang, row["n"], setting, row[setting]["recall@5"], row[setting]["mrr@10"])
         for lang, row in report["test"].items() for setting in ("dense_only", "current", "chosen")],
    )  # fmt: skip


if __name__ == "__main__":
    main()
