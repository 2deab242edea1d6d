"""`kill -9` at 20 points of a full ingest (registry, chunk index, BM25, monitoring) converges.

The crashed home is driven by progress, not by the clock: each run is killed a random few
hundred milliseconds after the store reached its next milestone — documents stored, documents
indexed, documents scored for monitoring — so the 20 kills land in every stage of the pipeline,
each in a live process. After the last kill one more run completes, and every store must equal
that of an uninterrupted run of the same command.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench.support import corpora
from tests.conftest import cli_env, run_cli
from tests.reliability.stores import assert_same_state, state

SPEECHES = 60
# (stage, fraction of the documents): 6 while storing, 7 while indexing, 7 while scoring
MILESTONES = (
    [("stored", i / 7) for i in range(1, 7)]
    + [("indexed", i / 8) for i in range(1, 8)]
    + [("scored", i / 8) for i in range(1, 8)]
)
# how long after a milestone to kill: storing is fast (a batch in milliseconds)
JITTER_S = {"stored": 0.03, "indexed": 0.4, "scored": 0.4}


def progress(db: Path) -> dict[str, int]:
    """What the crashed home holds right now (read-only; the writer may be mid-transaction)."""
    if not db.exists():
        return {"stored": 0, "indexed": 0, "scored": 0}
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as connection:

            def count(sql: str) -> int:
                try:
                    return int(connection.execute(sql).fetchone()[0])
                except sqlite3.OperationalError:  # table not created yet
                    return 0

            return {
                "stored": count("SELECT COUNT(*) FROM documents"),
                "indexed": count(
                    "SELECT COUNT(*) FROM documents WHERE index_state IN ('indexed', 'excluded')"
                ),
                "scored": count("SELECT COUNT(*) FROM monitor_scored"),
            }
    except sqlite3.OperationalError:
        return {"stored": 0, "indexed": 0, "scored": 0}


def test_kill_9_at_twenty_points_converges(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    names = corpora.member_names("ungdc-2015-2024.tar.gz", "Session 73 - 2018/")[:SPEECHES]
    corpora.extract_members("ungdc-2015-2024.tar.gz", names, data)
    args = ["ingest", str(data), "--kind", "policy", "--filename-pattern", corpora.UN_PATTERN,
            "--set", "published_at={year}-09-25", "--json"]  # fmt: skip
    clean, crash = tmp_path / "clean", tmp_path / "crash"
    small_batches = {"DRAGOMAN_INGEST_BATCH_SIZE": "4"}  # many commit points to land between
    done = run_cli(*args, env=cli_env(clean, **small_batches), timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    expected = state(clean)
    total = len(expected["documents"])  # type: ignore[arg-type]
    assert total == SPEECHES and len(expected["chunks"]) > 500 and expected["series"]  # type: ignore[arg-type]

    rng = random.Random(11)
    killed: list[tuple[str, float, dict[str, int]]] = []
    for stage, fraction in MILESTONES:
        reached = progress(crash / "dragoman.db")[stage]
        if reached >= total:
            continue  # an earlier run finished this stage
        goal = max(int(total * fraction), reached + 1)  # at least one more batch each time
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant", *args], env=cli_env(crash, **small_batches),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 300
        while progress(crash / "dragoman.db")[stage] < goal:
            assert process.poll() is None, f"the run ended before {stage} reached {goal}"
            assert time.monotonic() < deadline, f"no progress to {stage} {goal}"
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, JITTER_S[stage]))  # inside the next batch, not on a commit
        alive = process.poll() is None
        process.send_signal(signal.SIGKILL)
        process.wait()
        if alive:
            killed.append((stage, fraction, progress(crash / "dragoman.db")))
    assert len(killed) >= 19, killed  # killed mid-run at (nearly) every point
    assert {stage for stage, _, _ in killed} == {"stored", "indexed", "scored"}, killed

    final = run_cli(*args, env=cli_env(crash, **small_batches), timeout=900)
    assert final.returncode == 0, final.stderr[-2000:]
    assert_same_state(state(crash), expected)
