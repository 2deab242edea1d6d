"""Comparing two runs: per-metric deltas with paired bootstrap intervals, and the items
that got worse.  A metric regressed only when its whole interval lies on the worse side
of zero, so the CI gate fails on real regressions and not on noise.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from evals.harness import Item, Metric, SavedRun, Suite, get_suite
from evals.metrics import paired_bootstrap


@dataclass
class MetricDelta:
    suite: str
    metric: str
    before: float | None
    after: float | None
    delta: float | None
    ci_low: float | None
    ci_high: float | None
    higher_is_better: bool
    verdict: str  # regression | improvement | within noise | not tested


def _field_bootstrap(
    before: list[Item], after: list[Item], field: str, resamples: int, seed: int
) -> tuple[float | None, float | None]:
    a = np.array([np.nan if i.get(field) is None else float(i[field]) for i in before])
    b = np.array([np.nan if i.get(field) is None else float(i[field]) for i in after])
    draws = np.random.default_rng(seed).integers(0, len(a), size=(resamples, len(a)))
    ra, rb = a[draws], b[draws]
    valid_a, valid_b = ~np.isnan(ra), ~np.isnan(rb)
    counts_a, counts_b = valid_a.sum(axis=1), valid_b.sum(axis=1)
    ok = (counts_a > 0) & (counts_b > 0)
    if not ok.any():
        return None, None
    means_a = np.where(valid_a, ra, 0).sum(axis=1)[ok] / counts_a[ok]
    means_b = np.where(valid_b, rb, 0).sum(axis=1)[ok] / counts_b[ok]
    deltas = means_b - means_a
    return float(np.percentile(deltas, 2.5)), float(np.percentile(deltas, 97.5))


def _delta(
    suite: str, name: str, metric: Metric, before: list[Item], after: list[Item],
    resamples: int, seed: int,
) -> MetricDelta:  # fmt: skip
    a, b = metric.value(before), metric.value(after)
    delta = None if a is None or b is None else b - a
    low = high = None
    if delta is not None and metric.bootstrap and before:
        if metric.field is not None:
            low, high = _field_bootstrap(before, after, metric.field, resamples, seed)
        else:
            _, low, high = paired_bootstrap(
                before, after, metric.value, resamples=resamples, seed=seed
            )
    return MetricDelta(suite, name, a, b, delta, low, high, metric.higher_is_better,
                       _verdict(metric, low, high))  # fmt: skip


def _verdict(metric: Metric, low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "not tested"
    worse = high < 0 if metric.higher_is_better else low > 0
    better = low > 0 if metric.higher_is_better else high < 0
    if worse:
        return "regression" if metric.gate else "worse (not gated)"
    return "improvement" if better else "within noise"


def _paired(before: list[Item], after: list[Item]) -> tuple[list[Item], list[Item]]:
    by_id = {i["id"]: i for i in after}
    common = [i for i in before if i["id"] in by_id]
    return common, [by_id[i["id"]] for i in common]


def compare_suite(
    suite: Suite, before: list[Item], after: list[Item], *, resamples: int, seed: int = 0
) -> dict[str, Any]:
    a, b = _paired(before, after)
    deltas = [_delta(suite.name, m.name, m, a, b, resamples, seed) for m in suite.metrics]
    if suite.group_by:
        for group in sorted({str(i.get(suite.group_by)) for i in a}):
            ga = [i for i in a if str(i.get(suite.group_by)) == group]
            gb = [i for i in b if str(i.get(suite.group_by)) == group]
            deltas += [
                _delta(suite.name, f"{m.name}[{group}]", m, ga, gb, resamples, seed)
                for m in suite.metrics
                if m.value(ga) is not None
            ]
    worse = [
        {"id": x["id"], "before": x.get("score"), "after": y.get("score"),
         "question": x.get("question") or x.get("query"), "answer_before": x.get("answer"),
         "answer_after": y.get("answer")}
        for x, y in zip(a, b, strict=True)
        if (y.get("score") or 0.0) < (x.get("score") or 0.0)
    ]  # fmt: skip
    return {
        "suite": suite.name,
        "paired_items": len(a),
        "only_before": len(before) - len(a),
        "only_after": len(after) - len(b),
        "metrics": [asdict(d) for d in deltas],
        "regressed_items": worse,
        "regressions": [d.metric for d in deltas if d.verdict == "regression"],
    }


def compare_runs(before: SavedRun, after: SavedRun, *, resamples: int = 1000) -> dict[str, Any]:
    """Every suite the two runs share, compared item by item."""
    shared = [s for s in before.record["suites"] if s in after.items and s in before.items]
    suites = [
        compare_suite(get_suite(s), before.items[s], after.items[s], resamples=resamples)
        for s in shared
    ]
    return {
        "before": before.record["run_id"],
        "after": after.record["run_id"],
        "suites": suites,
        "regressions": [f"{s['suite']}:{m}" for s in suites for m in s["regressions"]],
    }
