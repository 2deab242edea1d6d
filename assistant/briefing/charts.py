"""The briefing's charts (matplotlib, SVG), byte-for-byte the same for the same data.

Axis text is numbers and dates only, so a chart reads the same in every output language;
titles and captions are the rendition's, in HTML around the image.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.briefing.model import Story
from assistant.monitoring.charts import svg

if TYPE_CHECKING:
    from matplotlib.axes import Axes

_KIND_COLOURS = {"policy": "#1f4e79", "news": "#5b9bd5", "social": "#f4b183"}


def volume_chart(volume_by_day: dict[str, dict[str, int]]) -> str | None:
    """Stacked bars: items per day by kind (baseline days, then the window's)."""
    if not volume_by_day:
        return None
    days = list(volume_by_day)

    def draw(axes: Axes) -> None:
        bottom = [0] * len(days)
        for kind, colour in _KIND_COLOURS.items():
            values = [volume_by_day[d].get(kind, 0) for d in days]
            if any(values):
                axes.bar(range(len(days)), values, bottom=bottom, color=colour, label=kind)
                bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        axes.set_xticks(range(len(days)), [d[5:] for d in days], fontsize=7)
        axes.legend(fontsize=7, loc="upper left")

    return svg(draw)


def stories_chart(stories: list[Story]) -> str | None:
    """Horizontal bars per ranked story: items and distinct sources."""
    if not stories:
        return None
    ranks = [s.rank for s in stories][::-1]
    volumes = [s.volume for s in stories][::-1]
    sources = [len(s.sources) for s in stories][::-1]

    def draw(axes: Axes) -> None:
        axes.barh([r + 0.2 for r in ranks], volumes, height=0.4, color="#5b9bd5", label="items")
        axes.barh([r - 0.2 for r in ranks], sources, height=0.4, color="#1f4e79", label="sources")
        axes.set_yticks(ranks, [f"#{r}" for r in ranks], fontsize=7)
        axes.legend(fontsize=7, loc="lower right")

    return svg(draw)
