"""Example questions for an empty chat, drawn from the corpus the reader may see.

They are built from the newest documents' metadata, never invented: who speaks most and
about which country (``What has China said about Ukraine?``), what a news source published
on its latest day, what the public is saying about the country most discussed in social
posts, and one question in another language of the corpus about one of its documents.
A corpus with nothing to draw from gets no examples (the page says how to add documents).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from corpus.countries import country_name_in
from corpus.document import Document
from corpus.registry import DocFilters, Registry
from corpus.speakers import SOCIAL_KINDS, speaker_of

SAMPLE = 300  # newest documents looked at
MAX_EXAMPLES = 4
TITLE_CHARS = 70
_WITH_THE = ("United ", "Czech Republic", "Central African", "Dominican Republic")
_PLURAL = {"Netherlands", "Philippines", "Bahamas", "Gambia", "Comoros", "Maldives",
           "Marshall Islands", "Solomon Islands", "Seychelles", "European Union"}  # fmt: skip
_IN_LANGUAGE: dict[str, Callable[[str], str]] = {
    "zh": lambda title: f"「{title}」的要点是什么？",
    "es": lambda title: f"¿Qué dice «{title}»?",
    "fr": lambda title: f"Que dit « {title} » ?",
    "ru": lambda title: f"О чём говорится в «{title}»?",
    "ar": lambda title: f"ما أبرز ما جاء في «{title}»؟",
}


def example_questions(
    registry: Registry, clearance_levels: list[str]
) -> tuple[list[str], list[str]]:
    """Up to four questions about the newest documents readable at these levels, and the
    ids of the documents they were drawn from (a cache of the questions re-checks that
    those are still readable: a title must not outlive its document's reclassification)."""
    documents = registry.documents(DocFilters(), limit=SAMPLE, clearance_levels=clearance_levels)
    found = [*_speaker_questions(documents), _news_question(documents),
             _public_question(documents), _other_language_question(documents)]  # fmt: skip
    questions = list(dict.fromkeys(q for q in found if q))[:MAX_EXAMPLES]
    return questions, [d.doc_id for d in documents]


def _speaker_questions(documents: list[Document]) -> list[str]:
    """For the two governments that speak most: what they said about the country they
    mention most (other than themselves)."""
    by_speaker: dict[str, list[Document]] = {}
    for doc in documents:
        speaker = speaker_of(doc)
        if speaker and not speaker.startswith("@"):
            by_speaker.setdefault(speaker, []).append(doc)
    ranked = sorted(by_speaker.items(), key=lambda item: (-len(item[1]), item[0]))
    questions = []
    for speaker, spoken in ranked[:2]:
        other = _most_common(c for doc in spoken for c in doc.countries_mentioned if c != speaker)
        if other:
            questions.append(f"What has {_named(speaker)} said about {_named(other)}?")
    return questions


def _news_question(documents: list[Document]) -> str | None:
    for doc in documents:  # newest first
        if doc.kind == "news" and doc.source and doc.published_at:
            day = doc.published_at
            return f"What did {doc.source} announce on {day.day} {day:%B %Y}?"
    return None


def _public_question(documents: list[Document]) -> str | None:
    posts = [d for d in documents if d.kind in SOCIAL_KINDS]
    country = _most_common(c for doc in posts for c in doc.countries_mentioned)
    return f"What are people saying online about {_named(country)}?" if country else None


def _other_language_question(documents: list[Document]) -> str | None:
    for doc in documents:
        ask = _IN_LANGUAGE.get(doc.language)
        title = " ".join(doc.title.split())
        if ask and title and doc.kind not in SOCIAL_KINDS:
            short = title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1] + "…"
            return ask(short)
    return None


def _most_common(values: Iterable[str]) -> str | None:
    counted = Counter(values).most_common(1)
    return counted[0][0] if counted else None


def _named(alpha3: str) -> str:
    """A country as a sentence names it: its common English name (CLDR: "Russia",
    "Taiwan"), with "the" where English puts one ("the United States")."""
    name = country_name_in(alpha3, "en")
    return f"the {name}" if name.startswith(_WITH_THE) or name in _PLURAL else name
