"""Evidence first: the sentences of the documents found that address the question's topic,
chosen by rule before the model writes, and quoted word for word.

A question's topic (:class:`Topic`) is what it asks about beyond its speaker, source and
period: the countries it names as topics, its focus terms in each language searched (the
question's own words and those of its translations) and the proper names that qualify it
("the meeting in *Geneva*"). A passage *addresses* the topic when it names a topic country
(in any language the country index knows; a topic that names a country needs it), or
holds two thirds of the focus terms of its own language (word forms matched by their stem:
finance, financing), and every qualifying name of its language stands in it or in its
title. Its quotes are its sentences that name
such a country or hold a focus term. A speaker asked about must speak in the passage's
document (``corpus.speakers``: "we" and "my country" in a speech are its speaker).

Nothing here calls a model, so the same passages give the same evidence every time; the
passages of a language the topic has no terms in cannot be judged and address nothing.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from assistant.grounding.injection import looks_like_instruction
from assistant.grounding.stages import Passage
from assistant.grounding.support import content_terms, names_in
from corpus.countries import countries_in, country_name, country_name_in
from retrieval.chunking import sentence_spans
from retrieval.contracts import SearchResult
from retrieval.understanding import SOURCE_ALIASES, Understood, focus_terms

MIN_QUOTE_CHARS = 25  # a shorter sentence ("Ukraine.") says nothing quotable
MAX_QUOTE_CHARS = 600
QUOTES = 4  # quotes shown with an answer
QUOTES_PER_DOCUMENT = 2  # when several documents hold some
FOLLOWING = 2  # sentences of its paragraph that a quote carries on with
TOPIC_SHARE = 2 / 3  # of its language's focus terms a passage must hold
# Words of a question that name its venue or ask, not its topic, in the languages asked in.
_NOT_TOPIC_TEXT = """
    happen happened happens recent recently latest regarding concerning united nations
    general debate assembly session annual
    que qu quoi quel quelle quels quelles comment pourquoi dit dite déclaré déclarée sujet
    propos concernant débat général unies lors pendant avec pour dans sur des les une aux
    été ont fait onu pays
    qué cuál cuáles cómo dijo dicho declaró sobre acerca durante para con los las una del
    fue han dicha ha
    что как какой какая какие каким сказал сказала сказали заявил заявила заявили говорил
    говорила году года время общих генеральной ассамблее ассамблеи оон дебатах дебатов прениях
    ماذا قال قالت قالوا حول خلال على إلى التي الذي الجمعية العامة للأمم المتحدة المناقشة
    عام بشأن للجمعية 内容 什么 方面
    """
_NOT_TOPIC = frozenset(_NOT_TOPIC_TEXT.split())
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_MONTH_OR_DAY = re.compile(
    r"(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)$"
)


def _words(folded: str) -> set[str]:
    return set(_WORD.findall(folded))


def word_matches(term: str, word: str) -> bool:
    """One word form of the term: the same word, a plural or past (war, wars), or, for words
    of five letters or more, the same stem (finance, financing; санкции, санкциях)."""
    if word == term:
        return True
    if len(term) < 5 or len(word) < 5:
        return word in (term + "s", term + "es", term + "d", term + "ed")
    stem = max(5, min(len(term), len(word)) - 3)
    return term[:stem] == word[:stem]


def holds(term: str, folded: str, words: set[str]) -> bool:
    """Whether case-folded text (and its words) holds the term in one of its forms."""
    if _CJK.search(term):
        return term in folded
    if term in words:
        return True
    return any(word_matches(term, w) for w in words if w[:3] == term[:3])


@dataclass(frozen=True)
class Topic:
    """What a question asks about, in the words a source would use, per language."""

    countries: tuple[str, ...] = ()
    terms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    label: str = ""

    @property
    def empty(self) -> bool:
        return not self.countries and not any(self.terms.values())

    def held(self, text: str, language: str) -> tuple[list[str], list[str], bool]:
        """The topic countries and focus terms ``text`` holds, and whether every qualifying
        name of its language is there."""
        folded = text.casefold()
        words = _words(folded)
        named = set(countries_in(text))
        countries = [c for c in self.countries if c in named or _names_country(c, words)]
        terms = [t for t in self.terms.get(language, ()) if holds(t, folded, words)]
        names = all(n in folded for n in self.names.get(language, ()))
        return countries, terms, names

    def addresses(self, text: str, language: str) -> bool:
        """Whether a passage (its title and text) addresses the topic."""
        if self.empty:
            return True
        countries, terms, names = self.held(text, language)
        if not names:
            return False
        if self.countries:  # a country topic needs the country ("Ukrainian" too), any language
            return bool(countries)
        wanted = self.terms.get(language, ())
        if not wanted:  # a language the topic has no words in
            return False
        return len(terms) >= math.ceil(len(wanted) * TOPIC_SHARE - 1e-9)

    def judgeable(self, language: str) -> bool:
        """Whether passages in ``language`` can be judged (a country topic, or terms in it)."""
        return self.empty or bool(self.countries) or bool(self.terms.get(language))


def _names_country(code: str, words: set[str]) -> bool:
    """The country's English name, official or short, by its stems (Ukrainian, Syrian:
    adjectives the index does not read as the country; "Syria" for the Syrian Arab
    Republic)."""
    for name in {country_name(code), country_name_in(code, "en")}:
        stems = content_terms(name)
        if stems and all(any(w.startswith(s[:5]) for w in words) for s in stems):
            return True
    return False


def _excluded(understood: Understood, language: str) -> list[str]:
    """Words of a question in ``language`` that name its speaker, countries or source."""
    codes = [understood.speaker or "", *understood.topic_countries]
    names = [country_name_in(c, lang) for c in codes if c for lang in {language, "en"}]
    if understood.source:
        names.append(understood.source)
        family = understood.source.casefold()
        names += [p for fam, ps in SOURCE_ALIASES.items() if fam in family for p in ps]
    return names


def _topic_terms(text: str, understood: Understood, language: str) -> tuple[str, ...]:
    """The text's focus terms that are not its venue, a country or a country's name's words
    ("south", "africa")."""
    named = [country_name_in(c, lang) for c in countries_in(text) for lang in {language, "en"}]
    terms = focus_terms(text, _excluded(understood, language) + named)
    return tuple(t for t in terms if t not in _NOT_TOPIC and not countries_in(t))


def topic_phrase(understood: Understood, question: str, language: str) -> str:
    """The question's topic in its own words (its focus terms and the countries it names as
    topics, without its speaker, source, period or question words): what is translated to
    find the topic in the corpus's other languages ("терроризме", "Сирии", "气候变化")."""
    terms = focus_terms(question, _excluded(understood, language))
    return " ".join(t for t in terms if t not in _NOT_TOPIC)


def _qualifying_names(text: str, understood: Understood, language: str) -> tuple[str, ...]:
    """Proper names of the question that are not a country, its source or a date (Latin
    script only: names do not compare across scripts)."""
    excluded = " ".join(_excluded(understood, language)).casefold()
    names = []
    for name in sorted(names_in(text)):
        folded = name.casefold()
        if countries_in(name) or _MONTH_OR_DAY.match(name) or folded in excluded:
            continue
        if folded in _NOT_TOPIC or len(folded) < 4:
            continue
        names.append(folded[:5])
    return tuple(names)


def agrees(topic: str, question: str) -> bool:
    """Whether a content word of a translated topic stands (in some form) in the question's
    translation into the same language: two translations made apart share the topic."""
    words = _words(question.casefold())
    terms = [t for t in focus_terms(topic, []) if t not in _NOT_TOPIC]
    return any(holds(t, question.casefold(), words) for t in terms)


def question_topic(
    understood: Understood, question: str, language: str, translations: dict[str, str]
) -> Topic:
    """The topic of ``question`` (in ``language``) and of its translations (by language)."""
    terms = {language: _topic_terms(question, understood, language)}
    names = {language: _qualifying_names(question, understood, language)}
    for other, text in sorted(translations.items()):
        if other != language:
            terms[other] = _topic_terms(text, understood, other)
            names[other] = _qualifying_names(text, understood, other)
    # a country a translation names is a topic too where the question's own topic words
    # name it ("Сирии"), never one the translation brought in (a speaker mistranslated)
    own = set(countries_in(topic_phrase(understood, question, language)))
    translated = [c for text in translations.values() for c in countries_in(text) if c in own]
    topical = [*understood.topic_countries, *translated]
    countries = tuple(dict.fromkeys(c for c in topical if c != understood.speaker))
    label_terms = list(terms[language]) or next((list(t) for t in terms.values() if t), [])
    label = " ".join([*(country_name_in(c, language) for c in countries), *label_terms])
    return Topic(countries, terms, names, label.strip())


def phrase_topic(phrase: str, language: str, translations: dict[str, str]) -> Topic:
    """The topic a phrase names ("climate finance", "the territorial integrity of Ukraine"),
    with its translations by language (``positions``)."""
    understood = Understood(topic_countries=countries_in(phrase))
    return question_topic(understood, phrase, language, translations)


def sentence_on_topic(topic: Topic, text: str, language: str) -> list[str]:
    """What of the topic a sentence holds (its countries' names and terms; [] when none);
    of a topic that names a country, a sentence that names it."""
    countries, terms, _ = topic.held(text, language)
    if topic.countries and not countries:
        return []
    return [country_name(c) for c in countries] + terms


@dataclass
class Quote:
    """A sentence of a passage that addresses the topic, verbatim, where it stands."""

    chunk_id: str
    doc_id: str
    text: str
    start: int  # offsets in the document's text
    end: int
    language: str
    title: str
    published_at: str | None
    speaker: str | None
    rank: int  # the search rank of its passage
    holds: list[str]  # the topic's countries and terms it holds
    n: int = 0  # its passage's number once the context is numbered
    translation: str | None = None  # machine translation into the question's language
    translation_withheld: str | None = None  # why a translation that lost a fact is not shown

    def public(self) -> dict[str, Any]:
        """The public quote record (`dragoman ask --json` → ``quotes``)."""
        return {
            "n": self.n,
            "doc_id": self.doc_id,
            "quote": self.text,
            "start": self.start,
            "end": self.end,
            "language": self.language,
            "title": self.title,
            "published_at": self.published_at,
            "speaker": self.speaker,
            "speaker_name": country_name(self.speaker) if self.speaker else None,
            "holds": self.holds,
            "verified": True,
            "translation": self.translation,
            "translation_note": MACHINE_TRANSLATION if self.translation else None,
            "translation_withheld": self.translation_withheld,
        }


MACHINE_TRANSLATION = "machine translation by the answering model, not verified"


@dataclass
class Evidence:
    """The quotes chosen, and what was searched to find them."""

    topic: Topic
    quotes: list[Quote]
    addressing: list[int]  # indexes of the search results that address the topic
    searched: int  # results read
    speakers: int  # of them, the asked speaker's (all when no speaker was asked)
    documents: int  # the documents those come from
    unjudged: list[str] = field(default_factory=list)  # languages the topic has no terms in

    def chunk_ids(self) -> set[str]:
        return {q.chunk_id for q in self.quotes}


def speaks(result: SearchResult, speaker: str) -> bool:
    """The result is the speaker's own: its document's speaker, a joint statement's
    co-speaker, or, for a document whose speaker is unknown, one whose source or title names
    it ("Ministry of Foreign Affairs Singapore")."""
    if result.speaker == speaker or speaker in result.speakers:
        return True
    if result.speaker is not None:
        return False
    return speaker in countries_in(f"{result.source or ''}\n{result.title}")


def select_evidence(
    results: list[SearchResult],
    topic: Topic,
    speaker: str | None,
    *,
    limit: int = QUOTES,
    per_document: int = QUOTES_PER_DOCUMENT,
) -> Evidence:
    """The quotes of the results that address the topic (the asked speaker's own when one
    was asked): those holding most of the topic first, then by search rank and place."""
    candidates: list[Quote] = []
    addressing: list[int] = []
    own = 0
    documents: set[str] = set()
    unjudged: set[str] = set()
    seen: set[tuple[str, int]] = set()
    for rank, result in enumerate(results):
        if speaker and not speaks(result, speaker):
            continue
        own += 1
        documents.add(result.doc_id)
        if not topic.judgeable(result.language):
            unjudged.add(result.language)
            continue
        if not topic.addresses(f"{result.title}\n{result.text}", result.language):
            continue
        addressing.append(rank)
        for quote in _quotes(result, rank, topic, seen):
            candidates.append(quote)
    chosen = _choose(candidates, limit, per_document)
    return Evidence(topic, chosen, addressing, len(results), own, len(documents), sorted(unjudged))


def _quotes(
    result: SearchResult, rank: int, topic: Topic, seen: set[tuple[str, int]]
) -> Iterable[Quote]:
    """The result's sentences on the topic, each with the sentences that follow it in its
    paragraph (up to ``FOLLOWING``): a speech names its subject once and goes on about it
    ("An end to the Ukraine crisis remains elusive. China is committed to …")."""
    spans = sentence_spans(result.text)
    for i, (start, end) in enumerate(spans):
        raw = result.text[start:end]
        text = raw.strip()
        key = (result.doc_id, result.start + start)
        if key in seen or not MIN_QUOTE_CHARS <= len(text) <= MAX_QUOTE_CHARS:
            continue
        if looks_like_instruction(text):
            continue
        held = sentence_on_topic(topic, text, result.language)
        if not topic.empty and not held:
            continue
        seen.add(key)
        first = start + raw.index(text)
        last = first + len(text)
        for follow_start, follow_end in spans[i + 1 : i + 1 + FOLLOWING]:
            between, following = (
                result.text[last:follow_start],
                result.text[follow_start:follow_end],
            )
            if "\n\n" in between or looks_like_instruction(following):
                break
            if follow_end - first > MAX_QUOTE_CHARS or sentence_on_topic(
                topic, following, result.language
            ):
                break  # a sentence on the topic is a quote of its own
            seen.add((result.doc_id, result.start + follow_start))
            last = follow_start + len(following.rstrip())
        yield Quote(
            chunk_id=result.chunk_id,
            doc_id=result.doc_id,
            text=result.text[first:last],
            start=result.start + first,
            end=result.start + last,
            language=result.language,
            title=result.title,
            published_at=result.published_at,
            speaker=result.speaker,
            rank=rank,
            holds=held,
        )


def _choose(candidates: list[Quote], limit: int, per_document: int) -> list[Quote]:
    documents = {q.doc_id for q in candidates}
    cap = per_document if len(documents) > 1 else limit
    chosen: list[Quote] = []
    taken: Counter[str] = Counter()
    for quote in sorted(candidates, key=lambda q: (-len(q.holds), q.rank, q.start)):
        if taken[quote.doc_id] < cap and len(chosen) < limit:
            chosen.append(quote)
            taken[quote.doc_id] += 1
    return chosen


def quote_at(result: SearchResult, rank: int, start: int, end: int, n: int) -> Quote:
    """The sentence of a search result at ``start:end`` (document offsets) as a quote of
    passage ``n`` (what a sentence written across languages rests on)."""
    text = result.text[start - result.start : end - result.start]
    return Quote(
        chunk_id=result.chunk_id,
        doc_id=result.doc_id,
        text=text,
        start=start,
        end=end,
        language=result.language,
        title=result.title,
        published_at=result.published_at,
        speaker=result.speaker,
        rank=rank,
        holds=[],
        n=n,
    )


def number_quotes(evidence: Evidence, passages: list[Passage]) -> None:
    """Give each quote its passage's number; a quote whose passage the context left out
    goes (it could not be cited)."""
    numbers = {p.chunk_id: p.n for p in passages}
    for quote in evidence.quotes:
        quote.n = numbers.get(quote.chunk_id, 0)
    evidence.quotes = [q for q in evidence.quotes if q.n]


def not_addressed(evidence: Evidence, speaker: str | None, source: str | None) -> str:
    """What was searched and found not to address the topic, for a reader."""
    who = f"{country_name(speaker)}'s" if speaker else "The"
    what = f"{source} documents" if source else "documents"
    if speaker and not evidence.speakers:
        return f"No {what} of {country_name(speaker)} matched the question"
    topic = evidence.topic.label or "the question's topic"
    return f"{who} {what} searched ({evidence.documents}) do not address {topic}"
