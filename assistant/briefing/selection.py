"""Stage 1 of a briefing: the window's documents that a watchlist follows.

A briefing dated D covers the ``window`` (e.g. ``24h``) that ends at D's cut-off hour
(``DRAGOMAN_BRIEF_CUTOFF_HOUR``, UTC): a morning briefing reads what was published since the
previous morning.  A watchlist names the countries, keywords, kinds, sources and languages a
desk follows; any empty field means "all".  Watchlists are saved in the settings
(``DRAGOMAN_WATCHLISTS``, a JSON object of name → watchlist); ``all`` is built in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from assistant.errors import ConfigError, InputError
from assistant.settings import Settings
from corpus.document import CLEARANCES, Clearance, Document, Kind
from corpus.registry import DocFilters, Registry

_WINDOW = re.compile(r"^\s*(\d{1,3})\s*([hdw])\s*$", re.IGNORECASE)
_UNIT_HOURS = {"h": 1, "d": 24, "w": 168}
MAX_WINDOW = timedelta(days=31)


class Watchlist(BaseModel):
    """What a desk follows; an empty list means no restriction on that field."""

    name: str = Field(default="all", min_length=1, max_length=64)
    countries: list[str] = Field(default_factory=list, description="ISO 3166 alpha-3, any of")
    keywords: list[str] = Field(default_factory=list, description="Any of, in title or text")
    kinds: list[Kind] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    # early-warning thresholds for the series this watchlist watches (monitoring)
    alert_z: float = Field(default=4.0, gt=0, le=50, description="Spike z-score")
    alert_min_volume: int = Field(default=5, ge=1, description="Posts a window needs")
    alert_min_negative_delta: float = Field(
        default=0.15, gt=0, le=1, description="Rise in negative share over the baseline"
    )

    @field_validator("countries")
    @classmethod
    def _alpha3(cls, values: list[str]) -> list[str]:
        upper = [v.strip().upper() for v in values]
        bad = [v for v in upper if not re.fullmatch(r"[A-Z]{3}", v)]
        if bad:
            raise ValueError(f"countries must be ISO 3166 alpha-3 codes, got {bad}")
        return upper

    def matches(self, doc: Document) -> bool:
        if self.kinds and doc.kind not in self.kinds:
            return False
        if self.sources and doc.source not in self.sources:
            return False
        if self.languages and doc.language not in self.languages:
            return False
        if self.countries and not set(self.countries) & set(doc.countries_mentioned):
            return False
        if self.keywords:
            haystack = f"{doc.title}\n{doc.text}".casefold()
            return any(k.casefold() in haystack for k in self.keywords)
        return True


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


def watchlist_named(settings: Settings, name: str) -> Watchlist:
    """The saved watchlist ``name`` (``all`` when none is saved under that name)."""
    spec: Any = settings.watchlists.get(name)
    if spec is None:
        if name == "all":
            return Watchlist()
        known = ", ".join(sorted(["all", *settings.watchlists]))
        raise InputError(f"no watchlist {name!r}", fix=f"one of: {known} (DRAGOMAN_WATCHLISTS)")
    try:
        return Watchlist.model_validate({**spec, "name": name})
    except ValidationError as exc:
        raise ConfigError(f"DRAGOMAN_WATCHLISTS[{name!r}] is invalid: {exc}") from exc


def readable_levels(clearance: Clearance | str) -> list[str]:
    if clearance not in CLEARANCES:
        raise InputError(f"unknown clearance {clearance!r}", fix=f"one of {', '.join(CLEARANCES)}")
    return list(CLEARANCES[: CLEARANCES.index(clearance) + 1])


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
