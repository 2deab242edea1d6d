"""Where the sources disagree on a checkable fact: the same statement, other figures.

Two sentences from different documents disagree when they say the same thing but:
- each holds a number the other does not, counting the same thing (the same unit after
  it: "70 seats" / "170 seats", "1361万" / "161万"), in the same years, while most of their
  content words, and enough of them, are shared; or
- they are the same sentence but for one short span, a name, a place, a team, swapped for
  another: "the final was won by Chelsea" against "… by Bayern Munich" (copies of one
  report that differ in a fact).
The reader is shown both sides with their sources rather than a silent choice. Two
differently worded sentences that differ in a name are not compared: that needs a model.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from assistant.grounding.copies import swapped_span
from assistant.grounding.stages import Passage
from assistant.grounding.support import content_terms
from retrieval.chunking import sentence_spans
from retrieval.search import SearchResult

MIN_SHARED_TERMS = 4  # content terms two sentences share before they count as one statement
MIN_OVERLAP = 0.6  # shared terms over the smaller sentence's terms
MAX_DISAGREEMENTS = 3
MAX_VALUES = 2  # numbers one side holds that the other lacks: more is another statement
_DIGITS = re.compile(r"\d")


@dataclass
class Side:
    """One version of the fact: its value(s) and the passages that state it."""

    value: str
    citations: list[int]  # the numbered passages stating it (none: found, not given)
    sentence: str
    doc_ids: list[str] = field(default_factory=list)


@dataclass
class Disagreement:
    """A statement the sources make with different figures."""

    sides: list[Side] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {"sides": [{"value": s.value, "citations": s.citations, "sentence": s.sentence,
                           "doc_ids": s.doc_ids} for s in self.sides]}  # fmt: skip


@dataclass(frozen=True)
class _Statement:
    n: int  # the passage's number
    doc_id: str
    text: str
    terms: frozenset[str]
    numbers: frozenset[str]  # figures other than years, each with the unit that follows it
    years: frozenset[str]


_YEAR = re.compile(r"(?:18|19|20)\d\d")
# a figure: an optional currency sign, the number, the word after it (its unit) and, where
# that word is only a magnitude, the word after that ("8 million people", "$300 million in")
_FIGURE = re.compile(r"([$€£¥₹])?\s?(\d+(?:[.,]\d+)*)\s*(%|‰|℃|[^\W\d_]+)?(?:[ \t]+([^\W\d_]+))?")
_MAGNITUDES = frozenset({"thousand", "thousands", "million", "millions", "billion",
                         "billions", "trillion", "trillions", "mn", "bn"})  # fmt: skip
UNIT_CHARS = 2  # a unit compared by its first characters ("seats", "seat"; "万人", "万")


def _figures(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """(figures as ``value unit``, years) in ``text``; leading zeros dropped (04 = 4); the
    unit carries the currency sign and, after a magnitude, what is counted, so "$300
    million in funding" and "193 million people" are not counted in the same unit."""
    figures, years = set(), set()
    for currency, value, unit, following in _FIGURE.findall(unicodedata.normalize("NFKC", text)):
        value = value.replace(",", "") if re.fullmatch(r"\d{1,3}(?:,\d{3})+", value) else value
        value = value.lstrip("0") or "0"
        if _YEAR.fullmatch(value) and not currency:
            years.add(value)
        elif unit:
            counted = following if unit.casefold() in _MAGNITUDES else ""
            label = f"{currency}{unit[:UNIT_CHARS]} {counted[:UNIT_CHARS]}".strip().casefold()
            figures.add(f"{value} {label}")
    return frozenset(figures), frozenset(years)


def _statements(passages: list[Passage]) -> list[_Statement]:
    found = []
    for passage in passages:
        for start, end in sentence_spans(passage.quote):
            text = passage.quote[start:end].strip()
            numbers, years = _figures(text)
            terms = frozenset(t for t in content_terms(text) if not _DIGITS.search(t))
            found.append(_Statement(passage.n, passage.doc_id, text, terms, numbers, years))
    return found


def _same_statement(a: _Statement, b: _Statement) -> bool:
    shared = len(a.terms & b.terms)
    smaller = min(len(a.terms), len(b.terms)) or 1
    return shared >= MIN_SHARED_TERMS and shared / smaller >= MIN_OVERLAP


def find_disagreements(
    passages: list[Passage], limit: int = MAX_DISAGREEMENTS
) -> list[Disagreement]:
    """Statements that passages of different documents make with different numbers (at
    most ``limit``, the first found first); each side lists every passage stating it."""
    disagreements: list[Disagreement] = []
    for a, b in itertools.combinations(_statements(passages), 2):
        if a.doc_id == b.doc_id or not _same_statement(a, b):
            continue
        only_a = only_b = frozenset[str]()
        if not (a.years and b.years and a.years != b.years):  # else: another event, unless
            only_a = _differing(a.numbers, b.numbers)  # it is the same sentence (below)
            only_b = _differing(b.numbers, a.numbers)
        if not 0 < len(only_a) <= MAX_VALUES or not 0 < len(only_b) <= MAX_VALUES:
            swapped = swapped_span(a.text, b.text)
            if swapped is None:
                continue
            only_a, only_b = frozenset({swapped[0]}), frozenset({swapped[1]})
        disagreements.append(Disagreement([_side(a, only_a), _side(b, only_b)]))
    return _merged(disagreements)[:limit]


def disagreements_in(shown: list[Passage], found: Sequence[SearchResult]) -> list[Disagreement]:
    """Disagreements among the passages shown (numbered) and every other chunk the search
    found (unnumbered: compression keeps one of two near-identical reports, and the reader
    must still learn that another source says otherwise)."""
    kept = {p.chunk_id for p in shown}
    others = [_unnumbered(r) for r in found if r.chunk_id not in kept]
    left_out = [rest for p in shown if (rest := _left_out(p)) is not None]
    return find_disagreements([*shown, *left_out, *others])


def _left_out(passage: Passage) -> Passage | None:
    """The sentences of a shown passage's chunk that compression did not quote, unnumbered
    (the quote is what [n] cites): "增长6.1%" quoted and "增长10.1%" left out of the same
    chunk's neighbour is still a disagreement the reader must see."""
    text = passage.chunk_text
    rest = [text[start:end].strip() for start, end in sentence_spans(text)]
    rest = [sentence for sentence in rest if sentence and sentence not in passage.quote]
    if not rest:
        return None
    return replace(passage, n=0, quote="\n".join(rest), spans=[])


def _unnumbered(result: SearchResult) -> Passage:
    return Passage(
        n=0, doc_id=result.doc_id, chunk_id=result.chunk_id, title=result.title, url=result.url,
        published_at=result.published_at, language=result.language, source=result.source,
        kind=result.kind, retrieval_score=result.score, quote=result.text,
        spans=[(result.start, result.end)], chunk_text=result.text,
    )  # fmt: skip


def _differing(mine: frozenset[str], theirs: frozenset[str]) -> frozenset[str]:
    """My figures the other lacks, in a unit the other also counts in, as bare values."""
    units = {f.split(" ", 1)[1] for f in theirs - mine}
    return frozenset(f.split(" ", 1)[0] for f in mine - theirs if f.split(" ", 1)[1] in units)


def _side(statement: _Statement, values: frozenset[str]) -> Side:
    cited = [statement.n] if statement.n > 0 else []
    return Side(", ".join(sorted(values)), cited, statement.text, [statement.doc_id])


def _merged(disagreements: list[Disagreement]) -> list[Disagreement]:
    """Pairs with the same two values become one disagreement citing every passage."""
    merged: dict[frozenset[str], Disagreement] = {}
    for disagreement in disagreements:
        key = frozenset(side.value for side in disagreement.sides)
        if key not in merged:
            merged[key] = disagreement
            continue
        for side in disagreement.sides:
            same = next(s for s in merged[key].sides if s.value == side.value)
            same.citations = sorted(set(same.citations) | set(side.citations))
            same.doc_ids = list(dict.fromkeys(same.doc_ids + side.doc_ids))
    return list(merged.values())
