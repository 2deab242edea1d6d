"""On-demand briefing jobs in the users' database, so that every web worker sees them: a job
is written by the worker that accepted it and read, with its progress, through any other.

A job whose worker died stops being touched; after ``STALE_AFTER`` it reads as failed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, String, Text, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column

from assistant.accounts.store import Base, WebStore, utcnow
from assistant.briefing.contracts import BriefingJobOut
from assistant.briefing.pipeline import BriefRequest
from assistant.core.migrations import Schema

KEPT_FOR = timedelta(days=1)  # shown for a day (the briefings stay in the archive)
PURGED_AFTER = timedelta(days=30)
STALE_AFTER = timedelta(minutes=15)  # no touch for this long: its worker has gone
UNFINISHED = ("queued", "running")


@dataclass
class BriefingJob:
    """One briefing asked for: what, by whom, where it stands, and what came of it."""

    id: str
    requested_by: str
    request: BriefRequest
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    status: str = "queued"  # queued → running → done | failed
    progress: str = "waiting for its turn"
    finished_at: datetime | None = None
    error: str | None = None
    fix: str | None = None
    briefing: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        request = self.request
        return BriefingJobOut.shape({
            "id": self.id, "status": self.status, "progress": self.progress,
            "requested_by": self.requested_by, "date": request.day.isoformat(),
            "window": request.window, "watchlist": request.watchlist,
            "languages": request.languages, "formats": request.formats,
            "clearance": request.clearance, "created_at": self.created_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "error": self.error, "fix": self.fix, "briefing": self.briefing,
        })  # fmt: skip


class BriefingJobRow(Base):
    __tablename__ = "briefing_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    requested_by: Mapped[str] = mapped_column(String(64), index=True)
    request_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), index=True)
    progress: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    touched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    fix: Mapped[str | None] = mapped_column(Text)
    briefing_json: Mapped[str | None] = mapped_column(Text)


JOBS_SCHEMA = Schema(
    "briefing_jobs", Path(__file__).parent / "migrations", tables=("briefing_jobs",)
)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _job(row: BriefingJobRow) -> BriefingJob:
    fields = json.loads(row.request_json)
    request = BriefRequest(**{**fields, "day": date.fromisoformat(fields["day"])})
    job = BriefingJob(
        row.id, row.requested_by, request, created_at=_aware(row.created_at), status=row.status,
        progress=row.progress, finished_at=_aware(row.finished_at) if row.finished_at else None,
        error=row.error, fix=row.fix,
        briefing=json.loads(row.briefing_json) if row.briefing_json else None,
    )  # fmt: skip
    if job.status in UNFINISHED and utcnow() - _aware(row.touched_at) > STALE_AFTER:
        job.status, job.progress = "failed", "failed"
        job.error = "the server process writing this briefing stopped"
        job.fix = "ask for the briefing again"
    return job


class JobStore:
    """The jobs of the last day, shared by every worker through the users' database."""

    def __init__(self, store: WebStore) -> None:
        store.migrate(JOBS_SCHEMA)
        self.store = store

    def add(self, job: BriefingJob) -> None:
        request = {**asdict(job.request), "day": job.request.day.isoformat()}
        with self.store.session() as db, db.begin():
            db.execute(
                delete(BriefingJobRow).where(BriefingJobRow.created_at < utcnow() - PURGED_AFTER)
            )
            db.add(BriefingJobRow(
                id=job.id, requested_by=job.requested_by, request_json=json.dumps(request),
                status=job.status, progress=job.progress, created_at=job.created_at,
                touched_at=utcnow(),
            ))  # fmt: skip

    def save(self, job: BriefingJob) -> None:
        """Write the job's state (its worker calls this at every step)."""
        briefing = json.dumps(job.briefing, ensure_ascii=False) if job.briefing else None
        with self.store.session() as db, db.begin():
            db.execute(update(BriefingJobRow).where(BriefingJobRow.id == job.id).values(
                status=job.status, progress=job.progress, finished_at=job.finished_at,
                error=job.error, fix=job.fix, briefing_json=briefing, touched_at=utcnow(),
            ))  # fmt: skip

    def touch(self, job_ids: Iterable[str]) -> None:
        """This worker still holds these jobs (queued behind the one it writes)."""
        ids = list(job_ids)
        if ids:
            with self.store.session() as db, db.begin():
                db.execute(update(BriefingJobRow).where(BriefingJobRow.id.in_(ids))
                           .values(touched_at=utcnow()))  # fmt: skip

    def get(self, job_id: str) -> BriefingJob | None:
        with self.store.session() as db:
            row = db.get(BriefingJobRow, job_id)
            return _job(row) if row else None

    def recent(self, requested_by: str | None = None) -> list[BriefingJob]:
        """The jobs of the last day (one person's, or everyone's), newest first."""
        query = select(BriefingJobRow).where(BriefingJobRow.created_at >= utcnow() - KEPT_FOR)
        if requested_by is not None:
            query = query.where(BriefingJobRow.requested_by == requested_by)
        with self.store.session() as db:
            rows = db.scalars(query.order_by(BriefingJobRow.created_at.desc())).all()
            return [_job(row) for row in rows]
