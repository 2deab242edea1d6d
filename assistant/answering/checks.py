"""Stage 6b, what verification must check beyond support: attribution and responsiveness.

*Attribution.*  "China holds a firm position of support" cited to the United Kingdom's
speech is supported by its words and still wrong: a sentence that says who said, holds,
announced or set something is attributed only when a cited passage is that speaker's own
(or, for a source whose speaker is unknown — a news report — names that speaker).  The
subject is the country named before the sentence's speech cue, else the speaker the
question asked about.

*Responsiveness.*  An answer about Taiwan to a question about Ukraine is supported and
useless.  The answer as a whole must name the question's topic countries and cover at
least half of its focus terms (words of the question other than names, compared where
the answer's passages are in the question's language), or it is not "answered".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.grounding.purity import sentence_impurity
from assistant.grounding.stages import Passage, Verdict
from assistant.grounding.support import (
    closest_unit,
    content_terms,
    evidence_units,
    key_content_failures,
    names_in,
    numbers_in,
    repeats_itself,
)
from corpus.countries import countries_in, country_name, country_name_in
from corpus.language import detect_language
from corpus.speakers import actor_mentions, speaker_label
from retrieval.chunking import sentence_spans
from retrieval.understanding import Understood, term_in

FOCUS_COVERAGE = 0.5
_DATE_WORD = re.compile(
    r"(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)$"
)
FEW_FOCUS_TERMS = 2  # with so few, naming the question's topic country anchors a sentence
# Verbs that report what someone said or did in words: in an answer, "Russia's aggression"
# is no statement by Russia, "Japan said Russia's aggression…" is one by Japan.
SPEECH_VERBS = re.compile(
    r"\b(?:sa(?:y|ys|id)|stat(?:e|es|ed)|announc(?:e|es|ed)|declar(?:e|es|ed)|"
    r"call(?:s|ed)? (?:for|on)|urg(?:e|es|ed)|warn(?:s|ed)?|condemn(?:s|ed)?|"
    r"propos(?:e|es|ed)|pledg(?:e|es|ed)|commit(?:s|ted)?|believ(?:e|es|ed)|"
    r"argu(?:e|es|ed)|claim(?:s|ed)?|reiterat(?:e|es|ed)|emphasi[sz](?:e|es|ed)|"
    r"stress(?:es|ed)?|express(?:es|ed)|affirm(?:s|ed)?|describ(?:e|es|ed)|"
    r"reject(?:s|ed)?|welcom(?:e|es|ed)|insist(?:s|ed)?|hold|holds|held|maintain(?:s|ed)?|"
    r"support(?:s|ed)?|oppos(?:e|es|ed)|agree(?:s|d)?|set|sets|told|position|stance)\b"
    r"|表示|说|宣布|强调|指出|认为|呼吁|声明|主张|称|重申|支持|反对|立场|提出|设定",
    re.IGNORECASE,
)


def sentence_subjects(text: str, asked_speaker: str | None) -> list[str]:
    """Who the sentence says spoke: countries named before its speech cue, else the
    speaker the question asked about (an unnamed subject answers the question)."""
    cue = SPEECH_VERBS.search(text)
    if cue is not None:
        named = list(dict.fromkeys(code for at, code in actor_mentions(text) if at < cue.start()))
        if named:
            return named
    return [asked_speaker] if asked_speaker else []


def _speaks_for(passage: Passage, subjects: list[str]) -> bool:
    """The passage is the subject's own (a joint statement is each signatory's), or a
    report (unknown speaker) that names it."""
    if passage.speaker is not None:
        return any(s in (passage.speakers or [passage.speaker]) for s in subjects)
    return any(s in countries_in(f"{passage.title}\n{passage.quote}") for s in subjects)


def check_attribution(
    verdict: Verdict, passages: dict[int, Passage], asked_speaker: str | None
) -> None:
    """Set ``verdict.attributed`` (None when nothing is attributed or no speaker is known)
    and withdraw support from a sentence attributed to the wrong speaker."""
    subjects = sentence_subjects(verdict.text, asked_speaker)
    cited = [passages[n] for n in verdict.citations if n in passages]
    if not subjects or not cited:
        verdict.attributed = None
        return
    verdict.attributed = any(_speaks_for(p, subjects) for p in cited)
    if verdict.attributed is False:
        said = ", ".join(speaker_label(p.speaker) for p in cited)
        who = " or ".join(country_name(s) for s in subjects)
        verdict.reasons.append(f"attributed to {who}, but the cited source speaks for {said}")
        verdict.supported = False


LIST_ITEMS = 8  # a line ending in ":" introduces the lines after it (a list of members)


def _statements(text: str) -> list[str]:
    """The text's sentences; a list's introduction ("Members of the Delegation:") is one
    statement with its items."""
    sentences = [text[a:b] for a, b in sentence_spans(text)]
    return [
        " ".join(sentences[i : i + 1 + LIST_ITEMS]) if s.rstrip(" *_").endswith(":") else s
        for i, s in enumerate(sentences)
    ]


_CITATION_MARK = re.compile(r"\[\d+\]")
_NOT_WORD = re.compile(r"[\W_]+")


def _bare(text: str) -> str:
    """Casefolded words only: no citation marks, punctuation or spacing differences."""
    return " ".join(_NOT_WORD.sub(" ", _CITATION_MARK.sub(" ", text)).casefold().split())


def check_says_something(verdict: Verdict, passages: dict[int, Passage], question: str) -> None:
    """A sentence that only restates a source's title or the question is not an answer, however
    well its citations "support" it ("2025年…政府工作报告[1]" for a GDP target)."""
    if not verdict.supported:
        return
    left = f" {_bare(verdict.text)} "
    for known in [question, *(p.title for p in passages.values())]:
        bare = _bare(known)
        while bare and f" {bare} " in left:  # every repetition
            left = left.replace(f" {bare} ", " ")
    if len(_NOT_WORD.sub("", left)) < 4:
        verdict.supported = False
        verdict.reasons.append("it only restates a source's title or the question")


def check_answer_grounding(
    verdict: Verdict, passages: dict[int, Passage], understood: Understood, question: str
) -> None:
    """What the sentence answers with (a name or number the question does not contain)
    and what it takes from the question (most of the focus terms it repeats) must stand in
    one sentence of a cited source: "President Trump will lead the delegation" is not made
    true by one sentence naming Trump and another saying Bessent will lead."""
    if not verdict.supported:
        return
    cited = [passages[n] for n in verdict.citations if n in passages]
    language = detect_language(verdict.text, default="en")
    same = [p for p in cited if p.language == language]
    if not same:  # across languages names are not comparable word for word
        return
    statements = [s for p in same for s in _statements(p.chunk_text)]
    for start, end in sentence_spans(verdict.text):  # a sentence may join two statements
        ungrounded = _ungrounded(verdict.text[start:end], statements, understood, question)
        if ungrounded:
            verdict.reasons.append(ungrounded)
            verdict.supported = False
            return


def _ungrounded(claim: str, statements: list[str], understood: Understood, question: str) -> str:
    """Why the claim's answer is not in one statement with what it repeats of the
    question ('' when it is, or when the claim adds no name or number to the question)."""
    asked = [t for t in understood.focus_terms if term_in(t, claim.casefold())]
    asked_names = {n.casefold() for n in names_in(question)}
    new_names = {n for n in names_in(claim) if n.casefold() not in asked_names}
    new_numbers = numbers_in(claim) - numbers_in(question)
    # a country the claim answers with, even as its first word ("Mexico will host …")
    new_countries = set(countries_in(claim)) - set(countries_in(question))
    if not asked or not (new_names or new_numbers or new_countries):
        return ""
    for statement in statements:
        folded = statement.casefold()
        held = sum(1 for t in asked if term_in(t, folded))
        if held * 2 <= len(asked):  # most of what it repeats of the question, not half
            continue
        if (
            any(n.casefold()[:5] in folded for n in new_names)
            or new_numbers & numbers_in(statement)
            or new_countries & set(countries_in(statement))
        ):
            return ""
    answer = ", ".join(sorted(new_names | new_numbers | {country_name(c) for c in new_countries}))
    return (
        f"what it answers ({answer}) and what was asked ({', '.join(asked)}) are in no one "
        "sentence of the cited sources"
    )


ACROSS_LANGUAGES = (
    "written in another language than its sources: a paraphrase across languages is not "
    "checked word for word (read the quote and its labelled machine translation)"
)


def check_key_content(
    verdict: Verdict,
    passages: dict[int, Passage],
    language: str,
    on_topic: Callable[[str, str], bool] | None = None,
) -> None:
    """Verified means checked without the model: one sentence of a cited passage in the
    sentence's own language states its key content (content words, numbers with their
    magnitude, negation; the passage's speaker counts as named: "we" in a speech), and the
    sentence does not repeat itself. A sentence written across languages is withheld. With
    ``on_topic(text, language)`` (a question about what a speaker said), the sentence or
    the source sentence it rests on must be on the question's topic: Egypt's words on
    Lebanon do not answer what it said about Gaza, however faithfully copied."""
    if not verdict.supported:
        return
    cited = [passages[n] for n in verdict.citations if n in passages]
    if repeats_itself(verdict.text):
        verdict.supported = False
        verdict.reasons.append("it repeats a piece of itself")
        return
    same = [p for p in cited if p.language == language]
    if cited and not same:
        verdict.supported = False
        verdict.reasons.append(ACROSS_LANGUAGES)
        return
    units = [unit for p in same for unit in evidence_units(p.chunk_text)]
    # a government's name stands for "we" in its speech; an account's handle is no name
    speaking = [s for p in same for s in (p.speakers or ([p.speaker] if p.speaker else []))]
    codes = {s for s in speaking if not s.startswith("@")}
    speakers = [name for c in codes for name in {country_name(c), country_name_in(c, language)}]
    failures = key_content_failures(verdict.text, units, speakers)
    if on_topic is not None and units:
        rests_on = closest_unit(verdict.text, units, speakers)
        if not (on_topic(verdict.text, language) or on_topic(rests_on, same[0].language)):
            failures.append("neither it nor the source sentence it rests on is on the topic")
    if failures:
        verdict.supported = False
        verdict.reasons += failures


def check_language(verdict: Verdict, language: str) -> None:
    """A sentence not in the language asked (names and quoted words aside: "积极参与 shuttle
    mediation") is not shown as verified, so not shown."""
    impurity = sentence_impurity(verdict.text, language)
    if impurity:
        verdict.supported = False
        verdict.reasons.append(impurity)


@dataclass
class Responsiveness:
    """Whether the supported sentences address the question, and what they leave out."""

    responsive: bool
    missing: list[str] = field(default_factory=list)
    focus_coverage: float | None = None


def _anchored(
    verdict: Verdict, passages: dict[int, Passage], terms: list[str], topics: list[str]
) -> bool:
    """The sentence, or the sentence of its passage it rests on, holds a focus term: an
    answer, not a line lifted from next to one ("George Glass, Ambassador…" for "who will
    lead the delegation?")."""
    own = verdict.text.casefold()
    if any(term_in(t, own) for t in terms):
        return True
    if len(terms) <= FEW_FOCUS_TERMS and set(topics) & set(countries_in(verdict.text)):
        return True
    words = content_terms(verdict.text)
    for n in verdict.citations:
        if n not in passages:
            continue
        quote = passages[n].quote
        sentences = [quote[a:b] for a, b in sentence_spans(quote)] or [quote]
        closest = max(sentences, key=lambda text: len(words & content_terms(text)))
        if any(term_in(t, closest.casefold()) for t in terms):
            return True
    return False


def _closest_statement(verdict: Verdict, passages: dict[int, Passage]) -> str:
    """The sentences of its cited quotes that the verdict's sentence rests on."""
    words = content_terms(verdict.text)
    best: list[str] = []
    for n in verdict.citations:
        if n in passages:
            quote = passages[n].quote
            sentences = [quote[a:b] for a, b in sentence_spans(quote)] or [quote]
            best.append(max(sentences, key=lambda text: len(words & content_terms(text))))
    return "\n".join(best)


def _qualifiers_missing(
    supported: list[Verdict], passages: dict[int, Passage], question: str, years: list[int]
) -> list[str]:
    """Names and years that qualify the question ("… in the *Geneva* joint statement") that
    neither the answer, the source sentences it rests on nor their titles and dates carry:
    an answer about Stockholm is not one about Geneva, however well Stockholm's statement
    supports it."""
    names: set[str] = set()
    answer = " ".join(v.text for v in supported)
    if detect_language(answer, default="en") == detect_language(question, default="en"):
        # names compare word for word only within one language; dates are no qualifier
        names = {n for n in names_in(question) if not countries_in(n) and not _DATE_WORD.match(n)}
    names |= {str(year) for year in years}  # "… the *2030* World Expo"
    if not names or not supported:
        return []
    cited = [passages[n] for v in supported for n in v.citations if n in passages]
    titles = [f"{p.title} {p.source or ''} {p.published_at or ''}" for p in cited]
    text = "\n".join(v.text + "\n" + _closest_statement(v, passages) for v in supported)
    text += "\n" + "\n".join(titles)  # "China — UN General Debate" carries where it was said
    folded = text.casefold()
    return sorted(n for n in names if n.casefold()[:5] not in folded)


def check_responsive(
    understood: Understood,
    question_language: str,
    supported: list[Verdict],
    passages: dict[int, Passage],
    question: str = "",
) -> Responsiveness:
    """Topic countries named, focus terms covered by the answer and its passages, and at
    least one sentence anchored to the question's focus."""
    if not supported:
        return Responsiveness(False, ["no supported sentence"])
    cited = [passages[n] for v in supported for n in v.citations if n in passages]
    answer = " ".join(v.text for v in supported)
    named = set(countries_in(answer + "\n" + "\n".join(p.quote for p in cited)))
    missing = [country_name(c) for c in understood.topic_countries if c not in named]
    coverage = None
    terms = understood.focus_terms
    comparable = [p.quote for p in cited if p.language == question_language]
    if terms and comparable:
        text = (answer + "\n" + "\n".join(comparable)).casefold()
        covered = [t for t in terms if term_in(t, text)]
        coverage = len(covered) / len(terms)
        if coverage < FOCUS_COVERAGE:
            missing += [t for t in terms if t not in covered]
        elif not any(_anchored(v, passages, terms, understood.topic_countries) for v in supported):
            missing.append("a sentence that answers it (" + ", ".join(terms) + ")")
    missing += _qualifiers_missing(supported, passages, question, understood.years)
    if understood.speaker and not any(v.attributed for v in supported):
        missing.append(f"a statement by {country_name(understood.speaker)}")
    return Responsiveness(not missing, missing, coverage)


def answer_status(refused: bool, responsive: Responsiveness, verdicts: list[Verdict]) -> str:
    """``answered`` (what is shown is verified and addresses the question; sentences the
    sources do not support are withheld, listed with their reasons), ``partial`` (verified
    sentences that leave out part of the question) or ``not_found``."""
    if refused:
        return "not_found"
    return "answered" if responsive.responsive else "partial"
