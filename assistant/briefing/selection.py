"""Stage 1 of a briefing: the window's documents that a watchlist follows.

A briefing dated D covers the ``window`` (e.g. ``24h``) that ends at D's cut-off hour
(``DRAGOMAN_BRIEF_CUTOFF_HOUR``, UTC): a morning briefing reads what was published since the
previous morning.  The watchlist (:mod:`assistant.monitoring.watchlists`) names the
countries, keywords, kinds, sources and languages a desk follows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from assistant.core.clearance import readable_levels
from assistant.core.errors import InputError
from assistant.monitoring.watchlists import Watchlist
from corpus.document import Document
from corpus.registry import DocFilters, Registry

_WINDOW = re.compile(r"^\s*(\d{1,3})\s*([hdw])\s*$", re.IGNORECASE)
_UNIT_HOURS = {"h": 1, "d": 24, "w": 168}
MAX_WINDOW = timedelta(days=31)


def parse_window(text: str) -> timedelta:
    """``24h``, ``3d``, ``1w`` → a timedelta (at most 31 days)."""
    match = _WINDOW.match(text)
    if not match:
        raise InputError(f"invalid window {text!r}", fix="hours, days or weeks: 24h, 3d, 1w")
    window = timedelta(hours=int(match.group(1)) * _UNIT_HOURS[match.group(2).lower()])
    if not timedelta(0) < window <= MAX_WINDOW:
        raise InputError(f"window {text!r} must be between 1h and 31d")
    return window


@dataclass(frozen=True)
class BriefingWindow:
    """The half-open interval [start, end) a briefing covers."""

    start: datetime
    end: datetime

    @classmethod
    def ending_on(cls, day: date, window: timedelta, cutoff_hour: int) -> BriefingWindow:
        end = datetime.combine(day, time(hour=cutoff_hour), tzinfo=UTC)
        return cls(end - window, end)

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclass
class Selection:
    window: BriefingWindow
    watchlist: Watchlist
    documents: list[Document]  # originals and duplicates, oldest first

    @property
    def originals(self) -> list[Document]:
        return [d for d in self.documents if d.duplicate_of is None]


def select_documents(
    registry: Registry, window: BriefingWindow, watchlist: Watchlist, clearance: str
) -> Selection:
    """The window's documents the watchlist follows, within the audience's clearance."""
    candidates = registry.in_window(
        int(window.start.timestamp()),
        int(window.end.timestamp()),
        DocFilters(include_duplicates=True),
        readable_levels(clearance),
    )
    return Selection(window, watchlist, [d for d in candidates if watchlist.matches(d)])
