"""Features of support between a claim and its evidence, and the hard checks.

Shared by the verifier and by its calibration (``evals/calibrate_support.py``), so the
shipped thresholds are measured on exactly this code.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.grounding.copies import swapped_span
from corpus.countries import countries_in, country_name
from retrieval.chunking import sentence_spans

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Latin letters only: a Latin name written into Chinese text ("NFL最佳球员") ends at the Han
_LATIN_NAME = re.compile(r"(?<=\s)(?<![.!?:]\s)([A-Z][A-Za-z0-9\u00c0-\u024f'’-]+)")
_STOPWORDS_TEXT = """
the and for that with this from are was were has have had not but its his her their they
them which who whom what when where why how also been will would could should than then
there these those into over under about after before said says such other more most
los las del una con por para que como sus fue han son también entre sobre este esta
les des une pour dans par sur avec qui est sont ont été aux
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
NAME_STOPWORDS = frozenset({"The", "This", "That", "These", "Those", "It", "In", "On", "At", "A"})


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def content_terms(text: str) -> set[str]:
    """Terms that carry content: Han bigrams, word stems (6 chars) of 3+ letter words."""
    folded = _fold(text)
    terms: set[str] = set()
    han = "".join(ch if _HAN.match(ch) else " " for ch in folded).split()
    for run in han:
        terms.update(run[i : i + 2] for i in range(max(len(run) - 1, 1)))
    for word in _WORD.findall(folded):
        if _HAN.search(word) or len(word) < 3 or word in STOPWORDS:
            continue
        terms.add(word[:6])
    return terms


def numbers_in(text: str) -> set[str]:
    """Numbers, with thousands separators removed ("1,200" and "1200" are equal)."""
    found = set()
    for raw in _NUMBER.findall(unicodedata.normalize("NFKC", text)):
        if re.fullmatch(r"\d{1,3}(?:[,.]\d{3})+", raw):
            raw = re.sub(r"[,.]", "", raw)
        found.add(raw.replace(",", "."))
    return found


_MONTHS = [
    "january|janvier|enero|январ|يناير",
    "february|février|fevrier|febrero|феврал|فبراير",
    "march|mars|marzo|март|مارس",
    "april|avril|abril|апрел|أبريل",
    "may|mai|mayo|ма[яй]|مايو",
    "june|juin|junio|июн|يونيو",
    "july|juillet|julio|июл|يوليو",
    "august|août|aout|agosto|август|أغسطس",
    "september|septembre|septiembre|сентябр|سبتمبر",
    "october|octobre|octubre|октябр|أكتوبر",
    "november|novembre|noviembre|ноябр|نوفمبر",
    "december|décembre|decembre|diciembre|декабр|ديسمبر",
]
_MONTH = [re.compile(rf"(?<!\w)(?:{names})", re.IGNORECASE) for names in _MONTHS]


def month_numbers(text: str) -> set[str]:
    """Month numbers named in words ("August 1" → "8"): what a translation into Chinese or
    Japanese writes as a number (8月1日).  Read from the evidence side only."""
    return {str(i) for i, pattern in enumerate(_MONTH, start=1) if pattern.search(text)}


def names_in(text: str) -> set[str]:
    """Capitalised words that are not the first word of a sentence (Latin script)."""
    return {m for m in _LATIN_NAME.findall(". " + text) if m not in NAME_STOPWORDS and len(m) > 1}


def hard_check_failures(claim: str, evidence: str, same_language: bool) -> list[str]:
    """Reasons the claim cannot be supported whatever the scores: numbers, countries, names."""
    reasons = []
    missing_numbers = numbers_in(claim) - numbers_in(evidence) - month_numbers(evidence)
    if missing_numbers:
        reasons.append(f"number not in the cited sources: {', '.join(sorted(missing_numbers))}")
    missing_countries = set(countries_in(claim)) - set(countries_in(evidence))
    if missing_countries:
        names = ", ".join(country_name(c) for c in sorted(missing_countries))
        reasons.append(f"country not in the cited sources: {names}")
    if same_language:
        folded = _fold(evidence)
        missing = [n for n in sorted(names_in(claim)) if _fold(n)[:5] not in folded]
        if missing:
            reasons.append(f"name not in the cited sources: {', '.join(missing)}")
        changed = changed_copy(claim, evidence)
        if changed:
            reasons.append(f"copies a source sentence but for “{changed[0]}” where it says "
                           f"“{changed[1]}”")  # fmt: skip
    return reasons


def changed_copy(claim: str, evidence: str) -> tuple[str, str] | None:
    """Where ``claim`` copies one sentence (or clause) of ``evidence`` but for one short span:
    (the claim's words, the source's). A sentence that reads as the source's own but swaps
    a name, a place or a phrase into it: words the evidence nowhere holds, or words it
    states elsewhere put in place of the fact the copied sentence states (``_moved``)."""
    folded, text = _fold(evidence), claim.strip()
    folded_claim = _fold(text)
    lines = [line for line in evidence.splitlines() if line.strip()]  # a title is its own
    for unit in (unit for line in lines for unit in evidence_units(line)):
        swapped = swapped_span(text, unit.strip())
        if swapped is None:
            continue
        unheld = any(term not in folded for term in content_terms(swapped[0]))
        if unheld or _moved(swapped, folded_claim):
            return swapped
    return None


_REFERENCE = re.compile(
    r"(?i)^(?:the|this|that|these|those|its|his|her|their|our|el|la|los|las|este|esta|"
    r"estos|estas|ese|esa|su|sus)\b|^(?:该|此|这|那|其|他|她|它|本|上述)"
)
_FIGURE_OR_NAME = re.compile(r"\d|(?<!\w)[A-ZÀ-Þ]")


def _moved(swapped: tuple[str, str], folded_claim: str) -> bool:
    """The copied sentence's own fact dropped for another span of the sources. Not when the
    source's words stay in the claim (reworded around them), the source says "the
    company" where the claim names it (a reference resolved), the claim is the copy cut
    short, or a figure stands for a figure (the number checks' business: "2022年" for
    "第20届" names one event twice)."""
    ours, theirs = swapped
    terms = content_terms(theirs)
    if not terms or not content_terms(ours) or any(t in folded_claim for t in terms):
        return False
    if _REFERENCE.match(theirs) and not _FIGURE_OR_NAME.search(_REFERENCE.sub("", theirs)):
        return False
    both_figures = bool(re.search(r"\d", ours) and re.search(r"\d", theirs))
    return not (theirs.startswith(ours) or both_figures)


@dataclass(frozen=True)
class SupportFeatures:
    """Similarity of a claim to its evidence: best sentence cosine, whole-evidence cosine,
    share of the claim's content terms found in the evidence."""

    sentence_cosine: float
    evidence_cosine: float
    term_coverage: float
    same_language: bool

    def vector(self) -> list[float]:
        same = 1.0 if self.same_language else 0.0
        return [
            self.sentence_cosine,
            self.evidence_cosine,
            self.term_coverage * same,
            same,
            1.0,
        ]


def _normalised(vectors: list[list[float]]) -> np.ndarray:
    array = np.asarray(vectors, dtype=np.float32)
    norms: np.ndarray = np.maximum(np.linalg.norm(array, axis=1, keepdims=True), 1e-9)
    normalised: np.ndarray = array / norms
    return normalised


_CLAUSE_END = re.compile(r"(?<=[，,；;：:])\s*")
LONG_SENTENCE_CHARS = 60


def evidence_units(evidence: str) -> list[str]:
    """Sentences, and the clauses of long sentences: a claim often restates one clause."""
    units = []
    for start, end in sentence_spans(evidence):
        sentence = evidence[start:end]
        units.append(sentence)
        if len(sentence) > LONG_SENTENCE_CHARS:
            clauses = [c.strip() for c in _CLAUSE_END.split(sentence)]
            units += [c for c in clauses if len(c) >= 6 and c != sentence]
    return units or [evidence]


def support_features(
    claim: str, evidence: str, *, same_language: bool, embedder: Embeddings
) -> SupportFeatures:
    """Features of ``claim`` against ``evidence`` (title and cited passages together)."""
    sentences = evidence_units(evidence)
    vectors = _normalised(embedder.embed_documents([claim, evidence, *sentences]))
    claim_vector = vectors[0]
    terms = content_terms(claim)
    coverage = len(terms & content_terms(evidence)) / len(terms) if terms else 0.0
    return SupportFeatures(
        sentence_cosine=float(np.max(vectors[2:] @ claim_vector)),
        evidence_cosine=float(vectors[1] @ claim_vector),
        term_coverage=coverage,
        same_language=same_language,
    )


_NEGATION = re.compile(
    r"(?<!\w)(?:not|no|never|neither|nor|none|nothing|cannot|without|ne|pas|jamais|nunca|"
    r"ni|не|нет|ни|никогда|لا|لم|لن|ليس)(?!\w)|n't"
    r"|没有|并不|从未|绝不|决不|无法|未能|未曾|不是|不会|不能|不再|不要|不应|不得|不予",
    re.IGNORECASE,
)
_MAGNITUDE = re.compile(
    r"(\d+(?:[.,]\d+)*)\s*(percent|per cent|%|thousand|million|billion|trillion|"
    r"millions?|milliards?|mil millones|миллион\w*|миллиард\w*|тысяч\w*|万|亿|千)",
    re.IGNORECASE,
)
# Words that say who spoke or how, not what: "France *said* … *called* for".
_REPORTING = frozenset(
    content_terms(
        "say says said stated states state statement told noted notes emphasised emphasized "
        "stressed underlined highlighted reiterated declared announced expressed added "
        "called calls urged urges warned warns speech speaker speaking also country "
        "government delegation president minister"
    )
)
KEY_COVERAGE = 0.75  # of a claim's content words that one sentence of its source must hold


def magnitudes(text: str) -> set[tuple[str, str]]:
    """Numbers with the magnitude written after them ("5 billion", "30%")."""
    found = set()
    for number, unit in _MAGNITUDE.findall(unicodedata.normalize("NFKC", text)):
        unit = unit.casefold().replace("per cent", "percent").replace("%", "percent")
        found.add((number.replace(",", "."), unit[:5]))
    return found


def negated(text: str) -> bool:
    return _NEGATION.search(text) is not None


def key_terms(claim: str, speakers: list[str]) -> set[str]:
    """The claim's content words but for its speaker's name and its verbs of saying."""
    spoken = set().union(*(content_terms(s) for s in speakers)) if speakers else set()
    return content_terms(claim) - _REPORTING - spoken


def closest_unit(claim: str, units: list[str], speakers: list[str]) -> str:
    """The sentence, or two adjacent sentences, of ``units`` holding most of the claim's key
    terms (the shortest of equals)."""
    key = key_terms(claim, speakers)
    joined = [*units, *(f"{a} {b}" for a, b in itertools.pairwise(units))]
    return max(joined, key=lambda unit: (len(key & content_terms(unit)), -len(unit)))


def key_content_failures(claim: str, units: list[str], speakers: list[str]) -> list[str]:
    """Why the claim's key content is not stated in the cited passage: each of the claim's
    own sentences checked alone (:func:`sentence_key_failures`)."""
    parts = [claim[a:b] for a, b in sentence_spans(claim)] or [claim]
    return list(
        dict.fromkeys(r for part in parts for r in sentence_key_failures(part, units, speakers))
    )


_HAN_FUNCTION = frozenset("的是了在和与及为也都而并等之其这那一个有被将对于从以中把所")


def _han_coverage(claim: str, unit: str) -> float:
    """Of the claim's Han characters, the share the unit holds (a paraphrase in Chinese
    shares characters with its source far more than it shares character pairs)."""
    han = {ch for ch in claim if _HAN.match(ch)} - _HAN_FUNCTION
    return len(han & set(unit)) / len(han) if han else 1.0


def sentence_key_failures(claim: str, units: list[str], speakers: list[str]) -> list[str]:
    """Why one sentence (or two adjacent) of the cited passage does not state the claim's
    key content: most of its content words (the speaker's name and the verbs of saying
    aside: "we" in a speech is its speaker), its numbers with their magnitude, and its
    negation. Same language only; [] when one unit states it."""
    key = key_terms(claim, speakers)
    if not key or not units:
        return []
    best = closest_unit(claim, units, speakers)
    held = key & content_terms(best)
    reasons = []
    if _HAN.search(claim):  # Chinese: by characters
        if _han_coverage(claim, best) < KEY_COVERAGE:
            reasons.append("its characters are in no one sentence of the cited passage")
    elif len(held) < KEY_COVERAGE * len(key):
        missing = ", ".join(sorted(key - held))
        reasons.append(f"its words ({missing}) are in no one sentence of the cited passage")
    wrong = magnitudes(claim) - magnitudes(best)
    if wrong:
        amounts = ", ".join(f"{n} {u}" for n, u in sorted(wrong))
        reasons.append(f"amount not stated so in the cited sentence: {amounts}")
    if negated(claim) != negated(best):
        reasons.append("the cited sentence says it with the opposite negation")
    return reasons


_REPEATED = re.compile(r"(\S.{5,}?)\W*\1", re.DOTALL)


def repeats_itself(text: str) -> bool:
    """A sentence that says a piece of itself again ("巴西…说了:巴西…说了:")."""
    return _REPEATED.search(text) is not None
