"""Stage 4 of a briefing: one rendition per output language, from the same analysis.

Only what is not already in the target language is translated (headlines, summary
sentences, quotes, forthcoming events), one model call per story.  A translated summary
sentence keeps the citations of the sentence it translates and is verified again
against those passages (across languages where they differ) and checked by rule against
the sentence it translates (``grounding.faithful``: 1256万 is not "1256 million",
unemployment is not employment, every sentence in the target language); one that fails,
or a headline that loses a number or country, is shown in its original language instead,
marked untranslated.  Quotes keep their original words, with the translation beside.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.briefing.model import (
    Analysis,
    Quote,
    RenderedQuote,
    RenderedSentence,
    RenderedStory,
    Rendition,
    Sentence,
    Story,
    WatchItem,
)
from assistant.core.errors import LLMOutputError
from assistant.grounding.faithful import translation_problems
from assistant.grounding.generation import language_name, looping, structured, translation_schema
from assistant.grounding.passages import in_language
from assistant.grounding.support import hard_check_failures
from assistant.grounding.turns import run_now
from assistant.grounding.verify import SupportJudge, support_score
from assistant.llm.client import LLM
from prompts import render

LANGUAGES = ("en", "zh", "fr", "es", "ru", "ar")


@dataclass
class Translator:
    llm: LLM
    judge: SupportJudge
    threshold: float
    analysis: Analysis
    turn: Any = run_now

    def rendition(self, language: str) -> Rendition:
        stories = [self._story(story, language) for story in self.analysis.stories]
        foreign = [w for w in self.analysis.watch if w.language != language]
        translations = dict(
            zip(map(id, foreign), self._translate([w.text for w in foreign], language), strict=True)
        )
        watch = [_quote(w, translations, language, None) for w in self.analysis.watch]
        untranslated = sum(not s.translated for story in stories for s in story.sentences)
        return Rendition(language, stories, watch, untranslated)

    def _story(self, story: Story, language: str) -> RenderedStory:
        headline_foreign = story.headline_language != language
        pending: list[Any] = [s for s in story.sentences if s.language != language]
        pending += [q for q in story.quotes if q.language != language]
        items = ([story.headline] if headline_foreign else []) + [x.text for x in pending]
        texts = self._translate(items, language)
        headline = story.headline
        if headline_foreign:
            headline = _faithful(texts.pop(0), story.headline, language) or story.headline
        translated = dict(zip(map(id, pending), texts, strict=True))
        sentences = [
            self._checked(s, translated.get(id(s)), language)
            if s.language != language
            else RenderedSentence(s.text, s.citations, True)
            for s in story.sentences
        ]
        quotes = [_quote(q, translated, language, q.source) for q in story.quotes]
        return RenderedStory(headline, sentences, quotes)

    def _checked(
        self, original: Sentence, translated: str | None, language: str
    ) -> RenderedSentence:
        """The translation if the cited passages support it; the original otherwise."""
        cited = [self.analysis.passages[n - 1] for n in original.citations]
        evidence = "\n".join(f"{p.title}\n{p.quote}" for p in cited)
        same = all(p.language == language for p in cited)
        if (
            translated
            and in_language(translated, language)
            and not translation_problems(translated, original.text, language, original.language)
            and support_score(translated, evidence, same, self.judge) >= self.threshold
        ):
            return RenderedSentence(translated, original.citations, True)
        return RenderedSentence(original.text, original.citations, False)

    def _translate(self, items: list[str], language: str) -> list[str | None]:
        """Translations of ``items`` in order; None where the model's output is unusable."""
        if not items:
            return []
        schema = translation_schema(items)
        user = render("brief_translate_user.j2", items=items, language_name=language_name(language))
        budget = sum(len(i) for i in items) * 2 + 60
        try:
            generation = structured(self.llm, self.turn, user, schema=schema, max_tokens=budget,
                                    system_template="brief_translate_system.j2")  # fmt: skip
        except LLMOutputError:
            return [None for _ in items]
        texts = [str(generation.data[str(i)]).strip() for i in range(1, len(items) + 1)]
        return [t if t and not looping(t) else None for t in texts]


def _quote(
    quote: Quote | WatchItem, translated: dict[int, str | None], language: str, source: str | None
) -> RenderedQuote:
    """A quotation kept in its own words, with its translation where one is faithful."""
    translation = _faithful(translated.get(id(quote)), quote.text, language)
    return RenderedQuote(quote.text, quote.language, translation, quote.citation, source)


def _faithful(translation: str | None, original: str, language: str) -> str | None:
    """The translation if it is in the target language and keeps the original's facts
    (numbers with their magnitude, dates, countries, names, addresses, listed claim words:
    ``grounding.faithful``); None otherwise."""
    if translation is None or not in_language(translation, language):
        return None
    if hard_check_failures(translation, original, False):
        return None
    return None if translation_problems(translation, original, language) else translation
