"""The data each stage of the answering pipeline hands to the next (all JSON-ready)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.grounding.contracts import CitationOut, SentenceOut
from corpus.registry import DocFilters
from retrieval.understanding import Understood


@dataclass
class Turn:
    """One earlier exchange of a conversation."""

    question: str
    answer: str


@dataclass
class QueryPlan:
    """Stage 1: what to search for, in which language to answer, with which filters."""

    question: str
    retrieval_query: str
    question_language: str
    answer_language: str
    rewritten: bool
    clearance: str
    filters: DocFilters
    understood: Understood = field(default_factory=Understood)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["filters"] = {k: v for k, v in asdict(self.filters).items() if v not in (None, False)}
        data["understood"] = self.understood.to_dict()
        return data


@dataclass
class Passage:
    """Stage 3: one numbered source as the model sees it, resolvable to the document.

    ``spans`` are (start, end) offsets of the selected sentences in the document's text,
    so the exact passage can be highlighted; ``quote`` is those sentences, verbatim.
    """

    n: int
    doc_id: str
    chunk_id: str
    # the passage: the selected sentences verbatim, their offsets, the chunk they come from
    quote: str
    spans: list[tuple[int, int]]
    chunk_text: str
    retrieval_score: float
    # the document
    title: str
    url: str | None
    published_at: str | None
    language: str
    source: str | None
    kind: str | None
    dropped_instructions: list[str] = field(default_factory=list)
    speaker: str | None = None  # corpus.speakers: who speaks in the document
    speakers: list[str] = field(default_factory=list)  # and a joint statement's co-speakers

    def citation(self) -> dict[str, Any]:
        """The public citation record (`dragoman ask --json` → ``citations``)."""
        return CitationOut.model_validate(self, from_attributes=True).model_dump(mode="json")


@dataclass
class Context:
    """Stage 3 output: the passages kept and what compression saved."""

    passages: list[Passage]
    tokens_before: int
    tokens_after: int
    dropped_instructions: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class DraftSentence:
    """Stage 4/5: one sentence the model wrote, with the source numbers it cited."""

    text: str
    citations: list[int]
    invalid_citations: list[int] = field(default_factory=list)


@dataclass
class Draft:
    """Stage 4 output: the model's raw text and its parsed sentences."""

    raw: str
    answerable: bool
    sentences: list[DraftSentence]
    mode: str
    backend: str
    model: str
    prompt_tokens: int | None
    output_tokens: int | None
    seconds: float
    truncated: bool = False


@dataclass
class Verdict:
    """Stage 6: whether one sentence is supported by the passages it cites."""

    text: str
    citations: list[int]
    supported: bool
    support_score: float
    reasons: list[str] = field(default_factory=list)
    judge: str = "heuristic"
    # True: a cited passage is the named speaker's own; False: it is another's (and the
    # sentence is then unsupported); None: the sentence attributes nothing checkable
    attributed: bool | None = None

    def public(self) -> dict[str, Any]:
        """The public sentence record (`dragoman ask --json` → ``sentences``)."""
        public = SentenceOut.model_validate(self, from_attributes=True).model_dump(mode="json")
        return {**public, "support_score": round(self.support_score, 3)}
