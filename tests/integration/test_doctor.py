"""`dragoman doctor` on the real components, and its reports when something is wrong."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import cli_env, free_port, run_cli

COMPONENTS = {
    "home",
    "model",
    "llama.cpp",
    "backend",
    "embedder",
    "chroma",
    "tiktoken",
    "registry",
    "integrity",
    "sentiment",
    "sources",
    "labels",
}


def _doctor(home: Path, **env: str) -> tuple[int, dict[str, dict[str, Any]]]:
    """`dragoman doctor --json` with these settings: its exit code and components by name."""
    result = run_cli("doctor", "--json", env=cli_env(home, **env))
    components = json.loads(result.stdout)["components"]
    return result.returncode, {c["name"]: c for c in components}


@pytest.mark.model
def test_doctor_json_all_ok(home: Path, small_model: Path) -> None:
    result = run_cli("doctor", "--json", env=cli_env(home, DRAGOMAN_LLM_BACKEND="local-small"))
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    by_name = {c["name"]: c for c in report["components"]}
    assert set(by_name) == COMPONENTS
    assert all(c["ok"] for c in by_name.values())
    assert "verified" in by_name["model"]["detail"]
    assert by_name["llama.cpp"]["detail"].startswith("llama.cpp compiled for AVX")
    assert "dimension 512" in by_name["embedder"]["detail"]
    assert (home / "chroma").is_dir()
    assert "0 documents" in by_name["registry"]["detail"]
    assert "probe positive/negative" in by_name["sentiment"]["detail"]
    # the 0.5B's shipped records: no stance licensed; Chinese sentiment is
    assert "sentiment.negative (zh)" in by_name["labels"]["detail"]
    assert "stance." not in by_name["labels"]["detail"].split(";")[0]


def test_doctor_reports_a_bad_registry_url(home: Path) -> None:
    code, by_name = _doctor(home, DRAGOMAN_LLM_BACKEND="openai",
                            DRAGOMAN_OPENAI_BASE_URL="http://127.0.0.1:9/v1",
                            DRAGOMAN_DATABASE_URL="nosuchdialect://x/y",
                            DRAGOMAN_CONNECT_TIMEOUT_S="1")  # fmt: skip
    assert code == 1 and by_name["registry"]["ok"] is False
    assert "DRAGOMAN_DATABASE_URL" in by_name["registry"]["fix"]


@pytest.mark.model
def test_doctor_reports_closed_openai_port_within_timeout(home: Path, small_model: Path) -> None:
    code, by_name = _doctor(home, DRAGOMAN_LLM_BACKEND="local-small",
                            DRAGOMAN_OPENAI_BASE_URL=f"http://127.0.0.1:{free_port()}/v1",
                            DRAGOMAN_CONNECT_TIMEOUT_S="2")  # fmt: skip
    assert code == 1
    assert by_name["openai"]["ok"] is False
    assert "unreachable within 2s" in by_name["openai"]["detail"]
    assert by_name["openai"]["seconds"] <= 2.5
    assert "DRAGOMAN_OPENAI_BASE_URL" in by_name["openai"]["fix"]
    assert by_name["backend"]["ok"] is True


def test_doctor_reports_silent_openai_backend_within_timeout(home: Path) -> None:
    """A loopback endpoint that accepts connections but never answers is cut off at the timeout."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections queue in the backlog; nothing ever replies
        started = time.monotonic()
        code, by_name = _doctor(
            home, DRAGOMAN_LLM_BACKEND="openai", DRAGOMAN_CONNECT_TIMEOUT_S="1.5",
            DRAGOMAN_OPENAI_BASE_URL=f"http://127.0.0.1:{silent.getsockname()[1]}/v1",
        )  # fmt: skip
    assert code == 1
    assert by_name["backend"]["ok"] is False
    assert "unreachable within 1.5s" in by_name["backend"]["detail"]
    assert 1.4 <= by_name["backend"]["seconds"] < 3
    assert by_name["model"]["ok"] is True  # not used by this backend
    assert time.monotonic() - started < 60


def test_doctor_reports_corrupt_custom_model(home: Path, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"not a gguf file at all")
    code, by_name = _doctor(home, DRAGOMAN_LLM_BACKEND="local", DRAGOMAN_LLM_MODEL_PATH=str(bogus))
    assert code == 1
    assert by_name["backend"]["ok"] is False
    assert "cannot load" in by_name["backend"]["detail"]
