"""Drafting an official post: sources → message → verified → translated → fitted → flagged.

Stage by stage:

1. **sources** (:mod:`assistant.drafting.sources`): numbered public passages.
2. **message**: the model writes 1–4 sentences in the first language, each citing the
   passages that state its facts, and hashtag words (constrained JSON on the embedded
   backends), within a character budget derived from the platform's limit.
3. **verification**: every sentence against its passages (:mod:`assistant.drafting.checks`).
4. **variants**: the same sentences translated into each other language in one call per
   language, each translation checked against the same passages.
5. **fitting** (:mod:`assistant.drafting.fitting`): hard limit checks after generation.
   A first-language message over the limit is written again once, shorter; what is still
   over is trimmed (hashtags, then sentences from the end, then a cut) — never exceeded.
6. **flags**: limits, sensitive terms, mentions, unsupported sentences, shortened variants.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from assistant.core.errors import LLMOutputError
from assistant.drafting.checks import Verifier, assess, stored_passage
from assistant.drafting.fitting import Fitted, fit_post, fit_thread
from assistant.drafting.model import TONES, DraftContent, DraftRequest, PostSentence, Variant
from assistant.drafting.platforms import Platform, format_hashtag
from assistant.drafting.sensitive import SensitiveTerms
from assistant.grounding.generation import (
    language_name,
    looping,
    repeats,
    structured,
    translation_schema,
)
from assistant.grounding.injection import prompt_sources
from assistant.grounding.turns import run_now
from assistant.llm.client import LLM
from prompts import render

MAX_SENTENCES = 4
MAX_SENTENCE_CHARS = 400
MAX_TRANSLATION_GROWTH = 0.85  # leave room: French or Spanish run ~15 % longer than English
_WIDE = ("zh", "ja")
_TERMINAL = '.!?。！？…"”’»)）」'
Progress = Callable[[str], None]


def char_budget(profile: Platform, language: str, weighted: int) -> int:
    """How many characters of ``language`` make ``weighted`` units on the platform."""
    if language in _WIDE and profile.counting == "twitter-text":
        return weighted // 2
    if language not in _WIDE and profile.counting == "weibo":
        return weighted * 2
    return weighted


def message_schema(passages: int, max_hashtags: int) -> dict[str, Any]:
    """Cited sentences (a sentence may cite nothing: it is then flagged) and hashtags.

    The length of the whole is asked for in the prompt and enforced by fitting: a bound on
    each sentence tight enough to enforce it would make a constrained model stop mid-word."""
    sentence = {
        "type": "object",
        "properties": {
            "text": {"type": "string", "minLength": 2, "maxLength": MAX_SENTENCE_CHARS},
            "citations": {
                "type": "array",
                "maxItems": 3,
                "items": {"type": "integer", "enum": list(range(1, passages + 1))},
            },
        },
        "required": ["text", "citations"],
    }
    tags = {
        "type": "array",
        "maxItems": max_hashtags,
        "items": {"type": "string", "minLength": 2, "maxLength": 40},
    }
    return {
        "type": "object",
        "properties": {
            "sentences": {
                "type": "array",
                "items": sentence,
                "minItems": 1,
                "maxItems": MAX_SENTENCES,
            },
            "hashtags": tags,
        },
        "required": ["sentences", "hashtags"],
    }


@dataclass
class Composer:
    """Writes the variants of one draft from its passages."""

    llm: LLM
    verifier: Verifier
    profile: Platform
    request: DraftRequest
    turn: Any = run_now  # runs one model call (in the server: in the generation queue)

    def compose(self, terms: SensitiveTerms, progress: Progress) -> DraftContent:
        primary = self.request.languages[0]
        stages: dict[str, Any] = {"generations": []}
        progress(f"writing the {language_name(primary)} message")
        first = self._message(primary, stages)
        variants = {primary: first}
        for language in self.request.languages[1:]:
            progress(f"translating into {language_name(language)}")
            variants[language] = self._translated(first, language, stages)
        content = DraftContent(
            platform=self.profile.name,
            languages=list(self.request.languages),
            tone=self.request.tone,
            instruction=self.request.instruction,
            thread=self.request.thread,
            variants=variants,
            passages=[stored_passage(p) for p in self.verifier.passages],
            flags=[],
            origin="generated",
            backend=self.llm.backend,
            model=self.llm.model,
            stages=stages,
        )
        content.flags = assess(content, self.profile, terms)
        return content

    def _budget(self, language: str) -> int:
        weighted = self.profile.target
        if self.request.thread and self.profile.threads:
            weighted = min(self.profile.limit * 3, self.profile.limit * self.profile.max_posts)
        if any(code not in _WIDE for code in self.request.languages[1:]):
            weighted = int(weighted * MAX_TRANSLATION_GROWTH)
        reserve = 30 if self.profile.max_hashtags else 0
        return max(60, char_budget(self.profile, language, weighted - reserve))

    def _message(self, language: str, stages: dict[str, Any]) -> Variant:
        budget = self._budget(language)
        variant = None
        for attempt in range(2):  # a message over the limit is written once more, shorter
            sentences, tags = self._write(language, budget, stages)
            variant = self._fitted(language, sentences, tags, translated=False)
            if not (variant.dropped or variant.truncated):
                return variant
            length = sum(len(s.text) for s in sentences)
            budget = max(40, int(budget * 0.8 * min(1.0, budget / max(length, 1))))
            stages.setdefault("over_limit", []).append({"attempt": attempt + 1, "chars": length})
        assert variant is not None
        return variant

    def _write(
        self, language: str, budget: int, stages: dict[str, Any]
    ) -> tuple[list[PostSentence], list[str]]:
        passages = self.verifier.passages
        user = render(
            "draft_user.j2",
            sources=prompt_sources(vars(p) for p in passages),
            platform=self.profile.label,
            language_name=language_name(language),
            tone=TONES[self.request.tone],
            instruction=self.request.instruction,
            max_sentences=MAX_SENTENCES,
            max_chars=budget,
            max_hashtags=self.profile.max_hashtags,
        )
        schema = message_schema(len(passages), self.profile.max_hashtags)
        try:
            generation = structured(self.llm, self.turn, user, schema=schema, max_tokens=600,
                                    system_template="draft_system.j2")  # fmt: skip
        except LLMOutputError as exc:
            raise LLMOutputError(
                f"the model's draft was unusable: {exc}", fix="try again, or another --backend"
            ) from exc
        stages["generations"].append(
            {
                "language": language,
                "budget": budget,
                "raw": generation.text,
                "seconds": generation.seconds,
            }
        )
        data = generation.data
        sentences: list[PostSentence] = []
        for item in data["sentences"]:
            text = item["text"].strip()
            if not text or any(repeats(text, s.text) for s in sentences):
                continue  # a small model may say the same thing twice
            citations = list(dict.fromkeys(item["citations"]))
            sentences.append(self.verifier.sentence(text, citations, language))
        if not sentences:
            raise LLMOutputError("the model wrote no sentence", fix="rephrase the instruction")
        return sentences, [str(t) for t in data["hashtags"]]

    def _translated(self, first: Variant, language: str, stages: dict[str, Any]) -> Variant:
        items = [{"text": s.text, "hashtag": False} for s in first.sentences]
        items += [{"text": t.strip("#"), "hashtag": True} for t in first.hashtags]
        texts = self._translate(items, language, stages)
        sentences = [
            self.verifier.translation(texts[i], s, i + 1, language)
            for i, s in enumerate(first.sentences)
        ]
        tags = [t for t in texts[len(first.sentences) :] if t]
        return self._fitted(language, sentences, tags, translated=True)

    def _translate(
        self, items: list[dict[str, Any]], language: str, stages: dict[str, Any]
    ) -> list[str | None]:
        user = render("draft_translate_user.j2", items=items, language_name=language_name(language))
        schema = translation_schema([i["text"] for i in items])
        try:
            budget = sum(len(i["text"]) for i in items) * 2 + 80
            generation = structured(self.llm, self.turn, user, schema=schema, max_tokens=budget,
                                    system_template="draft_translate_system.j2")  # fmt: skip
        except LLMOutputError as exc:
            stages["generations"].append({"language": language, "error": str(exc)})
            return [None for _ in items]
        stages["generations"].append(
            {"language": language, "raw": generation.text, "seconds": generation.seconds}
        )
        texts = [str(generation.data[str(i)]).strip() for i in range(1, len(items) + 1)]
        return [t if t and not looping(t) else None for t in texts]

    def _fitted(
        self, language: str, sentences: list[PostSentence], tags: list[str], *, translated: bool
    ) -> Variant:
        sentences = [replace(s, text=punctuated(s.text, language)) for s in sentences]
        hashtags = [h for t in tags if (h := format_hashtag(t, self.profile))]
        hashtags = list(dict.fromkeys(hashtags))[: self.profile.max_hashtags]
        fit = fit_thread if self.request.thread else fit_post
        fitted: Fitted = fit(self.profile, language, [s.text for s in sentences], hashtags)
        shown = [s for i, s in enumerate(sentences) if i in fitted.sentences_kept]
        if fitted.truncated:
            cut = sentences[0]  # a cut sentence states less than the sentence verified
            shown = [
                PostSentence(
                    fitted.posts[0],
                    cut.citations,
                    cut.supported,
                    cut.score,
                    cut.reasons,
                    cut.source,
                )
            ]
        return Variant(
            language=language,
            posts=fitted.posts,
            sentences=shown,
            hashtags=fitted.hashtags_kept,
            lengths=[self.profile.count(p) for p in fitted.posts],
            translated=translated,
            truncated=fitted.truncated,
            dropped=fitted.dropped,
        )


def punctuated(sentence: str, language: str) -> str:
    """The sentence ending as a sentence does (small models often leave the stop out)."""
    text = sentence.rstrip()
    if not text or text[-1] in _TERMINAL:
        return text
    return text + ("。" if language in _WIDE else ".")
