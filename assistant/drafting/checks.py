"""The checks every version of a draft goes through, generated or edited by hand.

Facts: each sentence is verified against the passages it cites with the grounded-answers
verifier (a sentence typed by a person is matched to the passage that supports it best).
Translations: checked against the same passages, in the target language, keeping the
original's numbers and countries.  Then per variant: the platform's limit (hard), the
sensitive-terms list, mentions that are not valid handles, sentences that did not fit.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from assistant.drafting.model import (
    BLOCK,
    RESOLVE,
    WARN,
    DraftContent,
    Flag,
    PostSentence,
    Variant,
)
from assistant.drafting.platforms import Platform, invalid_mentions
from assistant.drafting.sensitive import SensitiveTerms
from assistant.grounding.fidelity import TRANSLATION, fidelity_losses
from assistant.grounding.generation import language_name
from assistant.grounding.passages import in_language
from assistant.grounding.purity import impurities
from assistant.grounding.stages import DraftSentence, Passage
from assistant.grounding.support import hard_check_failures
from assistant.grounding.verify import SupportJudge, support_score, verify_sentence
from retrieval.chunking import sentence_spans

_NUMBERING = re.compile(r"\s*[(（]\d{1,2}/\d{1,2}[)）]\s*$")
_HASHTAGS_LINE = re.compile(r"\n\s*((?:#\S+\s*)+)$")
_HASHTAG = re.compile(r"#[^\s#]+#|#[^\s#]+")
UNSUPPORTED_ORIGINAL = "translates a sentence the sources do not support"


@dataclass
class Verifier:
    """Checks sentences against a draft's passages."""

    passages: list[Passage]
    judge: SupportJudge
    threshold: float

    def __post_init__(self) -> None:
        self.by_number = {p.n: p for p in self.passages}

    def sentence(self, text: str, citations: list[int], language: str) -> PostSentence:
        """Verify one sentence; with no (valid) citation, against the passage that
        supports it best."""
        known = [n for n in citations if n in self.by_number]
        if not known:
            known = self._best(text, language)
        verdict = verify_sentence(
            DraftSentence(text, known),
            self.by_number,
            language=language,
            judge=self.judge,
            threshold=self.threshold,
        )
        return PostSentence(
            text,
            verdict.citations,
            verdict.supported,
            round(verdict.support_score, 3),
            verdict.reasons,
        )

    def _best(self, text: str, language: str) -> list[int]:
        if not self.passages:
            return []
        scores = {
            p.n: support_score(text, f"{p.title}\n{p.quote}", p.language == language, self.judge)
            for p in self.passages
        }
        return [max(scores, key=lambda n: scores[n])]

    def translation(
        self, text: str | None, original: PostSentence, index: int, language: str
    ) -> PostSentence:
        """A translated sentence: in the target language, faithful to the original, and
        supported by the passages the original cites."""
        if text is None:
            return PostSentence(
                original.text,
                original.citations,
                False,
                0.0,
                ["no usable translation: the original is shown"],
                index,
            )
        reasons = [] if in_language(text, language) else [f"not written in {language}"]
        reasons += [f"translation: {r}" for r in hard_check_failures(text, original.text, False)]
        faithful = support_score(text, original.text, False, self.judge)
        if faithful < self.threshold:  # checked against the first-language text itself
            reasons.append(f"translation does not say what the original says ({faithful:.2f})")
        cited = [self.by_number[n] for n in original.citations if n in self.by_number]
        score = 0.0
        if cited:
            evidence = "\n".join(f"{p.title}\n{p.quote}" for p in cited)
            same = all(p.language == language for p in cited)
            score = support_score(text, evidence, same, self.judge)
            if score < self.threshold:
                reasons.append(f"support score {score:.2f} below {self.threshold:.2f}")
        if not original.supported:
            reasons.append(UNSUPPORTED_ORIGINAL)
        supported = not reasons and bool(cited)
        return PostSentence(text, original.citations, supported, round(score, 3), reasons, index)


def stored_passage(passage: Passage) -> dict[str, Any]:
    """A passage as a version stores it: its citation record and the text verified against."""
    return {**passage.citation(), "kind": passage.kind, "chunk_text": passage.chunk_text}


def passages_of(content: DraftContent) -> list[Passage]:
    """The passages a stored version rests on, for verifying an edit."""
    return [
        Passage(
            n=p["n"],
            doc_id=p["doc_id"],
            chunk_id=p.get("chunk_id", ""),
            title=p["title"],
            url=p.get("url"),
            published_at=p.get("published_at"),
            language=p["language"],
            source=p.get("source"),
            kind=p.get("kind"),
            retrieval_score=0.0,
            quote=p["quote"],
            spans=[(s, e) for s, e in p.get("spans", [])],
            chunk_text=p.get("chunk_text") or p["quote"],
        )
        for p in content.passages
    ]


def split_post(text: str) -> tuple[str, list[str]]:
    """A post's body without its thread number, and the hashtags on its last line."""
    body = _NUMBERING.sub("", text.strip())
    tags: list[str] = []
    match = _HASHTAGS_LINE.search(body)
    if match:
        tags = _HASHTAG.findall(match.group(1))
        body = body[: match.start()].rstrip()
        body = _NUMBERING.sub("", body)
    return body, tags


def sentences_in(posts: list[str]) -> tuple[list[str], list[str]]:
    """The sentences and hashtags of a variant's posts, in order."""
    sentences: list[str] = []
    tags: list[str] = []
    for post in posts:
        body, found = split_post(post)
        sentences += [body[s:e] for s, e in sentence_spans(body)]
        tags += found
    return sentences, tags


def assess(content: DraftContent, profile: Platform, terms: SensitiveTerms) -> list[Flag]:
    """Every flag of a version, blocking ones first."""
    flags: list[Flag] = []
    if not content.passages:
        flags.append(Flag("no_sources", WARN, "the draft rests on no source passage"))
    for code, variant in content.variants.items():
        flags += _variant_flags(code, variant, profile, terms)
    flags += fidelity_flags(content)
    order = {BLOCK: 0, RESOLVE: 1, WARN: 2}
    return sorted(flags, key=lambda f: order.get(f.severity, 3))


def variant_body(variant: Variant) -> str:
    """A variant's sentences without thread numbers and hashtag lines."""
    return " ".join(sentences_in(variant.posts)[0])


def fidelity_flags(content: DraftContent) -> list[Flag]:
    """What each variant loses from the original (the first language's text, as approved in
    this version): numbers, dates, names, addresses, listed claim words, by rule; a
    sentence said twice; a sentence not in the variant's language.  Each is resolved by
    the approver one by one (an edit that removes it resolves it too)."""
    primary_code = content.languages[0]
    primary = content.variants.get(primary_code)
    flags: list[Flag] = []
    for code, variant in content.variants.items():
        sentences = sentences_in(variant.posts)[0]
        body = " ".join(sentences)
        for impurity in impurities(body, code):
            message = f"not in {language_name(code)}: “{impurity.sentence}” ({impurity.reason})"
            flags.append(_to_resolve("language", code, message, {"sentence": impurity.sentence}))
        seen: set[str] = set()
        for sentence in sentences:
            key = " ".join(sentence.split()).casefold()
            if key in seen:
                message = f"says one sentence twice: “{sentence}”"
                flags.append(_to_resolve("repeated", code, message, {"sentence": sentence}))
            seen.add(key)
        if code == primary_code or primary is None:
            continue
        missing = len(sentences_in(primary.posts)[0]) - len(sentences)
        if missing > 0:
            message = (
                f"has {missing} sentence(s) fewer than the {language_name(primary_code)} "
                "original: what they said is not in this variant"
            )
            flags.append(_to_resolve("fidelity", code, message, {"loss": "sentence"}))
        losses = fidelity_losses(
            body,
            variant_body(primary),
            TRANSLATION,
            hashtags=False,
            output_language=code,
            source_language=primary_code,
        )
        for loss in losses:
            message = f"against the {language_name(primary_code)} original: {loss.message}"
            detail = {"loss": loss.kind, "original": loss.source, "variant": loss.output}
            flags.append(_to_resolve("fidelity", code, message, detail))
    return flags


def _to_resolve(kind: str, code: str, message: str, detail: dict[str, Any]) -> Flag:
    digest = hashlib.sha256(message.encode("utf-8")).hexdigest()[:10]
    return Flag(kind, RESOLVE, message, code, detail, id=f"{kind}:{code}:{digest}")


def _variant_flags(
    code: str, variant: Variant, profile: Platform, terms: SensitiveTerms
) -> list[Flag]:
    flags: list[Flag] = []
    if not "".join(variant.posts).strip():
        flags.append(Flag("empty", BLOCK, "the post is empty", code))
    for i, post in enumerate(variant.posts, start=1):
        length = profile.count(post)
        if length > profile.limit:
            flags.append(
                Flag(
                    "over_limit",
                    BLOCK,
                    f"post {i} counts {length}, over {profile.label}'s {profile.limit}",
                    code,
                    {"post": i, "length": length, "limit": profile.limit},
                )
            )
    for hit in terms.check(variant.text):
        severity = BLOCK if hit.action == "block" else WARN
        flags.append(
            Flag("sensitive_term", severity, f"{hit.term!r}: {hit.note}", code, hit.to_dict())
        )
    for handle in invalid_mentions(variant.text, profile):
        flags.append(
            Flag("invalid_mention", WARN, f"{handle} is not a valid {profile.label} handle", code)
        )
    for i, sentence in enumerate(variant.sentences, start=1):
        if not sentence.supported:
            flags.append(_unsupported(code, i, sentence, variant.translated))
    if variant.dropped or variant.truncated:
        message = (
            "the message was shortened to fit: "
            f"{len(variant.dropped)} sentence(s) left out"
            + (", the last one cut" if variant.truncated else "")
        )
        flags.append(_to_resolve("shortened", code, message, {"dropped": variant.dropped}))
    return flags


def _unsupported(code: str, index: int, sentence: PostSentence, translated: bool) -> Flag:
    detail: dict[str, Any] = {"sentence": index, "text": sentence.text, "reasons": sentence.reasons}
    if translated and sentence.source is not None and UNSUPPORTED_ORIGINAL not in sentence.reasons:
        return Flag(
            "translation_unverified",
            WARN,
            f"sentence {index}: the translation could not be verified",
            code,
            detail,
        )
    return Flag(
        "unsupported",
        WARN,
        f"sentence {index} is not supported by the sources: "
        + "; ".join(sentence.reasons or ["no source states it"]),
        code,
        detail,
    )
