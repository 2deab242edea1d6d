"""Dedup on CRUD-RAG, idempotence, kill -9 convergence, and the `ingest`/`docs` CLI."""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.support import corpora
from corpus.connectors import Options
from corpus.ingest import ingest
from corpus.registry import DocFilters, Registry
from tests.conftest import cli_env, run_cli

CRUD_PART = "80000_docs/documents_dup_part_10_part_1"


def crud_options() -> Options:
    return Options(
        kind="news", line_pattern=corpora.CRUD_LINE_PATTERN, date_default="2023-01-01",
        timezone="Asia/Shanghai",
    )  # fmt: skip


def dump(db: Path) -> list[tuple[object, ...]]:
    """Every stored document, minus the run bookkeeping, in a stable order."""
    with sqlite3.connect(db) as connection:
        columns = [r[1] for r in connection.execute("PRAGMA table_info(documents)")]
        keep = [c for c in columns if c not in ("first_run_id", "last_run_id", "updated_at")]
        return connection.execute(
            f"SELECT {', '.join(keep)} FROM documents ORDER BY doc_id"
        ).fetchall()


def test_near_and_exact_duplicates_on_crud_rag(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    [part] = corpora.extract_members("crud-rag-news-zh-2023.tar.gz", [CRUD_PART], data)
    registry = Registry(f"sqlite:///{tmp_path / 'r.db'}")
    report = ingest(registry, [str(part)], crud_options())
    assert report.near_duplicates >= 10 and not report.failed
    documents = registry.documents(DocFilters(include_duplicates=True), limit=100_000)
    syria = [d for d in documents if d.text.startswith("原标题:叙利亚谴责美国与恐怖组织勾结")]
    assert len(syria) >= 2
    originals = [d for d in syria if d.duplicate_of is None]
    copies = [d for d in syria if d.duplicate_of is not None]
    assert len(originals) == 1 and copies and all(c.duplicate_kind == "near" for c in copies)
    also = {d.doc_id for d in registry.duplicates_of(originals[0].doc_id)}
    assert {c.doc_id for c in copies} <= also
    unrelated = next(
        d for d in documents if d.duplicate_of is None and d.doc_id != originals[0].doc_id
    )
    assert unrelated.doc_id not in also
    # The same articles under another source identity: every one an exact duplicate, kept and linked.
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    shutil.copy(part, mirror / "mirror_copy")
    again = ingest(registry, [str(mirror / "mirror_copy")], crud_options())
    assert again.added == report.added
    assert again.exact_duplicates + again.near_duplicates == again.added
    assert again.exact_duplicates >= report.added - report.near_duplicates - report.exact_duplicates


def test_reingest_adds_nothing(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    corpora.un_speeches(data, ("BRA", "JPN", "ZAF"))
    registry = Registry(f"sqlite:///{tmp_path / 'r.db'}")
    first = ingest(registry, [str(data)], Options(kind="policy"))
    before = dump(tmp_path / "r.db")
    second = ingest(registry, [str(data)], Options(kind="policy"))
    assert (first.added, second.added, second.unchanged, second.updated) == (3, 0, 3, 0)
    assert dump(tmp_path / "r.db") == before
    assert [r["status"] for r in registry.runs()] == ["completed", "completed"]


def test_kill_9_at_several_points_converges(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    names = corpora.member_names("ungdc-2015-2024.tar.gz", "Session 71 - 2016/")[:120]
    corpora.extract_members("ungdc-2015-2024.tar.gz", names, data)
    args = [
        "ingest",
        str(data),
        "--kind",
        "policy",
        "--filename-pattern",
        corpora.UN_PATTERN,
        "--no-index",
        "--json",
    ]
    clean_home, crash_home = tmp_path / "clean", tmp_path / "crash"
    batches = {"DRAGOMAN_INGEST_BATCH_SIZE": "7"}  # many commit points to be killed between
    assert run_cli(*args, env=cli_env(clean_home)).returncode == 0
    expected = dump(clean_home / "dragoman.db")
    db = crash_home / "dragoman.db"
    partial_counts = [_killed_after_a_commit(args, cli_env(crash_home, **batches), db)
                      for _ in range(5)]  # fmt: skip
    final = run_cli(*args, env=cli_env(crash_home, **batches))
    assert final.returncode == 0, final.stderr
    assert dump(crash_home / "dragoman.db") == expected
    assert any(0 < n < len(expected) for n in partial_counts), partial_counts  # killed mid-run
    with sqlite3.connect(crash_home / "dragoman.db") as connection:
        statuses = {s for (s,) in connection.execute("SELECT status FROM ingest_runs")}
    assert statuses <= {"completed", "interrupted"}


def _stored(db: Path) -> int:
    """Documents committed so far (0 while the schema is not there yet)."""
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=0.2) as connection:
            return int(connection.execute("SELECT count(*) FROM documents").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def _killed_after_a_commit(args: list[str], env: dict[str, str], db: Path) -> int:
    """Start an ingest and kill -9 it once it has committed a batch more than was stored
    (wherever it is in the next one, however fast the machine); the documents stored then."""
    before = _stored(db)
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", *args], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while process.poll() is None and _stored(db) <= before and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return _stored(db)


def test_cli_ingest_summary_and_docs(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    corpora.un_speeches(data, ("CHN", "RUS"), 2023)
    env = cli_env(tmp_path / "home")
    args = ["ingest", str(data), "--kind", "policy", "--source", "UN General Debate",
            "--filename-pattern", corpora.UN_PATTERN, "--set", f"title={corpora.UN_TEMPLATES['title']}",
            "--set", "published_at={year}-09-20", "--json"]  # fmt: skip
    result = run_cli(*args, env=env)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert {"run_id", "added", "unchanged", "near_duplicates", "failed", "documents_total"} <= set(
        summary
    )
    assert (summary["added"], summary["failed"], summary["documents_total"]) == (2, [], 2)
    assert json.loads(run_cli(*args, env=env).stdout)["added"] == 0
    listed = json.loads(
        run_cli(
            "docs", "list", "--country", "RUS", "--since", "2023-01-01", "--json", env=env
        ).stdout
    )
    assert {d["title"] for d in listed} >= {
        "Russian Federation — UN General Debate, session 78 (2023)"
    }
    none = json.loads(run_cli("docs", "list", "--until", "2022-12-31", "--json", env=env).stdout)
    assert none == []
    shown = json.loads(run_cli("docs", "show", listed[0]["doc_id"], "--json", env=env).stdout)
    assert shown["text"] and shown["also_reported_by"] == []
    missing = run_cli("docs", "show", "doc_nope", "--json", env=env)
    assert missing.returncode == 2 and "no document" in json.loads(missing.stdout)["message"]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--kind", "rumour"], "--kind must be one of"),
        (["--map", "nonsense"], "--map expects FIELD=VALUE"),
        (["--format", "pptx"], "unknown --format"),
        (["--set", "colour={x}"], "--set cannot assign"),
        (["--timezone", "Mars/Olympus"], "unknown --timezone"),
    ],
)
def test_bad_flags_are_clear_errors(tmp_path: Path, flags: list[str], message: str) -> None:
    result = run_cli("ingest", str(tmp_path), *flags, "--json", env=cli_env(tmp_path / "home"))
    assert result.returncode == 2
    assert message in json.loads(result.stdout)["message"]


def test_duplicates_are_linked_only_within_a_clearance_level(tmp_path: Path) -> None:
    """A public copy must never be hidden as a duplicate of a restricted original."""
    data = tmp_path / "in"
    data.mkdir()
    [speech] = corpora.un_speeches(data, ("CHL",))
    registry = Registry(f"sqlite:///{tmp_path / 'r.db'}")
    restricted = ingest(registry, [str(speech)], Options(kind="policy", clearance="restricted"))
    public_copy = data / "copy.txt"
    public_copy.write_bytes(speech.read_bytes())
    public = ingest(registry, [str(public_copy)], Options(kind="policy", clearance="public"))
    assert restricted.added == public.added == 1
    assert public.exact_duplicates == public.near_duplicates == 0
    second = data / "copy2.txt"
    second.write_bytes(speech.read_bytes())
    again = ingest(registry, [str(second)], Options(kind="policy", clearance="public"))
    assert again.exact_duplicates == 1  # within the same level, still linked


def test_unusable_near_duplicate_threshold_is_a_clear_error(tmp_path: Path) -> None:
    from assistant.core.errors import InputError

    registry = Registry(f"sqlite:///{tmp_path / 'r.db'}")
    with pytest.raises(InputError, match="outside"):
        ingest(registry, [str(tmp_path)], Options(near_dup_threshold=0.99))
