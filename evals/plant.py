"""Errors planted in a faithful text, one at a time, for measuring the fidelity checker.

Each planter takes a text in a known language and returns it with one error of its kind,
or ``None`` where the text has nothing of that kind to change: a number multiplied by 10,
100 or 10⁴ (``magnitude``), a year shifted or a month swapped (``date``), a year left
out (``date_dropped``), a country swapped for another (``country``), a name in Latin letters
swapped for another (``name``), a URL changed (``url``), a listed claim word swapped
for its opposite (``polarity``), a clause left out (``clause``).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from corpus.countries import country_mentions, country_name_in, gazetteer

ERROR_TYPES = (
    "magnitude",
    "date",
    "date_dropped",
    "country",
    "name",
    "url",
    "polarity",
    "clause",
)
_YEAR = re.compile(r"(?<!\d)(19\d\d|20\d\d)(?!\d)")
# a quantity, not a digit of an identifier ("DVB-S2", "Internet2", "O2")
_NUMBER = re.compile(r"(?<![\d.,A-Za-z-])\d+(?:[.,]\d+)?(?![\dA-Za-z])")
_CLAUSE = re.compile(r"[,，;；]\s*[^,，;；。.!?！？]{8,}?(?=[,，;；。.!?！？])")
_LATIN_NAME = re.compile(r"(?<=[\s(（“\"])([A-Z][a-z]{3,})(?=[\s,.)）”\"])")
_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
}
# (word, its opposite) in each language: the planted flips are drawn from the checker's
# lists' own words, as the issue's "polarity flips from the lists" asks.
OPPOSITES: dict[str, list[tuple[str, str]]] = {
    "en": [
        ("increase", "decrease"),
        ("increased", "decreased"),
        ("rise", "fall"),
        ("rose", "fell"),
        ("growth", "decline"),
        ("support", "oppose"),
        ("supported", "opposed"),
        ("strengthen", "weaken"),
        ("employment", "unemployment"),
        ("accepted", "rejected"),
        ("legal", "illegal"),
        ("success", "failure"),
        ("won", "lost"),
        ("improve", "worsen"),
        ("allowed", "banned"),
    ],
    "zh": [
        ("增加", "减少"),
        ("增长", "下降"),
        ("提高", "降低"),
        ("支持", "反对"),
        ("加强", "削弱"),
        ("就业", "失业"),
        ("接受", "拒绝"),
        ("合法", "非法"),
        ("成功", "失败"),
        ("改善", "恶化"),
        ("允许", "禁止"),
        ("胜利", "失利"),
    ],
    "es": [
        ("aumento", "disminución"),
        ("aumentó", "disminuyó"),
        ("crecimiento", "descenso"),
        ("apoyo", "oposición"),
        ("empleo", "desempleo"),
        ("fortalecer", "debilitar"),
        ("aceptó", "rechazó"),
        ("legal", "ilegal"),
        ("éxito", "fracaso"),
        ("ganó", "perdió"),
        ("mejorar", "empeorar"),
        ("permitió", "prohibió"),
    ],
    "fr": [
        ("augmentation", "baisse"),
        ("hausse", "baisse"),
        ("emploi", "chômage"),
        ("soutien", "opposition"),
        ("renforcer", "affaiblir"),
        ("accepté", "rejeté"),
        ("légal", "illégal"),
        ("succès", "échec"),
        ("améliorer", "aggraver"),
        ("autorisé", "interdit"),
    ],
    "ru": [
        ("рост", "снижение"),
        ("увеличение", "уменьшение"),
        ("поддержку", "против"),
        ("укрепление", "ослабление"),
        ("занятости", "безработицы"),
        ("успех", "провал"),
        ("улучшение", "ухудшение"),
        ("разрешил", "запретил"),
    ],
    "ar": [
        ("زيادة", "انخفاض"),
        ("ارتفاع", "انخفاض"),
        ("دعم", "معارضة"),
        ("تعزيز", "إضعاف"),
        ("التوظيف", "البطالة"),
        ("نجاح", "فشل"),
        ("تحسين", "تدهور"),
    ],
}
PLANTED_URL = "https://www.un.org/en/ga/79/meetings/statements"


def plant(kind: str, source: str, output: str, language: str, seed: str) -> tuple[str, str] | None:
    """(source, output) with one error of ``kind`` in the output (in ``language``); None when
    the output has nothing of that kind.  A URL is added to both sides, the output's
    changed: the texts have none of their own."""
    rng = random.Random(f"{kind}:{seed}")
    if kind == "url":
        return _url_pair(source, output, rng)
    planters: dict[str, Callable[[str, str, random.Random, str], str | None]] = {
        "magnitude": _magnitude,
        "date": _date,
        "date_dropped": _date_dropped,
        "country": _country,
        "name": _name,
        "polarity": _polarity,
        "clause": _clause,
    }
    planted = planters[kind](output, language, rng, source)
    return None if planted is None or planted == output else (source, planted)


def _replace(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def _in_source(match: re.Match[str], source: str) -> bool:
    """The number as written is in the source too: an error planted in a number the
    source does not state (a sentence pair a person split differently) is no loss."""
    return re.search(rf"(?<![\d.,]){re.escape(match.group())}(?![\d])", source) is not None


def _magnitude(text: str, language: str, rng: random.Random, source: str) -> str | None:
    numbers = [
        m
        for m in _NUMBER.finditer(text)
        if not _YEAR.fullmatch(m.group()) and _in_source(m, source)
    ]
    if not numbers:
        return None
    match = rng.choice(numbers)
    factor = rng.choice((10, 100, 10_000))
    raw = match.group()
    separator = "," if "," in raw else "."
    whole, _, fraction = raw.replace(",", ".").partition(".")
    value = int(whole) * factor
    new = str(value) + (separator + fraction if fraction else "")
    return _replace(text, match.start(), match.end(), new)


def _date(text: str, language: str, rng: random.Random, source: str) -> str | None:
    years = [m for m in _YEAR.finditer(text) if _in_source(m, source)]
    names = _MONTHS.get(language, "").split()
    months = list(re.finditer(r"\b(" + "|".join(names) + r")\b", text)) if names else []
    months += list(re.finditer(r"(?<!\d)(1[0-2]|[1-9])(?=\s*月)", text))
    if not years and not months:
        return None
    if months and (not years or rng.random() < 0.5):
        match = rng.choice(months)
        if match.group().isdigit():
            new = str(int(match.group()) % 12 + 1)
        else:
            names = _MONTHS[language].split()
            new = names[(names.index(match.group()) + rng.randint(1, 11)) % 12]
        return _replace(text, match.start(), match.end(), new)
    match = rng.choice(years)
    new = str(int(match.group()) + rng.choice((-1, 1)))
    return _replace(text, match.start(), match.end(), new)


def _date_dropped(text: str, language: str, rng: random.Random, source: str) -> str | None:
    years = [m for m in _YEAR.finditer(text) if _in_source(m, source)]
    if not years:
        return None
    match = rng.choice(years)
    end = match.end()
    if language == "zh" and text[end : end + 1] == "年":
        end += 1
    start = match.start()
    before = re.search(r"(?:\b(?:in|en|de|в)\s+)$", text[:start])
    if before:
        start = before.start()
    return _replace(text, start, end, "")


def _country(text: str, language: str, rng: random.Random, source: str) -> str | None:
    names = gazetteer()
    mentions = country_mentions(text)
    if not mentions:
        return None
    offset, code = rng.choice(mentions)
    written = max(
        (name for name, c in names.items() if c == code and text.startswith(name, offset)),
        key=len,
        default=None,
    )
    if written is None:
        return None
    present = {c for _, c in mentions}
    others = [c for c in ("FRA", "DEU", "BRA", "IND", "JPN", "EGY", "MEX") if c not in present]
    new = country_name_in(rng.choice(others), language)
    return _replace(text, offset, offset + len(written), new)


def _name(text: str, language: str, rng: random.Random, source: str) -> str | None:
    names = [m for m in _LATIN_NAME.finditer(text) if not country_mentions(m.group(1))]
    if not names:
        return None
    match = rng.choice(names)
    new = rng.choice(("Johnson", "Martinez", "Okafor", "Lindqvist", "Moreau"))
    return _replace(text, match.start(1), match.end(1), new)


def _url_pair(source: str, output: str, rng: random.Random) -> tuple[str, str]:
    """A URL the source cites, copied into the output with one path segment changed."""
    segment = rng.choice(("statement", "speeches", "records", "statements-2024"))
    return f"{source} ({PLANTED_URL})", f"{output} ({PLANTED_URL.replace('statements', segment)})"


def _polarity(text: str, language: str, rng: random.Random, source: str) -> str | None:
    pairs = OPPOSITES.get(language, [])
    found = []
    for yes, no in pairs:
        for word, opposite in ((yes, no), (no, yes)):
            pattern = re.escape(word) if language == "zh" else rf"(?<!\w){re.escape(word)}(?!\w)"
            for match in re.finditer(pattern, text, flags=re.IGNORECASE):
                found.append((match, opposite))
    if not found:
        return None
    match, opposite = rng.choice(found)
    if match.group()[0].isupper():
        opposite = opposite[0].upper() + opposite[1:]
    return _replace(text, match.start(), match.end(), opposite)


def _clause(text: str, language: str, rng: random.Random, source: str) -> str | None:
    clauses = list(_CLAUSE.finditer(text))
    if not clauses:
        return None
    match = rng.choice(clauses)
    return _replace(text, match.start(), match.end(), "")
