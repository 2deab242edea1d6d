"""Figures and dates as a text writes them, in the six languages, read as values.

Numbers with their magnitude and unit (万, 亿, million, milliard, mil millones, тыс., млн,
млрд, مليون, مليار; "$30m"; a range's first number takes its second's magnitude: 3到5万),
percentages, decades (20世纪90年代), Roman numerals, Chinese numerals before a measure word,
small numbers and tens in words; months (8月, 十二月, août, августа …) and weekdays.  What
``grounding.fidelity`` compares between a text and its rewrite.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# ---------------------------------------------------------------- numbers and magnitudes

_DIGITS = str.maketrans(
    "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹０１２３４５６７８９％．", "012345678901234567890123456789%."
)
_SPACE_GROUPED = r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?"
_NUMBER = re.compile(
    rf"(?<![0-9A-Za-z])(?<!\d\.)(?:{_SPACE_GROUPED}|\d+(?:[,'’]\d{{3}}(?!\d))*"
    r"(?:\.\d+|,\d{1,2}(?!\d))?)(?![0-9]|[A-Z])"
)
_RANGE = re.compile(r"\s*(?:to|-|–|—|到|至|~|à|a|al|до|and|or|et|y|或)\s*(\d+(?:[.,]\d+)?)")
_SCALES: list[tuple[str, Decimal]] = [
    (r"万亿", Decimal(10) ** 12),
    (r"千亿", Decimal(10) ** 11),
    (r"百亿", Decimal(10) ** 10),
    (r"亿", Decimal(10) ** 8),
    (r"千万", Decimal(10) ** 7),
    (r"百万", Decimal(10) ** 6),
    (r"万", Decimal(10) ** 4),
    (r"千(?![克米瓦])", Decimal(10) ** 3),
    (r"trillions?|tn\b|трлн\.?|триллион\w*|تريليون\w*|billones|billón", Decimal(10) ** 12),
    (r"mil millones|milliards?|млрд\.?|миллиард\w*|مليار\w*", Decimal(10) ** 9),
    (r"billions?|bn\b|gigat\w*", Decimal(10) ** 9),
    (r"millions?|millones|millón|mln\b|mn\b|млн\.?|миллион\w*|مليون|ملايين", Decimal(10) ** 6),
    (r"thousands?|mille|mil\b|тыс\.?|тысяч\w*|ألف|آلاف", Decimal(10) ** 3),
]
_SCALE = re.compile(
    r"\s*(" + "|".join(f"(?:{pattern})" for pattern, _ in _SCALES) + r")", re.IGNORECASE
)
_PERCENT = re.compile(
    r"\s*(?:%|٪|percent|per cent|pour ?cent|por ciento|процент\w*|بالمئة|بالمائة|في المائة|"
    r"في المئة)",
    re.IGNORECASE,
)
_HAN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_HAN_DIGIT |= {"七": 7, "八": 8, "九": 9}
_HAN_UNIT = {"十": 10, "百": 100, "千": 1000}
_HAN_NUMERAL = re.compile(
    r"(第)?([零〇一二两三四五六七八九十百千]+)(?!分之)(?=[次个名年位项场人天月日号届岁倍家国条种所座支架"
    r"艘辆件分秒周轮期批亿万%％])"
)
_HAN_PERCENT = re.compile(r"百分之([零〇一二两三四五六七八九十百千点]+|\d+(?:\.\d+)?)")
_WORD_NUMBERS = {
    "en": "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen twenty",
    "es": "cero uno dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce "
    "quince dieciséis diecisiete dieciocho diecinueve veinte",
    "fr": "zéro un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze "
    "quinze seize dix-sept dix-huit dix-neuf vingt",
    "ru": "ноль один два три четыре пять шесть семь восемь девять десять",
}
_NUMBER_WORD = {
    word: index
    for words in _WORD_NUMBERS.values()
    for index, word in enumerate(words.split())
    if index > 1 or len(word) > 2  # "un", "uno" are articles as often as numbers
}
_NUMBER_WORD |= {"una": 1, "une": 1, "dos": 2, "две": 2, "одна": 1, "одно": 1}
_TENS = {
    "en": "twenty thirty forty fifty sixty seventy eighty ninety",
    "es": "veinte treinta cuarenta cincuenta sesenta setenta ochenta noventa",
    "fr": "vingt trente quarante cinquante soixante",
    "ru": "двадцать тридцать сорок пятьдесят шестьдесят семьдесят восемьдесят девяносто",
}
_TEN_WORD = {w: 20 + 10 * i for words in _TENS.values() for i, w in enumerate(words.split())}
_NUMBER_WORD |= _TEN_WORD
_NUMBER_WORD |= {"hundred": 100, "cien": 100, "cent": 100, "сто": 100, "dozen": 12}
_NUMBER_WORD |= {"decade": 10, "década": 10, "décennie": 10, "десятилетие": 10}
# "thirty-seven", "treinta y siete": a ten and a unit
_COMPOUND = re.compile(
    r"(?<![\w-])("
    + "|".join(_TEN_WORD)
    + r")(?:-|\s+y\s+|\s+)("
    + "|".join(w for w, v in _NUMBER_WORD.items() if 1 <= v <= 9)
    + r")(?![\w-])",
    re.IGNORECASE,
)
_NUMBER_WORD_PATTERN = re.compile(
    r"(?<![\w-])(" + "|".join(sorted(map(re.escape, _NUMBER_WORD), key=len, reverse=True)) + r")"
    r"(?!\w)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Amount:
    """A number as written and the values it may stand for (a comma is a decimal mark in
    one language and a thousands separator in another)."""

    text: str
    values: frozenset[Decimal]
    percent: bool = False
    scaled: bool = False  # written with a magnitude word or character

    def matches(self, other: Amount) -> bool:
        for mine in self.values:
            for theirs in other.values:
                if mine == theirs:
                    return True
                if (self.scaled or other.scaled) and theirs and _close(mine, theirs):
                    return True
        return False


def _close(a: Decimal, b: Decimal) -> bool:
    """Equal to rounding ("12.6 million" for 1256万), never to a factor of ten."""
    return abs(a - b) <= abs(b) * Decimal("0.01")


def _readings(raw: str) -> set[Decimal]:
    """The values a written number may have."""
    text = re.sub(r"[ \u00a0\u202f'’]", "", raw)
    separators = re.findall(r"[.,]", text)
    readings: set[str] = set()
    if not separators:
        readings.add(text)
    elif re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", text) and len(set(separators)) == 1:
        readings.add(re.sub(r"[.,]", "", text))  # 1,256 or 1.256.000: thousands
        if len(separators) == 1:
            readings.add(text.replace(",", "."))  # or a decimal: 1,256 in French
    else:
        last = max(text.rfind("."), text.rfind(","))
        readings.add(re.sub(r"[.,]", "", text[:last]) + "." + text[last + 1 :])
    values = set()
    for reading in readings:
        try:
            values.add(Decimal(reading))
        except InvalidOperation:
            continue
    return values


def _scale_of(word: str) -> Decimal:
    for pattern, factor in _SCALES:
        if re.fullmatch(pattern, word.strip(), re.IGNORECASE):
            return factor
    return Decimal(1)


def _han_value(numeral: str) -> int | None:
    """一千二百五十六 → 1256, 十二 → 12, 三 → 3 (below 万; larger scales are read as scales)."""
    total, digit = 0, None
    for ch in numeral:
        if ch in _HAN_DIGIT:
            digit = _HAN_DIGIT[ch] if digit is None else digit * 10 + _HAN_DIGIT[ch]
        elif ch in _HAN_UNIT:
            total += (1 if digit is None else digit) * _HAN_UNIT[ch]
            digit = None
        else:
            return None
    return total + (digit or 0)


_FRACTIONS = {"½": ".5", "¼": ".25", "¾": ".75", "⅓": ".33", "⅔": ".67"}
_FRACTION = re.compile(r"(\d?)([½¼¾⅓⅔])")


def _fraction(match: re.Match[str]) -> str:
    return (match.group(1) or "0") + _FRACTIONS[match.group(2)]


def _scale_after(rest: str, currency: bool) -> tuple[Decimal, str, str]:
    """The magnitude written right after a number, its text, and what follows it."""
    match = _SCALE.match(rest)
    if match:
        return _scale_of(match.group(1)), match.group(0), rest[match.end() :]
    if currency and (short := re.match(r"\s?(m|bn|k)(?![A-Za-z])", rest)):
        factor = {"m": 10**6, "bn": 10**9, "k": 10**3}[short.group(1)]
        return Decimal(factor), short.group(0), rest[short.end() :]
    return Decimal(1), "", rest


def _digit_numbers(text: str) -> list[Amount]:
    found = []
    decades = [m.span() for m in _DECADE.finditer(text)]
    for match in _NUMBER.finditer(text):
        if any(a <= match.start() < b for a, b in decades):
            continue
        currency = match.start() > 0 and text[match.start() - 1] in "£$€¥"
        factor, scale, after = _scale_after(text[match.end() :], currency)
        values = {v * factor for v in _readings(match.group())}
        if factor == 1:
            values |= _shorthand(text, match)
            values |= _range_scaled(text[match.end() :], match.group())
        if values:
            percent = bool(_PERCENT.match(after))
            found.append(
                Amount((match.group() + scale).strip(), frozenset(values), percent, factor != 1)
            )
    for match in _DECADE.finditer(text):  # 20世纪90年代: the 1990s
        century, decade = int(match.group(1)), int(match.group(2) or 0)
        found.append(Amount(match.group(), frozenset({Decimal((century - 1) * 100 + decade)})))
    return found


_ONE_SCALE = re.compile(
    r"(?<![^\W\d_])(?:(?:a|an|one|un|une|uno|una|один|одна)\s+(million|billion|thousand|millón|"
    r"million|milliard|mil millones|миллион|миллиард)|(mil millones))(?![^\W\d_])",
    re.IGNORECASE,
)
_DECADE = re.compile(r"(\d{1,2})\s*世纪\s*(\d0)\s*年代")
_CENTURY = re.compile(r"(?:siglo|siècle|век[а-я]*)\s+([IVXLC]+)\b|\b([IVXLC]+)(?:e|ème)?\s+siècle")
_ROMAN = re.compile(r"(?<![A-Za-z])([MDCLXVI]{2,})(?![A-Za-z])")
_ROMAN_VALUES = {"M": 1000, "D": 500, "C": 100, "L": 50, "X": 10, "V": 5, "I": 1}


def _shorthand(text: str, match: re.Match[str]) -> set[Decimal]:
    """The other readings of a number in a date: "1038–40" ends in 1040, "1990s"/"1930年代"
    name a decade, "21st century" a century."""
    readings = set()
    before = text[max(0, match.start() - 5) : match.start()]
    range_start = re.fullmatch(r"(\d{2})\d{2}[–-]", before)
    if range_start and len(match.group()) == 2:
        readings.add(Decimal(range_start.group(1) + match.group()))
    after = text[match.end() : match.end() + 40]
    if re.match(r"\s*(?:\S+\s+){0,2}(?:y media|et demie?|and a half|с половиной)", after):
        readings |= {v + Decimal("0.5") for v in _readings(match.group())}
    decade = re.search(r"(?:años|années|los|les|'|’)\s?$", before) or re.match(
        r"\s*年代", text[match.end() :]
    )
    if re.fullmatch(r"\d0", match.group()) and decade:
        readings |= {Decimal(1900 + int(match.group())), Decimal(2000 + int(match.group()))}
    return readings


def _range_scaled(rest: str, raw: str) -> set[Decimal]:
    """ "30 to 50 thousand", "3到5万": the first number takes the second's magnitude."""
    second = _RANGE.match(rest)
    if not second:
        return set()
    factor, _, _ = _scale_after(rest[second.end() :], False)
    return {v * factor for v in _readings(raw)} if factor != 1 else set()


def roman_value(numeral: str) -> int | None:
    if not numeral or any(ch not in _ROMAN_VALUES for ch in numeral):
        return None
    values = [_ROMAN_VALUES[ch] for ch in numeral]
    total = sum(
        -v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values)
    )
    return total if 0 < total < 4000 and _toroman_value(total) == numeral else None


def _toroman_value(number: int) -> str:
    out = ""
    for value, letters in zip(
        (1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1),
        ["M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I"],
        strict=True,
    ):
        count, number = divmod(number, value)
        out += letters * count
    return out


def _written_numbers(text: str) -> list[Amount]:
    """Numbers in words or numerals: Chinese numerals before a measure word, small numbers
    in words (with their magnitude: "five million"), Roman numerals ("Super Bowl XLIX")."""
    found = []
    for match in _HAN_PERCENT.finditer(text):
        raw = match.group(1)
        value = Decimal(raw) if raw[0].isdigit() else _han_value(raw)
        if value is not None:
            found.append(Amount(match.group(), frozenset({Decimal(value)}), True))
    for match in _HAN_NUMERAL.finditer(text):
        value = _han_value(match.group(2))
        if value is None or (value < 2 and not match.group(1)):
            continue  # 一 is an article as often as a number
        factor, scale, _ = _scale_after(text[match.end() :], False)
        found.append(
            Amount(match.group() + scale, frozenset({Decimal(value) * factor}), False, factor != 1)
        )
    for match in _NUMBER_WORD_PATTERN.finditer(text):
        factor, scale, _ = _scale_after(text[match.end() :], False)
        value = Decimal(_NUMBER_WORD[match.group(1).casefold()]) * factor
        found.append(Amount(match.group(1) + scale, frozenset({value}), False, factor != 1))
    for match in _COMPOUND.finditer(text):
        tens, unit = match.group(1).casefold(), match.group(2).casefold()
        found.append(
            Amount(match.group(), frozenset({Decimal(_TEN_WORD[tens] + _NUMBER_WORD[unit])}))
        )
    for match in _CENTURY.finditer(text):  # "siglo X", "XIXe siècle"
        roman = roman_value(match.group(1) or match.group(2))
        if roman is not None:
            found.append(Amount(match.group(), frozenset({Decimal(roman)})))
    for match in _ONE_SCALE.finditer(text):  # "a million", "un millón"
        factor = _scale_of(match.group(1) or match.group(2))
        found.append(Amount(match.group(), frozenset({factor}), False, True))
    for match in _ROMAN.finditer(text):
        roman = roman_value(match.group(1))
        if roman is not None:
            found.append(Amount(match.group(1), frozenset({Decimal(roman)})))
    return found


def amounts(text: str) -> list[Amount]:
    """Every number of ``text`` with its magnitude and percent sign, in any of the six
    languages."""
    text = _FRACTION.sub(_fraction, text).translate(_DIGITS)
    return _digit_numbers(text) + _written_numbers(text)


def digit_amounts(text: str) -> list[Amount]:
    """Numbers written with digits (or a digit's magnitude): the ones a reader takes as
    exact.  Numbers in words only ever vouch for a number on the other side."""
    text = _FRACTION.sub(_fraction, text).translate(_DIGITS)
    return _digit_numbers(text)


# ---------------------------------------------------------------- dates

_MONTH_NAMES = [
    "january|jan\\.|janvier|enero|январ\\w*|يناير|كانون الثاني",
    "february|feb\\.|février|fevrier|febrero|феврал\\w*|فبراير|شباط",
    "march|mar\\.|mars|marzo|март\\w*|مارس|آذار",
    "april|apr\\.|avril|abril|апрел\\w*|أبريل|إبريل|نيسان",
    "may|mai|mayo|ма[яйе]|مايو|أيار",
    "june|jun\\.|juin|junio|июн\\w*|يونيو|حزيران",
    "july|jul\\.|juillet|julio|июл\\w*|يوليو|تموز",
    "august|aug\\.|août|aout|agosto|август\\w*|أغسطس|آب",
    "september|sept?\\.|septembre|septiembre|setiembre|сентябр\\w*|سبتمبر|أيلول",
    "october|oct\\.|octobre|octubre|октябр\\w*|أكتوبر|تشرين الأول",
    "november|nov\\.|novembre|noviembre|ноябр\\w*|نوفمبر|تشرين الثاني",
    "december|dec\\.|décembre|decembre|diciembre|декабр\\w*|ديسمبر|كانون الأول",
]
_HAN_MONTHS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"]
_MONTHS = [
    re.compile(
        rf"(?<!\w)(?:{names})(?!\w)|(?<!\d)0?{i}\s*月|(?<![一二三四五六七八九十]){han}月",
        re.IGNORECASE,
    )
    for (i, names), han in zip(enumerate(_MONTH_NAMES, start=1), _HAN_MONTHS, strict=True)
]
_WEEKDAY_NAMES = [
    "monday|lundi|lunes|понедельник\\w*|الاثنين|الإثنين|星期一|周一|礼拜一",
    "tuesday|mardi|martes|вторник\\w*|الثلاثاء|星期二|周二",
    "wednesday|mercredi|miércoles|miercoles|сред[аеуы]|الأربعاء|星期三|周三",
    "thursday|jeudi|jueves|четверг\\w*|الخميس|星期四|周四",
    "friday|vendredi|viernes|пятниц\\w*|الجمعة|星期五|周五",
    "saturday|samedi|sábado|sabado|суббот\\w*|السبت|星期六|周六",
    "sunday|dimanche|domingo|воскресень\\w*|الأحد|星期日|星期天|周日",
]
_WEEKDAYS = [
    re.compile(rf"(?<![^\W\d_])(?:{names})(?![^\W\d_])", re.IGNORECASE) for names in _WEEKDAY_NAMES
]
WEEKDAY_LABELS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTH_LABELS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def months_in(text: str) -> set[int]:
    """Months named in any of the six languages (or written 8月)."""
    folded = unicodedata.normalize("NFKC", text)
    found = {i for i, pattern in enumerate(_MONTHS, start=1) if pattern.search(folded)}
    if 5 in found and not (_MAY_ELSEWHERE.search(folded) or _MAY_DATE.search(folded)):
        found.discard(5)  # "may" the verb
    if 3 in found and not (_MARCH_ELSEWHERE.search(folded) or _MARCH_DATE.search(folded)):
        found.discard(3)  # "march" the noun or verb
    return found


_MAY_ELSEWHERE = re.compile(
    r"(?<!\w)(?:mai|mayo|ма[яйе]|مايو|أيار)|(?<!\d)0?5\s*月|五月", re.IGNORECASE
)
_MAY_DATE = re.compile(r"(?<![\w])May(?=\s+\d|,?\s+\d)|\d\s+May\b")
_MARCH_ELSEWHERE = re.compile(r"(?i)mars|marzo|март|مارس|آذار|(?<!\d)0?3\s*月|三月")
_MARCH_DATE = re.compile(r"March(?=\s+\d)|\d\s+March\b|\bin March\b")


def weekdays_in(text: str) -> set[int]:
    folded = unicodedata.normalize("NFKC", text)
    return {i for i, pattern in enumerate(_WEEKDAYS) if pattern.search(folded)}


def is_number_word(word: str) -> bool:
    """A number written in words ("seven", "siete", "семь"): read by its own rules."""
    return _NUMBER_WORD_PATTERN.fullmatch(word) is not None
