"""Issue 20 §6: the draft parsers never raise, whatever the model writes — truncated,
malformed, control characters, bad escapes, lone surrogates (property-based, hypothesis)."""

from __future__ import annotations

import contextlib
import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from assistant.core.errors import LLMOutputError
from assistant.grounding.generation import (
    JsonTextStreamer,
    answer_schema,
    parse_json_answer,
    parse_text_answer,
    unescape_json_string,
)
from assistant.llm.client import LONE_SURROGATE, parse_json_output

SCHEMA = answer_schema(6, 4)
# the failing draft of the review's question: a cut-off answer whose string holds a raw newline
REVIEW_CASE = (
    '{"sentences": [{"text": "Dr Balakrishnan said:\n1. ASEAN", "citations": [1]}, {"text": "2. the'
)
PIECES = st.sampled_from([
    '{"sentences": [', '{"text": "', '", "citations": [', "1", "2", "7", "99999999999", "]}",
    ", ", "\\n", "\\u00e9", "\\ud83d", "\\uZZZZ", "\\", '"', "\n", "\t", "\x00", "\x1f",
    "中国", "[1]", "NOT_IN_SOURCES", "}", "]", "{", "\\\\", "\u2028", "\ud800",
])  # fmt: skip
MODEL_OUTPUT = st.one_of(
    st.text(max_size=400),
    st.lists(PIECES, max_size=60).map("".join),
)


def _valid_sentences(sentences: list[object]) -> None:
    for sentence in sentences:
        text = sentence.text  # type: ignore[attr-defined]
        assert isinstance(text, str)
        text.encode("utf-8")  # no lone surrogate survives
        assert all(isinstance(n, int) for n in sentence.citations)  # type: ignore[attr-defined]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MODEL_OUTPUT)
@example(REVIEW_CASE)
@example('{"sentences": [{"text": "tab\there", "citations": [1]}, {"text": "cut')
@example('{"sentences": [{"text": "bad \\x escape", "citations": [2]}')
@example('{"sentences": [{"text": "half \\ud83d pair", "citations": [1]}]}')
@example("[" * 5000)
def test_json_answer_parser_never_raises(raw: str) -> None:
    answerable, sentences, truncated = parse_json_answer(raw, SCHEMA)
    assert isinstance(answerable, bool) and isinstance(truncated, bool)
    _valid_sentences(sentences)


def test_the_reviews_truncated_draft_keeps_its_complete_sentence() -> None:
    answerable, sentences, truncated = parse_json_answer(REVIEW_CASE, SCHEMA)
    assert truncated and answerable
    assert [s.text for s in sentences] == ["Dr Balakrishnan said:\n1. ASEAN"]
    assert sentences[0].citations == [1]


@settings(max_examples=400, deadline=None)
@given(MODEL_OUTPUT)
def test_text_answer_parser_never_raises(raw: str) -> None:
    answerable, sentences = parse_text_answer(raw)
    assert isinstance(answerable, bool)
    _valid_sentences(sentences)


@settings(max_examples=400, deadline=None)
@given(st.lists(MODEL_OUTPUT, max_size=8))
def test_the_streamer_never_raises_and_emits_valid_text(pieces: list[str]) -> None:
    streamer = JsonTextStreamer()
    for piece in pieces:
        streamer.feed(piece).encode("utf-8")


@settings(max_examples=400, deadline=None)
@given(MODEL_OUTPUT)
@example("[" * 100_000)
def test_schema_output_parser_raises_only_its_own_error(raw: str) -> None:
    with contextlib.suppress(LLMOutputError):
        parse_json_output(raw, SCHEMA)


@given(st.text(max_size=200))
def test_unescaping_round_trips_what_json_escapes(text: str) -> None:
    body = json.dumps(text)[1:-1]
    assert unescape_json_string(body) == LONE_SURROGATE.sub("\ufffd", text)
