"""The document registry: every document and every ingest run, in SQL (SQLite by default).

Writes happen in batches, each one transaction, so a crash loses at most the batch
in flight and a re-run converges; nothing outside the batch is touched.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from assistant.core.database import open_engine, storage_error, where_of
from assistant.core.errors import InputError, StoreError
from assistant.core.migrations import Schema, upgrade
from corpus.document import Document
from corpus.speakers import speakers_of


class Base(DeclarativeBase):
    # a column declared by its Python type alone: strings as TEXT, times as aware timestamps
    type_annotation_map: ClassVar[dict[Any, Any]] = {str: Text(), datetime: DateTime(timezone=True)}


class DocumentRow(Base):
    __tablename__ = "documents"

    doc_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str]
    text: Mapped[str]
    url: Mapped[str | None]
    source: Mapped[str | None] = mapped_column(String(300), index=True)
    author: Mapped[str | None] = mapped_column(String(300))
    platform: Mapped[str | None] = mapped_column(String(40))
    published_at: Mapped[datetime | None]
    published_date: Mapped[int | None] = mapped_column(Integer, index=True)
    published_ts: Mapped[int | None] = mapped_column(BigInteger)
    language: Mapped[str] = mapped_column(String(8), index=True)
    countries: Mapped[str] = mapped_column(default="")  # "|CHN|USA|" for LIKE filters
    clearance: Mapped[str] = mapped_column(String(16), index=True)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    origin: Mapped[str]
    metadata_json: Mapped[str] = mapped_column(default="{}")
    duplicate_of: Mapped[str | None] = mapped_column(String(40), index=True)
    duplicate_kind: Mapped[str | None] = mapped_column(String(8))
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary)
    first_run_id: Mapped[str] = mapped_column(String(40))
    last_run_id: Mapped[str] = mapped_column(String(40))
    # pending → indexed | excluded (duplicates); a write makes an indexed document "stale"
    # (its old chunks must go) and any other document "pending"
    index_state: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    updated_by: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime | None]


class VersionRow(Base):
    """A document's earlier content, kept whenever an ingest changes it: nothing is lost."""

    __tablename__ = "document_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    doc_id: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str]
    text: Mapped[str]
    url: Mapped[str | None]
    source: Mapped[str | None] = mapped_column(String(300))
    clearance: Mapped[str] = mapped_column(String(16))
    content_hash: Mapped[str] = mapped_column(String(64))
    metadata_json: Mapped[str] = mapped_column(default="{}")
    written_by: Mapped[str | None] = mapped_column(String(200))
    written_at: Mapped[datetime | None]
    run_id: Mapped[str] = mapped_column(String(40))
    superseded_at: Mapped[datetime]
    superseded_by: Mapped[str | None] = mapped_column(String(200))


class RunRow(Base):
    __tablename__ = "ingest_runs"

    run_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16))  # running | completed | interrupted
    inputs_json: Mapped[str]
    options_json: Mapped[str]
    counts_json: Mapped[str] = mapped_column(default="{}")
    seconds: Mapped[float | None] = mapped_column(Float)


class FailureRow(Base):
    __tablename__ = "ingest_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(40), index=True)
    path: Mapped[str]
    error: Mapped[str]


SPEAKER_SCAN = 100_000  # documents read at most to list one speaker's


def _spoken_by(
    session: Session, query: Any, speaker: str, limit: int, offset: int
) -> list[Document]:
    """A page of the documents ``speaker`` speaks in (or co-signs), read in pages of the
    listing's order: the speaker is derived from each document, not a column."""
    found: list[Document] = []
    for start in range(0, SPEAKER_SCAN, 1000):
        rows = list(session.scalars(query.limit(1000).offset(start)))
        found += [d for d in map(to_document, rows) if speaker in speakers_of(d)]
        if len(found) >= offset + limit or len(rows) < 1000:
            break
    return found[offset : offset + limit]


_DOC_FIELDS = ("doc_id", "kind", "title", "text", "url", "source", "author", "platform",
               "published_at", "published_date", "published_ts", "language", "clearance",
               "content_hash", "origin", "duplicate_of", "duplicate_kind")  # fmt: skip


def to_document(row: DocumentRow) -> Document:
    values: dict[str, Any] = {name: getattr(row, name) for name in _DOC_FIELDS}
    if values["published_at"] is not None and values["published_at"].tzinfo is None:
        values["published_at"] = values["published_at"].replace(tzinfo=UTC)
    values["countries_mentioned"] = [c for c in row.countries.split("|") if c]
    values["metadata"] = json.loads(row.metadata_json)
    return Document(**values)


def _fill(row: DocumentRow, doc: Document) -> None:
    for name in _DOC_FIELDS:
        setattr(row, name, getattr(doc, name))
    row.countries = "|" + "|".join(doc.countries_mentioned) + "|" if doc.countries_mentioned else ""
    row.metadata_json = json.dumps(doc.metadata, ensure_ascii=False, sort_keys=True, default=str)


@dataclass(frozen=True)
class DocFilters:
    """Document filters, shared by the registry listing and retrieval."""

    kind: str | None = None
    language: str | None = None
    country: str | None = None
    source: str | None = None
    since: int | None = None  # YYYYMMDD
    until: int | None = None
    include_duplicates: bool = False
    # who speaks (corpus.speakers): alpha-3 or @handle; derived from each document (its
    # metadata, source, account), so the registry listing reads documents to apply it
    speaker: str | None = None

    @property
    def empty(self) -> bool:
        return not any(
            (self.kind, self.language, self.country, self.source, self.since, self.until,
             self.speaker)
        )  # fmt: skip


REGISTRY_SCHEMA = Schema(
    "registry", Path(__file__).parent / "migrations",
    tables=("documents", "document_versions", "ingest_runs", "ingest_failures"),
    legacy_columns={  # added by ALTER TABLE in releases before migrations
        ("documents", "index_state"): "VARCHAR(12) DEFAULT 'pending'",
        ("documents", "updated_by"): "VARCHAR(200)",
        ("documents", "updated_at"): "TIMESTAMP",
    },
)  # fmt: skip


class Registry:
    """SQL-backed registry of documents and ingest runs."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = open_engine(url, setting="DRAGOMAN_DATABASE_URL", durable=True)
        self.where = where_of(url)
        try:
            upgrade(self.engine, REGISTRY_SCHEMA)
        except SQLAlchemyError as exc:
            raise storage_error(
                exc, "cannot open the document registry", self.where, "DRAGOMAN_DATABASE_URL"
            ) from exc

    def start_run(self, inputs: list[str], options: dict[str, Any]) -> str:
        run_id = f"run_{datetime.now(UTC):%Y%m%dT%H%M%SZ}_{secrets.token_hex(3)}"
        with Session(self.engine) as session, session.begin():
            stale = session.scalars(select(RunRow).where(RunRow.status == "running"))
            for run in stale:  # a run still "running" when a new one starts was killed
                run.status = "interrupted"
            session.add(
                RunRow(
                    run_id=run_id,
                    started_at=datetime.now(UTC),
                    status="running",
                    inputs_json=json.dumps(inputs, ensure_ascii=False),
                    options_json=json.dumps(options, ensure_ascii=False, default=str),
                )
            )
        return run_id

    def finish_run(
        self, run_id: str, counts: dict[str, Any], failures: list[dict[str, str]], seconds: float
    ) -> None:
        with Session(self.engine) as session, session.begin():
            run = session.get(RunRow, run_id)
            if run is None:
                raise StoreError(f"ingest run {run_id} vanished from the registry")
            run.status = "completed"
            run.finished_at = datetime.now(UTC)
            run.counts_json = json.dumps(counts)
            run.seconds = seconds
            session.add_all(FailureRow(run_id=run_id, **f) for f in failures)

    def abandon_run(
        self, run_id: str, counts: dict[str, Any], failures: list[dict[str, str]]
    ) -> None:
        """Mark a run that stopped on an error ``interrupted`` (never left ``running``)."""
        try:
            with Session(self.engine) as session, session.begin():
                run = session.get(RunRow, run_id)
                if run is not None:
                    run.status = "interrupted"
                    run.finished_at = datetime.now(UTC)
                    run.counts_json = json.dumps(counts)
                    session.add_all(FailureRow(run_id=run_id, **f) for f in failures)
        except SQLAlchemyError:
            pass  # the store itself failed: the next run marks this one interrupted

    def existing(
        self, doc_ids: list[str], clearance_levels: list[str] | None = None
    ) -> dict[str, Document]:
        """These documents, as stored now; with ``clearance_levels``, only those filed at
        one of them (what a reader may see, checked at the moment of reading)."""
        query = select(DocumentRow).where(DocumentRow.doc_id.in_(doc_ids))
        if clearance_levels is not None:
            query = query.where(DocumentRow.clearance.in_(clearance_levels))
        with Session(self.engine) as session:
            return {row.doc_id: to_document(row) for row in session.scalars(query)}

    def original_with_hash(self, clearance: str, content_hash: str) -> str | None:
        """The original with this content at this clearance level, if any."""
        with Session(self.engine) as session:
            return session.scalar(
                select(DocumentRow.doc_id)
                .where(
                    DocumentRow.content_hash == content_hash,
                    DocumentRow.clearance == clearance,
                    DocumentRow.duplicate_of.is_(None),
                )
                .order_by(DocumentRow.doc_id)
                .limit(1)
            )

    def write_batch(
        self, items: list[tuple[Document, bytes | None]], run_id: str, actor: str | None = None
    ) -> None:
        """Insert or update a batch of documents in one transaction; a changed document's
        previous content is kept as a version."""
        now = datetime.now(UTC)
        with Session(self.engine) as session, session.begin():
            for doc, signature in items:
                row = session.get(DocumentRow, doc.doc_id)
                if row is None:
                    row = DocumentRow(first_run_id=run_id)
                    session.add(row)
                else:
                    session.add(_version_of(session, row, now, actor))
                _fill(row, doc)
                row.updated_by, row.updated_at = actor, now
                row.minhash = signature
                row.last_run_id = run_id
                row.index_state = "stale" if row.index_state == "indexed" else "pending"

    def reclassify(self, doc_ids: list[str], clearance: str, actor: str | None) -> list[str]:
        """File these documents at ``clearance``; each keeps its previous version and is
        marked for re-indexing (its chunks move collection). Returns those changed; an
        unknown id is an InputError and changes nothing."""
        now = datetime.now(UTC)
        with Session(self.engine) as session, session.begin():
            rows = {r.doc_id: r for r in session.scalars(
                select(DocumentRow).where(DocumentRow.doc_id.in_(doc_ids)))}  # fmt: skip
            unknown = [d for d in doc_ids if d not in rows]
            if unknown:
                raise InputError(f"no document {unknown[0]!r}", fix="see `dragoman docs list`")
            changed = [r for r in rows.values() if r.clearance != clearance]
            for row in changed:
                session.add(_version_of(session, row, now, actor))
                row.clearance, row.updated_by, row.updated_at = clearance, actor, now
                row.index_state = "stale" if row.index_state == "indexed" else "pending"
            _detach_duplicates(session, [r.doc_id for r in changed], clearance)
            return sorted(r.doc_id for r in changed)

    def signatures(self) -> Iterator[tuple[str, str, bytes]]:
        """(doc_id, clearance, MinHash signature) of every original (non-duplicate) document."""
        with Session(self.engine) as session:
            query = select(DocumentRow.doc_id, DocumentRow.clearance, DocumentRow.minhash).where(
                DocumentRow.duplicate_of.is_(None), DocumentRow.minhash.is_not(None)
            )
            for doc_id, clearance, signature in session.execute(query):
                if signature is not None:
                    yield doc_id, clearance, signature

    def pending_index(self, limit: int) -> list[tuple[Document, bool]]:
        """Documents whose chunks must be (re)built or removed, with whether they had chunks."""
        with Session(self.engine) as session:
            query = select(DocumentRow).where(DocumentRow.index_state.in_(("pending", "stale")))
            rows = session.scalars(query.order_by(DocumentRow.doc_id).limit(limit))
            return [(to_document(row), row.index_state == "stale") for row in rows]

    def pending_count(self) -> int:
        """How many documents wait to be (re)indexed (a killed ingest or upload leaves some)."""
        query = select(func.count()).where(DocumentRow.index_state.in_(("pending", "stale")))
        with Session(self.engine) as session:
            return int(session.scalar(query) or 0)

    def mark_indexed(self, indexed: list[str], excluded: list[str]) -> None:
        with Session(self.engine) as session, session.begin():
            for state, ids in (("indexed", indexed), ("excluded", excluded)):
                if ids:
                    session.execute(
                        update(DocumentRow)
                        .where(DocumentRow.doc_id.in_(ids))
                        .values(index_state=state)
                    )

    def reset_index_state(self) -> int:
        """Mark every document for re-indexing (``dragoman reindex``)."""
        with Session(self.engine) as session, session.begin():
            result = session.execute(update(DocumentRow).values(index_state="stale"))
            return int(getattr(result, "rowcount", 0) or 0)

    def indexed_languages(self) -> list[str]:
        with Session(self.engine) as session:
            query = select(DocumentRow.language).where(DocumentRow.index_state == "indexed")
            return sorted(set(session.scalars(query.distinct())))

    def sources(self, clearance_levels: list[str]) -> list[str]:
        """The distinct source names of the documents filed at these clearance levels (what
        a reader's question may name: a source above their clearance is not one they may
        learn exists)."""
        with Session(self.engine) as session:
            query = select(DocumentRow.source).where(
                DocumentRow.source.is_not(None), DocumentRow.clearance.in_(clearance_levels)
            )
            return sorted({s for s in session.scalars(query.distinct()) if s})

    def get(self, doc_id: str) -> Document | None:
        with Session(self.engine) as session:
            row = session.get(DocumentRow, doc_id)
            return to_document(row) if row else None

    def versions(self, doc_id: str) -> list[dict[str, Any]]:
        """Earlier versions of a document, oldest first (``docs show ID --versions``)."""
        with Session(self.engine) as session:
            rows = session.scalars(
                select(VersionRow).where(VersionRow.doc_id == doc_id).order_by(VersionRow.version)
            )
            return [_version_dict(row) for row in rows]

    def duplicates_of(self, doc_id: str) -> list[Document]:
        with Session(self.engine) as session:
            rows = session.scalars(
                select(DocumentRow)
                .where(DocumentRow.duplicate_of == doc_id)
                .order_by(DocumentRow.doc_id)
            )
            return [to_document(row) for row in rows]

    def documents(
        self, filters: DocFilters, limit: int = 50, offset: int = 0,
        clearance_levels: list[str] | None = None,
    ) -> list[Document]:  # fmt: skip
        """A page of documents, newest first; with ``clearance_levels``, only those filed at
        one of them (what a reader may see)."""
        query = select(DocumentRow)
        if clearance_levels is not None:
            query = query.where(DocumentRow.clearance.in_(clearance_levels))
        if not filters.include_duplicates:
            query = query.where(DocumentRow.duplicate_of.is_(None))
        if filters.kind:
            query = query.where(DocumentRow.kind == filters.kind)
        if filters.language:
            query = query.where(DocumentRow.language == filters.language)
        if filters.country:
            query = query.where(DocumentRow.countries.like(f"%|{filters.country.upper()}|%"))
        if filters.source:
            query = query.where(DocumentRow.source == filters.source)
        if filters.since:
            query = query.where(DocumentRow.published_date >= filters.since)
        if filters.until:
            query = query.where(DocumentRow.published_date <= filters.until)
        query = query.order_by(DocumentRow.published_date.desc(), DocumentRow.doc_id)
        with Session(self.engine) as session:
            if filters.speaker:
                return _spoken_by(session, query, filters.speaker, limit, offset)
            rows = session.scalars(query.limit(limit).offset(offset))
            return [to_document(row) for row in rows]

    def in_window(
        self, start_ts: int, end_ts: int, filters: DocFilters, clearance_levels: list[str]
    ) -> list[Document]:
        """Documents published in [start_ts, end_ts) (epoch seconds), oldest first.

        Duplicates are included unless the filters exclude them: a briefing counts how
        widely a story was carried.  Only the listed clearance levels are read."""
        query = select(DocumentRow).where(
            DocumentRow.published_ts >= start_ts,
            DocumentRow.published_ts < end_ts,
            DocumentRow.clearance.in_(clearance_levels),
        )
        if not filters.include_duplicates:
            query = query.where(DocumentRow.duplicate_of.is_(None))
        for column, value in ((DocumentRow.kind, filters.kind),
                              (DocumentRow.language, filters.language),
                              (DocumentRow.source, filters.source)):  # fmt: skip
            if value:
                query = query.where(column == value)
        query = query.order_by(DocumentRow.published_ts, DocumentRow.doc_id)
        with Session(self.engine) as session:
            return [to_document(row) for row in session.scalars(query)]

    def latest_published(self, clearance_levels: list[str], before_ts: int) -> datetime | None:
        """When the newest document readable at these levels was published (none dated after
        ``before_ts`` counts: a wrong future date must not hide the corpus's real end)."""
        query = select(func.max(DocumentRow.published_ts)).where(
            DocumentRow.clearance.in_(clearance_levels), DocumentRow.published_ts <= before_ts
        )
        with Session(self.engine) as session:
            latest = session.scalar(query)
        return None if latest is None else datetime.fromtimestamp(int(latest), UTC)

    def readable(self, doc_ids: list[str], clearance_levels: list[str]) -> set[str]:
        """Those of these documents that exist at one of the listed clearance levels."""
        found: set[str] = set()
        with Session(self.engine) as session:
            for start in range(0, len(doc_ids), 500):
                query = select(DocumentRow.doc_id).where(
                    DocumentRow.doc_id.in_(doc_ids[start : start + 500]),
                    DocumentRow.clearance.in_(clearance_levels),
                )
                found.update(session.scalars(query))
        return found

    def minhashes(self, doc_ids: list[str]) -> dict[str, bytes]:
        """Stored MinHash signatures of these documents (those that have one)."""
        found: dict[str, bytes] = {}
        with Session(self.engine) as session:
            for start in range(0, len(doc_ids), 500):
                query = select(DocumentRow.doc_id, DocumentRow.minhash).where(
                    DocumentRow.doc_id.in_(doc_ids[start : start + 500]),
                    DocumentRow.minhash.is_not(None),
                )
                found.update({doc_id: data for doc_id, data in session.execute(query) if data})
        return found

    def count(self, include_duplicates: bool = True) -> int:
        query = select(func.count()).select_from(DocumentRow)
        if not include_duplicates:
            query = query.where(DocumentRow.duplicate_of.is_(None))
        with Session(self.engine) as session:
            return int(session.scalar(query) or 0)

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        with Session(self.engine) as session:
            rows = session.scalars(select(RunRow).order_by(RunRow.started_at.desc()).limit(limit))
            return [
                {"run_id": r.run_id, "status": r.status, "started_at": r.started_at.isoformat(),
                 "seconds": r.seconds, **json.loads(r.counts_json or "{}")}
                for r in rows
            ]  # fmt: skip


def _version_of(session: Session, row: DocumentRow, now: datetime, actor: str | None) -> VersionRow:
    """The row's current content as its next version number."""
    latest = session.scalar(
        select(func.max(VersionRow.version)).where(VersionRow.doc_id == row.doc_id)
    )
    return VersionRow(
        doc_id=row.doc_id, version=int(latest or 0) + 1, title=row.title, text=row.text,
        url=row.url, source=row.source, clearance=row.clearance, content_hash=row.content_hash,
        metadata_json=row.metadata_json, written_by=row.updated_by, written_at=row.updated_at,
        run_id=row.last_run_id, superseded_at=now, superseded_by=actor,
    )  # fmt: skip


def _detach_duplicates(session: Session, originals: list[str], clearance: str) -> None:
    """Duplicates left at another level than their re-filed original become originals
    themselves (never hidden behind a document some of their readers cannot see)."""
    query = select(DocumentRow).where(
        DocumentRow.duplicate_of.in_(originals), DocumentRow.clearance != clearance
    )
    for row in session.scalars(query):
        row.duplicate_of, row.duplicate_kind, row.index_state = None, None, "pending"


def _version_dict(row: VersionRow) -> dict[str, Any]:
    def iso(moment: datetime | None) -> str | None:
        if moment is None:
            return None
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()

    return {
        "version": row.version, "title": row.title, "text": row.text, "url": row.url,
        "source": row.source, "clearance": row.clearance, "content_hash": row.content_hash,
        "metadata": json.loads(row.metadata_json), "written_by": row.written_by,
        "written_at": iso(row.written_at), "run_id": row.run_id,
        "superseded_at": iso(row.superseded_at), "superseded_by": row.superseded_by,
    }  # fmt: skip
