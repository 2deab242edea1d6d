"""Scoring documents into the monitoring series, incrementally, and reading series back.

Each document is scored once per content hash (a changed document has its old
contribution taken out first); documents without a date cannot be placed in time and are
recorded as scored with no contribution.  Duplicates count: a re-posted message is volume.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from assistant.monitoring.attribution import Attribution, Attributor
from assistant.monitoring.store import (
    ANY,
    GRANULARITIES,
    MentionRow,
    ScoredRow,
    SeriesRow,
    bucket_of,
    create_tables,
)
from assistant.monitoring.watchlists import Watchlist
from corpus.document import Document
from corpus.registry import DocumentRow, Registry, to_document

BATCH = 64
Progress = Callable[[int, int], None]
SeriesKey = tuple[str, int, str, str, str, str, str]


@dataclass
class UpdateReport:
    scored: int = 0
    rescored: int = 0
    undated: int = 0
    mentions: int = 0
    touched: set[tuple[str, str, str]] = field(default_factory=set)  # (country, topic, kind)
    first_ts: int | None = None
    last_ts: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "scored": self.scored,
            "rescored": self.rescored,
            "undated": self.undated,
            "mentions": self.mentions,
            "series_touched": len(self.touched),
        }


@dataclass(frozen=True)
class Point:
    bucket_ts: int
    volume: int
    sentiment: float | None  # mean score in [-1, 1]
    negative_share: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": datetime.fromtimestamp(self.bucket_ts, UTC).isoformat(),
            "ts": self.bucket_ts,
            "volume": self.volume,
            "sentiment": None if self.sentiment is None else round(self.sentiment, 4),
            "negative_share": None
            if self.negative_share is None
            else round(self.negative_share, 4),
        }


def topics_of(doc: Document, watchlists: Iterable[Watchlist]) -> list[str]:
    """The watchlists with keywords that the document matches: its topics."""
    return [w.name for w in watchlists if w.keywords and w.matches(doc)]


def mention_rows(doc: Document, found: Attribution, topics: list[str]) -> list[MentionRow]:
    assert doc.published_ts is not None
    targets = [(ANY, found.document), *found.countries.items()]
    return [
        MentionRow(
            doc_id=doc.doc_id,
            country=country,
            topic=topic,
            kind=doc.kind,
            language=doc.language,
            clearance=doc.clearance,
            author=doc.author or doc.source,
            published_ts=doc.published_ts,
            score=sentiment.score,
            label=sentiment.label,
        )
        for country, sentiment in targets
        for topic in (ANY, *topics)
    ]


def _add_to_series(deltas: dict[SeriesKey, list[float]], row: MentionRow, sign: int) -> None:
    for granularity in GRANULARITIES:
        key = (
            granularity,
            bucket_of(row.published_ts, granularity),
            row.country,
            row.topic,
            row.kind,
            row.language,
            row.clearance,
        )
        delta = deltas[key]
        delta[0] += sign
        delta[1] += sign * row.score
        delta[2] += sign * (row.label == "negative")


def _apply(db: Session, deltas: dict[SeriesKey, list[float]]) -> None:
    for key, (volume, total, negative) in deltas.items():
        row = db.get(SeriesRow, key)
        if row is None and volume <= 0:
            continue  # nothing to add (a contribution moved within the same bucket)
        if row is None:
            row = SeriesRow(
                granularity=key[0],
                bucket_ts=key[1],
                country=key[2],
                topic=key[3],
                kind=key[4],
                language=key[5],
                clearance=key[6],
                volume=0,
                sentiment_sum=0.0,
                negative=0,
            )
            db.add(row)
        row.volume += int(volume)
        row.sentiment_sum += total
        row.negative += int(negative)
        if row.volume <= 0:
            db.delete(row)


def _changed() -> ColumnElement[bool]:
    """A document never scored, or changed since in anything its contribution uses."""
    return or_(
        ScoredRow.doc_id.is_(None),
        ScoredRow.content_hash != DocumentRow.content_hash,
        ScoredRow.clearance != DocumentRow.clearance,
        ScoredRow.published_ts.is_distinct_from(DocumentRow.published_ts),
        ScoredRow.kind != DocumentRow.kind,
        ScoredRow.language != DocumentRow.language,
    )


class SeriesStore:
    """The monitoring tables of one registry."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.engine = registry.engine
        create_tables(self.engine)

    def pending(self, limit: int) -> list[Document]:
        """Documents not yet scored, or changed since they were."""
        query = (
            select(DocumentRow)
            .outerjoin(ScoredRow, ScoredRow.doc_id == DocumentRow.doc_id)
            .where(_changed())
            .order_by(DocumentRow.doc_id)
            .limit(limit)
        )
        with Session(self.engine) as db:
            return [to_document(row) for row in db.scalars(query)]

    def pending_count(self) -> int:
        query = (
            select(func.count())
            .select_from(DocumentRow)
            .outerjoin(ScoredRow, ScoredRow.doc_id == DocumentRow.doc_id)
            .where(_changed())
        )
        with Session(self.engine) as db:
            return int(db.scalar(query) or 0)

    def record(self, batch: list[tuple[Document, list[MentionRow]]], report: UpdateReport) -> None:
        """Replace each document's contribution (one transaction for the batch)."""
        deltas: dict[SeriesKey, list[float]] = defaultdict(lambda: [0, 0.0, 0])
        now = datetime.now(UTC)
        with Session(self.engine) as db, db.begin():
            for doc, rows in batch:
                old = list(db.scalars(select(MentionRow).where(MentionRow.doc_id == doc.doc_id)))
                for row in old:
                    _add_to_series(deltas, row, -1)
                if db.get(ScoredRow, doc.doc_id) is not None:
                    report.rescored += 1
                db.execute(delete(MentionRow).where(MentionRow.doc_id == doc.doc_id))
                db.merge(
                    ScoredRow(
                        doc_id=doc.doc_id,
                        content_hash=doc.content_hash,
                        clearance=doc.clearance,
                        published_ts=doc.published_ts,
                        kind=doc.kind,
                        language=doc.language,
                        scored_at=now,
                    )
                )
                for row in rows:
                    _add_to_series(deltas, row, +1)
                    report.touched.add((row.country, row.topic, row.kind))
                db.add_all(rows)
                report.mentions += len(rows)
            db.flush()
            _apply(db, deltas)

    def points(
        self,
        granularity: str,
        since_ts: int,
        until_ts: int,
        country: str = ANY,
        topic: str = ANY,
        kind: str | None = None,
        language: str | None = None,
        clearances: list[str] | None = None,
    ) -> list[Point]:
        """One point per bucket in [since, until), empty buckets included (volume 0)."""
        period = (granularity, since_ts, until_ts)
        sums = self._sums(period, country, topic, kind, clearances, language, by_language=False)
        return _points(period, sums.get("", {}))

    def language_points(
        self,
        granularity: str,
        since_ts: int,
        until_ts: int,
        country: str = ANY,
        topic: str = ANY,
        kind: str | None = None,
        clearances: list[str] | None = None,
    ) -> dict[str, list[Point]]:
        """:meth:`points` per language of the items, in one query (each language's
        sentiment is shown under its own licence)."""
        period = (granularity, since_ts, until_ts)
        sums = self._sums(period, country, topic, kind, clearances, None, by_language=True)
        return {
            language: _points(period, found)
            for language, found in sorted(sums.items())
            if any(acc[0] for acc in found.values())
        }

    def _sums(
        self,
        period: tuple[str, int, int],
        country: str,
        topic: str,
        kind: str | None,
        clearances: list[str] | None,
        language: str | None,
        by_language: bool,
    ) -> dict[str, dict[int, list[float]]]:
        """(volume, sentiment sum, negatives) per bucket, per language or all under ""."""
        granularity, since_ts, until_ts = period
        conditions = _matching(
            SeriesRow, SeriesRow.bucket_ts, (since_ts, until_ts), country, topic, kind, clearances
        )
        conditions.append(SeriesRow.granularity == granularity)
        if language:
            conditions.append(SeriesRow.language == language)
        sums: dict[str, dict[int, list[float]]] = defaultdict(dict)
        with Session(self.engine) as db:
            for row in db.scalars(select(SeriesRow).where(and_(*conditions))):
                key = row.language if by_language else ""
                acc = sums[key].setdefault(row.bucket_ts, [0, 0.0, 0])
                acc[0] += row.volume
                acc[1] += row.sentiment_sum
                acc[2] += row.negative
        return sums

    def mentions(
        self,
        since_ts: int,
        until_ts: int,
        country: str = ANY,
        topic: str = ANY,
        kind: str | None = None,
        clearances: list[str] | None = None,
    ) -> list[MentionRow]:
        conditions = _matching(MentionRow, MentionRow.published_ts, (since_ts, until_ts),
                               country, topic, kind, clearances)  # fmt: skip
        with Session(self.engine) as db:
            rows = list(db.scalars(select(MentionRow).where(and_(*conditions))))
            db.expunge_all()
        return rows

    def country_totals(
        self, since_ts: int, until_ts: int, kind: str | None, clearances: list[str], limit: int
    ) -> list[tuple[str, int, float, int]]:
        """(country, volume, sentiment sum, negatives) of the countries named most often in
        [since, until), from the daily series, in one query."""
        volume = func.sum(SeriesRow.volume)
        query = (
            select(
                SeriesRow.country,
                volume,
                func.sum(SeriesRow.sentiment_sum),
                func.sum(SeriesRow.negative),
            )
            .where(
                SeriesRow.granularity == "day",
                SeriesRow.topic == ANY,
                SeriesRow.country != ANY,
                SeriesRow.bucket_ts >= since_ts,
                SeriesRow.bucket_ts < until_ts,
                SeriesRow.clearance.in_(clearances),
            )
            .group_by(SeriesRow.country)
            .order_by(volume.desc(), SeriesRow.country)
            .limit(limit)
        )
        if kind:
            query = query.where(SeriesRow.kind == kind)
        with Session(self.engine) as db:
            return [(c, int(v), float(t), int(n)) for c, v, t, n in db.execute(query) if v]

    def coverage_start(self, kind: str, clearance: str) -> int | None:
        """When the stored items of this kind and clearance begin (epoch seconds)."""
        query = select(func.min(MentionRow.published_ts)).where(
            MentionRow.kind == kind, MentionRow.clearance == clearance
        )
        with Session(self.engine) as db:
            value = db.scalar(query)
        return None if value is None else int(value)

    def keys(self, clearances: list[str] | None = None) -> list[tuple[str, str, str]]:
        """(country, topic, kind) of every daily series."""
        query = select(SeriesRow.country, SeriesRow.topic, SeriesRow.kind).distinct()
        query = query.where(SeriesRow.granularity == "day")
        if clearances is not None:
            query = query.where(SeriesRow.clearance.in_(clearances))
        with Session(self.engine) as db:
            return [(c, t, k) for c, t, k in db.execute(query)]


def _matching(
    table: type[SeriesRow] | type[MentionRow], time: Any, period: tuple[int, int], country: str,
    topic: str, kind: str | None, clearances: list[str] | None,
) -> list[ColumnElement[bool]]:  # fmt: skip
    """The conditions the series and the mentions are read by: a country and topic (or ANY),
    a period [since, until) of ``time``, a kind, the reader's clearances."""
    conditions = [table.country == country, table.topic == topic,
                  time >= period[0], time < period[1]]  # fmt: skip
    if kind:
        conditions.append(table.kind == kind)
    if clearances is not None:
        conditions.append(table.clearance.in_(clearances))
    return conditions


def _points(period: tuple[str, int, int], sums: dict[int, list[float]]) -> list[Point]:
    """A point for every bucket of the period, empty ones included."""
    granularity, since_ts, until_ts = period
    step = GRANULARITIES[granularity]
    start = bucket_of(since_ts, granularity)
    if start < since_ts:
        start += step
    return [_point(ts, sums.get(ts)) for ts in range(start, until_ts, step)]


def _point(ts: int, acc: list[float] | None) -> Point:
    if not acc or acc[0] <= 0:
        return Point(ts, 0, None, None)
    return Point(ts, int(acc[0]), acc[1] / acc[0], acc[2] / acc[0])


class MonitorUpdater:
    """Scores pending documents in batches, with progress."""

    def __init__(
        self,
        store: SeriesStore,
        attributor: Attributor,
        watchlists: list[Watchlist],
        batch: int = BATCH,
    ) -> None:
        self.batch = batch
        self.store = store
        self.attributor = attributor
        self.watchlists = watchlists

    def run(self, progress: Progress = lambda _done, _total: None) -> UpdateReport:
        report = UpdateReport()
        total = self.store.pending_count()
        done = 0
        while batch := self.store.pending(self.batch):
            dated = [d for d in batch if d.published_ts is not None]
            report.undated += len(batch) - len(dated)
            found = self.attributor.attribute_many(
                [f"{d.title}\n{d.text}" if d.kind != "social" else d.text for d in dated]
            )
            rows = [
                (d, mention_rows(d, f, topics_of(d, self.watchlists)))
                for d, f in zip(dated, found, strict=True)
            ]
            rows += [(d, []) for d in batch if d.published_ts is None]
            self.store.record(rows, report)
            for doc in dated:
                ts = doc.published_ts or 0
                report.first_ts = min(report.first_ts or ts, ts)
                report.last_ts = max(report.last_ts or ts, ts)
            report.scored += len(batch)
            done += len(batch)
            progress(done, total)
        report.scored -= report.rescored
        return report
