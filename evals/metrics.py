"""Metrics, each small enough to check by hand (tests/unit/test_eval_metrics.py does).

Answer matching follows the MLQA evaluation script: lower-case, strip punctuation and
the language's articles, then whitespace tokens, except that CJK text is compared
character by character.  ``contains_answer`` is RGB's accuracy criterion.
"""

from __future__ import annotations

import math
import random
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

ARTICLES = {
    "en": {"a", "an", "the"},
    "es": {"un", "una", "unos", "unas", "el", "la", "los", "las"},
    "fr": {"le", "la", "les", "l", "un", "une", "des"},
    "de": {"der", "die", "das", "den", "dem", "des", "ein", "eine", "einer", "eines"},
}
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_PUNCT = set(string.punctuation) | {"，", "。", "、", "；", "：", "？", "！", "“", "”", "‘", "’"}
_PUNCT |= {"（", "）", "《", "》", "【", "】", "「", "」", "·", "—", "…", "¿", "¡", "«", "»"}


def _strip_punctuation(text: str) -> str:
    return "".join(
        " " if ch in _PUNCT or unicodedata.category(ch).startswith("P") else ch for ch in text
    )


def normalise(text: str, language: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = _strip_punctuation(text)
    words = [w for w in text.split() if w not in ARTICLES.get(language, set())]
    return " ".join(words)


def tokens(text: str, language: str) -> list[str]:
    """Whitespace tokens, with every CJK character a token of its own."""
    out: list[str] = []
    for word in normalise(text, language).split():
        buffer = ""
        for ch in word:
            if _CJK.match(ch):
                if buffer:
                    out.append(buffer)
                    buffer = ""
                out.append(ch)
            else:
                buffer += ch
        if buffer:
            out.append(buffer)
    return out


def exact_match(prediction: str, golds: Sequence[str], language: str) -> float:
    target = tokens(prediction, language)
    return float(any(tokens(g, language) == target for g in golds))


def token_f1(prediction: str, golds: Sequence[str], language: str) -> float:
    """SQuAD/MLQA token F1, the best over the gold answers."""
    predicted = tokens(prediction, language)
    best = 0.0
    for gold in golds:
        expected = tokens(gold, language)
        common = sum((Counter(predicted) & Counter(expected)).values())
        if common == 0:
            continue
        precision, recall = common / len(predicted), common / len(expected)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def contains_answer(text: str, golds: Sequence[str], language: str) -> bool:
    """Whether any gold answer appears in ``text`` (normalised; token-aligned)."""
    haystack = f" {' '.join(tokens(text, language))} "
    return any(
        f" {' '.join(tokens(g, language))} " in haystack for g in golds if tokens(g, language)
    )


def all_elements_found(text: str, elements: Sequence[Sequence[str]], language: str) -> bool:
    """RGB: every required element (any of its alternatives) appears in the answer."""
    return bool(elements) and all(contains_answer(text, alts, language) for alts in elements)


def reciprocal_rank(ranked: Sequence[str], gold: str, k: int) -> float:
    for rank, item in enumerate(ranked[:k], start=1):
        if item == gold:
            return 1.0 / rank
    return 0.0


def recall_at(ranked: Sequence[str], gold: str, k: int) -> float:
    return float(gold in ranked[:k])


def ndcg_at(ranked: Sequence[str], gold: str, k: int) -> float:
    """nDCG@k with one relevant item (ideal DCG is 1)."""
    for rank, item in enumerate(ranked[:k], start=1):
        if item == gold:
            return 1.0 / math.log2(rank + 1)
    return 0.0


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def rate(flags: Sequence[bool]) -> float | None:
    return mean([float(f) for f in flags])


def balanced_accuracy(truth: Sequence[int], predicted: Sequence[int]) -> float | None:
    """Mean per-class recall over the classes present in ``truth``."""
    recalls = []
    for label in sorted(set(truth)):
        idx = [i for i, t in enumerate(truth) if t == label]
        recalls.append(sum(predicted[i] == label for i in idx) / len(idx))
    return mean(recalls)


def macro_f1(truth: Sequence[int], predicted: Sequence[int]) -> float | None:
    """F1 averaged over the classes present in ``truth``."""
    scores = []
    for label in sorted(set(truth)):
        tp = sum(t == label and p == label for t, p in zip(truth, predicted, strict=True))
        fp = sum(t != label and p == label for t, p in zip(truth, predicted, strict=True))
        fn = sum(t == label and p != label for t, p in zip(truth, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return mean(scores)


def kendall_tau_b(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Kendall's τ-b (ties in either variable accounted for)."""
    concordant = discordant = ties_x = ties_y = 0
    n = len(x)
    for i in range(n):
        for j in range(i + 1, n):
            dx, dy = x[i] - x[j], y[i] - y[j]
            if dx == 0 and dy == 0:
                continue
            if dx == 0:
                ties_x += 1
            elif dy == 0:
                ties_y += 1
            elif (dx > 0) == (dy > 0):
                concordant += 1
            else:
                discordant += 1
    denominator = math.sqrt((concordant + discordant + ties_x) * (concordant + discordant + ties_y))
    return (concordant - discordant) / denominator if denominator else None


Aggregate = Callable[[list[dict[str, object]]], float | None]


def paired_bootstrap(
    before: list[dict[str, object]],
    after: list[dict[str, object]],
    metric: Aggregate,
    *,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float | None, float | None, float | None]:
    """Delta (after − before) of ``metric`` with a percentile bootstrap interval.

    ``before`` and ``after`` are the same items in the same order (paired), so the
    interval reflects which items were drawn, not the difference between samples.
    """
    a, b = metric(before), metric(after)
    if a is None or b is None:
        return None, None, None
    rng = random.Random(seed)
    n = len(before)
    deltas = []
    for _ in range(resamples):
        idx = [rng.randrange(n) for _ in range(n)]
        ra, rb = metric([before[i] for i in idx]), metric([after[i] for i in idx])
        if ra is not None and rb is not None:
            deltas.append(rb - ra)
    low, high = _percentile_interval(deltas, level)
    return b - a, low, high


def bootstrap_interval(
    items: Sequence[dict[str, object]],
    metric: Aggregate,
    *,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float | None, float | None]:
    """Percentile bootstrap interval of ``metric`` over one run's ``items``: how far the
    figure could move had other items of the same kind been drawn."""
    if not items:
        return None, None
    rng = random.Random(seed)
    n = len(items)
    values = []
    for _ in range(resamples):
        value = metric([items[rng.randrange(n)] for _ in range(n)])
        if value is not None:
            values.append(value)
    return _percentile_interval(values, level)


def mean_interval(
    values: Sequence[float | None], *, resamples: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[float | None, float | None]:
    """Interval of a mean over the values that are set: Wilson's score interval where every
    value is 0 or 1 (a proportion: an all-zero sample still has room above zero), otherwise
    ``bootstrap_interval``'s percentile interval, vectorised."""
    array = np.array([np.nan if v is None else float(v) for v in values])
    if not len(array) or np.isnan(array).all():
        return None, None
    present = array[~np.isnan(array)]
    if np.isin(present, (0.0, 1.0)).all():
        return wilson_interval(int(present.sum()), len(present), level=level)
    draws = np.random.default_rng(seed).integers(0, len(array), size=(resamples, len(array)))
    sampled = array[draws]
    counts = (~np.isnan(sampled)).sum(axis=1)
    means = np.nansum(sampled, axis=1)[counts > 0] / counts[counts > 0]
    tail = (1 - level) / 2
    return float(np.quantile(means, tail)), float(np.quantile(means, 1 - tail))


def wilson_interval(successes: int, n: int, *, level: float = 0.95) -> tuple[float, float]:
    """Wilson's score interval of a proportion (``successes`` of ``n``)."""
    if n <= 0:
        raise ValueError("a proportion of no items has no interval")
    z = _Z[level]
    p = successes / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    scale = 1 + z * z / n
    return max((centre - spread) / scale, 0.0), min((centre + spread) / scale, 1.0)


_Z = {0.9: 1.6449, 0.95: 1.96, 0.99: 2.5758}


def _percentile_interval(values: list[float], level: float) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    values = sorted(values)
    tail = (1 - level) / 2
    low = values[math.floor(tail * (len(values) - 1))]
    high = values[math.ceil((1 - tail) * (len(values) - 1))]
    return low, high
