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
    """Volume per bucket (bars), forecast (line and 80 % band), sentiment (dots)."""
    points = view["points"]
    if not any(p["volume"] for p in points):
        return None
    when = _days([p["at"] for p in points])
    volume = [p["volume"] for p in points]
    felt = [
        (t, p["sentiment"]) for t, p in zip(when, points, strict=True) if p["sentiment"] is not None
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
        if felt:
            twin = axes.twinx()
            twin.plot(
                [t for t, _ in felt], [s for _, s in felt], "o", color="#c00000", markersize=3
            )
            twin.set_ylim(-1, 1)
            twin.set_ylabel("sentiment")
        axes.legend(loc="upper left", fontsize=7, frameon=False)

    return svg(draw)
