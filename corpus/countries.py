"""Multilingual country gazetteer → ISO 3166 alpha-3.

Names come from CLDR (via babel) in the UN languages and others our sources use,
keyed to alpha-3 codes through pycountry, plus a few common short forms CLDR does
not list ("U.S.", "UK", "中方"…).  Matching works on words: n-grams of word tokens
in alphabetic scripts (Russian words stemmed so case endings match, Arabic clitic
prefixes allowed) and jieba segments in Chinese.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import pycountry
from babel import Locale, UnknownLocaleError

LOCALES = ("en", "zh", "zh_Hant", "fr", "es", "ru", "ar", "de", "ja", "ko", "pt", "it", "uk")
ALIASES: dict[str, tuple[str, ...]] = {
    "USA": ("U.S.", "US", "U.S.A.", "USA", "America", "美方", "美利坚合众国", "全美", "США"),
    "GBR": ("UK", "U.K.", "Britain", "Great Britain", "英方"),
    "CHN": ("PRC", "People's Republic of China", "中华人民共和国", "中方"),
    "RUS": ("Russian Federation", "Российская Федерация", "俄方"),
    "KOR": ("Republic of Korea", "South Korea", "韩方"),
    "PRK": ("DPRK", "North Korea", "朝方"),
    "IRN": ("Islamic Republic of Iran",),
    "SYR": ("Syrian Arab Republic",),
    "VEN": ("Bolivarian Republic of Venezuela",),
    "TUR": ("Türkiye", "Turkey"),
    "JPN": ("日方",),
}
# Short forms that are mostly something else: 中非 is "China-Africa" far more often than CAR.
AMBIGUOUS = frozenset({"中非"})
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_MIN_NAME_CHARS = 2


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, str]:
    """Every known name (as written) → alpha-3."""
    names: dict[str, str] = {}
    for locale_code in LOCALES:
        territories = Locale.parse(locale_code).territories
        for alpha2, name in territories.items():
            country = pycountry.countries.get(alpha_2=alpha2) if len(alpha2) == 2 else None
            if country is not None and len(name) >= _MIN_NAME_CHARS:
                names.setdefault(name, country.alpha_3)
    for alpha3, aliases in ALIASES.items():
        for alias in aliases:
            names[alias] = alpha3
    return names


_TOKEN = re.compile(r"\w+")
_RU_ENDINGS = sorted(
    ("ами", "ями", "ией", "ом", "ем", "ой", "ей", "ою", "ею", "ам", "ям", "ах", "ях", "ии", "ию",
     "ия", "ие", "а", "я", "й", "и", "ы", "у", "ю", "е", "о", "ь"),
    key=len, reverse=True,
)  # fmt: skip
_AR_CLITICS = ("و", "ب", "ل", "ف")
_MAX_WORDS = 6

Key = tuple[str, ...]


def _word_key(word: str) -> str:
    """Case-folded word; Russian words reduced to a crude stem so case endings still match."""
    word = word.casefold()
    if _CYRILLIC.match(word):
        for ending in _RU_ENDINGS:
            if word.endswith(ending) and len(word) - len(ending) >= 3:
                return word[: -len(ending)]
    return word


@dataclass(frozen=True)
class _Index:
    words: dict[str, list[tuple[Key, str]]]  # first word key → (name key, alpha-3), longest first
    exact_case: dict[tuple[str, ...], str]  # short upper-case aliases: US, UK, PRC, U.S.
    cjk: dict[str, list[tuple[str, str]]]  # first character → (name, alpha-3), longest first


@lru_cache(maxsize=1)
def _index() -> _Index:
    words: dict[str, list[tuple[Key, str]]] = {}
    exact_case: dict[tuple[str, ...], str] = {}
    cjk: dict[str, list[tuple[str, str]]] = {}
    for name, code in gazetteer().items():
        if _CJK.search(name):
            if name not in AMBIGUOUS:
                cjk.setdefault(name[0], []).append((name, code))
            continue
        tokens = _TOKEN.findall(name)
        if not tokens or len(tokens) > _MAX_WORDS:
            continue
        if "".join(tokens).isupper() and len("".join(tokens)) <= 4:
            exact_case[tuple(tokens)] = code
            continue
        key = tuple(_word_key(t) for t in tokens)
        words.setdefault(key[0], []).append((key, code))
    for word_entries in words.values():
        word_entries.sort(key=lambda e: len(e[0]), reverse=True)
    for cjk_entries in cjk.values():
        cjk_entries.sort(key=lambda e: len(e[0]), reverse=True)
    return _Index(words, exact_case, cjk)


def _alphabetic_mentions(text: str, index: _Index) -> Iterator[tuple[int, str]]:
    tokens = [(m.start(), m.group(0)) for m in _TOKEN.finditer(text)]
    keys = [_word_key(t) for _, t in tokens]
    i = 0
    while i < len(tokens):
        width, code = _match_at(i, tokens, keys, index)
        if code:
            yield tokens[i][0], code
        i += max(width, 1)


def _match_at(
    i: int, tokens: list[tuple[int, str]], keys: list[str], index: _Index
) -> tuple[int, str | None]:
    if tokens[i][1][0].isupper():
        for n in range(min(3, len(tokens) - i), 0, -1):
            code = index.exact_case.get(tuple(t for _, t in tokens[i : i + n]))
            if code:
                return n, code
    first = keys[i]
    heads = (first, first[1:]) if first[0] in _AR_CLITICS and len(first) > 3 else (first,)
    for head in heads:
        for key, code in index.words.get(head, ()):
            if len(key) == 1 or tuple(keys[i + 1 : i + len(key)]) == key[1:]:
                return len(key), code
    return 1, None


def _cjk_mentions(text: str, index: _Index) -> Iterator[tuple[int, str]]:
    """Substring matches on jieba segment boundaries: 中国 in 中国外交部 counts, 海地 (Haiti)
    inside 沿海地区 and 马里 (Mali) inside 马里奥 (Mario) do not."""
    ends, offset = {}, 0  # segment start → its end (and every end a start too)
    for segment in _segment(text):
        ends[offset] = offset + len(segment)
        offset += len(segment)
    ends.setdefault(offset, offset)
    i = 0
    while i < len(text):
        for name, code in index.cjk.get(text[i], ()):
            end = i + len(name)
            if text.startswith(name, i) and _whole_word(i, end, text, ends):
                yield i, code
                i = end - 1
                break
        i += 1


# What a country name may run into inside one jieba segment: 美国人, 德国队, 伊朗核.
_CJK_SUFFIXES = frozenset("人队籍方军政府企省民语文货币式版核湾海岛")
_NAME_MARKS = ("·", "・", "•")
_COMMON_WORD = 500  # jieba frequency from which the rest of a segment is a word (外交部, 联邦)


def _whole_word(start: int, end: int, text: str, ends: dict[int, int]) -> bool:
    """A name that is a whole segment, or starts one and runs into a word or a suffix
    (中国外交部, 美国人); not a piece of a transliterated name (马里 in 马里奥, 查德 in
    理查德·威尔逊)."""
    segment = max((k for k in ends if k <= start), default=0)
    after, before = ends.get(segment, len(text)), segment - 1
    if text[after : after + 1] in _NAME_MARKS or (before >= 0 and text[before] in _NAME_MARKS):
        return False  # the segment is a piece of a name joined by "·" (理查德·威尔逊)
    if start not in ends:
        return end in ends and (start == 0 or text[start - 1] not in "·・")
    if end in ends:
        return True
    rest = text[end : ends[start]]
    if rest[:1] in _CJK_SUFFIXES:
        return True
    import jieba

    return len(rest) >= 2 and jieba.dt.FREQ.get(rest, 0) >= _COMMON_WORD


def _segment(text: str) -> Iterator[str]:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return iter(jieba.cut(text))


def country_mentions(text: str, limit_chars: int = 200_000) -> list[tuple[int, str]]:
    """(offset, alpha-3) of every country name in ``text``, in order."""
    text = text[:limit_chars]
    index = _index()
    mentions = list(_alphabetic_mentions(text, index))
    if _CJK.search(text):
        mentions += _cjk_mentions(text, index)
    return sorted(mentions)


def countries_in(text: str, limit_chars: int = 200_000) -> list[str]:
    """Alpha-3 codes of the countries named in ``text``, by first mention."""
    return list(dict.fromkeys(code for _, code in country_mentions(text, limit_chars)))


NON_ISO_ACTORS = {"EU": "European Union", "PSE": "State of Palestine", "VAT": "Holy See"}


def country_name(alpha3: str) -> str:
    """English name for an alpha-3 code (and for a few non-ISO UN actors such as EU)."""
    code = alpha3.upper()
    if code in NON_ISO_ACTORS:
        return NON_ISO_ACTORS[code]
    country = pycountry.countries.get(alpha_3=code) if len(code) == 3 else None
    return str(country.name) if country else alpha3


def country_name_in(alpha3: str, language: str) -> str:
    """The country's name in ``language`` (CLDR), its English name when CLDR has none."""
    country = pycountry.countries.get(alpha_3=alpha3.upper()) if len(alpha3) == 3 else None
    if country is None:
        return country_name(alpha3)
    try:
        territories = Locale.parse(language).territories
    except (UnknownLocaleError, ValueError, TypeError):
        return country_name(alpha3)
    return str(territories.get(country.alpha_2) or country_name(alpha3))
