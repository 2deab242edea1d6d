"""The users' database: accounts, sessions, API tokens and the audit log, with the shared
declarative base on which the other owners declare their tables (conversation history in
:mod:`assistant.answering.history`, drafts in :mod:`assistant.drafting.store`).

SQLite by default (``DRAGOMAN_HOME/web.db``); any SQLAlchemy URL works.  The audit log is
append-only in the database itself (triggers refuse every UPDATE and DELETE on it), and so
are a draft's versions and reviews.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from assistant.core.database import append_only, open_engine, storage_error
from assistant.core.migrations import Schema, upgrade
from assistant.core.redact import mask_url_secrets


class Base(DeclarativeBase):
    # a column declared by its Python type alone: strings as TEXT, times as aware timestamps
    type_annotation_map: ClassVar[dict[Any, Any]] = {str: Text(), datetime: DateTime(timezone=True)}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    password_hash: Mapped[str]
    role: Mapped[str] = mapped_column(String(20))
    clearance: Mapped[str] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # failed sign-ins in a row, from anywhere; at the ceiling the account is locked until
    # an administrator lifts it
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_at: Mapped[datetime | None]


class SessionRow(Base):
    """A browser session; the cookie carries the (signed) id, the table only its hash."""

    __tablename__ = "sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class TokenRow(Base):
    """An API token for scripts; only its sha256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime | None]


class AuditRow(Base):
    """One audited event; ``hash`` chains each row to the one before it."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str | None]
    detail_json: Mapped[str] = mapped_column(default="{}")
    client: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class RateBucketRow(Base):
    """A rate limit's token bucket, shared by every web worker (``key``: limit and user)."""

    __tablename__ = "rate_buckets"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    stamp: Mapped[float] = mapped_column(Float, index=True)  # epoch seconds of the last take


class TicketRow(Base):
    """A place in the generation queue, shared by every web worker; gone when it ends, and
    ignored after ``expires_at`` (its worker died)."""

    __tablename__ = "generation_tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    worker: Mapped[str] = mapped_column(String(64))
    admitted_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class LeaseRow(Base):
    """Work that one worker does for all (the scheduler): who holds it, until when."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[float] = mapped_column(Float)


ACCOUNTS_SCHEMA = Schema(
    "accounts", Path(__file__).parent / "migrations",
    tables=("users", "sessions", "api_tokens", "audit_log"),
    legacy_columns={("api_tokens", "expires_at"): "TIMESTAMP"},
    after=append_only(audit_log="the audit log"),
)  # fmt: skip


class WebStore:
    """Opens (and creates) the web database; hands out sessions."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = open_engine(url, setting="DRAGOMAN_WEB_DATABASE_URL")
        shown = mask_url_secrets(url)
        self._shown = shown
        self.migrate(ACCOUNTS_SCHEMA)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self, schema: Schema) -> None:
        """Bring an owner's tables in this database to their newest revision (each owner's
        store calls this when it opens: accounts here, history and drafts in theirs)."""
        try:
            upgrade(self.engine, schema)
        except SQLAlchemyError as exc:
            raise storage_error(
                exc, "cannot open the users' database", self._shown, "DRAGOMAN_WEB_DATABASE_URL"
            ) from exc

    def session(self) -> Session:
        return self._sessions()
