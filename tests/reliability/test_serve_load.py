"""A bounded loopback load test of the real `dragoman serve`: 50 concurrent clients for 60 s.

Generation is a scripted chat model that takes 0.5 s per call (registered through the
real `langchain:<module>:<Class>` backend), so the one-at-a-time generation queue fills
up; retrieval, verification, accounts and history are real.  The only errors allowed are
the deliberate 503s (with Retry-After) of a full queue; afterwards no queue slot leaks, and the server's resident memory has not grown by more than
200 MB over the minute.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.procinfo import tree_rss_mb
from bench.support.load_driver import run_load
from bench.support.web import build_home, scripted_env, serving_process
from tests.conftest import run_cli

REPLY = "The presidential delegation will attend the World Expo in Osaka, Japan [1]."
SECONDS = float(os.environ.get("DRAGOMAN_LOAD_SECONDS", "60"))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, int]]:
    home = build_home(tmp_path_factory.mktemp("load") / "home")
    env = scripted_env(
        home, [REPLY], delay_s=0.5, DRAGOMAN_GENERATION_QUEUE="4",
        DRAGOMAN_RATE_ASKS_PER_MINUTE="100000", DRAGOMAN_RATE_REQUESTS_PER_MINUTE="100000",
    )  # fmt: skip
    token = run_cli("users", "token", "ana", "--json", env=env)
    assert token.returncode == 0, token.stderr
    with serving_process(home, env) as (url, process):
        yield url, json.loads(token.stdout)["token"], process.pid


def test_fifty_clients_for_a_minute_see_only_deliberate_503s(
    served: tuple[str, str, int], tmp_path: Path
) -> None:
    url, token, pid = served
    run_load(url, token, clients=50, seconds=5)  # warm every path (embedder, BM25, sessions)
    warm_rss = tree_rss_mb(pid)
    served_before = _settled_gate(url)["served"]
    report = run_load(url, token, clients=50, seconds=SECONDS)
    summary = report.to_dict()
    summary["rss_mb"] = {"warm": warm_rss, "after": tree_rss_mb(pid)}
    (tmp_path / "load.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))
    assert report.errors == [], summary
    assert set(report.outcomes) <= {"ask 200", "ask 503", "search 200", "health 200"}, summary
    assert report.outcomes["ask 200"] >= 10 and report.outcomes["ask 503"] >= 1, summary
    assert report.outcomes["search 200"] >= 50 and report.busy_without_retry_after == 0
    gate = _settled_gate(url)
    assert gate["served"] - served_before == report.outcomes["ask 200"]
    # memory stays bounded: no per-request state piles up over a minute of load
    assert summary["rss_mb"]["after"] - warm_rss <= 200, summary["rss_mb"]


def _settled_gate(url: str) -> dict[str, int]:
    """The generation gate once every admitted question has finished (no slot leaked)."""
    deadline = time.monotonic() + 30
    while (gate := httpx.get(f"{url}/healthz").json()["generation"])["admitted"]:
        assert time.monotonic() < deadline, f"queue slots leaked: {gate}"
        time.sleep(0.5)
    return dict(gate)
