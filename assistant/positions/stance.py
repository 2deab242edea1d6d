"""A speaker's stance from its quotes: one model call for the label and the summary, the
summary checked against the quotes like an answer's sentence, and the quotes translated."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.core.errors import DragomanError
from assistant.grounding.generation import (
    LLMTurn,
    language_name,
    looping,
    structured,
    translation_schema,
)
from assistant.grounding.stages import DraftSentence, Passage
from assistant.grounding.verify import SupportJudge, judge_threshold, verify_sentence
from assistant.llm.client import LLM
from prompts import render

# The model is asked which side the speaker is on (the summary first, then the side: a
# small model labels better after stating what was said), and the side read as a stance.
SIDES = {"for": "supports", "against": "opposes", "both": "mixed", "neither": "neutral"}
STANCES = tuple(SIDES.values())
STANCE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "summary": {"type": "string", "minLength": 8, "maxLength": 300},
        "side": {"type": "string", "enum": list(SIDES)},
    },
    "required": ["summary", "side"],
}


@dataclass
class Reading:
    """What the model made of the quotes, and what the verifier made of its summary."""

    stance: str
    summary: str | None
    supported: bool = False
    score: float | None = None
    reasons: list[str] = field(default_factory=list)


def read_stance(
    llm: LLM,
    turn: LLMTurn[Any],
    *,
    topic: str,
    speaker_name: str,
    quotes: list[Passage],
    language: str,
    judge: SupportJudge,
) -> Reading:
    """The stance label and a one-sentence summary in ``language``; a failed model call
    or an unverifiable summary is said so in ``reasons``, never hidden."""
    user = render("positions_user.j2", topic=topic, speaker=speaker_name, quotes=quotes,
                  language_name=language_name(language))  # fmt: skip
    try:
        generation = structured(llm, turn, user, schema=STANCE_SCHEMA, max_tokens=160,
                                system_template="positions_system.j2")  # fmt: skip
    except DragomanError as exc:  # no label is better than a guessed one
        return Reading("undetermined", None, reasons=[f"the model failed: {exc}"])
    stance = SIDES[str(generation.data["side"])]
    summary = " ".join(str(generation.data["summary"]).split())
    sentence = DraftSentence(summary, [q.n for q in quotes])
    verdict = verify_sentence(
        sentence, {q.n: q for q in quotes}, language=language, judge=judge,
        threshold=judge_threshold(judge),
    )  # fmt: skip
    return Reading(stance, summary, verdict.supported, verdict.support_score, verdict.reasons)


def translate_quotes(
    llm: LLM, turn: LLMTurn[Any], quotes: list[Passage], language: str
) -> dict[int, str]:
    """Each quote not in ``language``, translated (by quote number); a translation that
    fails or loops is left out, and the quote stands alone in its own language."""
    foreign = [q for q in quotes if q.language != language]
    if not foreign:
        return {}
    texts = [q.quote for q in foreign]
    prompt = render("positions_translate.j2", quotes=texts, language_name=language_name(language))
    budget = sum(len(t) for t in texts) * 2 + 80
    try:
        generation = structured(llm, turn, prompt, schema=translation_schema(texts),
                                max_tokens=budget)  # fmt: skip
    except DragomanError:
        return {}
    translated: dict[int, str] = {}
    for i, quote in enumerate(foreign, start=1):
        text = " ".join(str(generation.data.get(str(i), "")).split())
        if text and not looping(text):
            translated[quote.n] = text
    return translated
