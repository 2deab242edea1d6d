"""What `dragoman search --json` prints and `GET /api/search` answers, and what a question
was understood to ask (also part of every answer)."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass
from typing import Any

from assistant.core.contracts import Contract


class ChipOut(Contract):
    """An understood filter the analyst sees and may remove."""

    key: str
    value: str
    label: str


class UnderstoodOut(Contract):
    """What the question was understood to ask about."""

    speaker: str | None
    source: str | None
    topic_countries: list[str]
    years: list[int]
    focus_terms: list[str]
    ignored: list[str]
    chips: list[ChipOut]


@dataclass
class SearchResult:
    """A passage found: its chunk, where it sits in the document, its fused score."""

    chunk_id: str
    doc_id: str
    title: str
    url: str | None
    published_at: str | None
    language: str
    score: float
    text: str
    start: int
    end: int
    source: str | None = None
    kind: str | None = None
    speaker: str | None = None  # corpus.speakers: who speaks in the document
    speakers: list[str] = dataclasses.field(
        default_factory=list
    )  # with joint statements' co-speakers

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class SearchOut(Contract):
    """The passages found (``understood``: the CLI's reading of the query, when asked)."""

    query: str
    results: list[SearchResult]
    understood: UnderstoodOut | None = None
