"""Schema migrations (Alembic) for every table the product writes, each schema with its owner.

Each owner keeps its revisions in its own ``migrations/`` folder (``corpus/migrations``,
``assistant/monitoring/migrations``, ``assistant/accounts/migrations``,
``assistant/answering/migrations``, ``assistant/drafting/migrations``,
``assistant/collection/migrations``) and its own version
table (``alembic_version_<name>``), so owners sharing a database migrate independently.
Opening a store brings its schema to the newest revision.  A home written before migrations
existed (tables present, no version table) is *adopted*: the columns added by hand in those
releases are added if missing, the baseline revision is stamped, and later revisions run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from assistant.core.database import lock_for_transaction
from assistant.core.errors import StoreError

# (table, column) → SQL type of the columns releases before migrations added by ALTER TABLE
LegacyColumns = dict[tuple[str, str], str]


@dataclass(frozen=True)
class Schema:
    """One owner's tables and the folder of revisions that build them."""

    name: str
    directory: Path
    tables: tuple[str, ...]
    baseline: str = "0001"
    legacy_columns: LegacyColumns = field(default_factory=dict)
    # statements run after each upgrade (e.g. SQLite triggers that make a table append-only)
    after: Callable[[Connection], None] | None = None

    @property
    def version_table(self) -> str:
        return f"alembic_version_{self.name}"


@cache
def _scripts(directory: str) -> ScriptDirectory:
    return ScriptDirectory(directory, version_locations=[directory])


def upgrade(engine: Engine, schema: Schema) -> str | None:
    """Bring ``schema`` to its newest revision in ``engine``'s database; return it."""
    try:
        return _upgrade(engine, schema)
    except OperationalError:
        # another process created the same tables at the same moment: read its work
        return _upgrade(engine, schema)


def _upgrade(engine: Engine, schema: Schema) -> str | None:
    script = _scripts(str(schema.directory))
    head = script.get_current_head()
    with engine.begin() as connection:
        lock_for_transaction(connection, f"dragoman-migrate-{schema.name}")  # one process at a time
        context = _context(connection, schema, script)
        if context.get_current_revision() == head:  # the common case: one read, no write
            return head
        if context.get_current_revision() is None and _adopt(connection, schema):
            context.stamp(script, schema.baseline)
        with Operations.context(context):
            context.run_migrations()
        if schema.after:
            schema.after(connection)
        return head


def head_revision(schema: Schema) -> str | None:
    """The newest revision in ``schema``'s folder."""
    return _scripts(str(schema.directory)).get_current_head()


def current_revision(engine: Engine, schema: Schema) -> str | None:
    with engine.connect() as connection:
        return _context(connection, schema, _scripts(str(schema.directory))).get_current_revision()


def _context(connection: Connection, schema: Schema, script: ScriptDirectory) -> MigrationContext:
    def steps(revision: Any, _context: MigrationContext) -> Any:
        return script._upgrade_revs("head", revision)

    options = {"version_table": schema.version_table, "script": script, "fn": steps}
    return MigrationContext.configure(connection, opts=options)


def _adopt(connection: Connection, schema: Schema) -> bool:
    """A schema made before migrations: add the hand-added columns it may lack, report True."""
    existing = set(inspect(connection).get_table_names())
    present = [t for t in schema.tables if t in existing]
    if not present:
        return False
    missing = sorted(set(schema.tables) - existing)
    if missing:
        raise StoreError(
            f"the {schema.name} tables are incomplete (missing {', '.join(missing)}); "
            "this database was not written by Dragoman or was damaged",
            fix="restore the database from a backup, or move it away to start afresh",
        )
    for (table, column), definition in schema.legacy_columns.items():
        columns = {c["name"] for c in inspect(connection).get_columns(table)}
        if column not in columns:
            connection.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {definition}"))
    return True
