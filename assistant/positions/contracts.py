"""What `dragoman positions --json` prints and `/api/positions` answers."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from assistant.core.contracts import Contract
from assistant.grounding.contracts import CitationOut, SideOut
from assistant.licensing.contracts import LicenceOut

Stance = Literal["supports", "opposes", "mixed", "neutral", "undetermined", "no_statement"]


class QuoteOut(CitationOut):
    """A verbatim quote: the citation, its translation into the analyst's language (None
    when it is already in it), and whether it was found again, word for word, in the
    document the reader may still read."""

    translation: str | None
    verified: bool


class PositionOut(Contract):
    """One speaker's position: a stance label, a one-sentence summary checked against the
    quotes like an answer's sentence, and the quotes. ``no_statement``: nothing found in
    the speaker's documents that mentions the topic (never a guess); ``undetermined``: the
    model gave no usable reading of the quotes, which are still shown."""

    speaker: str
    name: str
    stance: Stance
    model_stance: Stance | None  # the model's reading, before the labels it is trusted with
    summary: str | None
    summary_supported: bool
    summary_score: float | None
    reasons: list[str]
    quotes: list[QuoteOut]
    documents: int


class SpeakersSideOut(SideOut):
    """One version of a disputed fact with the speakers whose documents state it
    (``citations`` is empty: the sentences are the speakers' own, not numbered quotes)."""

    speakers: list[str]


class PositionsDisagreementOut(Contract):
    """A checkable fact the speakers' sentences on the topic state differently."""

    sides: list[SpeakersSideOut]


class PositionsOut(Contract):
    """Every speaker's position on a topic in a period, and where their own sentences on
    it disagree on a checkable fact."""

    run_id: str
    topic: str
    language: str
    since: str | None
    until: str | None
    kind: str | None
    positions: list[PositionOut]
    disagreements: list[PositionsDisagreementOut] = Field(default_factory=list)
    backend: str
    model: str
    timings: dict[str, float]
    licences: list[LicenceOut] = Field(default_factory=list)  # the stance labels' licences


class ShiftOut(Contract):
    """A speaker in two periods; ``changed`` only when both stances rest on quotes and
    differ."""

    speaker: str
    name: str
    before: PositionOut
    after: PositionOut
    changed: bool


class ShiftsOut(Contract):
    """Positions in two periods side by side (`dragoman positions --compare A B`)."""

    topic: str
    periods: list[str]
    runs: list[str]
    shifts: list[ShiftOut]
