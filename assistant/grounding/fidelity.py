"""Facts kept across a rewrite, checked without the model.

A generated text (a translation, a summary sentence, a draft variant) is compared with the
text it was made from on what a list or a pattern can decide in every language the product
writes: numbers with their magnitude (万, 亿, million, млрд, مليار …) and percentages, months
and weekdays, countries (by code, whatever the script), names written in Latin letters,
URLs, e-mail addresses, handles and hashtags, and the polarity of the words that carry a
claim (employment / unemployment, increase / decrease …).

Two modes: ``TRANSLATION`` (every fact of the source is in the output and nothing else) and
``SUMMARY`` (every fact of the output is in the source; leaving some out is what a summary
does).  What no list can decide (a person's name across scripts, a dropped clause without a
fact in it) is not claimed: ``bench/RESULTS.md`` lists what is not checked.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from assistant.grounding.figures import (
    MONTH_LABELS,
    WEEKDAY_LABELS,
    Amount,
    amounts,
    digit_amounts,
    is_number_word,
    months_in,
    roman_value,
    weekdays_in,
)
from corpus.countries import countries_in, country_name
from corpus.language import detect_language

Mode = Literal["translation", "summary"]
TRANSLATION: Mode = "translation"
SUMMARY: Mode = "summary"

# ---------------------------------------------------------------- names and addresses

_URL = re.compile(r"https?://[^\s<>\"'）)\]]+|www\.[^\s<>\"'）)\]]+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HANDLE = re.compile(r"(?<![\w@/])@[A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?(?:@[\w.-]+)?")
_HASHTAG = re.compile(r"(?<![\w&/])#[^\s#.,;:!?。，；：！？、)）]+")
_LATIN_WORD = re.compile(
    r"(?<![A-Za-z\u00c0-\u024f0-9@#/.])[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f'’-]*"
)
_LATIN_NAME = re.compile(
    r"(?<![A-Za-z\u00c0-\u024f0-9@#/.'’-])([A-Z][A-Za-z\u00c0-\u024f'’-]+|[A-Z]{2,}\d*)"
)
_SENTENCE_START = re.compile(r"(?:^|[.!?。！？:：;；\n]\s*|[«“\"(（]\s*)$")
NAME_STOPWORDS = frozenset(
    [
        "The",
        "This",
        "That",
        "These",
        "Those",
        "It",
        "In",
        "On",
        "At",
        "A",
        "An",
        "And",
        "But",
        "Or",
        "If",
        "As",
        "By",
        "For",
        "From",
        "Of",
        "To",
        "With",
        "Its",
        "He",
        "She",
        "We",
        "They",
        "I",
        "You",
        "Our",
        "Their",
        "His",
        "Her",
        "Le",
        "La",
        "Les",
        "Un",
        "Une",
        "Des",
        "Du",
        "De",
        "Et",
        "En",
        "El",
        "Los",
        "Las",
        "Lo",
        "Una",
        "Del",
        "Al",
        "Y",
        "Por",
        "Para",
        "Con",
        "Sin",
        "Su",
        "Sus",
        "Este",
        "Esta",
        "Ce",
        "Cette",
        "Ces",
        "Il",
        "Elle",
        "Ils",
        "Nous",
        "Vous",
        "EE",
        "UU",
    ]
)


def addresses(text: str) -> dict[str, set[str]]:
    """URLs, e-mail addresses, handles and hashtags, as written (URLs without a final stop)."""
    urls = {u.rstrip(".,;:!?") for u in _URL.findall(text)}
    emails = set(_EMAIL.findall(text))
    bare = _EMAIL.sub(" ", _URL.sub(" ", text))
    return {
        "url": urls,
        "email": emails,
        "handle": {h.casefold() for h in _HANDLE.findall(bare)},
        "hashtag": {h.casefold() for h in _HASHTAG.findall(bare)},
    }


def _without_addresses(text: str) -> str:
    return _HASHTAG.sub(" ", _HANDLE.sub(" ", _EMAIL.sub(" ", _URL.sub(" ", text))))


def latin_names(text: str, initial: bool = False) -> set[str]:
    """Capitalised Latin-script words and acronyms that do not open a sentence (``initial``:
    those that do too)."""
    bare = _without_addresses(unicodedata.normalize("NFKC", text))
    names = set()
    for match in _LATIN_NAME.finditer(bare):
        word = re.sub(r"['’]s?$", "", match.group(1)).rstrip("-")
        if word in NAME_STOPWORDS or len(word) < 2 or roman_value(word) is not None:
            continue
        if not initial and _SENTENCE_START.search(bare[: match.start()]) and not word.isupper():
            continue
        names.add(word)
    return names


def _fold(text: str) -> str:
    stripped = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in stripped if not unicodedata.combining(ch))


def _held(name: str, folded_source: str) -> bool:
    """A name is held when its first five letters are (case endings, plurals, accents aside)."""
    return _fold(name)[:5] in folded_source


# ---------------------------------------------------------------- polarity

# Each line: the words of one side of a claim, then of its opposite, per language.  A stem
# matches at a word's start (Latin, Cyrillic, Arabic) or anywhere (Chinese).
_POLARITY_PAIRS: list[tuple[str, str, str]] = [
    (
        "employment",
        r"employ(?!ee)|emploi|empleo|занятост|трудоустро|التوظيف|توظيف|العمالة|就业",
        r"unemploy|jobless|chômage|chomage|desempleo|paro|безработ|البطالة|失业",
    ),
    (
        "increase",
        r"increas|rise|rising|rose|grow|grew|rais|enhanc|boost|expand|augment|hausse|croissance|aument|crecimiento|alza|"
        r"рост|увелич|вырос|زيادة|ارتفاع|ازدياد|增加|增长|上升|提高|上涨",
        r"decreas|declin|fall|fell|drop|reduc|lowered|lowering|shrink|shrank|baisse|diminu|recul|réduction|"
        r"disminu|descens|caída|cayó|reducción|сниж|уменьш|падени|сокращ|انخفاض|تراجع|نقص|"
        r"减少|下降|降低|下跌|下滑",
    ),
    (
        "strengthen",
        r"strengthen|reinforc|bolster|renforc|fortalec|reforz|refuerz|укреп|تعزيز|يعزز|"
        r"加强|增强|强化",
        r"weaken|undermin|affaibl|fragilis|debilit|ослаб|إضعاف|يضعف|削弱|减弱",
    ),
    (
        "support",
        r"support|endors|soutien|soutient|soutenir|appui|apoy|respald|поддерж|دعم|يدعم|تأييد|"
        r"支持|赞成|拥护",
        r"oppos|s'oppose|oponer|opone|oposición|против|معارضة|يعارض|反对",
    ),
    (
        "accept",
        r"accept|approv|receiv|acept|aprob|recib|одобр|قبول|يقبل|وافق|接受|批准|同意|认可",
        r"reject|refus|rejet|rechaz|отверг|отклон|رفض|يرفض|拒绝|驳回|否定|否决",
    ),
    (
        "allow",
        r"allow|permit|enabl|autoris|autoriz|permet|habilit|разреш|سمح|يسمح|允许|准许|使得",
        r"ban|banned|prohibit|forbid|interdi|prohib|запрет|حظر|يحظر|منع|禁止",
    ),
    (
        "legal",
        r"legal|lawful|legitim|légal|légitim|законн|قانوني|合法",
        r"illegal|unlawful|illegitim|illégal|illégitim|ilegal|ilegítim|незаконн|غير قانوني|"
        r"非法|违法",
    ),
    (
        "success",
        r"succeed|success(?!or|ion|ive)|réussi|succès|éxito|exitos|hit\b|успе|نجاح|نجح|成功",
        r"fail|flop|échec|échou|fracas|неудач|провал|فشل|失败",
    ),
    (
        "improve",
        r"improv|amélior|mejor|улучш|تحسن|تحسين|改善|好转|改进",
        r"worsen|deteriorat|aggrav|détérior|empeor|deterior|ухудш|تدهور|恶化",
    ),
    (
        "win",
        r"win|won|victor|victoire|gagn|gan(?:ó|ar|a|aron|ado)\b|victoria|побед|выигр|فوز|فاز|胜利|获胜|赢得|赢了|夺得|夺冠|获奖",
        r"lose|lost|defeat|défaite|perdu|derrota|perdi|проигр|поражени|خسر|هزيمة|失利|输掉|输给|战败",
    ),
    (
        "approximately",
        r"about|approximately|around|roughly|environ|près de|aproximadamente|alrededor|"
        r"около|примерно|порядка|حوالي|نحو|قرابة|约|左右|大约|上下",
        r"or less|at most|no more than|au plus|au maximum|tout au plus|como máximo|no más de|"
        r"не более|максимум|على الأكثر|لا يزيد|不超过|以内",
    ),
    (
        "surplus",
        r"surplus|excédent|superávit|профицит|فائض|顺差|盈余",
        r"deficit|déficit|дефицит|عجز|逆差|赤字",
    ),
]


_SIDES = {
    "employment": ("employment", "unemployment"),
    "increase": ("increase", "decrease"),
    "strengthen": ("strengthen", "weaken"),
    "support": ("support", "oppose"),
    "accept": ("accept", "reject"),
    "allow": ("allow", "ban"),
    "legal": ("legal", "illegal"),
    "success": ("success", "failure"),
    "improve": ("improve", "worsen"),
    "win": ("win", "lose"),
    "surplus": ("surplus", "deficit"),
    "approximately": ("about", "at most"),
}


def _stems(pattern: str) -> re.Pattern[str]:
    latin = rf"(?<![^\W\d_])(?:{pattern})"
    return re.compile(latin, re.IGNORECASE)


_POLARITY = [(name, _stems(yes), _stems(no)) for name, yes, no in _POLARITY_PAIRS]
# Chinese has no word boundaries: its stems match anywhere.
_HAN_POLARITY = [
    (
        name,
        re.compile("|".join(w for w in yes.split("|") if re.match(r"[\u4e00-\u9fff]", w))),
        re.compile("|".join(w for w in no.split("|") if re.match(r"[\u4e00-\u9fff]", w))),
    )
    for name, yes, no in _POLARITY_PAIRS
]


def polarity_counts(text: str) -> dict[str, tuple[int, int]]:
    """For each listed claim word pair, how often the text states each side."""
    counts: dict[str, tuple[int, int]] = {}
    for (name, yes, no), (_, han_yes, han_no) in zip(_POLARITY, _HAN_POLARITY, strict=True):
        plus = len(yes.findall(text)) + len(han_yes.findall(text))
        minus = len(no.findall(text)) + len(han_no.findall(text))
        if plus or minus:
            counts[name] = (plus, minus)
    return counts


def polarity(text: str) -> dict[str, set[str]]:
    """For each listed claim word pair, which sides the text states ({'+', '-'})."""
    return {
        name: {side for side, n in zip("+-", pair, strict=True) if n}
        for name, pair in polarity_counts(text).items()
    }


_NEGATION = re.compile(
    r"(?<![^\W\d_])(?:not|no|never|neither|nor|cannot|without|ne|n'|pas|jamais|sans|nunca|"
    r"sin|не|нет|никогда|без|لا|لم|لن|ليس|ليست|غير)(?![^\W\d_])|n't"
    r"|没有|并不|并非|从未|绝不|决不|无法|未能|未曾|不是|不会|不能|不再|不要|不应|不得|不予|不|未|没",
    re.IGNORECASE,
)
_NOT_NEGATION = re.compile(r"不同|不断|不仅|不少|不久|不过|未来|毫不|无不|不论|不管")


def negations(text: str) -> int:
    """How many negating words the text has (不同, 未来 and the like are not negations)."""
    return len(_NEGATION.findall(_NOT_NEGATION.sub(" ", text)))


# ---------------------------------------------------------------- the check


@dataclass(frozen=True)
class Loss:
    """One fact the output does not keep: ``kind`` (number, date, weekday, country, name,
    url, email, handle, hashtag, polarity, negation), what the source says and what the
    output says instead (``None`` when it is left out or has no counterpart)."""

    kind: str
    source: str | None
    output: str | None

    @property
    def message(self) -> str:
        if self.source and self.output:
            return f"{self.kind}: “{self.output}” where the source says “{self.source}”"
        if self.source:
            return f"{self.kind} left out: “{self.source}”"
        return f"{self.kind} not in the source: “{self.output}”"


def _number_losses(output: str, source: str, mode: Mode) -> list[Loss]:
    """Output numbers the source does not hold; in a translation, also source numbers the
    output does not hold, or holds fewer times (a year said twice and kept once)."""
    out = digit_amounts(output)
    src_all = amounts(source)
    src = digit_amounts(source)
    losses: list[Loss] = []
    extra = [
        a for a in out if not any(a.matches(s) for s in src_all) and not _year_month(a, source)
    ]
    missing = []
    if mode == TRANSLATION:
        out_all = amounts(output)
        for i, s in enumerate(src):
            held = sum(s.matches(o) for o in out_all)
            said = sum(s.matches(t) for t in src[: i + 1])  # this is its said-th occurrence
            if held < said and not _year_month(s, output) and not _spelled(s, output):
                missing.append(s)
    for amount in extra:
        partner = _partner(amount, missing)
        if partner is not None:
            missing.remove(partner)
        losses.append(Loss("number", partner.text if partner else None, amount.text))
    losses += [Loss("number", s.text, None) for s in missing]
    return losses


def _spelled(amount: Amount, text: str) -> bool:
    """A small whole number written as a Chinese numeral anywhere in ``text`` (四 for 4)."""
    small = [int(v) for v in amount.values if v == int(v) and 2 <= v < 100]
    return any(_han_numeral(v) in text for v in small)


def _han_numeral(number: int) -> str:
    digits = "零一二三四五六七八九"
    tens, units = divmod(number, 10)
    if not tens:
        return digits[units]
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[units] if units else "")


def _year_month(amount: Amount, other: str) -> bool:
    """A month written as a number on one side (8月) and in words on the other (August)."""
    return any(v == int(v) and 1 <= v <= 12 and int(v) in months_in(other) for v in amount.values)


def _partner(amount: Amount, candidates: list[Amount]) -> Amount | None:
    """The source number an output number stands in for: same digits, another magnitude, or
    the nearest value."""
    if not candidates:
        return None
    digits = re.sub(r"\D", "", amount.text)
    for candidate in candidates:
        if re.sub(r"\D", "", candidate.text) == digits:
            return candidate
    return candidates[0] if len(candidates) == 1 else None


def _set_losses(
    kind: str, out: set[str], src: set[str], mode: Mode, label: dict[str, str] | None = None
) -> list[Loss]:
    name = (lambda key: label.get(key, key)) if label else (lambda key: key)
    extra = sorted(out - src)
    missing = sorted(src - out) if mode == TRANSLATION else []
    losses = []
    for key in extra:
        partner = missing.pop(0) if len(missing) == 1 and len(extra) == 1 else None
        losses.append(Loss(kind, name(partner) if partner else None, name(key)))
    losses += [Loss(kind, name(key), None) for key in missing]
    return losses


def _date_losses(output: str, source: str, mode: Mode) -> list[Loss]:
    months = {str(i): MONTH_LABELS[i - 1] for i in range(1, 13)}
    days = {str(i): WEEKDAY_LABELS[i] for i in range(7)}
    out_months = {str(m) for m in months_in(output)}
    src_months = {str(m) for m in months_in(source)}
    # a month in the source written as a bare number in the output is checked as a number
    out_numbers = {int(v) for a in amounts(output) for v in a.values if v == int(v)}
    if mode == TRANSLATION:
        src_months = {m for m in src_months if m in out_months or int(m) not in out_numbers}
    losses = _set_losses("date", out_months, src_months, mode, months)
    out_days = {str(d) for d in weekdays_in(output)}
    src_days = {str(d) for d in weekdays_in(source)}
    return losses + _set_losses("weekday", out_days, src_days, mode, days)


_ADJECTIVES = {
    "USA": "american|américain|estadounidense|norteamerican|afroameric|afro-americ",
    "FRA": "french|français|francés|frances|franco",
    "GBR": "british|britannique|británic|english|anglais|inglés|ingles|scottish|welsh|england|"
    "angleterre|inglaterra|scotland|écosse|escocia|wales|britain|bretaña|bretagne",
    "ZAF": "south african|sudafric|sud-africain",
    "LAO": "lao|laotian|laotien|laosian",
    "DEU": "german|allemand|alemán|aleman",
    "ESP": "spanish|espagnol|español|espanol",
    "NLD": "dutch|néerlandais|holandés|neerlandés|hollande|holland|holanda",
    "DNK": "danish|danois|danés|dane",
    "CHE": "swiss|suisse|suiz",
    "FIN": "finnish|finlandais|finlandés",
    "POL": "polish|polonais|polaco|polaca|pole",
    "IRL": "irish|irlandais|irlandés",
    "SWE": "swedish|suédois|sueco|sueca|swede",
    "GRC": "greek|grec|grecque|griego|griega",
    "TUR": "turkish|turc|turque|turco|turca|turk|ottoman",
    "CHN": "chinese|chinois|chino|china",
    "JPN": "japanese|japonais|japonés|japones",
    "RUS": "russian|russe|ruso|rusa|soviet|soviétique|soviético",
    "ITA": "italian|italien|italiano",
    "PRT": "portuguese|portugais|portugués",
    "NZL": "zealander",
    "BEL": "belgian|belge|belga",
    "CZE": "czech|tchèque|checo",
    "ISR": "israeli|israélien|israelí|jewish|juif|judío",
    "IRN": "iranian|persian|iranien|iraní|persa",
    "KOR": "korean|coréen|coreano",
    "PRK": "korean|coréen|coreano",
    "VNM": "vietnamese|vietnamien|vietnamita",
    "THA": "thai|thaïlandais|tailandés",
    "PHL": "filipino|philippin|filipin",
    "BGR": "bulgar|bulgare|búlgaro",
    "NOR": "norwegian|norvégien|noruego|norse|viking",
    "EGY": "egyptian|égyptien|egipcio",
    "SAU": "saudi|saoudien|saudí",
    "ARM": "armenian|arménien|armenio",
    "IND": "indian|indien|indio|hindú",
    "MEX": "mexican|mexicain|mexicano",
    "CAN": "canadian|canadien|canadiense",
    "AUS": "australian|australien|australiano",
    "BRA": "brazilian|brésilien|brasileño",
    "ARG": "argentine|argentin|argentino",
    "UKR": "ukrainian|ukrainien|ucraniano",
    "AUT": "austrian|autrichien|austríaco",
    "HUN": "hungarian|hongrois|húngaro",
}
_ADJECTIVE = {
    code: re.compile(rf"(?<![^\W\d_])(?:{words})", re.IGNORECASE)
    for code, words in _ADJECTIVES.items()
}


def _named(code: str, text: str) -> bool:
    """Whether the text names the country, by its name or by its adjective (a translation
    says 美国手语 for "American Sign Language", "polaco" for "Polish")."""
    pattern = _ADJECTIVE.get(code)
    if pattern is not None and pattern.search(text):
        return True
    stem = _fold(country_name(code).split(",")[0])[:4]
    return len(stem) == 4 and re.search(rf"(?<![^\W\d_]){stem}", _fold(text)) is not None


_REGION = re.compile(
    r"(?:North|South|Latin|Central|Norte|Sud|Sur|Latine|Latina)\s+Am[ée]ric\w*|Am[ée]ricas"
)


def _countries(text: str) -> set[str]:
    """Countries named in the text ("North America" is no country)."""
    return set(countries_in(_REGION.sub(" ", text)))


def _name_losses(output: str, source: str, mode: Mode, same: bool) -> list[Loss]:
    output_countries, source_countries = _countries(output), _countries(source)
    out_countries = {c for c in output_countries - source_countries if not _named(c, source)}
    src_countries = {c for c in source_countries - output_countries if not _named(c, output)}
    labels = {code: country_name(code) for code in out_countries | src_countries}
    losses = _set_losses("country", out_countries, src_countries, mode, labels)
    folded = _fold(source)
    country_words = _fold(" ".join(labels.values()))
    if not _latin(source):  # names read from another script into Latin letters: not checked
        return losses
    # Across two Latin-script languages names are translated ("Varsovia" for "Warsaw", "UE"
    # for "EU"): not compared.  Into another script, Latin letters are copied: compared.
    if not same and _latin(output):
        return losses
    # in Chinese, Russian or Arabic a Latin word is a name wherever it stands
    for name in sorted(latin_names(output, initial=not _latin(output))):
        if _not_a_name(name) or _fold(name)[:5] in country_words:
            continue
        if not _held(name, folded):
            losses.append(Loss("name", None, name))
    if mode == TRANSLATION and same:
        folded_output = _fold(output)
        for name in sorted(latin_names(source)):
            if name.isupper() and len(name) >= 2 and not _held(name, folded_output):
                losses.append(Loss("name", name, None))  # an acronym is never dropped
    return losses


# Capitalised words of titles that a translation into another Latin-script language renders
# in its own words (and that a Chinese, Russian or Arabic text should not keep in English).
INSTITUTIONS = frozenset(
    [
        "embassy",
        "ministry",
        "ministries",
        "minister",
        "ministers",
        "court",
        "council",
        "parliament",
        "assembly",
        "university",
        "president",
        "presidency",
        "government",
        "department",
        "office",
        "committee",
        "commission",
        "secretary",
        "ambassador",
        "consulate",
        "republic",
        "kingdom",
        "union",
        "nations",
        "states",
        "federation",
        "organization",
        "organisation",
        "bank",
        "fund",
        "agency",
        "forum",
        "summit",
        "conference",
        "congress",
        "senate",
        "house",
        "party",
        "army",
        "navy",
        "force",
        "forces",
        "police",
        "church",
        "state",
        "province",
        "city",
        "county",
        "region",
        "foreign",
        "affairs",
        "defence",
        "defense",
        "trade",
        "finance",
        "prime",
        "general",
        "security",
        "development",
        "national",
        "international",
        "central",
        "federal",
        "supreme",
        "high",
        "chamber",
        "institute",
        "centre",
        "center",
        "school",
        "college",
        "museum",
        "program",
        "programme",
        "initiative",
        "declaration",
        "treaty",
        "agreement",
    ]
)


def _not_a_name(word: str) -> bool:
    """Month and weekday names, and numbers in words: checked by their own rules."""
    return bool(months_in(word) or weekdays_in(word) or is_number_word(word))


def _latin(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and sum("a" <= ch.casefold() <= "z" for ch in letters) > len(letters) / 2


def _address_losses(output: str, source: str, mode: Mode, hashtags: bool) -> list[Loss]:
    out, src = addresses(output), addresses(source)
    losses: list[Loss] = []
    for kind in ("url", "email", "handle", "hashtag"):
        if kind == "hashtag" and not hashtags:
            continue
        losses += _set_losses(kind, out[kind], src[kind], mode)
    return losses


def _polarity_losses(output: str, source: str, mode: Mode) -> list[Loss]:
    """A summary states no side of a listed pair its source does not; a translation states
    no side its source does not state (where the source states the other), and a side
    gained while the other is lost is a flip."""
    losses = []
    if mode == SUMMARY:
        out, src = polarity(output), polarity(source)
        for name, sides in out.items():
            held = src.get(name, set())
            for side in sorted(sides - held) if held else []:
                losses.append(_flip(name, side))
        return losses
    out_counts, src_counts = polarity_counts(output), polarity_counts(source)
    for name, (plus, minus) in out_counts.items():
        src_plus, src_minus = src_counts.get(name, (0, 0))
        if not src_plus + src_minus:
            continue
        gained_plus = plus > src_plus and (minus < src_minus or not src_plus)
        gained_minus = minus > src_minus and (plus < src_plus or not src_minus)
        if gained_plus and not gained_minus:
            losses.append(_flip(name, "+"))
        elif gained_minus and not gained_plus:
            losses.append(_flip(name, "-"))
    return losses


def _flip(name: str, side: str) -> Loss:
    """The output states ``side`` of the pair where the source states the other."""
    yes, no = _SIDES[name]
    said, written = (no, yes) if side == "+" else (yes, no)
    return Loss("polarity", said, written)


def _negation_losses(output: str, source: str) -> list[Loss]:
    """One sentence against one sentence: negated on one side only."""
    out, src = negations(output) > 0, negations(source) > 0
    if out == src:
        return []
    return [Loss("negation", "negated" if src else "affirmed", "negated" if out else "affirmed")]


def fidelity_losses(
    output: str,
    source: str,
    mode: Mode = TRANSLATION,
    *,
    sentence: bool = False,
    hashtags: bool = True,
    output_language: str | None = None,
    source_language: str | None = None,
) -> list[Loss]:
    """The facts ``output`` does not keep from ``source``, by rule (no model).

    ``sentence``: both are one sentence, so negation is compared too (across a paragraph
    a negation moves between sentences without changing a fact).  ``hashtags``: compare
    them (a draft's translated hashtags are its own business).  The languages, where the
    caller knows them, decide whether names are compared as written (else detected)."""
    losses = _number_losses(output, source, mode)
    losses += _date_losses(output, source, mode)
    if output_language and source_language:
        same = output_language == source_language
    else:
        same = detect_language(source) == detect_language(output)
    losses += _name_losses(output, source, mode, same)
    losses += _address_losses(output, source, mode, hashtags)
    losses += _polarity_losses(output, source, mode)
    if sentence and same:  # across languages negation is lexical ("uncertain", 不确定)
        losses += _negation_losses(output, source)
    return _unique(losses)


def _unique(losses: Iterable[Loss]) -> list[Loss]:
    return list(dict.fromkeys(losses))


def latin_words(text: str) -> list[str]:
    """The Latin-script words of a text, addresses aside."""
    return _LATIN_WORD.findall(_without_addresses(text))
