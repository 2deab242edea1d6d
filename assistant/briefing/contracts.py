"""What `dragoman brief --json` prints, `GET /api/briefings` lists, and what a briefing asked
for from the web reports (`BriefingJobOut`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from assistant.core.contracts import Contract
from assistant.licensing.contracts import LicenceOut
from assistant.monitoring.contracts import DeliveryOut


class BriefingVersionOut(Contract):
    """An earlier briefing for the same date and watchlist, kept whole."""

    version: int
    generated_at: str | None
    files: list[str]
    clearance: str | None = None


class BriefingEntryOut(Contract):
    """An archived briefing as readers see it (briefings written before a key existed
    lack it)."""

    date: str
    watchlist: str
    clearance: str
    files: list[str]
    deliveries: list[DeliveryOut]
    window: dict[str, str] | None = None
    languages: list[str] | None = None
    formats: list[str] | None = None
    documents: int | None = None
    stories: int | None = None
    empty: bool | None = None
    headlines: list[str] | None = None
    untranslated: dict[str, int] | None = None
    backend: str | None = None
    model: str | None = None
    generated_at: str | None = None
    version: int | None = None  # 2 and up: a briefing for the date and watchlist existed
    earlier_versions: list[BriefingVersionOut] | None = None
    # what the briefing's labels rest on ("verified" sentences, translations), per language
    licences: list[LicenceOut] = Field(default_factory=list)


class StorySentenceOut(Contract):
    text: str
    citations: list[int]
    origin: str
    support_score: float


class StoryOut(Contract):
    """A story of the briefing: its rank, headline, reach and verified sentences."""

    rank: int
    headline: str
    volume: int
    sources: list[str]
    languages: list[str]
    salience: float
    sentences: list[StorySentenceOut]


class BriefOut(Contract):
    """A briefing just written: its manifest, where it went, and its stories."""

    date: str
    watchlist: str
    window: dict[str, str]
    clearance: str
    languages: list[str]
    formats: list[str]
    files: list[str]
    fingerprint: str
    documents: int
    stories: int
    empty: bool
    headlines: list[str]
    untranslated: dict[str, int]
    backend: str
    model: str
    timings: dict[str, float]
    generated_at: str
    deliveries: list[DeliveryOut]
    ok: bool
    folder: str
    copied: list[str]
    stories_detail: list[StoryOut]
    version: int | None = None  # 2 and up: the earlier briefings of the day are kept
    earlier_versions: list[BriefingVersionOut] | None = None
    licences: list[LicenceOut] = Field(default_factory=list)  # as in the archive's entry


class BriefingMadeOut(Contract):
    """What an on-demand briefing produced (its files are under /briefings/DATE/WATCHLIST/)."""

    date: str
    watchlist: str
    files: list[str]
    headlines: list[str]
    empty: bool
    stories: int


class BriefingJobOut(Contract):
    """A briefing asked for from the web app: where it stands, and what came of it."""

    id: str
    status: Literal["queued", "running", "done", "failed"]
    progress: str
    requested_by: str
    date: str
    window: str
    watchlist: str
    languages: list[str]
    formats: list[str]
    clearance: str
    created_at: str
    finished_at: str | None = None
    error: str | None = None
    fix: str | None = None
    briefing: BriefingMadeOut | None = None


class BriefingJobsOut(Contract):
    jobs: list[BriefingJobOut]
