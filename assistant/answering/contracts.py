"""What `dragoman ask --json` prints and `POST /api/ask` answers."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from assistant.core.contracts import Contract
from assistant.grounding.contracts import (
    CitationOut,
    DisagreementOut,
    QuoteOut,
    SearchedOut,
    SentenceOut,
)
from assistant.licensing.contracts import LicenceOut
from retrieval.contracts import UnderstoodOut


class AnswerOut(Contract):
    """The verified answer: only supported sentences, each with its citations."""

    run_id: str
    question: str
    answer: str
    language: str
    refused: bool
    refusal_reason: str | None
    sentences: list[SentenceOut]
    citations: list[CitationOut]
    sources: list[CitationOut]
    timings: dict[str, float]
    backend: str
    model: str
    retrieval_query: str
    tokens: dict[str, int | None]
    answer_status: Literal["answered", "partial", "not_found"]
    missing: list[str]
    understood: UnderstoodOut
    applied_filters: list[str]
    # where the sources given to the model state a fact differently (numbered as ``sources``);
    # absent from answers saved before it existed
    disagreements: list[DisagreementOut] = Field(default_factory=list)
    # evidence first: the sources' own sentences on the topic, chosen by rule before the
    # model wrote (absent from answers saved before they existed)
    quotes: list[QuoteOut] = Field(default_factory=list)
    searched: SearchedOut | None = None
    # each label the answer shows (answered, verified, a translation, "does not address")
    # with the calibration record that licenses it, or says why not
    licences: list[LicenceOut] = Field(default_factory=list)


class ConversationAnswerOut(AnswerOut):
    """An answer in the web app, saved to a conversation."""

    conversation_id: str
    message_id: int


class ConversationBase(Contract):
    id: str
    title: str
    created_at: str
    updated_at: str


class ConversationOut(ConversationBase):
    """A conversation in the list (``messages``: how many; absent after a rename)."""

    messages: int | None = None


class ConversationsOut(Contract):
    conversations: list[ConversationOut]


class MessageOut(Contract):
    """A question and its answer as saved (answers saved by earlier releases keep the keys
    they had)."""

    id: int
    question: str
    created_at: str
    result: dict[str, Any]


class ConversationDetailOut(ConversationBase):
    """A conversation with every question and verified answer."""

    messages: list[MessageOut]
