"""Stage 1, query understanding: language, answer language, follow-up rewriting."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from assistant.core.errors import DragomanError, InputError
from assistant.grounding.stages import QueryPlan, Turn
from corpus.countries import countries_in
from corpus.language import detect_language, normalise_language_code
from corpus.registry import DocFilters
from prompts import render
from retrieval.understanding import understand

if TYPE_CHECKING:
    from assistant.llm.client import LLM

MAX_QUESTION_CHARS = 2000
HISTORY_TURNS = 3
REWRITE_SCHEMA = {
    "type": "object",
    "properties": {"question": {"type": "string", "minLength": 3, "maxLength": 300}},
    "required": ["question"],
}


TRANSLATE_SCHEMA = {
    "type": "object",
    "properties": {"query": {"type": "string", "minLength": 2, "maxLength": 300}},
    "required": ["query"],
}
LANGUAGE_NAMES = {"en": "English", "zh": "Chinese (简体中文)", "fr": "French", "es": "Spanish",
                  "ru": "Russian", "ar": "Arabic", "de": "German", "ja": "Japanese"}  # fmt: skip
MAX_TRANSLATIONS = 2
QUERY_TEMPLATE = "translate_query.j2"
LATIN_SCRIPT = frozenset({"en", "fr", "es", "de", "it", "pt", "nl"})
_NON_LATIN = re.compile(r"[\u0400-\u04ff\u0600-\u06ff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def translate_query(
    question: str,
    own_language: str,
    languages: list[str],
    llm: LLM,
    cache: dict[str, str],
    template: str = QUERY_TEMPLATE,
    accept: Callable[[str, str], bool] | None = None,
) -> dict[str, str]:
    """The question in up to two of the corpus's other languages, for lexical search.

    One short model call per language, cached by (language, question); a failed call, or
    a translation ``accept(translation, language)`` refuses, leaves that language to the
    dense ranking alone."""
    translations: dict[str, str] = {}
    for language in _targets(own_language, languages):
        key = _cache_key(language, question, template)
        if key not in cache:
            name = LANGUAGE_NAMES.get(language, language)
            prompt = render(template, language_name=name, question=question)
            try:
                generation = llm.generate(prompt, schema=TRANSLATE_SCHEMA, max_tokens=80)
            except DragomanError:
                continue
            text = str(generation.data["query"]).strip()
            cache[key] = text if accept is None or accept(text, language) else ""
        if cache[key]:
            translations[language] = cache[key]
    return translations


TOPIC_WORDS = 8  # a topic's translation longer than this is an answer or a question


def translate_topic(
    phrase: str, own_language: str, languages: list[str], llm: LLM, cache: dict[str, str]
) -> dict[str, str]:
    """A question's topic (a few words) in the corpus's other languages; a topic made of
    country names alone needs none (the country index reads them in every language).
    A translation is refused when it names a country the topic does not, is not written
    in the target's script, or runs past a few words ("runners" for беженцах stays: a
    wrong word that looks right cannot be told here, and is measured)."""
    countries = set(countries_in(phrase))
    if not phrase or all(countries_in(word) for word in phrase.split()):
        return {}

    def accept(text: str, language: str) -> bool:
        if len(text.split()) > TOPIC_WORDS or not set(countries_in(text)) <= countries:
            return False
        return not (language in LATIN_SCRIPT and _NON_LATIN.search(text))

    return translate_query(
        phrase, own_language, languages, llm, cache, template="translate_topic.j2", accept=accept
    )


def _targets(own_language: str, languages: list[str]) -> list[str]:
    return [lang for lang in languages if lang != own_language][:MAX_TRANSLATIONS]


def translation_pending(
    question: str, own_language: str, languages: list[str], cache: dict[str, str]
) -> bool:
    """Whether :func:`translate_query` would call the model (a language not yet cached)."""
    targets = _targets(own_language, languages)
    return any(_cache_key(lang, question, QUERY_TEMPLATE) not in cache for lang in targets)


def _cache_key(language: str, text: str, template: str) -> str:
    prefix = "" if template == QUERY_TEMPLATE else f"{template}\x00"
    return f"{language}\x00{prefix}{text}"


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
    sources: list[str] | None = None,
    ignore: set[str] | None = None,
) -> QueryPlan:
    """Validate the question and decide what to retrieve and how to answer.

    The (standalone) question is read for its speaker, source, period and focus
    (:func:`retrieval.understanding.understand`); ``ignore`` holds the chips the analyst
    removed (``speaker``, ``source``, ``period``), and a filter the caller set wins.
    """
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
    understood = understand(retrieval_query, sources=sources or []).without(ignore or set())
    if filters.speaker or filters.source:
        understood = understood.without(
            {key for key in ("speaker", "source") if getattr(filters, key)}
        )
    return QueryPlan(
        question=question,
        retrieval_query=retrieval_query,
        question_language=language,
        answer_language=normalise_language_code(answer_language) if answer_language else language,
        rewritten=rewritten,
        clearance=clearance,
        filters=filters,
        understood=understood,
    )
