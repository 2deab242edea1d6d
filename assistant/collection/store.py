"""Sources to collect, in the registry's database (``collect_sources``, migrated with
Alembic like every store): what each source is, its schedule, where it stopped (its
cursor: ETag, Last-Modified, since-id, newest date) and its health."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from assistant.core.errors import ConflictError, NotFoundError
from assistant.core.migrations import Schema, upgrade

COLLECTION_SCHEMA = Schema(
    "collection", Path(__file__).parent / "migrations", tables=("collect_sources",)
)
# the columns a new source takes as given (the rest start empty)
_GIVEN = ("name", "url", "type", "kind", "clearance", "language", "label", "every_s", "status",
          "created_at", "next_due_at")  # fmt: skip


class CollectBase(DeclarativeBase):
    pass


class SourceRow(CollectBase):
    __tablename__ = "collect_sources"
    __table_args__ = (UniqueConstraint("type", "url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2000))
    type: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str | None] = mapped_column(String(16))
    clearance: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(16))
    label: Mapped[str | None] = mapped_column(String(300))
    every_s: Mapped[int] = mapped_column(Integer)
    options_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))
    cursor_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failures: Mapped[int] = mapped_column(Integer)
    next_due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    added_total: Mapped[int] = mapped_column(Integer)


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes: every stored time is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@dataclass
class Source:
    """One source as stored; ``options`` holds the type's extras (``map``, ``robots``,
    ``prefix``), ``cursor`` where the last collection stopped."""

    id: int
    name: str
    # where and how it is fetched
    type: str
    url: str
    every_s: int
    # what its documents are labelled with
    clearance: str
    kind: str | None
    language: str | None
    label: str | None
    status: str
    created_at: datetime
    next_due_at: datetime
    options: dict[str, Any] = field(default_factory=dict)
    cursor: dict[str, Any] = field(default_factory=dict)
    last_run_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    failing_since: datetime | None = None
    failures: int = 0
    added_total: int = 0

    @classmethod
    def of(cls, row: SourceRow) -> Source:
        return cls(
            id=row.id,
            name=row.name,
            url=row.url,
            type=row.type,
            kind=row.kind,
            clearance=row.clearance,
            language=row.language,
            label=row.label,
            every_s=row.every_s,
            status=row.status,
            created_at=_utc(row.created_at) or row.created_at,
            next_due_at=_utc(row.next_due_at) or row.next_due_at,
            options=json.loads(row.options_json),
            cursor=json.loads(row.cursor_json),
            last_run_at=_utc(row.last_run_at),
            last_success_at=_utc(row.last_success_at),
            last_error=row.last_error,
            failing_since=_utc(row.failing_since),
            failures=row.failures,
            added_total=row.added_total,
        )

    def health(self, now: datetime, unhealthy_after: timedelta) -> str:
        """``paused``, ``ok``, ``failing`` (recently) or ``unhealthy`` (failing that long)."""
        if self.status == "paused":
            return "paused"
        if self.failing_since is None:
            return "ok" if self.last_success_at else "new"
        return "unhealthy" if now - self.failing_since >= unhealthy_after else "failing"


class SourceStore:
    """The sources table of one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        upgrade(engine, COLLECTION_SCHEMA)

    def add(self, source: Source) -> Source:
        with Session(self.engine) as session, session.begin():
            clash = session.scalar(
                select(SourceRow).where(SourceRow.type == source.type, SourceRow.url == source.url)
            )
            if clash is not None:
                raise ConflictError(
                    f"this URL is already source #{clash.id}",
                    fix=f"dragoman sources show {clash.id}",
                )
            row = SourceRow(
                options_json=json.dumps(source.options),
                cursor_json=json.dumps(source.cursor),
                failures=0,
                added_total=0,
                **{name: getattr(source, name) for name in _GIVEN},
            )
            session.add(row)
            session.flush()
            return Source.of(row)

    def get(self, source_id: int) -> Source:
        with Session(self.engine) as session:
            row = session.get(SourceRow, source_id)
            if row is None:
                raise NotFoundError(f"no source #{source_id}", fix="dragoman sources list")
            return Source.of(row)

    def all(self) -> list[Source]:
        with Session(self.engine) as session:
            rows = session.scalars(select(SourceRow).order_by(SourceRow.id))
            return [Source.of(row) for row in rows]

    def due(self, now: datetime) -> list[Source]:
        """Active sources whose time has come, the longest-waiting first."""
        return sorted(
            (s for s in self.all() if s.status == "active" and s.next_due_at <= now),
            key=lambda s: (s.next_due_at, s.id),
        )

    def update(self, source_id: int, **values: Any) -> Source:
        """Set columns (``cursor`` and ``options`` as dicts) of one source."""
        if "cursor" in values:
            values["cursor_json"] = json.dumps(values.pop("cursor"))
        if "options" in values:
            values["options_json"] = json.dumps(values.pop("options"))
        with Session(self.engine) as session, session.begin():
            row = session.get(SourceRow, source_id)
            if row is None:
                raise NotFoundError(f"no source #{source_id}", fix="dragoman sources list")
            for name, value in values.items():
                setattr(row, name, value)
            session.flush()
            return Source.of(row)

    def remove(self, source_id: int) -> Source:
        """Forget the source (its documents stay in the corpus)."""
        with Session(self.engine) as session, session.begin():
            row = session.get(SourceRow, source_id)
            if row is None:
                raise NotFoundError(f"no source #{source_id}", fix="dragoman sources list")
            source = Source.of(row)
            session.delete(row)
            return source
