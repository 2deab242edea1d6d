"""The numbered passages a briefing cites, and the verbatim material taken from documents:
lead sentences, quotations and announcements of what comes next.

Every citation ``[n]`` of every output language resolves, through one
:class:`PassageBook`, to exact character spans of one document.  Sentences that address
an AI assistant (planted instructions) are never taken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from assistant.grounding.injection import looks_like_instruction
from assistant.grounding.stages import Passage
from corpus.document import Document
from corpus.language import detect_language
from retrieval.chunking import sentence_spans

LEAD_SENTENCES = 3
# A passage's budget in characters (≈ 120 tokens: prefill dominates on the embedded model);
# a first sentence longer than the budget is cut at it.
LEAD_CHARS = {"cjk": 180, "other": 480}
_ABBREVIATION = re.compile(r"(\b[A-Z]|\b(Mr|Mrs|Ms|Dr|St|No|Gen|Sen|Rep|Gov|Jr|Sr|U\.S|U\.N))\.$")
_MARKUP = re.compile(r"\*\*|__|^#+\s*", re.MULTILINE)
_LABEL = re.compile(
    r"^[A-Z][A-Z0-9’'“”\"&,.\- ]{6,}:\s+(?=\S)|^原标题[:：]\s*"
)  # "KEEPING AMERICA FIRST: Today…"
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")

_QUOTE = re.compile(
    r"“([^”]{12,400})”|\"([^\"]{12,400})\"|«([^»]{12,400})»|「([^」]{6,300})」|„([^“]{12,400})“"
)
_SPEECH = re.compile(
    r"\b(said|says|stated|told|added|declared|announced|according to|warned|urged)\b"
    r"|表示|指出|强调|宣布|称|说"
    r"|\b(a déclaré|a dit|a affirmé|selon|a souligné)\b"
    r"|\b(dijo|afirmó|declaró|según|señaló|aseguró)\b"
    r"|(заявил|сказал|отметил|по словам|подчеркнул)"
    r"|(قال|أكد|أعلن|وفقا)",
    re.IGNORECASE,
)
_FORTHCOMING = re.compile(
    r"\b(will (hold|host|meet|visit|travel|convene|sign|announce|attend|deliver|release|vote))\b"
    r"|\b(is scheduled to|are scheduled to|is expected to|are expected to|next week|next month"
    r"|later this (week|month)|upcoming)\b"
    r"|将于|将在|即将|计划于|下周|下月|拟于"
    r"|\b(se réunira|aura lieu|doit se rendre|la semaine prochaine)\b"
    r"|\b(se reunirá|se celebrará|la próxima semana|tiene previsto)\b"
    r"|(состоится|на следующей неделе|планирует посетить)"
    r"|(سيعقد|الأسبوع المقبل|من المقرر)",
    re.IGNORECASE,
)


_SCRIPT = {"zh": r"[\u3400-\u9fff]", "ru": r"[\u0400-\u04ff]", "ar": r"[\u0600-\u06ff]"}


def in_language(text: str, language: str) -> bool:
    """Whether a translation is in the target language (names may stay in their script)."""
    letters = sum(c.isalpha() for c in text)
    if not letters:
        return False
    if language in _SCRIPT:
        return len(re.findall(_SCRIPT[language], text)) / letters >= 0.6
    return detect_language(text) == language


def language_of(text: str, expected: str) -> str:
    """``expected`` if the text is written in it, else the language it is written in."""
    return expected if in_language(text, expected) else detect_language(text, default=expected)


def is_cjk(text: str) -> bool:
    return len(_CJK.findall(text)) > len(text) / 4


def clean(text: str) -> str:
    """A sentence as it reads: no Markdown emphasis or heading marks, one space between words."""
    return _LABEL.sub("", " ".join(_MARKUP.sub("", text).split()))


def _joined_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans, with splits after an initial or title ("Donald J. Trump") undone."""
    joined: list[tuple[int, int]] = []
    for start, end in sentence_spans(text):
        if joined and _ABBREVIATION.search(text[joined[-1][0] : joined[-1][1]]):
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


def usable_sentences(doc: Document) -> list[tuple[int, int]]:
    """Sentence spans worth quoting: whole sentences, not fragments, not planted instructions."""
    spans = []
    for start, end in _joined_spans(doc.text):
        sentence = clean(doc.text[start:end])
        long_enough = len(sentence) >= 8 if is_cjk(sentence) else len(sentence.split()) >= 6
        if long_enough and not looks_like_instruction(sentence):
            spans.append((start, end))
    return spans


@dataclass
class SourcePassage:
    """What a citation ``[n]`` resolves to: a span of one document, verbatim."""

    n: int
    doc_id: str
    title: str
    url: str | None
    source: str | None
    kind: str
    language: str
    published_at: str | None
    quote: str
    spans: list[list[int]]


class PassageBook:
    """Numbers passages in the order they are first cited; one number per (doc, spans)."""

    def __init__(self) -> None:
        self.passages: list[SourcePassage] = []
        self._numbers: dict[tuple[str, tuple[tuple[int, int], ...]], int] = {}
        self._docs: dict[str, Document] = {}

    def add(self, doc: Document, spans: list[tuple[int, int]]) -> int:
        key = (doc.doc_id, tuple(spans))
        if key in self._numbers:
            return self._numbers[key]
        n = len(self.passages) + 1
        self._numbers[key] = n
        self._docs[doc.doc_id] = doc
        self.passages.append(
            SourcePassage(
                n=n,
                doc_id=doc.doc_id,
                title=doc.title,
                url=doc.url,
                source=doc.source,
                kind=doc.kind,
                language=doc.language,
                published_at=_iso(doc.published_at),
                quote=" ".join(clean(doc.text[s:e]) for s, e in spans),
                spans=[[s, e] for s, e in spans],
            )
        )
        return n

    def get(self, n: int) -> SourcePassage:
        return self.passages[n - 1]

    def document(self, doc_id: str) -> Document:
        return self._docs[doc_id]

    def for_verification(self, numbers: list[int]) -> dict[int, Passage]:
        """The passages in the form the answering pipeline's verifier reads."""
        found = {}
        for n in numbers:
            p = self.get(n)
            found[n] = Passage(
                n=n,
                doc_id=p.doc_id,
                chunk_id="",
                title=p.title,
                url=p.url,
                published_at=p.published_at,
                language=p.language,
                source=p.source,
                kind=p.kind,
                retrieval_score=0.0,
                quote=p.quote,
                spans=[(s, e) for s, e in p.spans],
                chunk_text=p.quote,
            )
        return found


def lead_spans(doc: Document, shares: int = 1) -> list[tuple[int, int]]:
    """The first sentences of a document, within ``shares`` passage budgets (a story told by
    one document gets the budget of several)."""
    budget = LEAD_CHARS["cjk" if is_cjk(doc.text[:400]) else "other"] * shares
    chosen: list[tuple[int, int]] = []
    size = 0
    for start, end in usable_sentences(doc):
        full = len(chosen) >= LEAD_SENTENCES + shares - 1
        if chosen and (full or size + end - start > budget):
            break
        chosen.append((start, min(end, start + budget)))
        size += end - start
    return chosen


def quotations(doc: Document) -> list[tuple[str, tuple[int, int]]]:
    """Quoted speech in a document: (the words quoted, the span of the sentence holding them)."""
    found = []
    for start, end in usable_sentences(doc):
        sentence = clean(doc.text[start:end])
        if not _SPEECH.search(sentence):
            continue
        for match in _QUOTE.finditer(sentence):
            words = next(g for g in match.groups() if g).strip()
            if len(words.split()) >= 4 or is_cjk(words):
                found.append((words, (start, end)))
    return found


def forthcoming(doc: Document) -> list[tuple[int, int]]:
    """Sentences announcing an event still to come."""
    return [(s, e) for s, e in usable_sentences(doc) if _FORTHCOMING.search(doc.text[s:e])]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
