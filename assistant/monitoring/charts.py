"""The dashboard's chart (matplotlib, SVG): volume bars, the forecast with its interval,
and mean sentiment on a second axis; byte-for-byte the same for the same data."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes


_LOCK = threading.Lock()  # pyplot's state is global
_LICENSED_COLOURS = ("#c00000", "#7030a0", "#c55a11", "#375623")


def svg(draw: Callable[[Axes], None]) -> str:
    """One figure drawn by ``draw``, as deterministic SVG (no date, fixed hash salt)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with _LOCK, matplotlib.rc_context({"svg.hashsalt": "dragoman", "svg.fonttype": "path"}):
        figure, axes = plt.subplots(figsize=(7.0, 2.6))
        draw(axes)
        figure.tight_layout()
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        plt.close(figure)
    return buffer.getvalue()


def _days(stamps: list[str]) -> list[float]:
    """ISO timestamps as matplotlib's date numbers (days since the epoch)."""
    return [datetime.fromisoformat(s).timestamp() / 86400 for s in stamps]


def series_chart(view: dict[str, Any]) -> str | None:
    """Volume per bucket (bars), forecast (line and 80 % band), and each language's mean
    sentiment (dots): filled where the language's sentiment is licensed, hollow and grey
    where it is not (its figure is below the bar or not measured), never hidden."""
    points = view["points"]
    if not any(p["volume"] for p in points):
        return None
    when = _days([p["at"] for p in points])
    volume = [p["volume"] for p in points]
    felt = [
        (
            f"{lang['language']}" + ("" if lang["licensed"] else " (not licensed)"),
            bool(lang["licensed"]),
            [(t, v) for t, v in zip(when, lang["points"], strict=True) if v is not None],
        )
        for lang in view.get("languages", [])
    ]
    forecast = view["forecast"]
    hourly = view["series"]["granularity"] == "hour"

    def draw(axes: Axes) -> None:
        from matplotlib.dates import AutoDateLocator, DateFormatter

        axes.bar(
            when, volume, width=(1 / 24 if hourly else 1.0) * 0.8, color="#5b9bd5", label="volume"
        )
        if forecast.get("available"):
            ahead = _days(forecast["at"])
            axes.plot(ahead, forecast["values"], color="#1f4e79", linestyle="--", label="forecast")
            axes.fill_between(
                ahead, forecast["lower"], forecast["upper"], color="#1f4e79", alpha=0.15
            )
        axes.set_ylabel("items")
        axes.xaxis.set_major_locator(AutoDateLocator())  # type: ignore[no-untyped-call]
        axes.xaxis.set_major_formatter(DateFormatter("%d %Hh" if hourly else "%m-%d"))  # type: ignore[no-untyped-call]
        if any(dots for _, _, dots in felt):
            twin = axes.twinx()
            for n, (label, licensed, dots) in enumerate(felt):
                if not dots:
                    continue
                xs, ys = [t for t, _ in dots], [v for _, v in dots]
                if licensed:
                    colour = _LICENSED_COLOURS[n % len(_LICENSED_COLOURS)]
                    twin.plot(xs, ys, "o", color=colour, markersize=3, label=label)
                else:
                    twin.plot(
                        xs,
                        ys,
                        "o",
                        markerfacecolor="none",
                        markeredgecolor="#9a9a9a",
                        markersize=3,
                        label=label,
                    )
            twin.set_ylim(-1, 1)
            twin.set_ylabel("sentiment")
            twin.legend(loc="upper right", fontsize=7, frameon=False)
        axes.legend(loc="upper left", fontsize=7, frameon=False)

    return svg(draw)
