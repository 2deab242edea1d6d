"""Stage 4, generation with numbered sources, and stage 5, parsing the citations.

Two output modes: ``json`` constrains weak models to
``{"answerable", "sentences": [{"text", "citations": [n]}]}`` (a grammar on the embedded
backend, so every citation is a valid source number by construction); ``text`` lets
strong models write prose with ``[n]`` markers, parsed here into the same sentences.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

from babel import Locale, UnknownLocaleError

from assistant.core.errors import DragomanError, LLMOutputError
from assistant.grounding.injection import prompt_sources
from assistant.grounding.purity import impurities
from assistant.grounding.stages import Context, Draft, DraftSentence, QueryPlan
from assistant.grounding.support import content_terms
from assistant.llm.client import LLM, LONE_SURROGATE, Generation, parse_json_output
from prompts import render
from retrieval.chunking import sentence_spans

NOT_IN_SOURCES = "NOT_IN_SOURCES"
_MARKER = re.compile(r"\s*\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]")
_ESCAPES = {"n": "\n", "t": "\t", "r": "", "b": "", "f": "", "/": "/", "\\": "\\", '"': '"'}
_TEXT_KEY = re.compile(r'"text"\s*:\s*"')

TokenSink = Callable[[str], None]


@lru_cache(maxsize=64)
def language_name(code: str) -> str:
    """English name of a language code, for the prompt ("zh" → "Chinese")."""
    try:
        return str(Locale.parse(code).get_language_name("en"))
    except (UnknownLocaleError, ValueError):
        return code


def output_mode(llm: LLM, configured: str) -> str:
    """``json`` for the embedded backends (weak models), ``text`` for the others."""
    if configured != "auto":
        return configured
    return "json" if llm.embedded else "text"


def answer_schema(passages: int, max_sentences: int) -> dict[str, Any]:
    citation = {"type": "integer", "enum": list(range(1, passages + 1))}
    sentence = {
        "type": "object",
        "properties": {
            "text": {"type": "string", "minLength": 1, "maxLength": 400},
            "citations": {"type": "array", "items": citation, "minItems": 1, "maxItems": 3},
        },
        "required": ["text", "citations"],
    }
    return {
        "type": "object",
        "properties": {
            "sentences": {"type": "array", "items": sentence, "maxItems": max_sentences},
        },
        "required": ["sentences"],
    }


def build_prompt(
    plan: QueryPlan, context: Context, mode: str, max_sentences: int
) -> tuple[str, str]:
    """(system, user) messages; the system prompt is constant so its prefill is cached."""
    if mode == "json":
        system = render("answer_system.j2")
    else:
        system = render("answer_system_text.j2", max_sentences=max_sentences)
    user = render(
        "answer_user.j2",
        passages=prompt_sources(vars(p) for p in context.passages),
        question=plan.question,
        language_name=language_name(plan.answer_language),
        cross_lingual=any(p.language != plan.answer_language for p in context.passages),
    )
    return system, user


class JsonTextStreamer:
    """Turns streamed JSON into the text of its ``"text"`` fields, as it arrives."""

    def __init__(self) -> None:
        self.buffer = ""
        self.inside = False
        self.sentences = 0

    def feed(self, piece: str) -> str:
        self.buffer += piece
        emitted: list[str] = []
        while self.buffer:
            if not self.inside:
                match = _TEXT_KEY.search(self.buffer)
                if match is None:
                    self.buffer = self.buffer[-12:]
                    break
                self.buffer = self.buffer[match.end() :]
                self.inside = True
                if self.sentences:
                    emitted.append(" ")
                self.sentences += 1
                continue
            consumed = self._consume_string(emitted)
            if not consumed:
                break
        return _valid_text("".join(emitted))

    def _consume_string(self, emitted: list[str]) -> bool:
        """Emit string characters; False when more input is needed."""
        i = 0
        while i < len(self.buffer):
            char = self.buffer[i]
            if char == '"':
                self.inside = False
                self.buffer = self.buffer[i + 1 :]
                return True
            if char == "\\":
                if i + 1 >= len(self.buffer):
                    break
                code = self.buffer[i + 1]
                if code == "u":
                    if i + 6 > len(self.buffer):
                        break
                    digits = self.buffer[i + 2 : i + 6]
                    if re.fullmatch(r"[0-9a-fA-F]{4}", digits):
                        emitted.append(_valid_text(chr(int(digits, 16))))
                        i += 6
                        continue
                emitted.append(_ESCAPES.get(code, code))
                i += 2
                continue
            emitted.append(char)
            i += 1
        self.buffer = self.buffer[i:]
        return False


def parse_text_answer(text: str) -> tuple[bool, list[DraftSentence]]:
    """Prose with ``[n]`` markers → sentences with their citation numbers."""
    text = _valid_text(text)
    if text.strip().strip(".").upper() == NOT_IN_SOURCES or not text.strip():
        return False, []
    sentences: list[DraftSentence] = []
    for start, end in sentence_spans(text):
        raw = text[start:end]
        numbers = [int(n) for group in _MARKER.findall(raw) for n in re.split(r"[,;]", group)]
        clean = _MARKER.sub("", raw).strip()
        if not re.search(r"\w", clean) and sentences:  # a bare "[2]." after a sentence
            sentences[-1].citations += [n for n in numbers if n not in sentences[-1].citations]
            continue
        if NOT_IN_SOURCES in clean:
            continue
        sentences.append(DraftSentence(clean, list(dict.fromkeys(numbers))))
    return bool(sentences), sentences


_SENTENCE_OBJECT = re.compile(
    r'\{\s*"text"\s*:\s*"((?:[^"\\]|\\.)*)"\s*,\s*"citations"\s*:\s*\[([\d,\s]*)\]\s*\}'
)


def parse_json_answer(raw: str, schema: dict[str, Any]) -> tuple[bool, list[DraftSentence], bool]:
    """(answerable, sentences, truncated); complete sentences of cut-off output are kept."""
    try:
        data = parse_json_output(raw, schema)
    except LLMOutputError:
        salvaged = [
            DraftSentence(unescape_json_string(text).strip(), _numbers(c))
            for text, c in _SENTENCE_OBJECT.findall(raw)
        ]
        return bool(salvaged), [s for s in salvaged if s.text], True
    sentences = [
        DraftSentence(str(s["text"]).strip(), list(dict.fromkeys(s["citations"])))
        for s in data["sentences"]
        if str(s["text"]).strip()
    ]
    return bool(sentences), sentences, False


def _numbers(text: str) -> list[int]:
    """Citation numbers of a salvaged ``[1, 2]`` (absurdly long numbers dropped)."""
    return list(dict.fromkeys(int(n) for n in re.findall(r"\d+", text) if len(n) <= 4))


def unescape_json_string(body: str) -> str:
    """The value of a JSON string's body as a model wrote it: raw control characters
    (a literal newline) are allowed, and a malformed escape is kept as written."""
    try:
        value = json.loads(f'"{body}"', strict=False)
    except (json.JSONDecodeError, RecursionError):
        value = _lenient_unescape(body)
    return _valid_text(str(value))


def _valid_text(text: str) -> str:
    """Lone surrogates (a half ``\\ud83d`` escape) replaced: the text must encode as UTF-8."""
    return LONE_SURROGATE.sub("\ufffd", text)


def _lenient_unescape(body: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char != "\\" or i + 1 >= len(body):
            out.append(char)
            i += 1
            continue
        code = body[i + 1]
        hex_digits = body[i + 2 : i + 6]
        if code == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", hex_digits):
            out.append(chr(int(hex_digits, 16)))
            i += 6
        else:
            out.append(_ESCAPES.get(code, code))
            i += 2
    return "".join(out)


def generate_draft(
    llm: LLM,
    plan: QueryPlan,
    context: Context,
    *,
    mode: str,
    max_sentences: int,
    max_tokens: int,
    on_token: TokenSink | None = None,
) -> Draft:
    """Run the model on the numbered sources, streaming visible text to ``on_token``."""
    system, user = build_prompt(plan, context, mode, max_sentences)
    schema = answer_schema(len(context.passages), max_sentences) if mode == "json" else None
    streamer = JsonTextStreamer() if mode == "json" else None
    started = time.perf_counter()
    pieces: list[str] = []
    for piece in llm.stream(user, system=system, schema=schema, max_tokens=max_tokens):
        pieces.append(piece)
        if on_token is not None:
            visible = streamer.feed(piece) if streamer else piece
            if visible:
                on_token(visible)
    raw = "".join(pieces)
    truncated = False
    if schema is not None:
        answerable, sentences, truncated = parse_json_answer(raw, schema)
    else:
        answerable, sentences = parse_text_answer(raw)
    return Draft(
        raw=raw,
        answerable=answerable,
        sentences=sentences,
        mode=mode,
        backend=llm.backend,
        model=llm.model,
        prompt_tokens=llm.count_tokens(system + "\n" + user),
        output_tokens=llm.count_tokens(raw) if raw else 0,
        seconds=round(time.perf_counter() - started, 3),
        truncated=truncated,
    )


T = TypeVar("T")
LLMTurn = Callable[[Callable[[], T]], T]  # runs one model call (in the server: in the queue)


def structured(
    llm: LLM,
    turn: LLMTurn[Generation],
    user: str,
    *,
    schema: dict[str, Any],
    max_tokens: int,
    system_template: str | None = None,
) -> Generation:
    """One model call whose output must be JSON valid against ``schema`` (else
    :class:`LLMOutputError`), run when its turn comes: at once, or in the web app's queue."""
    system = render(system_template) if system_template else None
    return turn(lambda: llm.generate(user, system=system, schema=schema, max_tokens=max_tokens))


def repeats(candidate: str, existing: str) -> bool:
    """Whether a sentence mostly repeats one already in the summary."""
    a, b = content_terms(candidate), content_terms(existing)
    return bool(a and b) and len(a & b) / len(a | b) >= 0.5


def translation_schema(items: list[str]) -> dict[str, Any]:
    """One string per numbered item, each bounded by its source's length (a small model that
    starts repeating itself is cut short, and the loop is then rejected)."""
    properties = {
        str(i): {"type": "string", "minLength": 1, "maxLength": 3 * len(item) + 40}
        for i, item in enumerate(items, start=1)
    }
    return {"type": "object", "properties": properties, "required": list(properties)}


_FENCES = re.compile(r"<<<(?:END )?DATA>>>")
_LOOP = re.compile(r"(.{4,}?)\1{2,}", re.DOTALL)


def looping(text: str) -> bool:
    """Whether generated text repeats one piece three times in a row (a degenerate loop)."""
    return bool(_LOOP.search(text))


def translate_texts(
    llm: LLM, turn: LLMTurn[Generation], texts: list[str], language: str
) -> dict[int, str]:
    """``texts`` translated into ``language`` in one call, by index; a translation that
    fails, loops or is not in ``language`` (an English word left in a Russian sentence) is
    asked again alone, once, told to leave no word untranslated (a shorter unit translates
    better); one that still fails is left as it was, for the caller's checks (or left out
    when there was none: the text then stands alone in its own language)."""
    translated = _translated_once(llm, turn, texts, language)
    for i, text in enumerate(texts):
        if i not in translated or impurities(translated[i], language):
            again = _translated_once(llm, turn, [text], language, strict=True).get(0)
            if again is not None and not impurities(again, language):
                translated[i] = again
    return translated


def _translated_once(
    llm: LLM, turn: LLMTurn[Generation], texts: list[str], language: str, strict: bool = False
) -> dict[int, str]:
    if not texts:
        return {}
    prompt = render(
        "positions_translate.j2",
        quotes=texts,
        language_name=language_name(language),
        strict=strict,
    )
    budget = sum(len(t) for t in texts) * 2 + 80
    try:
        generation = structured(
            llm, turn, prompt, schema=translation_schema(texts), max_tokens=budget
        )
    except DragomanError:
        return {}
    translated: dict[int, str] = {}
    for i in range(len(texts)):
        text = str(generation.data.get(str(i + 1), ""))
        text = " ".join(_FENCES.sub(" ", text).split())  # a fence the model copied
        text = _PARTIAL_FENCE.sub(" ", text).strip()
        if text and not looping(text):
            translated[i] = text
    return translated


_PARTIAL_FENCE = re.compile(r"<{2,3}\s*(?:END\s*)?DATA\s*>{1,3}")
