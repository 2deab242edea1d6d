"""The data a briefing's stages hand to each other and save (all JSON-ready).

One :class:`Analysis` per briefing (stories, alerts, what to watch, the numbered source
passages every ``[n]`` resolves to); one :class:`Rendition` per output language, made
from that same analysis by translation, so every language cites the same passages.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from assistant.grounding.passages import SourcePassage as SourcePassage

Origin = Literal["generated", "extractive"]


@dataclass
class Sentence:
    """One verified sentence with the passages that support it."""

    text: str
    language: str
    citations: list[int]
    support_score: float
    origin: Origin


@dataclass
class Quote:
    """A quotation in its original language, cited to the passage holding it."""

    text: str
    language: str
    citation: int
    source: str | None


@dataclass
class Voice:
    """Who said what: one outlet's piece of a story."""

    source: str | None
    kind: str
    language: str
    countries: list[str]
    title: str
    doc_id: str
    citation: int | None


@dataclass
class Story:
    story_id: str
    rank: int
    salience: float
    salience_parts: dict[str, float]
    volume: int
    doc_ids: list[str]
    sources: list[str]
    languages: list[str]
    kinds: list[str]
    countries: list[str]
    first_seen: str | None
    last_seen: str | None
    headline: str = ""
    headline_language: str = "en"
    sentences: list[Sentence] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    voices: list[Voice] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)  # draft sentences that failed
    # facts its passages state differently (grounding.disagreement), numbered as its sources
    disagreements: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Alert:
    """A country mentioned far more often than in the previous windows."""

    kind: str
    country: str
    count: int
    baseline: list[int]
    score: float
    citations: list[int]


@dataclass
class PublicAlert:
    """An early warning from monitoring (a spike in volume or in negative share) whose
    window ended in the briefing's window."""

    signal: str  # volume | negative_share
    country: str  # alpha-3, or "*" for everything
    topic: str
    kind: str
    observed: float
    baseline: float
    z: float
    window_start: str
    citations: list[int]


@dataclass
class WatchItem:
    """A forthcoming event a source announces, quoted verbatim."""

    text: str
    language: str
    citation: int


@dataclass
class StaleSource:
    """A collected source that has been failing long enough to be unhealthy: what the
    briefing may be missing (named in its appendix)."""

    name: str
    type: str
    last_success: str | None  # ISO date-time of the last collection that worked


@dataclass
class Burst:
    """A coordinated burst: how many accounts posted how many items within how long (an
    alert, never a top story)."""

    accounts: int
    items: int
    hours: float
    countries: list[str]
    text: str
    doc_ids: list[str]


@dataclass
class Analysis:
    date: str
    window: dict[str, str]
    watchlist: dict[str, Any]
    clearance: str
    language: str
    documents: int
    originals: int
    duplicates: int
    stories: list[Story]
    alerts: list[Alert]
    watch: list[WatchItem]
    passages: list[SourcePassage]
    volume_by_day: dict[str, dict[str, int]]
    backend: str
    model: str
    fingerprint: str
    public_alerts: list[PublicAlert] = field(default_factory=list)
    stale_sources: list[StaleSource] = field(default_factory=list)
    bursts: list[Burst] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RenderedSentence:
    text: str
    citations: list[int]
    translated: bool  # False: shown in its original language (translation missing or unverified)


@dataclass
class RenderedQuote:
    original: str
    language: str
    translation: str | None
    citation: int
    source: str | None


@dataclass
class RenderedStory:
    headline: str
    sentences: list[RenderedSentence]
    quotes: list[RenderedQuote]


@dataclass
class Rendition:
    """One output language of the briefing, from the shared analysis."""

    language: str
    stories: list[RenderedStory]
    watch: list[RenderedQuote]
    untranslated: int = 0
    unlicensed: list[str] = field(default_factory=list)  # its labels' licences not granted

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
