"""Opening a store's database, the same way for every owner, on SQLite or PostgreSQL.

SQLite (a file in the home) is the default; any SQLAlchemy URL works, and PostgreSQL
(``postgresql+psycopg://…``) is tested.  What only one engine does natively has its
equivalent on the other here: the triggers that make a table append-only, and a lock held
for one transaction across every process that shares the database (migrations, leases).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError

from assistant.core.errors import StoreError
from assistant.core.redact import mask_url_secrets


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
            f"invalid {setting} {mask_url_secrets(url)!r}: {type(exc).__name__}: {exc}",
            fix=f"check {setting}: a SQLAlchemy URL whose driver is installed "
            "(PostgreSQL: pip install 'dragoman[postgres]')",
        ) from exc
    event.listen(engine, "handle_error", _clear_storage_errors(where_of(url), setting))
    return engine


def _clear_storage_errors(where: str, setting: str) -> Callable[[Any], None]:
    """A failure of the storage itself (disk full, read-only, corrupted, unopenable) becomes
    a :class:`StoreError` naming the database and the remedy, wherever it happens; every
    other database error (a constraint, a race) stays as it was for the code that handles
    it."""

    def convert(context: Any) -> None:
        original = context.original_exception
        said = str(original).lower()
        if any(needle in said for needles, _, _ in _CAUSES for needle in needles):
            failed = context.sqlalchemy_exception or original
            error = storage_error(failed, "the database", where, setting)
            _FAILURES[where] = (time.monotonic(), error.message)
            raise error from original

    return convert


# What SQLite (and the system beneath it) says, and what is wrong then.
_CAUSES = (
    (
        ("database or disk is full", "no space left"),
        "the disk holding it is full",
        "free space on that disk (what was stored before is intact)",
    ),
    (
        ("readonly database", "read-only file system", "attempt to write a readonly"),
        "it is read-only (a read-only disk, or a file the server's user may not write)",
        "make the home writable by the user running dragoman (`dragoman doctor` checks it)",
    ),
    (
        ("unable to open database file", "permission denied"),
        "it cannot be opened (a missing folder, or permissions)",
        "check that the home exists and belongs to the user running dragoman",
    ),
    (
        ("database disk image is malformed", "file is not a database", "malformed"),
        "the file is corrupted",
        "restore it from the last backup (docs/DEPLOY.md, 'Backups'); `dragoman doctor` runs "
        "SQLite's integrity check",
    ),
    (
        ("disk i/o error",),
        "the disk failed to read or write it (full, removed or failing)",
        "check the disk's free space and health",
    ),
)


_FAILURES: dict[str, tuple[float, str]] = {}  # where → (when, what) of its last failure


def storage_failures(within_s: float = 300.0) -> dict[str, str]:
    """The databases whose storage failed in this process within ``within_s`` seconds (a
    full disk, a read-only file): what ``/healthz`` reports as degraded."""
    now = time.monotonic()
    return {where: what for where, (when, what) in _FAILURES.items() if now - when <= within_s}


def storage_error(exc: BaseException, what: str, where: str, setting: str) -> StoreError:
    """A database failure as a clear error: what failed, where, the cause the driver gave
    (disk full, read-only, corrupted, unopenable) and its remedy; a cause it does not know
    points at the setting."""
    said = str(getattr(exc, "orig", None) or exc).lower()
    for needles, cause, fix in _CAUSES:
        if any(needle in said for needle in needles):
            return StoreError(f"{what} ({where}): {cause}", fix=fix)
    server = "://" in where  # a file's path otherwise
    return StoreError(
        f"{what} ({where}): {type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:300]}",
        fix=f"check {setting}" + (" and that its server is reachable" if server else ""),
    )


def where_of(url: str) -> str:
    """A database URL as it may be shown: a SQLite file's path, a server's masked URL."""
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    return mask_url_secrets(url)


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
