"""A sentence and a near copy of it: the one short span the two differ in.

Shared by the disagreement finder (two copies of one report that differ in a fact) and the
verifier's hard checks (an answer sentence that copies its source but for a span the source
does not hold: a fact swapped into a sentence that otherwise reads as the source's own).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

SAME_SENTENCE = 0.75  # difflib ratio of two copies of one sentence
MAX_SWAPPED_CHARS = 24  # the span swapped between the copies, on each side
MERGE_GAP = 2  # changes this few characters apart are one
_CONTENT = re.compile(r"[^\W_]")  # a letter or a digit: not a change of punctuation
_WORD_CHAR = re.compile(r"[\w'’-]")
_ZH_DIGITS = str.maketrans("〇零一二两三四五六七八九", "001223456789")
_ZH_TENS = re.compile(r"([一二两三四五六七八九])?十([一二三四五六七八九])?")
_NUMBER_WORDS = {
    word: str(value)
    for words in (
        "zero one two three four five six seven eight nine ten eleven twelve",
        "cero uno dos tres cuatro cinco seis siete ocho nueve diez once doce",
    )
    for value, word in enumerate(words.split())
} | {"una": "1", "un": "1"}
_NUMBER_WORD = re.compile(r"\b(?:" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)


def swapped_span(a: str, b: str) -> tuple[str, str] | None:
    """The one span two copies of a sentence differ in (whole words), if that is all:
    ``a``'s words and ``b``'s, each with content, neither longer than a short phrase. A
    number written in words in one and in digits in the other ("三米板" / "3米板") is the
    same fact, not a swap."""
    found = _swapped(a, b)
    if found is None or _swapped(numerals_as_digits(a), numerals_as_digits(b)) is None:
        return None
    return found


def numerals_as_digits(text: str) -> str:
    """Small numbers written in words (Chinese numerals up to 99, English and Spanish
    words up to twelve) as digits: the same figure however a report writes it."""
    text = _ZH_TENS.sub(_zh_tens, text).translate(_ZH_DIGITS)
    return _NUMBER_WORD.sub(lambda m: _NUMBER_WORDS[m.group(0).casefold()], text)


def _zh_tens(match: re.Match[str]) -> str:
    tens, units = match.group(1), match.group(2)
    value = 10 * (int(tens.translate(_ZH_DIGITS)) if tens else 1)
    return str(value + (int(units.translate(_ZH_DIGITS)) if units else 0))


def _swapped(a: str, b: str) -> tuple[str, str] | None:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < SAME_SENTENCE or matcher.ratio() < SAME_SENTENCE:
        return None
    changes = _changes(matcher.get_opcodes())
    if len(changes) != 1:
        return None
    i1, i2, j1, j2 = changes[0]
    i1, i2 = _whole_words(a, i1, i2)
    j1, j2 = _whole_words(b, j1, j2)
    left, right = a[i1:i2].strip(), b[j1:j2].strip()
    if not (_CONTENT.search(left) and _CONTENT.search(right)) or left == right:
        return None
    if max(len(left), len(right)) > MAX_SWAPPED_CHARS:
        return None
    return left, right


def _changes(opcodes: Sequence[tuple[str, int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """The spans two sentences differ in, where changes apart by a character or two are
    one ("布莱恩·辛格" / "史蒂文·斯皮尔伯格" share only the "·")."""
    spans: list[list[int]] = []
    gap = None
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            gap = i2 - i1
            continue
        if spans and gap is not None and gap <= MERGE_GAP:
            spans[-1][1], spans[-1][3] = i2, j2
        else:
            spans.append([i1, i2, j1, j2])
        gap = None
    return [(i1, i2, j1, j2) for i1, i2, j1, j2 in spans]


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """A span grown to whole words in alphabetic scripts (CJK characters stand alone)."""
    while start > 0 and _WORD_CHAR.match(text[start - 1]) and text[start - 1].isascii():
        start -= 1
    while end < len(text) and _WORD_CHAR.match(text[end]) and text[end].isascii():
        end += 1
    return start, end
