"""Settings, `dragoman config`, and how errors reach the user at the CLI edge."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from assistant.core.errors import ConfigError
from assistant.core.settings import load_settings
from tests.conftest import cli_env, run_cli


def test_environment_prefix_and_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DRAGOMAN_HOME", str(tmp_path / "h"))
    monkeypatch.setenv("DRAGOMAN_LLM_THREADS", "3")
    settings = load_settings()
    assert settings.home == tmp_path / "h"
    assert settings.llm_threads == 3
    assert settings.llm_backend == "local"
    assert settings.embedder == "usem3"
    assert settings.models_dir == tmp_path / "h" / "models"


def test_placeholder_secret_refused_outside_development() -> None:
    with pytest.raises(ConfigError, match="placeholder"):
        load_settings(environment="production")
    strong = secrets.token_urlsafe(32)
    assert load_settings(environment="production", secret_key=strong).environment == "production"
    for weak in ("x" * 32, "short-but-random-Q7", "abcabcabcabcabcabcabcabcabcabcabcabc"):
        with pytest.raises(ConfigError, match="at least 32 random bytes"):
            load_settings(environment="production", secret_key=weak)


def test_invalid_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="DRAGOMAN_LLM_THREADS"):
        load_settings(llm_threads=0)


def test_config_json_masks_secrets(tmp_path: Path) -> None:
    env = cli_env(
        tmp_path,
        DRAGOMAN_OPENAI_API_KEY="sk-very-secret",
        DRAGOMAN_SECRET_KEY="session-signing-secret",
        DRAGOMAN_DATABASE_URL="postgresql://dragoman:dbpass@db/dragoman",
    )
    result = run_cli("config", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert "sk-very-secret" not in result.stdout
    assert "session-signing-secret" not in result.stdout
    assert "dbpass" not in result.stdout
    values = json.loads(result.stdout)
    assert values["openai_api_key"] == "**********"
    assert values["home"] == str(tmp_path)
    assert values["registry"] == "postgresql://dragoman:**********@db/dragoman"


def test_cli_errors_are_messages_not_tracebacks(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    as_json = run_cli("llm", "hi", "--backend", "nope", "--json", env=env)
    assert as_json.returncode == 2
    payload = json.loads(as_json.stdout)
    assert payload["error"] == "ConfigError" and "unknown LLM backend 'nope'" in payload["message"]
    human = run_cli("llm", "hi", "--backend", "nope", env=env)
    assert human.returncode == 2
    assert "error: unknown LLM backend" in human.stderr and "Traceback" not in human.stderr
    bad_env = run_cli("config", env=cli_env(tmp_path, DRAGOMAN_ENVIRONMENT="production"))
    assert bad_env.returncode == 2 and "DRAGOMAN_SECRET_KEY" in bad_env.stderr


def test_missing_openai_key_at_the_cli(tmp_path: Path) -> None:
    result = run_cli("llm", "hi", "--backend", "openai", "--json", env=cli_env(tmp_path))
    assert result.returncode == 1
    assert "DRAGOMAN_OPENAI_API_KEY" in json.loads(result.stdout)["fix"]
