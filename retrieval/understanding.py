"""Query understanding by rule: who is asked about, on what, from which source, when.

"What did China say about Ukraine at the UN General Debate?" asks about a *speaker*
(China), a *topic* (Ukraine), a *source* (the UN General Debate) and no period.  Each is
read from the question in any language with the country gazetteer, the corpus's own
source names and a few cue words — no model — and becomes a filter or a boost the
analyst sees as a chip and can remove.  A country is the speaker only when the question
asks what it said, holds, announced or set ("China's position", "中国…立场"); otherwise
every country named is a topic, because filtering to a country's own documents when the
question is *about* it would hide everything said about it by others.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from corpus.countries import countries_in, country_name, country_name_in
from corpus.speakers import actor_mentions

SPEECH_CUES = re.compile(
    r"\b(?:say|said|says|state[sd]?|statement|announce[sd]?|announcement|position|stance|"
    r"view|views|think|believe[sd]?|call(?:ed|s)? for|propose[sd]?|proposal|set|sets|"
    r"pledge[sd]?|commit(?:ted|s)?|promise[sd]?|claim(?:ed|s)?|argue[sd]?|urge[sd]?|"
    r"warn(?:ed|s)?|demand(?:ed|s)?|condemn(?:ed|s)?|support(?:ed|s)?|oppose[sd]?|"
    r"stand|target|goal|plan(?:ned|s)?|agree[sd]?|according to|told|speech|address)\b"
    r"|'s\b|’s\b"
    r"|说|表示|认为|立场|态度|主张|宣布|提出|看法|呼吁|声明|强调|指出|设定|目标|称|承诺|"
    r"支持|反对|计划|讲话|发言|同意"
    r"|\b(?:dit|déclar\w*|position|dijo|declar\w*|postura|posición|заяв\w*|позици\w*|"
    r"сказал\w*|говорил\w*)\b"
    r"|(?<!\w)(?:قال|قالت|قالوا|صرح\w*|موقف)(?!\w)",
    re.IGNORECASE,
)
# Phrases that name a source family; matched against the corpus's own source names.
SOURCE_ALIASES: dict[str, tuple[str, ...]] = {
    "general debate": (
        "general debate", "general assembly", "unga", "un speech", "联合国大会", "联大",
        "一般性辩论", "assemblée générale", "asamblea general", "генеральн",
        "الجمعية العامة", "المناقشة العامة",
    ),
    "white house": ("white house", "白宫", "maison blanche", "casa blanca", "белый дом"),
    "state council": ("state council", "国务院", "government work report", "政府工作报告"),
}  # fmt: skip
_OF = re.compile(r"\s+(?:of|de|du|des|del|d'|d’)\s*", re.IGNORECASE)
_BY = re.compile(r"according to", re.IGNORECASE)
_ARTICLE_ONLY = re.compile(r"\s*(?:(?:la|le|les|el|los|las)\s+|l['’]\s*)?", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
_STOPWORDS_TEXT = (
    "what which who whom whose when where why how did does do the and for with about from "
    "that this these those was were are is has have had will would could should can its "
    "their there they them his her say said says tell told any some into over under at "
    "between against during after before than then also more most much many other such "
    "only own same very just what's who's according give list describe explain announce "
    "announced set sets position stance view views statement speech think believe happening "
    "什么 哪些 怎么 如何 为什么 是否 多少 谁 立场 态度 看法 表示 认为 宣布 提出 主张 说 "
    "关于 对于 一个 我们 他们 这个 那个 以及 已经 没有 会上 持有 什么样"
)
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


@dataclass
class Understood:
    """What the question asks about, in the terms retrieval can use."""

    speaker: str | None = None  # alpha-3 of the government asked about
    source: str | None = None  # one of the corpus's source names
    topic_countries: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    focus_terms: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # chips the analyst removed

    def chips(self) -> list[dict[str, str]]:
        """What the analyst sees and may remove: key, value and a reader's label."""
        chips: list[dict[str, str]] = []
        if self.speaker:
            chips.append(
                {"key": "speaker", "value": self.speaker,
                 "label": f"Speaker: {country_name(self.speaker)}"}
            )  # fmt: skip
        if self.source:
            chips.append({"key": "source", "value": self.source, "label": f"Source: {self.source}"})
        if self.years:
            years = ", ".join(str(y) for y in self.years)
            chips.append({"key": "period", "value": years, "label": f"Period: {years}"})
        return chips

    def without(self, keys: set[str]) -> Understood:
        """The same understanding with the chips the analyst removed taken out."""
        return Understood(
            speaker=None if "speaker" in keys else self.speaker,
            source=None if "source" in keys else self.source,
            topic_countries=self.topic_countries,
            years=[] if "period" in keys else self.years,
            focus_terms=self.focus_terms,
            ignored=sorted(set(self.ignored) | (keys & {"speaker", "source", "period"})),
        )

    def topic_query(self, language: str) -> str:
        """The question's topic alone (focus terms, topic countries, years) for lexical
        search where its speaker or source are already filters."""
        names = [country_name_in(c, language) for c in self.topic_countries]
        parts = [*self.focus_terms, *names, *(str(y) for y in self.years)]
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["chips"] = self.chips()
        return data


def _source(question: str, sources: list[str]) -> str | None:
    lowered = question.casefold()
    for name in sorted(sources, key=len, reverse=True):  # a source named outright
        bare = name.casefold().removeprefix("the ").strip()
        if len(bare) >= 4 and bare in lowered:
            return name
    for family, phrases in SOURCE_ALIASES.items():
        if any(phrase in lowered for phrase in phrases):
            matching = [s for s in sources if family in s.casefold()]
            if len(matching) == 1:
                return matching[0]
    return None


def focus_terms(question: str, exclude: list[str]) -> list[str]:
    """Content words of the question (alphabetic scripts), minus names already understood."""
    excluded = {w.casefold() for text in exclude for w in _words(text)}
    words = [w.casefold() for w in _words(question)]
    return list(dict.fromkeys(w for w in words if w not in STOPWORDS and w not in excluded))


# What kind of answer a question asks for, and how a sentence holding one looks.
_PERSON = re.compile(
    r"\b(?:Secretary|Minister|Ambassador|President|Chancellor|Governor|Senator|Director|"
    r"Commissioner|Envoy|Spokes(?:man|woman|person)|Honorable|Mr|Ms|Mrs|Dr)\.?"
    r"(?:\s+(?:of\s+)?[A-Z][\w.'’-]+){1,4}"
    r"|(?:部长|总统|总理|主席|大使|发言人|秘书长)"
)
_NUMBER = re.compile(r"\d")
_DATE = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|\d{4})\b|\d+\s*[年月日]",
    re.IGNORECASE,
)
_ANSWER_TYPES = (
    (re.compile(r"\b(?:who|whom|whose)\b|谁|哪位", re.IGNORECASE), _PERSON),
    (re.compile(r"\bwhen\b|what date|which day|何时|什么时候|哪天|哪一天", re.IGNORECASE), _DATE),
    (
        re.compile(
            r"\bhow (?:much|many|long|far)\b|\bwhat (?:\w+ )?(?:percentage|share|rate|"
            r"target|amount|number|figure)\b|多少|几|比例|目标",
            re.IGNORECASE,
        ),
        _NUMBER,
    ),
)


_CJK_TERM = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def term_in(term: str, folded_text: str) -> bool:
    """Whether a focus term occurs in case-folded text: as a word, or with an inflection
    (lead/leads/led not leaders; target/targets); CJK terms as substrings."""
    if _CJK_TERM.search(term):
        return term in folded_text
    pattern = rf"\b{re.escape(term)}(?:s|es|d|ed|ing)?\b"
    return re.search(pattern, folded_text) is not None


def answer_pattern(question: str) -> re.Pattern[str] | None:
    """How a sentence holding the answer looks (a person's name for "who", a date for
    "when", a figure for "how much"), or None for other questions."""
    for asks, looks in _ANSWER_TYPES:
        if asks.search(question):
            return looks
    return None


def _words(text: str) -> list[str]:
    if not _CJK.search(text):
        return _WORD.findall(text)
    from retrieval.lexical import tokenize

    return [w for w in tokenize(text, "zh") if len(w) >= 2 and not w.isdigit()]


def asked_speaker(question: str) -> str | None:
    """The government named before the first speech cue that has one before it: "What did
    *China* say", "What GDP target did *China* set", "*中国*对…的立场", "the *White House*
    said"."""
    mentions = actor_mentions(question)
    for cue in SPEECH_CUES.finditer(question):
        before = [code for at, code in mentions if at < cue.start()]
        if before:
            return before[0]
        # "Qu'a dit la France", "¿Qué dijo Francia", "ماذا قالت فرنسا": the speaker after
        # its verb, with an article at most between them
        after = [code for at, code in mentions if at >= cue.end()]
        if after and _ARTICLE_ONLY.fullmatch(question[cue.end() : _first_at(mentions, cue.end())]):
            return after[0]
        # "la position de la France", "the view of China", "according to Brazil"
        of = _OF.match(question, cue.end())
        start = of.end() if of else cue.end() if _BY.match(cue.group(0)) else None
        if start is not None:
            after = [code for at, code in mentions if start <= at <= start + 12]
            if after:
                return after[0]
    return None


def _first_at(mentions: list[tuple[int, str]], start: int) -> int:
    return min(at for at, _ in mentions if at >= start)


def understand(question: str, *, sources: list[str]) -> Understood:
    """Speaker, source, topic countries, years and focus terms of ``question``."""
    countries = countries_in(question)
    speaker = asked_speaker(question)
    source = _source(question, sources)
    years = sorted({int(y) for y in _YEAR.findall(question)})
    names = [country_name_in(c, lang) for c in countries for lang in ("en", "zh")]
    if source:
        names.append(source)
        names += [p for fam, ps in SOURCE_ALIASES.items() if fam in source.casefold() for p in ps]
    return Understood(
        speaker=speaker,
        source=source,
        topic_countries=[c for c in countries if c != speaker],
        years=years,
        focus_terms=focus_terms(question, names),
    )
