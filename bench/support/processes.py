"""Processes the tests and the benchmarks start: the real `dragoman` CLI, servers on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent.parent
DEMO = REPO / "corpus" / "demo"  # the demo corpus `make demo` ingests
SHARED = Path(os.environ.get("DRAGOMAN_SHARED", REPO.parent / "shared")) / "corpora"


@contextmanager
def scratch_home() -> Iterator[Path]:
    """A new, empty home in a temporary folder, sharing the user's assembled model weights
    (``$DRAGOMAN_HOME/models``) so a benchmark does not assemble them again."""
    models = Path(os.environ.get("DRAGOMAN_HOME", Path.home() / ".local/share/dragoman")) / "models"
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch) / "home"
        home.mkdir()
        if models.is_dir():
            (home / "models").symlink_to(models)
        yield home


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRAGOMAN_", "OPENAI_"))}
    if threads := os.environ.get("DRAGOMAN_LLM_THREADS"):  # the caller's CPU budget for a model
        env["DRAGOMAN_LLM_THREADS"] = threads
    # no calibration child started by a server under test (the one that tests it asks)
    env.update({"DRAGOMAN_HOME": str(home), "HF_HUB_OFFLINE": "1"})
    env.update({"DRAGOMAN_CALIBRATE_ON_FIRST_USE": "false", **extra})
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


@contextmanager
def chroma_server(data: Path) -> Iterator[str]:
    """`chroma run` on a free loopback port, storing under ``data``; yields its URL."""
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    command = [str(chroma), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, f"{url}/api/v2/heartbeat", 60)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


@contextmanager
def llama_server(model: Path, alias: str, log: Path | None = None) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server for ``model`` (as ``alias``) on a free
    loopback port, 4,096 tokens of context, 2 threads (or DRAGOMAN_LLM_THREADS); yields its
    /v1 URL."""
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model),
               "--model_alias", alias, "--host", "127.0.0.1", "--port", str(port),
               "--n_ctx", "4096", "--n_threads", os.environ.get("DRAGOMAN_LLM_THREADS", "2")]  # fmt: skip
    with open(log or os.devnull, "wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}/v1"
        try:
            wait_until_serving(process, f"{url}/models", 180, log)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)
