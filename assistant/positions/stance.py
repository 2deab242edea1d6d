"""A speaker's stance from its quotes: one model call for the summary, checked against the
quotes like an answer's sentence, one for the side, and the quotes translated."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from assistant.core.errors import DragomanError
from assistant.grounding.faithful import translation_problems
from assistant.grounding.fidelity import SUMMARY, fidelity_losses
from assistant.grounding.generation import LLMTurn, language_name, structured, translate_texts
from assistant.grounding.purity import impurities
from assistant.grounding.stages import DraftSentence, Passage
from assistant.grounding.verify import SupportJudge, judge_threshold, verify_sentence
from assistant.llm.client import LLM
from prompts import render

# Two calls on one prompt prefix (the quotes are read once: the second reuses the cache).
# The summary is asked for alone: with the side's rubric in view, a small model wrote the
# rubric into it ("is for the topic", "criticises the territorial integrity of Ukraine").
# The side is asked after the summary (a small model labels better after stating what was
# said) and read as a stance.
SIDES = {"for": "supports", "against": "opposes", "both": "mixed", "neither": "neutral"}
STANCES = tuple(SIDES.values())
SUMMARY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"summary": {"type": "string", "minLength": 8, "maxLength": 300}},
    "required": ["summary"],
}
SIDE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"side": {"type": "string", "enum": list(SIDES)}},
    "required": ["side"],
}


@dataclass
class Reading:
    """What the model made of the quotes, and what the verifier made of its summary."""

    stance: str
    summary: str | None
    supported: bool = False
    score: float | None = None
    reasons: list[str] = field(default_factory=list)


_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s|$)|[。！？][”’」』）]*")


def whole_sentences(text: str) -> str:
    """The text up to the end of its last whole sentence ('' when none ends): a summary
    the token limit cut mid-sentence is never shown cut."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    return text[: ends[-1]].strip() if ends else ""


def read_stance(
    llm: LLM,
    turn: LLMTurn[Any],
    *,
    topic: str,
    speaker_name: str,
    quotes: list[Passage],
    language: str,
    judge: SupportJudge,
    read_side: bool = True,
) -> Reading:
    """A one-sentence summary in ``language``, verified, and (``read_side``) the stance
    label; a failed model call or an unverifiable summary is said so in ``reasons``."""
    prompt = partial(render, "positions_user.j2", topic=topic, speaker=speaker_name,
                     quotes=quotes, language_name=language_name(language))  # fmt: skip
    try:
        generation = structured(llm, turn, prompt(summary=None), schema=SUMMARY_SCHEMA,
                                max_tokens=120, system_template="positions_system.j2")  # fmt: skip
    except DragomanError as exc:  # no summary is better than a guessed one
        return Reading("undetermined", None, reasons=[f"the model failed: {exc}"])
    summary = whole_sentences(" ".join(str(generation.data["summary"]).split()))
    if not summary:  # cut off before its first sentence ended: nothing to show
        return Reading("undetermined", None, reasons=["the model's summary was cut short"])
    impure = impurities(summary, language)
    if impure:  # a summary in the wrong language is not shown: the quotes speak
        return Reading("undetermined", None, reasons=[i.reason for i in impure])
    sentence = DraftSentence(summary, [q.n for q in quotes])
    verdict = verify_sentence(
        sentence, {q.n: q for q in quotes}, language=language, judge=judge,
        threshold=judge_threshold(judge),
    )  # fmt: skip
    said = "\n".join(q.quote for q in quotes)
    losses = fidelity_losses(summary, said, SUMMARY, output_language=language)
    if losses:  # a figure, a date or a name the quotes do not state
        verdict.supported = False
        verdict.reasons += [f"fidelity: {loss.message}" for loss in losses]
    reading = Reading("undetermined", summary, verdict.supported, verdict.support_score,
                      verdict.reasons)  # fmt: skip
    if not read_side:
        return reading
    try:
        generation = structured(llm, turn, prompt(summary=summary), schema=SIDE_SCHEMA,
                                max_tokens=16, system_template="positions_system.j2")  # fmt: skip
    except DragomanError as exc:  # no label is better than a guessed one
        reading.reasons.append(f"the model failed to give a side: {exc}")
        return reading
    reading.stance = SIDES[str(generation.data["side"])]
    return reading


def translate_quotes(
    llm: LLM, turn: LLMTurn[Any], quotes: list[Passage], language: str
) -> dict[int, str]:
    """Each quote not in ``language``, translated (by quote number); a translation that
    fails, loops, changes a figure, a date or a name, or mixes languages
    (``grounding.faithful``) is left out, and the quote stands alone in its own language."""
    foreign = [q for q in quotes if q.language != language]
    translated = translate_texts(llm, turn, [q.quote for q in foreign], language)
    return {
        foreign[i].n: text
        for i, text in translated.items()
        if not translation_problems(text, foreign[i].quote, language, foreign[i].language)
    }
