"""A home written by the release before migrations (0.1.0, tests/fixtures/home-0.1.0, made by
tests/fixtures/make_home_0_1_0.py with that release) is migrated when opened: every document,
chunk, account, conversation, draft, alert and audit row is still there, the audit chain is
intact, the append-only guards hold, and the schema is the one a new home gets."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import chromadb
import pytest
from alembic.autogenerate import compare_metadata
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, inspect

from assistant.accounts.accounts import Accounts
from assistant.accounts.audit import AuditLog
from assistant.accounts.store import ACCOUNTS_SCHEMA, Base, WebStore
from assistant.answering.history import HISTORY_SCHEMA, History
from assistant.briefing.job_store import JOBS_SCHEMA
from assistant.collection.store import COLLECTION_SCHEMA, CollectBase
from assistant.core.errors import StoreError
from assistant.core.migrations import Schema, current_revision, head_revision, upgrade
from assistant.core.schema_snapshot import create_snapshot
from assistant.core.settings import load_settings
from assistant.drafting.store import DRAFTS_SCHEMA
from assistant.drafting.workflow import DraftDesk
from assistant.licensing import CALIBRATION_SCHEMA
from assistant.monitoring.store import MONITORING_SCHEMA, MonitorBase, create_tables
from corpus.registry import REGISTRY_SCHEMA, DocFilters, Registry
from corpus.registry import Base as RegistryBase
from retrieval.index import COLLECTION_PREFIX
from tests.conftest import REPO

FIXTURE = REPO / "tests" / "fixtures" / "home-0.1.0"
AUDIT_KEY = "fixture-audit-key-not-secret"  # the fixture's own, as its maker set it
SCHEMAS = (REGISTRY_SCHEMA, MONITORING_SCHEMA, ACCOUNTS_SCHEMA, HISTORY_SCHEMA, DRAFTS_SCHEMA)


@pytest.fixture
def old_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    shutil.copytree(FIXTURE, home)
    monkeypatch.setenv("DRAGOMAN_HOME", str(home))
    monkeypatch.setenv("DRAGOMAN_AUDIT_KEY", AUDIT_KEY)
    return home


def open_all(home: Path) -> tuple[Registry, WebStore]:
    settings = load_settings(home=home)
    registry = Registry(settings.registry_url)
    create_tables(registry.engine)  # monitoring's tables, as the monitoring service opens them
    store = WebStore(settings.web_url)
    History(store)
    DraftDesk(store, AuditLog(store, settings))
    return registry, store


def test_a_home_from_before_migrations_keeps_everything(old_home: Path) -> None:
    assert not {"alembic_version_registry"} & set(_tables(old_home / "dragoman.db"))
    registry, store = open_all(old_home)
    documents = registry.documents(DocFilters(include_duplicates=True), limit=100)
    assert len(documents) == 3 and all(d.text for d in documents)
    assert {d.source for d in documents} == {"The White House"}
    client = chromadb.PersistentClient(path=str(old_home / "chroma"))
    chunks = sum(
        c.count() for c in client.list_collections() if c.name.startswith(COLLECTION_PREFIX)
    )
    assert chunks > 0  # the vectors stay where they were: nothing to re-index
    settings = load_settings(home=old_home)
    accounts = Accounts(store)
    assert {u.username for u in accounts.all_users()} == {"ana", "pat"}
    assert accounts.authenticate("ana", "fixture-password-1").clearance == "internal"
    ana = accounts.get("ana")
    [conversation] = History(store).conversations(ana.id)
    assert History(store).get(ana.id, conversation["id"], set)["messages"]
    draft = DraftDesk(store, AuditLog(store, settings)).get(1)
    assert draft.instruction == "Announce the open day"
    assert draft.author == "pat"
    with sqlite3.connect(old_home / "dragoman.db") as db:
        assert db.execute("SELECT count(*) FROM monitor_alerts").fetchone() == (1,)
    check = AuditLog(store, settings).verify_chain()
    assert check.intact and check.rows == 4, check


def test_migrated_schema_is_the_schema_of_a_new_home(old_home: Path, tmp_path: Path) -> None:
    open_all(old_home)
    new = tmp_path / "new"
    new.mkdir()
    open_all(new)
    for name in ("dragoman.db", "web.db"):
        assert _schema(old_home / name) == _schema(new / name), name
    for schema in SCHEMAS:
        url = "web.db" if schema.name in ("accounts", "history", "drafts") else "dragoman.db"
        engine = create_engine(f"sqlite:///{old_home / url}")
        assert current_revision(engine, schema) == head_revision(schema), schema.name
        assert upgrade(engine, schema) == head_revision(schema)  # opening again: no change


def test_append_only_guards_hold_after_migration(old_home: Path) -> None:
    open_all(old_home)
    with sqlite3.connect(old_home / "web.db") as db:
        for table in ("audit_log", "draft_versions"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                db.execute(f"UPDATE {table} SET id = id")


def test_a_damaged_schema_is_refused_with_a_fix(old_home: Path) -> None:
    with sqlite3.connect(old_home / "dragoman.db") as db:
        db.execute("DROP TABLE ingest_failures")
    with pytest.raises(StoreError, match="missing ingest_failures") as caught:
        Registry(f"sqlite:///{old_home / 'dragoman.db'}")
    assert caught.value.fix and "backup" in caught.value.fix


@pytest.mark.parametrize(
    ("schemas", "metadata"),
    [
        ((REGISTRY_SCHEMA,), RegistryBase.metadata),
        ((MONITORING_SCHEMA,), MonitorBase.metadata),
        ((COLLECTION_SCHEMA,), CollectBase.metadata),
        (
            (ACCOUNTS_SCHEMA, HISTORY_SCHEMA, DRAFTS_SCHEMA, JOBS_SCHEMA, CALIBRATION_SCHEMA),
            Base.metadata,
        ),
    ],
    ids=["registry", "monitoring", "collection", "users"],
)
def test_the_revisions_build_exactly_the_tables_the_code_declares(
    tmp_path: Path, schemas: tuple[Schema, ...], metadata: MetaData
) -> None:
    """A model changed without a revision (or a frozen snapshot edited) shows up here."""
    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    for schema in schemas:
        upgrade(engine, schema)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert [d for d in differences if not _is_version_table(d)] == []


def test_a_snapshot_line_it_cannot_read_is_refused_by_name(tmp_path: Path) -> None:
    snapshot = tmp_path / "0001_baseline.toml"
    snapshot.write_text(
        '[t]\ncolumns = """\nid Integer auto\nname Varchar(10)\n"""\nprimary_key = ["id"]\n'
    )
    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    with (
        engine.begin() as connection,
        Operations.context(MigrationContext.configure(connection)),
        pytest.raises(StoreError, match="unknown column type 'Varchar'"),
    ):
        create_snapshot(snapshot)
    assert inspect(engine).get_table_names() == []


def _is_version_table(difference: object) -> bool:
    return (
        isinstance(difference, tuple)
        and difference[0] == "remove_table"
        and difference[1].name.startswith("alembic_version_")
    )


def _tables(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]


def _schema(path: Path) -> dict[str, set[tuple[str, str, bool]]]:
    """Tables → (column, type, nullable); indexes → columns."""
    inspector = inspect(create_engine(f"sqlite:///{path}"))
    found: dict[str, set[tuple[str, str, bool]]] = {}
    for table in inspector.get_table_names():
        found[table] = {(c["name"], str(c["type"]), bool(c["nullable"]))
                        for c in inspector.get_columns(table)}  # fmt: skip
        found[f"{table} indexes"] = {(i["name"] or "", ",".join(map(str, i["column_names"])), False)
                                     for i in inspector.get_indexes(table)}  # fmt: skip
    return found
