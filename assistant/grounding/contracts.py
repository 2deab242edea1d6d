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


class QuoteOut(Contract):
    """A sentence of a source that addresses the question's topic, word for word (checked
    by rule, without the model: ``verified``), with a machine translation when it is in
    another language than the answer (``translation_note`` says so; never verified)."""

    n: int
    doc_id: str
    quote: str
    start: int
    end: int
    language: str
    title: str
    published_at: str | None
    speaker: str | None
    speaker_name: str | None
    holds: list[str]
    verified: bool
    translation: str | None
    translation_note: str | None
    # a translation that changed a figure, a date or a name, or mixed languages, is not
    # shown; this says what it lost (checked by rule: ``grounding.fidelity``)
    translation_withheld: str | None = None


class SearchedOut(Contract):
    """What the evidence stage searched: the topic as read, the results read, the asked
    speaker's among them and their documents, those addressing the topic, and whether the
    answer was held to them (``gated``: a question about what a speaker said)."""

    topic: str
    results: int
    speaker_results: int
    documents: int
    addressing: int
    gated: bool
