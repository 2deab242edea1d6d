"""Reports of a saved run: a plain summary for the terminal and an HTML page (Jinja2)
with matplotlib charts embedded, written next to the run as ``report.html``."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import jinja2

from evals.harness import SavedRun, Suite, aggregate, get_suite, intervals

WORST_SHOWN = 5


def summary(run: SavedRun, *, resamples: int = 1000) -> dict[str, Any]:
    """The run's record with metrics recomputed from its items (what a report shows), each
    gated metric with its 95 % interval over the items (``harness.intervals``)."""
    suites = []
    for name in run.record["suites"]:
        items = run.items.get(name, [])
        suite = get_suite(name)
        suites.append({
            "name": name,
            "description": suite.description,
            "items": len(items),
            "seconds": run.record.get("timings_s", {}).get(name),
            "metrics": aggregate(suite, items) if items else {},
            "intervals": intervals(suite, items, resamples=resamples),
            "definitions": {m.name: m.description for m in suite.metrics},
            "worst": _worst(items),
        })  # fmt: skip
    return {**{k: v for k, v in run.record.items() if k != "metrics"}, "suites": suites}


def _worst(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ranked = sorted(items, key=lambda i: float(i["score"] if i.get("score") is not None else 1))
    return [
        {"id": i["id"], "score": i.get("score"), "question": i.get("question") or i.get("query"),
         "gold": i.get("gold"), "answer": i.get("answer")}
        for i in ranked[:WORST_SHOWN]
    ]  # fmt: skip


def _chart(suite: Suite, metrics: dict[str, float | None]) -> str | None:
    """Grouped bars of the suite's 0–1 metrics (per group when the suite has groups)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [m.name for m in suite.metrics
             if isinstance(metrics.get(m.name), float | int) and 0 <= metrics[m.name] <= 1]  # type: ignore[operator]  # fmt: skip
    if not names:
        return None
    groups = sorted({k.split("[", 1)[1][:-1] for k in metrics if "[" in k}) or ["all"]
    figure, axes = plt.subplots(figsize=(min(12.0, 2.0 + 0.3 * len(names) * len(groups)), 3.4))
    width = 0.8 / len(groups)
    for g, group in enumerate(groups):
        key = (lambda n: n) if group == "all" else (lambda n, g=group: f"{n}[{g}]")
        values = [metrics.get(key(n)) or 0.0 for n in names]
        axes.bar([x + g * width for x in range(len(names))], values, width, label=group)
    axes.set_xticks([x + 0.4 - width / 2 for x in range(len(names))], names, rotation=20,
                    ha="right", fontsize=8)  # fmt: skip
    axes.set_ylim(0, 1)
    axes.set_title(suite.name)
    if len(groups) > 1:
        axes.legend(fontsize=7, ncols=min(len(groups), 5), loc="lower right")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def render_html(run: SavedRun, data: dict[str, Any] | None = None) -> Path:
    """Write ``report.html`` next to the run (``data``: its ``summary``, when already made)."""
    data = data if data is not None else summary(run)
    for suite in data["suites"]:
        suite["chart"] = _chart(get_suite(suite["name"]), suite["metrics"])
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    html = environment.get_template("report.html.j2").render(run=data)
    path = run.path / "report.html"
    path.write_text(html, encoding="utf-8")
    return path
