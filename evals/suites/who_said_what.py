"""`who-said-what`: what a government said on a topic at a UN General Debate, asked in six
languages, against what its speech holds.

The speeches of 2015–2021 (the 70th to 76th Assemblies; 2022 is kept out) of 40 members
(a fixed sample of those that spoke every year) are ingested and indexed through the real
pipeline. Each (member, topic) pair is asked about one year (the years rotate over the
pairs) with "What did <member> say about <topic> at the UN General Debate in <year>?",
written by hand in en, zh, ru, ar, fr and es with the member's name in that language.

*The label*, read from the speech alone and never from the product: the pair
"addresses" the topic when one sentence of that speech matches the topic's pattern
(``TOPICS``: climate, terroris-, nuclear, refugee, Syria, as words, case-insensitive);
otherwise "not". A lexical reading: a speech that speaks of the "warming planet" without
the word climate is labelled "not".

*The scores*, per question language: ``right`` — an answer labelled answered whose quotes
all come from the member's speech of that year and one of which matches the topic's
pattern, on a pair labelled "addresses"; ``answered_right_precision`` (of the answered),
``on_topic_recall`` (answered, of the pairs that address the topic),
``not_addressed_precision`` (of the answers saying the speech does not address the topic,
the pairs labelled "not"), ``refusals`` (not found, of all). ``stable``: for a sample of
items the question is asked three times with fresh caches; identical answer, status and
citations each time.
"""

from __future__ import annotations

import re
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.grounding.evidence import phrase_topic
from assistant.positions.evidence import candidates
from assistant.positions.pipeline import SEARCH_K
from corpus.countries import country_name_in
from corpus.registry import DocFilters
from evals.datasets import dataset_path, sample
from evals.harness import EvalContext, Item, Metric, register_suite, timing
from evals.stance_data import UN_FILE
from evals.suites.positions import UN_PATTERN, index_speeches
from retrieval.chunking import sentence_spans

YEARS = list(range(2015, 2022))
COUNTRIES = 40
LANGUAGES = ("en", "zh", "ru", "ar", "fr", "es")
STABILITY_EVERY = 10  # one item in ten is asked three times
# topic: its words in each language, and the pattern that labels a speech
TOPICS: dict[str, tuple[dict[str, str], re.Pattern[str]]] = {
    "climate": (
        {
            "en": "climate change",
            "zh": "气候变化",
            "ru": "изменении климата",
            "ar": "تغير المناخ",
            "fr": "le changement climatique",
            "es": "el cambio climático",
        },
        re.compile(r"\bclimat", re.IGNORECASE),
    ),
    "terrorism": (
        {
            "en": "terrorism",
            "zh": "恐怖主义",
            "ru": "терроризме",
            "ar": "الإرهاب",
            "fr": "le terrorisme",
            "es": "el terrorismo",
        },
        re.compile(r"\bterroris", re.IGNORECASE),
    ),
    "nuclear": (
        {
            "en": "nuclear weapons",
            "zh": "核武器",
            "ru": "ядерном оружии",
            "ar": "الأسلحة النووية",
            "fr": "les armes nucléaires",
            "es": "las armas nucleares",
        },
        re.compile(r"\bnuclear\b", re.IGNORECASE),
    ),
    "refugees": (
        {
            "en": "refugees",
            "zh": "难民",
            "ru": "беженцах",
            "ar": "اللاجئين",
            "fr": "les réfugiés",
            "es": "los refugiados",
        },
        re.compile(r"\brefugee", re.IGNORECASE),
    ),
    "syria": (
        {
            "en": "Syria",
            "zh": "叙利亚",
            "ru": "Сирии",
            "ar": "سوريا",
            "fr": "la Syrie",
            "es": "Siria",
        },
        re.compile(r"\bSyria", re.IGNORECASE),
    ),
}
QUESTIONS = {
    "en": "What did {country} say about {topic} at the UN General Debate in {year}?",
    "zh": "{country}在{year}年联合国大会一般性辩论中就{topic}说了什么？",
    "ru": "Что {country} сказала о {topic} на общих прениях Генеральной Ассамблеи ООН в "
    "{year} году?",
    "ar": "ماذا قالت {country} عن {topic} في المناقشة العامة للجمعية العامة للأمم المتحدة "
    "عام {year}؟",
    "fr": "{country} : qu'a dit ce pays sur {topic} lors du débat général de l'Assemblée "
    "générale des Nations unies en {year} ?",
    "es": "¿Qué dijo {country} sobre {topic} en el debate general de la Asamblea General de "
    "la ONU en {year}?",
}


def _members(corpora: Path) -> list[str]:
    """Members with a speech in every year, sorted."""
    years: dict[str, set[int]] = {}
    with tarfile.open(dataset_path(corpora, UN_FILE)) as tar:
        for member in tar:
            match = re.search(UN_PATTERN, member.name)
            if member.isfile() and match:
                years.setdefault(match["country"], set()).add(int(match["year"]))
    return sorted(code for code, held in years.items() if set(YEARS) <= held)


def pairs(corpora: Path) -> list[tuple[str, str, int]]:
    """(member, topic, year) for the suite's members and topics, years rotating."""
    members = sample(_members(corpora), COUNTRIES, seed="who-said-what")
    return [
        (member, topic, YEARS[(i + j) % len(YEARS)])
        for i, member in enumerate(members)
        for j, topic in enumerate(TOPICS)
    ]


def question(member: str, topic: str, year: int, language: str) -> str:
    name = country_name_in(member, language)
    words = TOPICS[topic][0][language]
    return QUESTIONS[language].format(country=name, topic=words, year=year)


def addresses(speech: str, topic: str) -> bool:
    """The label: one sentence of the speech matches the topic's pattern."""
    pattern = TOPICS[topic][1]
    return any(pattern.search(speech[a:b]) for a, b in sentence_spans(speech))


class WhoSaidWhat:
    name = "who-said-what"
    description = (
        "UN General Debate 2015–2021: what 40 governments said on 5 topics, asked in en, zh, "
        "ru, ar, fr and es; answered-and-right precision, on-topic recall, 'does not "
        "address' precision, refusals and stability against labels read from each speech."
    )
    group_by = "language"
    metrics = (
        Metric(
            "answered_right_precision",
            "of the answers labelled answered, the share with the member's own quotes on the topic",
            field="right",
            within="answered",
        ),
        Metric(
            "on_topic_recall",
            "of the pairs whose speech addresses the topic, the share answered",
            field="answered",
            within=("label", "addresses"),
        ),
        Metric(
            "not_addressed_precision",
            "of the answers saying the speech does not address "
            "the topic, the share whose speech does not",
            field="label_not",
            within="not_addressed",
        ),
        Metric("refusals", "the share not found", field="refused", higher_is_better=False),
        Metric(
            "positions_no_statement_precision",
            "of the pairs `positions` finds no statement for (English), the share whose "
            "speech does not address the topic",
            field="label_not",
            within="positions_no_statement",
        ),
        Metric(
            "positions_statement_recall",
            "of the pairs whose speech addresses the topic, the share `positions` quotes (English)",
            field="positions_stated",
            within=("label", "addresses"),
        ),
        Metric(
            "stable",
            "of the items asked three times, the share answered identically",
            field="stable",
        ),
        timing("seconds", "time per question"),
    )

    def __init__(self, languages: tuple[str, ...] = LANGUAGES) -> None:
        self.languages = languages

    def items(self, ctx: EvalContext, limit: int | None) -> Iterator[Item]:
        ctx.use_dataset("ungdc", ctx.corpora / UN_FILE)
        chosen = pairs(ctx.corpora)
        speeches = self._index(ctx, sorted({m for m, _, _ in chosen}))
        asked = [(p, lang) for lang in self.languages for p in sample(chosen, limit, seed=lang)]
        for n, ((member, topic, year), language) in enumerate(asked):
            speech = speeches.get((member, year), "")
            text = question(member, topic, year, language)
            started = time.perf_counter()
            answer = ctx.engine.ask(text, write=False).to_dict()
            seconds = time.perf_counter() - started
            record = _record(member, topic, year, language, text, answer, speech)
            record["seconds"] = round(seconds, 2)
            if n % STABILITY_EVERY == 0:
                record["stable"] = float(_stable(ctx, text, answer))
            if language == "en":  # positions on the same pair, in its own words
                silent = _no_statement(ctx, member, topic, year)
                record["positions_no_statement"] = silent
                record["positions_stated"] = float(not silent)
            yield record
            ctx.progress(self.name, n + 1, len(asked))

    def _index(self, ctx: EvalContext, members: list[str]) -> dict[tuple[str, int], str]:
        folder = index_speeches(ctx, YEARS, set(members), "ungdc-who-said-what")
        speeches: dict[tuple[str, int], str] = {}
        for path in sorted(folder.glob("*.txt")):
            match = re.search(UN_PATTERN, path.name)
            if match:
                speeches[(match["country"], int(match["year"]))] = path.read_text(
                    "utf-8", errors="replace"
                )
        return speeches


def _signature(answer: dict[str, Any]) -> tuple[str, str, list[int]]:
    return answer["answer"], answer["answer_status"], [c["n"] for c in answer["citations"]]


def _stable(ctx: EvalContext, text: str, first: dict[str, Any]) -> bool:
    """Asked twice more with the engine's caches emptied: the same answer each time."""
    for _ in range(2):
        ctx.engine.forget()
        again = ctx.engine.ask(text, write=False).to_dict()
        if _signature(again) != _signature(first):
            return False
    return True


def _no_statement(ctx: EvalContext, member: str, topic: str, year: int) -> bool:
    """Whether `positions` finds no statement of the member's on the topic in that year's
    speeches: the evidence stage that decides its "no statement found" (no model)."""
    words = TOPICS[topic][0]["en"]
    period = DocFilters(kind="policy", since=year * 10000 + 101, until=year * 10000 + 1231)
    found = candidates(
        ctx.engine.search,
        words,
        member,
        filters=period,
        clearance="public",
        on_topic=phrase_topic(words, "en", {}),
        k=SEARCH_K,
    )
    return not found.sentences


def _record(
    member: str,
    topic: str,
    year: int,
    language: str,
    text: str,
    answer: dict[str, Any],
    speech: str,
) -> Item:
    label = "addresses" if addresses(speech, topic) else "not"
    status = answer["answer_status"]
    answered = status == "answered"
    searched = answer.get("searched") or {}
    not_addressed = status == "not_found" and bool(searched.get("gated"))
    quotes = answer["quotes"]
    own = all(q["speaker"] == member and str(year) in (q["published_at"] or "") for q in quotes)
    on_topic = any(TOPICS[topic][1].search(q["quote"]) for q in quotes)
    right = answered and bool(quotes) and own and on_topic and label == "addresses"
    return {
        "id": f"{language}:{member}:{topic}:{year}",
        "language": language,
        "member": member,
        "topic": topic,
        "year": year,
        "question": text,
        "label": label,
        "status": status,
        "answered": float(answered),
        "right": float(right) if answered else None,
        "not_addressed": not_addressed,
        "label_not": float(label == "not"),
        "refused": float(status == "not_found"),
        "speaker": answer["understood"]["speaker"],
        "quotes": [q["quote"] for q in quotes],
        "answer": answer["answer"],
        "refusal_reason": answer["refusal_reason"],
        "score": float(right or (status == "not_found" and label == "not")),
    }


register_suite(WhoSaidWhat())
