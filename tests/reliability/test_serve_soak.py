"""Issue 20 §7: `dragoman serve` in ordinary use for a while — questions and follow-ups,
search, sources, monitoring, briefings, drafts, uploads, history — and its resident memory
levels off.  The model is the scripted chat model (through the real `langchain:` backend);
everything else is real.  DRAGOMAN_SOAK_SECONDS sets the length (CI: 150 s, about 50 cycles; the hour
and the real model: `python bench/serve_soak.py`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bench.procinfo import tree_rss_mb
from bench.support.soak_driver import soak
from bench.support.web import build_home, scripted_env, serving_process
from tests.conftest import run_cli

SECONDS = float(os.environ.get("DRAGOMAN_SOAK_SECONDS", "150"))
REPLY = "The presidential delegation will attend the World Expo in Osaka, Japan [1]."
GROWTH_MB = 20  # allowed between the settled level and the last quarter (measured: 2.4)


def test_serve_memory_levels_off_in_ordinary_use(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    home = build_home(tmp_path_factory.mktemp("soak") / "home")
    env = scripted_env(home, [REPLY], DRAGOMAN_RATE_ASKS_PER_MINUTE="100000",
                       DRAGOMAN_RATE_REQUESTS_PER_MINUTE="100000")  # fmt: skip
    made = run_cli("users", "token", "root", "--json", env=env)
    assert made.returncode == 0, made.stderr
    token = json.loads(made.stdout)["token"]
    with serving_process(home, env) as (url, process):
        report = soak(url, token, SECONDS, lambda: tree_rss_mb(process.pid))
    summary = report.to_dict()
    (tmp_path / "soak.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))
    assert report.errors == [], summary
    assert report.cycles >= 8, summary
    assert summary["growth_mb"] is not None and summary["growth_mb"] <= GROWTH_MB, summary
