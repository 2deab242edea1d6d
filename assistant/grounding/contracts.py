"""The citation and the checked sentence, as every feature hands them out."""

from __future__ import annotations

from assistant.core.contracts import Contract


class CitationOut(Contract):
    """A numbered source: the exact passage (``quote``, ``spans`` in the document's text)."""

    n: int
    doc_id: str
    chunk_id: str
    title: str
    url: str | None
    published_at: str | None
    quote: str
    language: str
    spans: list[tuple[int, int]]
    source: str | None
    speaker: str | None


class SentenceOut(Contract):
    """One sentence of an answer with the passages it cites and the verifier's verdict."""

    text: str
    citations: list[int]
    supported: bool
    support_score: float
    reasons: list[str]
    attributed: bool | None


class SideOut(Contract):
    """One version of a disputed fact: its value and the sources (by number) that state it."""

    value: str
    citations: list[int]  # numbers in the answer's sources (none: found, not given the model)
    sentence: str
    doc_ids: list[str]


class DisagreementOut(Contract):
    """A fact the sources state differently (``grounding.disagreement``), every side shown."""

    sides: list[SideOut]
