"""`kill -9` during a collection (while fetching articles, storing, indexing, scoring), then
another collection: the home converges to that of an uninterrupted collection — no
duplicate, nothing missing, the same chunks and series, the source's cursor right."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.support import corpora
from bench.support.sites import Site, serving_site, whitehouse_articles
from tests.conftest import cli_env, run_cli
from tests.reliability.stores import assert_same_state, state
from tests.reliability.test_kill_ingest import progress

ARTICLES = 12


def _articles_fetched(site: Site) -> int:
    return sum(path.startswith("/articles/") for path, _ in site.requests)


def test_kill_9_during_collection_converges(tmp_path: Path) -> None:
    articles = whitehouse_articles(corpora.whitehouse_month(tmp_path, "2025-02"), ARTICLES)
    with serving_site(Site(articles=articles)) as site:
        extra = {"DRAGOMAN_COLLECT_ALLOW_PRIVATE": "true", "DRAGOMAN_COLLECT_HOST_DELAY_S": "0.1",
                 "DRAGOMAN_INGEST_BATCH_SIZE": "2"}  # fmt: skip
        clean, crash = tmp_path / "clean", tmp_path / "crash"
        for home in (clean, crash):
            added = run_cli("sources", "add", f"{site.base}/feed.xml", env=cli_env(home, **extra))
            assert added.returncode == 0, added.stderr
        done = run_cli("collect", "--json", env=cli_env(clean, **extra), timeout=600)
        assert done.returncode == 0 and json.loads(done.stdout)["added"] == ARTICLES, done.stderr
        expected = state(clean)

        db = crash / "dragoman.db"
        points: list[tuple[str, Callable[[], bool]]] = [
            ("fetching", lambda: _articles_fetched(site) >= 4),
            ("storing", lambda: progress(db)["stored"] >= 3),
            ("indexing", lambda: progress(db)["indexed"] >= 1),
            ("scoring", lambda: progress(db)["scored"] >= 1),
        ]
        killed = [stage for stage, reached in points if _kill_when(crash, extra, reached)]
        assert len(killed) >= 3, killed  # most kills landed inside a live collection
        final = run_cli("collect", "--json", env=cli_env(crash, **extra), timeout=600)
        assert final.returncode == 0, final.stderr[-2000:]
        assert_same_state(state(crash), expected)
        assert _cursor(crash)["etag"] == _cursor(clean)["etag"]
        again = json.loads(run_cli("collect", "--json", env=cli_env(crash, **extra)).stdout)
        assert again["added"] == 0 and again["sources"][0]["status"] == "not_modified"


def _kill_when(home: Path, extra: dict[str, str], reached: Callable[[], bool]) -> bool:
    """Start a collection; kill -9 it once ``reached`` holds. Whether it was still running."""
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "collect", "--json"], env=cli_env(home, **extra),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while not reached() and process.poll() is None:
        assert time.monotonic() < deadline, "no progress"
        time.sleep(0.02)
    alive = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait()
    return alive


def _cursor(home: Path) -> dict[str, object]:
    shown = run_cli("sources", "show", "1", "--json", env=cli_env(home))
    return dict(json.loads(shown.stdout)["cursor"])
