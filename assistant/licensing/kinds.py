"""The labels Dragoman shows an analyst, each a promise that needs a measurement.

A label kind names one label (``stance.opposes``), what it promises, what it is a label of
(the subject whose records govern it: the model, the support judge, the sentiment head or
the rules), and the family whose threshold it must clear (settings, per family).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from assistant.core.errors import InputError

Subject = Literal["model", "judge", "sentiment", "rules"]


@dataclass(frozen=True)
class LabelKind:
    name: str
    promise: str  # what the analyst takes the label to mean
    subject: Subject

    @property
    def family(self) -> str:
        return self.name.split(".", 1)[0]


_KINDS = (
    LabelKind("stance.supports", "the speaker supports the topic", "model"),
    LabelKind("stance.opposes", "the speaker opposes the topic", "model"),
    LabelKind("stance.neutral", "the speaker takes no side on the topic", "model"),
    LabelKind("stance.mixed", "the speaker both supports and opposes the topic", "model"),
    LabelKind("sentiment.negative", "the text is negative", "sentiment"),
    LabelKind("sentiment.neutral", "the text is neutral", "sentiment"),
    LabelKind("sentiment.positive", "the text is positive", "sentiment"),
    LabelKind("answer.answered", "the answer answers the question from the right source", "model"),
    LabelKind("answer.verified", "a verified sentence is true of its source", "judge"),
    LabelKind("judge.fact", "the judge agrees with a human reader on which claims hold", "judge"),
    LabelKind("translation.fidelity", "a translation shown keeps the source's facts", "rules"),
    LabelKind("language.purity", "a translation is written in the language asked", "model"),
    LabelKind("topic.relevance", "'does not address the topic' is true of the speech", "model"),
)
LABEL_KINDS: dict[str, LabelKind] = {k.name: k for k in _KINDS}
FAMILIES = tuple(dict.fromkeys(k.family for k in _KINDS))
STANCE_KINDS = {
    "supports": "stance.supports",
    "opposes": "stance.opposes",
    "neutral": "stance.neutral",
    "mixed": "stance.mixed",
}
SENTIMENT_KINDS = ("sentiment.negative", "sentiment.neutral", "sentiment.positive")


def label_kind(name: str) -> LabelKind:
    try:
        return LABEL_KINDS[name]
    except KeyError:
        raise InputError(
            f"no label kind {name!r}", fix="one of " + ", ".join(LABEL_KINDS)
        ) from None


def kinds_named(names: list[str] | None) -> list[LabelKind]:
    """Kinds by name or family (``stance`` is its three sides); all when ``names`` is empty."""
    if not names:
        return list(_KINDS)
    chosen: dict[str, LabelKind] = {}
    for name in names:
        family = [k for k in _KINDS if k.family == name]
        for kind in family or [label_kind(name)]:
            chosen[kind.name] = kind
    return list(chosen.values())


_SENTIMENT = ("sentiment.negative", "sentiment.neutral", "sentiment.positive")
_STANCE = ("stance.supports", "stance.opposes", "stance.neutral", "stance.mixed")
TRANSLATION_KINDS = ("translation.fidelity", "language.purity")
_TRANSLATION = TRANSLATION_KINDS
# Every field of an output contract that shows the analyst a label, and the label kinds
# whose records govern it (tests/unit/test_labels.py fails on a label field not here).
GOVERNED_FIELDS: dict[str, tuple[str, ...]] = {
    "AnswerOut.answer_status": ("answer.answered", "topic.relevance"),
    "SentenceOut.supported": ("answer.verified",),
    "SentenceOut.support_score": ("answer.verified",),
    "SearchedOut.addressing": ("topic.relevance",),
    "QuoteOut.translation": _TRANSLATION,
    "QuoteOut.translation_note": _TRANSLATION,
    "QuoteOut.translation_withheld": _TRANSLATION,
    "PositionOut.stance": _STANCE,
    "PositionOut.model_stance": _STANCE,
    "PositionOut.summary_supported": ("judge.fact",),
    "PositionOut.summary_score": ("judge.fact",),
    "PostSentenceOut.supported": ("answer.verified",),
    "PostSentenceOut.score": ("answer.verified",),
    "StorySentenceOut.support_score": ("answer.verified",),
    "ContentOut.flags": ("translation.fidelity",),
    "FlagOut.severity": ("translation.fidelity",),
    "AlertOut.signal": ("sentiment.negative",),
    "PointOut.sentiment": _SENTIMENT,
    "PointOut.negative_share": ("sentiment.negative",),
    "TotalsOut.sentiment": _SENTIMENT,
    "TotalsOut.negative_share": ("sentiment.negative",),
    "ForecastOut.sentiment": _SENTIMENT,
    "CountryVolumeOut.sentiment": _SENTIMENT,
    "CountryVolumeOut.negative_share": ("sentiment.negative",),
    "LanguageSentimentOut.sentiment": _SENTIMENT,
    "LanguageSentimentOut.negative_share": ("sentiment.negative",),
}
# Fields whose names look like labels but are not a model's or a rule's reading.
NOT_LABELS: dict[str, str] = {
    "QuoteOut.verified": "found again word for word in the document: an exact match",
    "LanguageSentimentOut.licensed": "the licence itself",
    "LanguageSentimentOut.licence": "the licence itself",
    "AnswerOut.licences": "the licences themselves",
    "PositionsOut.licences": "the licences themselves",
    "AlertOut.licences": "the licences themselves",
    "BriefOut.licences": "the licences themselves",
    "BriefingEntryOut.licences": "the licences themselves",
    "ContentOut.licences": "the licences themselves",
    "LicencesOut.licences": "the licences themselves",
    "LicenceOut.status": "the licence itself",
    "CalibrationStateOut.status": "a background job's state",
    "BriefingJobOut.status": "a background job's state",
    "CollectSourceOut.status": "a collection pass's outcome",
    "SourceOut.status": "a source's state, set by an administrator",
    "UploadResultOut.status": "an upload's outcome",
    "DraftSummaryOut.status": "a draft's place in the approval workflow",
    "GeneratedDraftOut.status": "a draft's place in the approval workflow",
    "ChipOut.label": "the name of a filter the analyst can remove",
    "PlatformOut.label": "a platform's name",
}
