"""Disagreement flags on RGB's counterfactual items, through the answering stages that make
them (no model: the flags do not depend on it).

For each of RGB's 100 zh_fact questions: ``conflict`` (two true passages, two copies with
the answer altered, one unrelated, in the `contradictions` suite's order) and ``consistent``
(three true, two unrelated). The passages go through context selection at the default
budget (``DRAGOMAN_ASK_CONTEXT_TOKENS``), then through the detector two ways: on the
compressed context only, and on the context plus every other passage the search found
(what `ask` reports). Split: even ids were read while the detector was built (dev), odd
ids were not (held_out). 95 % Wilson intervals.

    python bench/disagreements.py [--json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import _repo  # noqa: F401  (the repository on sys.path)

from assistant.components import Components
from assistant.core.settings import load_settings
from assistant.grounding.context import select_context
from assistant.grounding.disagreement import disagreements_in, find_disagreements
from bench.support.report import print_table
from evals.datasets import corpora_dir, load_rgb
from evals.metrics import wilson_interval
from evals.suites.common import given_passages
from evals.suites.contradictions import CONDITIONS, passages_for, sides_hold


def wilson(k: int, n: int) -> str:
    if not n:
        return "—"
    low, high = wilson_interval(k, n)
    return f"{k / n:.3f} [{low:.3f}, {high:.3f}] ({k}/{n})"


def measure(home: Path) -> list[dict[str, Any]]:
    settings = load_settings(home=home)
    engine = Components(settings).engine()
    _, items = load_rgb(corpora_dir(settings.corpora_dir), "zh_fact")
    rows = []
    for item in items:
        for condition in CONDITIONS:
            results = given_passages(passages_for(condition, item), language="zh", prefix=item.id)
            context = select_context(results, item.query, embedder=engine.retrieval.embedder,
                                     budget_tokens=settings.ask.context_tokens,
                                     count_tokens=engine.count)  # fmt: skip
            shown = find_disagreements(context.passages)
            found = disagreements_in(context.passages, results)
            both = any(sides_hold(d.to_dict(), item) for d in found)
            rows.append({"id": item.id, "condition": condition, "context_only": bool(shown),
                         "flagged": bool(found), "both_sides": both,
                         "split": "held_out" if int(item.id.rsplit("-", 1)[1]) % 2 else "dev"})  # fmt: skip
    return rows


def summary(rows: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    table = []
    for split in ("dev", "held_out", "all"):
        chosen = [r for r in rows if split in ("all", r["split"])]
        conflict = [r for r in chosen if r["condition"] == "conflict"]
        consistent = [r for r in chosen if r["condition"] == "consistent"]
        count = lambda rs, key: sum(r[key] for r in rs)  # noqa: E731
        table.append((split, wilson(count(conflict, "context_only"), len(conflict)),
                      wilson(count(conflict, "flagged"), len(conflict)),
                      wilson(count(conflict, "both_sides"), len(conflict)),
                      wilson(count(consistent, "flagged"), len(consistent))))  # fmt: skip
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = measure(Path(tmp))
    if args.json:
        print(json.dumps({"rows": rows, "summary": summary(rows)}, indent=2))
        return
    print_table(("split", "conflict: flagged, context only", "conflict: flagged (ask)",
                 "conflict: both sides shown", "consistent: false flags"), summary(rows))  # fmt: skip


if __name__ == "__main__":
    main()
