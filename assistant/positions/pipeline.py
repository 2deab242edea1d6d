"""Positions on a topic, speaker by speaker, every stage saved for replay.

Stages: the speakers (those asked for, or every speaker of the period's documents the
reader may see) → per speaker, its sentences that mention the topic (``evidence``) → the
best 1–3 as verbatim quotes → the stance and a summary from the model, the summary
verified against the quotes (``stance``) → the quotes translated and re-read word for word
in their documents. A speaker without a sentence on the topic gets ``no_statement``, with
no model call. Last, the speakers' sentences on the topic are compared for a checkable
fact stated differently (``disagreements``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from assistant.answering.query import question_language, translate_query
from assistant.core.clearance import readable_levels
from assistant.core.errors import InputError, NotFoundError, RangeError
from assistant.grounding.evidence import Topic, phrase_topic
from assistant.grounding.runs import RunStore, new_run_id
from assistant.grounding.stages import Passage
from assistant.grounding.turns import run_now
from assistant.licensing import STANCE_KINDS, Licence, Licences
from assistant.positions.contracts import PositionOut, PositionsOut, ShiftOut, ShiftsOut
from assistant.positions.disagreements import (
    STATEMENTS_PER_SPEAKER,
    between_speakers,
    readable_only,
)
from assistant.positions.evidence import (
    speaker_evidence,
    speakers_in,
    verbatim,
)
from assistant.positions.stance import Reading, read_stance, translate_quotes
from corpus.countries import countries_in
from corpus.registry import DocFilters
from corpus.speakers import speaker_label

if TYPE_CHECKING:
    from assistant.answering.pipeline import AskEngine

TRANSLATION_CACHE = 1000  # cached topic translations per engine

RUN_ID = re.compile(r"\d{8}T\d{6}-[0-9a-f]{8}")
MAX_SPEAKERS = 250  # speakers in one run (the UN has 193 members)
MAX_TOPIC_CHARS = 200
SEARCH_K = 8  # chunks searched per speaker
Progress = Callable[[int, int, str], None]  # (done, total, speaker)


@dataclass(frozen=True)
class PositionsRequest:
    topic: str
    speakers: list[str] | None = None  # None: every speaker of the period
    filters: DocFilters = field(default_factory=DocFilters)
    language: str = "en"  # the analyst's: summaries and translations
    clearance: str = "public"
    quotes: int = 3

    def checked(self) -> PositionsRequest:
        topic = " ".join(self.topic.split())
        if not topic or len(topic) > MAX_TOPIC_CHARS:
            raise InputError(f"a topic is 1–{MAX_TOPIC_CHARS} characters",
                             fix='name it, e.g. "Ukraine" or "climate finance"')  # fmt: skip
        if not 1 <= self.quotes <= 3:
            raise RangeError("quotes per speaker are 1–3", fix="e.g. 3")
        if self.speakers is not None and not 1 <= len(self.speakers) <= MAX_SPEAKERS:
            raise RangeError(f"name 1–{MAX_SPEAKERS} speakers", fix="e.g. USA,CHN,RUS")
        return replace(self, topic=topic)


@dataclass
class Position:
    speaker: str
    stance: str
    reading: Reading | None
    quotes: list[Passage]
    translations: dict[int, str]
    verified: dict[int, bool]
    documents: int
    statements: list[Passage] = field(default_factory=list)  # compared for disagreements

    def to_dict(self) -> dict[str, Any]:
        reading = self.reading
        quotes = [
            {**q.citation(), "translation": self.translations.get(q.n),
             "verified": self.verified.get(q.n, False)}
            for q in self.quotes
        ]  # fmt: skip
        return PositionOut.shape({
            "speaker": self.speaker, "name": speaker_label(self.speaker), "stance": self.stance,
            "model_stance": reading.stance if reading else None,
            "summary": reading.summary if reading else None,
            "summary_supported": bool(reading and reading.supported),
            "summary_score": reading.score if reading else None,
            "reasons": reading.reasons if reading else [], "quotes": quotes,
            "documents": self.documents,
        })  # fmt: skip


class PositionsEngine:
    """Runs on the answering engine's model, embedder, indexes and judge; ``turn`` is how
    a model call waits its turn (the web app's generation queue)."""

    def __init__(
        self,
        engine: AskEngine,
        turn: Any = run_now,
        read_sides: bool | None = None,
        licences: Licences | None = None,
    ) -> None:
        self.engine = engine
        self.turn = turn
        self.runs = RunStore(engine.settings.home / "runs" / "positions")
        # a stance label is shown only where its record licenses it (none: never shown);
        # the model is asked for a side only where one may be (or to measure it: evals)
        self.licences = licences
        self.read_sides = read_sides
        self._translations: dict[str, str] = {}

    def stance_licences(self, language: str) -> dict[str, Licence | None]:
        """Each side's licence for this model on quotes in ``language``."""
        if self.licences is None:
            return dict.fromkeys(STANCE_KINDS)
        return {s: self.licences.licence(k, language) for s, k in STANCE_KINDS.items()}

    def run(
        self, request: PositionsRequest, progress: Progress | None = None,
        max_speakers: int = MAX_SPEAKERS, requested_by: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Every speaker's position (``PositionsOut``), saved under ``runs/positions`` with
        who asked; more than ``max_speakers`` in the period is refused before any model
        call."""
        request = request.checked()
        started = time.perf_counter()
        levels = readable_levels(request.clearance)
        counts = speakers_in(self.engine.registry, request.filters, levels)
        # social accounts take a slot only when named: the period's speakers are governments
        governments = [s for s in counts if not s.startswith("@")]
        speakers = request.speakers or sorted(governments, key=lambda s: (-counts[s], s))
        if len(speakers) > max_speakers:
            raise RangeError(f"{len(speakers)} speakers in the period; at most {max_speakers}",
                             fix="name the speakers or narrow the period")  # fmt: skip
        named = countries_in(request.topic)  # a country is matched in any language already
        translations = {} if named else self._topic_translations(request)
        topic = phrase_topic(request.topic, question_language(request.topic), translations)
        positions = []
        for done, speaker in enumerate(speakers):
            if progress:
                progress(done, len(speakers), speaker)
            positions.append(self._position(request, speaker, counts[speaker], topic, levels))
        if progress:
            progress(len(speakers), len(speakers), "")
        seconds = round(time.perf_counter() - started, 3)
        return self._report(request, positions, seconds, requested_by)

    def _topic_translations(self, request: PositionsRequest) -> dict[str, str]:
        """The topic in the corpus's other languages (for topics that name no country)."""
        languages = self.engine.retrieval.lexical_languages()
        if len(self._translations) > TRANSLATION_CACHE:
            self._translations.clear()
        found = translate_query(request.topic, question_language(request.topic), languages,
                                self.engine.llm, self._translations)  # fmt: skip
        return found

    def _position(
        self, request: PositionsRequest, speaker: str, documents: int,
        topic: Topic, levels: list[str],
    ) -> Position:  # fmt: skip
        engine = self.engine
        quotes, statements = speaker_evidence(
            engine.search, engine.retrieval.embedder, request.topic, speaker,
            filters=request.filters, clearance=request.clearance, on_topic=topic,
            k=SEARCH_K, quotes=request.quotes, statements=STATEMENTS_PER_SPEAKER,
        )  # fmt: skip
        if not quotes:
            return Position(speaker, "no_statement", None, [], {}, {}, documents)
        language = quotes_language(quotes)
        licences = self.stance_licences(language)
        shown = {side for side, lic in licences.items() if lic is not None and lic.shown}
        read_side = bool(shown) if self.read_sides is None else self.read_sides
        reading = read_stance(
            engine.llm,
            self.turn,
            topic=request.topic,
            speaker_name=speaker_label(speaker),
            quotes=quotes,
            language=request.language,
            judge=engine.judge,
            read_side=read_side,
        )
        translations = translate_quotes(engine.llm, self.turn, quotes, request.language)
        verified = {q.n: verbatim(engine.registry, q, levels) for q in quotes}
        stance = reading.stance
        if stance in licences and stance not in shown:
            licence = licences[stance]
            why = licence.message() if licence else "no calibration records are consulted here"
            reading.reasons.append(f"not shown: {why}; read the quotes (the reading: model_stance)")
            stance = "undetermined"
        elif not read_side and reading.summary is not None:
            reading.reasons.append(
                "no stance label is licensed for this model in "
                f"{language} (`dragoman calibrate list`): read the quotes and the summary"
            )
        return Position(
            speaker, stance, reading, quotes, translations, verified, documents, statements
        )

    def _report(
        self, request: PositionsRequest, positions: list[Position], seconds: float,
        requested_by: str | None,
    ) -> dict[str, Any]:  # fmt: skip
        filters = request.filters
        report = PositionsOut.shape({
            "run_id": new_run_id(), "topic": request.topic, "language": request.language,
            "since": _day(filters.since), "until": _day(filters.until), "kind": filters.kind,
            "positions": [p.to_dict() for p in positions],
            "disagreements": between_speakers([(p.speaker, p.statements) for p in positions]),
            "backend": self.engine.llm.backend,
            "model": self.engine.llm.model, "timings": {"total_s": seconds},
            "licences": self._licences_of(positions),
        })  # fmt: skip
        self.runs.save(report["run_id"], {"requested_by": requested_by,
                                          "request": asdict(request),
                                          "positions": [asdict(p) for p in positions],
                                          "report": report})  # fmt: skip
        return report

    def _licences_of(self, positions: list[Position]) -> list[dict[str, Any]]:
        """The stance licences behind the labels of this run, one per side and language."""
        languages = sorted({quotes_language(p.quotes) for p in positions if p.quotes})
        return [
            lic.to_dict()
            for language in languages
            for lic in self.stance_licences(language).values()
            if lic is not None
        ]

    def saved(self, run_id: str, requested_by: str, clearance: str) -> dict[str, Any]:
        """A saved run's positions, for the one who asked for them only, each quote
        checked again against the reader's clearance now (a document reclassified since
        drops out)."""
        if not RUN_ID.fullmatch(run_id):
            raise NotFoundError(f"no positions run {run_id!r}")
        try:
            saved = self.runs.load(run_id)
        except InputError as exc:
            raise NotFoundError(f"no positions run {run_id!r}") from exc
        if saved.get("requested_by") != requested_by:
            raise NotFoundError(f"no positions run {run_id!r}")
        report: dict[str, Any] = saved["report"]
        disagreements = report.get("disagreements", [])  # runs saved before they were kept
        cited = [q["doc_id"] for p in report["positions"] for q in p["quotes"]] + [
            doc_id for d in disagreements for side in d["sides"] for doc_id in side["doc_ids"]
        ]
        readable = self.engine.registry.readable(cited, readable_levels(clearance))
        for position in report["positions"]:
            kept = [q for q in position["quotes"] if q["doc_id"] in readable]
            if len(kept) < len(position["quotes"]):  # what was read from them goes with them
                position.update(quotes=kept, stance="undetermined", model_stance=None,
                                summary=None, summary_supported=False, summary_score=None,
                                reasons=["some quotes are no longer yours to read"])  # fmt: skip
        report["disagreements"] = readable_only(disagreements, readable)
        return report

    def compare(
        self, request: PositionsRequest, periods: Sequence[tuple[int | None, int | None]],
        progress: Progress | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """The same speakers in two periods (``ShiftsOut``): a change is flagged only where
        both periods hold quotes and the stances differ."""
        if len(periods) != 2:
            raise InputError("compare two periods", fix="--compare 2021 2022")
        reports = [
            self.run(replace(request, filters=replace(request.filters, since=a, until=b)), progress)
            for a, b in periods
        ]
        after = {p["speaker"]: p for p in reports[1]["positions"]}
        shifts = []
        for before in reports[0]["positions"]:
            other = after.get(before["speaker"])
            if other is None:
                continue
            both = before["quotes"] and other["quotes"]
            changed = bool(both) and before["stance"] != other["stance"]
            shifts.append({"speaker": before["speaker"], "name": before["name"],
                           "before": before, "after": other, "changed": changed})  # fmt: skip
        return ShiftsOut.shape({
            "topic": reports[0]["topic"], "periods": [_period(a, b) for a, b in periods],
            "runs": [r["run_id"] for r in reports],
            "shifts": [ShiftOut.shape(s) for s in shifts],
        })  # fmt: skip


def quotes_language(quotes: Sequence[Passage]) -> str:
    """The language most of a speaker's quotes are in (the stance is read from them)."""
    counts: dict[str, int] = {}
    for quote in quotes:
        counts[quote.language] = counts.get(quote.language, 0) + 1
    return max(sorted(counts), key=lambda lang: counts[lang]) if counts else "und"


def _day(value: int | None) -> str | None:
    if value is None:
        return None
    text = str(value)
    return f"{text[:4]}-{text[4:6]}-{text[6:]}"


def _period(since: int | None, until: int | None) -> str:
    return f"{_day(since) or '…'} – {_day(until) or '…'}"


def parse_period(text: str) -> tuple[int, int]:
    """A period as an analyst writes it: ``2022``, ``2022-03`` or ``2022-01-01..2022-06-30``
    (either end may be a year or a month), as (since, until) YYYYMMDD, both included."""
    first, _, last = text.strip().partition("..")
    since, until = _bounds(first), _bounds(last or first)
    if since[0] > until[1]:
        raise InputError(f"period {text!r} ends before it starts", fix="e.g. 2021..2022")
    return since[0], until[1]


def _bounds(text: str) -> tuple[int, int]:
    parts = text.strip().split("-")
    if not all(p.isdigit() for p in parts) or len(parts) > 3 or len(parts[0]) != 4:
        raise InputError(f"not a period: {text!r}", fix="2022, 2022-03 or 2022-01-01..2022-06-30")
    year = int(parts[0])
    month = int(parts[1]) if len(parts) > 1 else None
    day = int(parts[2]) if len(parts) > 2 else None
    if (month is not None and not 1 <= month <= 12) or (day is not None and not 1 <= day <= 31):
        raise InputError(f"not a date: {text!r}", fix="months 01–12, days 01–31")
    low = year * 10000 + (month or 1) * 100 + (day or 1)
    high = year * 10000 + (month or 12) * 100 + (day or 31)
    return low, high
