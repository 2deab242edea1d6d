"""Stage 1, query understanding: language, answer language, follow-up rewriting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.answering.stages import QueryPlan, Turn
from assistant.errors import DragomanError, InputError
from corpus.language import detect_language, normalise_language_code
from corpus.registry import DocFilters
from prompts import render

if TYPE_CHECKING:
    from assistant.llm.client import LLM

MAX_QUESTION_CHARS = 2000
HISTORY_TURNS = 3
REWRITE_SCHEMA = {
    "type": "object",
    "properties": {"question": {"type": "string", "minLength": 3, "maxLength": 300}},
    "required": ["question"],
}


def question_language(question: str) -> str:
    """The question's language (ISO 639-1), English when it cannot be told."""
    return detect_language(question, default="en")


def rewrite_followup(question: str, history: list[Turn], llm: LLM) -> str | None:
    """A standalone version of a follow-up question, or None when the model fails."""
    turns = history[-HISTORY_TURNS:]
    prompt = render("rewrite_followup.j2", turns=turns, question=question)
    try:
        generation = llm.generate(prompt, schema=REWRITE_SCHEMA, max_tokens=80)
    except DragomanError:
        return None
    rewritten = str(generation.data["question"]).strip()
    return rewritten or None


def plan_query(
    question: str,
    *,
    history: list[Turn],
    answer_language: str | None,
    clearance: str,
    filters: DocFilters,
    llm: LLM | None,
) -> QueryPlan:
    """Validate the question and decide what to retrieve and how to answer."""
    question = question.strip()
    if not question:
        raise InputError("the question is empty", fix="ask a question, e.g. dragoman ask '...'")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(
            f"the question has {len(question)} characters (at most {MAX_QUESTION_CHARS})",
            fix="shorten it; put documents in the corpus with `dragoman ingest`",
        )
    language = question_language(question)
    retrieval_query, rewritten = question, False
    if history and llm is not None:
        standalone = rewrite_followup(question, history, llm)
        if standalone is None:  # the model failed: keep the previous question's context
            standalone = f"{history[-1].question} {question}"
        retrieval_query, rewritten = standalone, standalone != question
    return QueryPlan(
        question=question,
        retrieval_query=retrieval_query,
        question_language=language,
        answer_language=normalise_language_code(answer_language) if answer_language else language,
        rewritten=rewritten,
        clearance=clearance,
        filters=filters,
    )
