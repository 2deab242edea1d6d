"""Substituted facts: an adversarial set for the support judge, built from XQuAD.

XQuAD's contexts and questions are parallel in en/zh/es (the same ids). For a question, the
gold sentence is the context's sentence that holds its answer. A **substituted** claim is
that sentence with the answer swapped for another answer of the same article — on topic,
and of the same type where one exists (number, date, name; typed on the English answer,
so the three languages swap alike); it is false. A **true** claim is the gold sentence
itself, checked against the same paragraph in the same language (verbatim) or in another
(a human translation: the cross-lingual paraphrase the judge meets when an answer in one
language cites sources in another). Each question gives one true and one substituted
claim, its claim and evidence languages cycling through the nine pairs.

Articles 0–23 are for development, 24–47 held out (``split``): a judge is tuned on the
first and reported on the second.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from evals.datasets import XQuAD, XQuADQuestion, load_xquad
from retrieval.chunking import sentence_spans

LANGUAGES = ("en", "zh", "es")
HELD_OUT_FROM = 24  # article index
_MONTHS = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|"
    r"December)\b"
)
_YEAR = re.compile(r"\b1[0-9]{3}\b|\b20[0-9]{2}\b")
_NAME = re.compile(r"^(?:[A-Z][\w'.-]*)(?:\s+(?:of|the|de|and|[A-Z][\w'.-]*))*$")


@dataclass(frozen=True)
class Claim:
    id: str
    split: str  # dev | held_out
    kind: str  # verbatim | translation | number | date | name | other
    true: bool
    claim_language: str
    evidence_language: str
    claim: str
    evidence: str
    answer: str  # what the sentence asserts (the gold answer, or the one swapped in)


def answer_type(english_answer: str) -> str:
    """number, date, name or other, from the English answer."""
    if _MONTHS.search(english_answer) or (
        _YEAR.search(english_answer) and len(english_answer) < 25
    ):
        return "date"
    if re.search(r"\d", english_answer):
        return "number"
    if _NAME.match(english_answer.strip()):
        return "name"
    return "other"


def build(corpora: Path) -> list[Claim]:
    """The whole set, in a fixed order (two claims per question that has a gold sentence)."""
    data = {lang: load_xquad(corpora, lang) for lang in LANGUAGES}
    by_id = {lang: {q.id: q for q in data[lang].questions} for lang in LANGUAGES}
    types = {q.id: answer_type(q.answers[0]) for q in data["en"].questions if q.answers}
    claims: list[Claim] = []
    for n, english in enumerate(data["en"].questions):
        claim_lang, evidence_lang = _languages(n)
        question = by_id[claim_lang].get(english.id)
        if question is None or english.id not in by_id[evidence_lang] or not question.answers:
            continue
        claims += _claims(data, question, types, evidence_lang)
    return claims


def _languages(n: int) -> tuple[str, str]:
    pair = n % (len(LANGUAGES) ** 2)
    return LANGUAGES[pair // len(LANGUAGES)], LANGUAGES[pair % len(LANGUAGES)]


def _claims(
    data: dict[str, XQuAD], question: XQuADQuestion, types: dict[str, str], evidence_lang: str
) -> list[Claim]:
    lang = question.language
    context = data[lang].contexts[question.context_id]
    found = _gold_sentence(context, question.answers)
    if found is None:
        return []
    sentence, answer = found
    swap = _swap_for(data[lang], question, types, sentence)
    if swap is None:
        return []
    swapped, swap_kind = swap
    article = int(question.context_id.split("-")[0])
    evidence = data[evidence_lang].contexts[question.context_id]
    split = "held_out" if article >= HELD_OUT_FROM else "dev"
    true_kind = "verbatim" if evidence_lang == lang else "translation"
    key = f"{question.id}:{lang}>{evidence_lang}"
    return [
        Claim(f"{key}:true", split, true_kind, True, lang, evidence_lang, sentence, evidence,
              answer),
        Claim(f"{key}:swap", split, swap_kind, False, lang, evidence_lang,
              sentence.replace(answer, swapped, 1), evidence, swapped),
    ]  # fmt: skip


def _gold_sentence(context: str, answers: tuple[str, ...]) -> tuple[str, str] | None:
    for start, end in sentence_spans(context):
        sentence = context[start:end]
        for answer in answers:
            if answer and answer in sentence and len(sentence) <= 600:
                return sentence, answer
    return None


def _swap_for(
    xquad: XQuAD, question: XQuADQuestion, types: dict[str, str], sentence: str
) -> tuple[str, str] | None:
    """Another answer of the same article, of the same type (typed on its English version)
    when the article has one, that the gold sentence does not already contain."""
    article = question.context_id.split("-")[0] + "-"
    others = [
        q for q in xquad.questions
        if q.context_id.startswith(article) and q.id != question.id and q.answers
        and q.answers[0] not in sentence and not set(q.answers) & set(question.answers)
    ]  # fmt: skip
    if not others:
        return None
    kind = types.get(question.id, "other")
    typed = [q for q in others if types.get(q.id) == kind]
    pool = typed or others
    chosen = pool[int(hashlib.sha256(question.id.encode()).hexdigest(), 16) % len(pool)]
    return chosen.answers[0], (kind if typed else "other")
