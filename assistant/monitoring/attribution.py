"""Sentiment *toward* countries: each clause is scored on its own and counts only for the
countries it names, so "A's aid was generous, but B's blockade is cruel" gives A a positive
and B a negative score.

Units are sentences split further at contrastive conjunctions and semicolons (in the
languages the classifier covers), because one sentence often praises one country and
attacks another.  A country's score is the mean over the units that name it; a document's
own score is the mean over its scored units (or its opening when no country is named).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np

from assistant.monitoring.sentiment import LABELS, Sentiment, SentimentClassifier
from corpus.countries import countries_in
from retrieval.chunking import sentence_spans

MAX_UNITS = 24  # per document: the first clauses that name a country
OPENING_CHARS = 600
_CONTRAST = re.compile(
    r"[;；]"
    r"|\s+(?=(?:but|while|whereas|however|yet|although|though|unlike|"
    r"mais|alors que|tandis que|cependant|pourtant|"
    r"pero|mientras|sin embargo|aunque|en cambio|"
    r"aber|während|jedoch|doch|obwohl|"
    r"ma|mentre|invece|però|"
    r"mas|enquanto|porém|contudo|"
    r"но|а|однако|тогда как|"
    r"لكن|بينما)\b)"
    r"|(?=但是|但|然而|而是|却|可是|不过|反观|相比之下)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Unit:
    start: int
    end: int
    countries: tuple[str, ...]


@dataclass
class Attribution:
    """A document's sentiment, and its sentiment toward each country it names."""

    document: Sentiment
    countries: dict[str, Sentiment] = field(default_factory=dict)
    units: list[tuple[Unit, Sentiment]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "document": self.document.to_dict(),
            "countries": {code: s.to_dict() for code, s in self.countries.items()},
            "units": [
                {"start": u.start, "end": u.end, "countries": list(u.countries), **s.to_dict()}
                for u, s in self.units
            ],
        }


def clause_spans(text: str) -> list[tuple[int, int]]:
    """Sentences, each cut at contrastive conjunctions and semicolons (trimmed spans)."""
    spans = []
    for start, end in sentence_spans(text):
        cursor = start
        for match in _CONTRAST.finditer(text, start, end):
            if match.start() > cursor:
                spans.append((cursor, match.start()))
            cursor = max(cursor, match.end())
        spans.append((cursor, end))
    return [_trim(text, s, e) for s, e in spans if text[s:e].strip(" \t\n，,;；:：")]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    piece = text[start:end]
    left = len(piece) - len(piece.lstrip(" \t\n，,;；:："))
    right = len(piece.rstrip())
    return start + left, start + max(right, left + 1)


_COMMA = re.compile(r"[,，、]\s*")
MIN_PIECE = 12  # characters: a comma split is kept only when every piece says something


def _comma_pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A clause naming several countries, cut at commas when every piece that names a
    country is a phrase of its own ("A's aid was generous, B's blockade cruel"); a
    list of names ("A, B and C condemned ...") stays whole."""
    cuts = [start] + [m.end() for m in _COMMA.finditer(text, start, end)] + [end]
    pieces: list[tuple[int, int]] = []
    for left, right in pairwise(cuts):
        if pieces and not countries_in(text[left:right]):
            pieces[-1] = (pieces[-1][0], right)  # a piece naming no one joins the previous
        else:
            pieces.append((left, right))
    if len(pieces) < 2 or any(len(text[a:b].strip()) < MIN_PIECE for a, b in pieces):
        return [(start, end)]
    return [_trim(text, a, b) for a, b in pieces]


def country_units(text: str, limit: int = MAX_UNITS) -> list[Unit]:
    """The first ``limit`` clauses that name a country, with the countries they name.

    A clause that names none ("but its economy ...") inherits nothing: only explicit
    mentions count.
    """
    units = []
    for start, end in clause_spans(text):
        named = tuple(countries_in(text[start:end]))
        spans = _comma_pieces(text, start, end) if len(named) > 1 else [(start, end)]
        for left, right in spans:
            here = named if len(spans) == 1 else tuple(countries_in(text[left:right]))
            if here:
                units.append(Unit(left, right, here))
        if len(units) >= limit:
            break
    return units[:limit]


def _mean(sentiments: list[Sentiment]) -> Sentiment:
    probs = np.mean([[s.negative, s.neutral, s.positive] for s in sentiments], axis=0)
    return Sentiment(*map(float, probs))


class Attributor:
    """Scores documents with one classifier."""

    def __init__(self, classifier: SentimentClassifier) -> None:
        self.classifier = classifier

    def attribute_many(self, texts: list[str]) -> list[Attribution]:
        """One :class:`Attribution` per text; all units embedded in one batch."""
        plans = [country_units(t) for t in texts]
        pieces: list[str] = []
        for text, units in zip(texts, plans, strict=True):
            pieces.extend(text[u.start : u.end] for u in units)
            if not units:
                pieces.append(text[:OPENING_CHARS])
        scored = iter(self.classifier.classify(pieces))
        return [self._collect(units, scored) for units in plans]

    def attribute(self, text: str) -> Attribution:
        return self.attribute_many([text])[0]

    @staticmethod
    def _collect(units: list[Unit], scored: Any) -> Attribution:
        if not units:
            return Attribution(document=next(scored))
        pairs = [(u, next(scored)) for u in units]
        per_country: dict[str, list[Sentiment]] = {}
        for unit, sentiment in pairs:
            for code in unit.countries:
                per_country.setdefault(code, []).append(sentiment)
        return Attribution(
            document=_mean([s for _, s in pairs]),
            countries={code: _mean(found) for code, found in per_country.items()},
            units=pairs,
        )


__all__ = ["LABELS", "Attribution", "Attributor", "Unit", "clause_spans", "country_units"]
