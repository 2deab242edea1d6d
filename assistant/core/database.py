"""Opening a store's database, the same way for every owner, on SQLite or PostgreSQL.

SQLite (a file in the home) is the default; any SQLAlchemy URL works, and PostgreSQL
(``postgresql+psycopg://…``) is tested.  What only one engine does natively has its
equivalent on the other here: the triggers that make a table append-only, and a lock held
for one transaction across every process that shares the database (migrations, leases).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError

from assistant.core.errors import StoreError
from assistant.core.redact import mask_url_password


def open_engine(url: str, *, setting: str, durable: bool = False) -> Engine:
    """An engine for ``url`` (named ``setting`` in errors); a SQLite file's folder is made.

    ``durable`` asks SQLite for a full fsync at each commit (the registry's documents)."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        if url.startswith("sqlite"):
            # the server touches the database from worker threads; SQLite must allow that
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas(durable))
        else:  # a server: connections dropped by a restart are replaced, not handed out
            engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(
            f"invalid {setting} {mask_url_password(url)!r}: {type(exc).__name__}: {exc}",
            fix=f"check {setting}: a SQLAlchemy URL whose driver is installed "
            "(PostgreSQL: pip install 'dragoman[postgres]')",
        ) from exc
    return engine


def _sqlite_pragmas(durable: bool) -> Callable[[Any, Any], None]:
    def apply(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if durable:
            cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    return apply


def advisory_key(name: str) -> int:
    """PostgreSQL's advisory-lock key for ``name`` (a signed 32-bit integer)."""
    return zlib.crc32(name.encode("utf-8")) - 2**31


def lock_for_transaction(connection: Connection, name: str) -> None:
    """Hold the lock ``name`` until ``connection``'s transaction ends, across processes.

    PostgreSQL: a transaction-level advisory lock.  SQLite: its single writer already
    serialises writers, so nothing is needed."""
    if connection.dialect.name == "postgresql":
        key = advisory_key(name)
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


_PG_REFUSE = """
CREATE OR REPLACE FUNCTION dragoman_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation';
END
$$
"""


def append_only(**tables: str) -> Callable[[Connection], None]:
    """Triggers that make each table (name → what it records) append-only: the database
    itself refuses their updates and deletes (and, on PostgreSQL, a TRUNCATE)."""

    def install(connection: Connection) -> None:
        if connection.dialect.name == "sqlite":
            statements = [
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op} BEFORE {op.upper()} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{what} is append-only'); END"
                for table, what in tables.items()
                for op in ("update", "delete")
            ]
        elif connection.dialect.name == "postgresql":
            statements = [_PG_REFUSE] + [
                f"CREATE OR REPLACE TRIGGER {table}_no_{op} BEFORE {op.upper()} ON {table} "
                f"FOR EACH {'STATEMENT' if op == 'truncate' else 'ROW'} "
                f"EXECUTE FUNCTION dragoman_refuse_change('{what}')"
                for table, what in tables.items()
                for op in ("update", "delete", "truncate")
            ]
        else:
            raise StoreError(
                f"append-only tables are not enforced on {connection.dialect.name}",
                fix="use SQLite or PostgreSQL for the users' database",
            )
        for statement in statements:
            connection.execute(text(statement))

    return install
