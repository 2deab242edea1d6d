"""Issue 20 §4: a secret in every secret-bearing setting, and every command that prints
settings, checks or errors — and the logs — grepped for it."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from assistant.core.redact import install_log_scrubber, mask_value, redact_url
from assistant.core.settings import load_settings
from tests.conftest import cli_env, free_port, run_cli

SECRETS = {
    "DRAGOMAN_SECRET_KEY": "sk-session-7f3a9c2e1b5d4f6a8c0e2b4d6f8a1c3e",
    "DRAGOMAN_OPENAI_API_KEY": "sk-openai-key-91b2c3d4e5f6",
    "DRAGOMAN_SMTP_PASSWORD": "smtp-pass-a1b2c3d4",
    "DRAGOMAN_WEBHOOK_SECRET": "hook-signing-e5f6a7b8",
    "DRAGOMAN_AUDIT_KEY": "audit-hmac-c9d0e1f2a3b4",
}
CHROMA_PASSWORD = "chroma-pw-5e6f7a8b"
DB_PASSWORD = "db-pw-1c2d3e4f"
LANGCHAIN_KEY = "lc-api-key-9a8b7c6d"
MONITOR_TOKEN = "T0KEN-monitor-2b3c4d5e"
SCHEDULE_TOKEN = "T0KEN-schedule-6f7a8b9c"
EVERY_SECRET = [*SECRETS.values(), CHROMA_PASSWORD, DB_PASSWORD, LANGCHAIN_KEY, MONITOR_TOKEN,
                SCHEDULE_TOKEN]  # fmt: skip


def _env(home: Path) -> dict[str, str]:
    closed = free_port()  # nothing listens: every check that connects fails, with its message
    return cli_env(
        home, **SECRETS,
        DRAGOMAN_LLM_BACKEND="openai",
        DRAGOMAN_OPENAI_BASE_URL=f"http://user:{DB_PASSWORD}@127.0.0.1:{closed}/v1",
        DRAGOMAN_CHROMA_URL=f"http://admin:{CHROMA_PASSWORD}@127.0.0.1:{closed}",
        DRAGOMAN_WEB_DATABASE_URL=f"postgresql+psycopg://ops:{DB_PASSWORD}@127.0.0.1:{closed}/w",
        DRAGOMAN_LANGCHAIN_KWARGS=json.dumps({"api_key": LANGCHAIN_KEY, "temperature": 0}),
        DRAGOMAN_MONITOR_WEBHOOK=f"https://hooks.example.org/services/{MONITOR_TOKEN}",
        DRAGOMAN_BRIEF_SCHEDULES=json.dumps([{"cron": "0 6 * * *",
                                              "webhook": f"https://chat.example.org/x/{SCHEDULE_TOKEN}"}]),
    )  # fmt: skip


@pytest.mark.parametrize(
    "args",
    [
        ["config"],
        ["config", "--json"],
        ["doctor"],
        ["doctor", "--json"],
        ["backends", "--json"],
        ["users", "list", "--json"],
        ["audit", "--json"],
        ["llm", "hello", "--json"],
    ],
)
def test_no_command_prints_a_secret(tmp_path: Path, args: list[str]) -> None:
    shown = run_cli(*args, env=_env(tmp_path / "home"), timeout=300)
    output = shown.stdout + shown.stderr
    assert output.strip(), args
    leaked = [s for s in EVERY_SECRET if s in output]
    assert leaked == [], (args, output[-3000:])


def test_config_says_which_secrets_are_set_without_showing_them(tmp_path: Path) -> None:
    shown = run_cli("config", "--json", env=_env(tmp_path / "home"))
    config = json.loads(shown.stdout)
    assert config["openai_api_key"] == "**********"
    assert config["chroma_url"].startswith("http://admin:**********@127.0.0.1:")
    assert config["langchain_kwargs"] == {"api_key": "**********", "temperature": 0}
    assert config["monitor_webhook"] == "https://hooks.example.org/…"
    assert config["brief_schedules"][0]["webhook"] == "https://chat.example.org/…"
    assert config["brief_schedules"][0]["cron"] == "0 6 * * *"


def test_log_records_are_scrubbed_whichever_logger_writes_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings(home=tmp_path, monitor_webhook=f"https://h.example/{MONITOR_TOKEN}",
                             openai_api_key=SECRETS["DRAGOMAN_OPENAI_API_KEY"])  # fmt: skip
    install_log_scrubber(settings.secrets())
    logger = logging.getLogger("dragoman.test.secrets")
    handler = logging.StreamHandler()
    logger.addHandler(handler)
    try:
        logger.error("posting to %s failed", settings.monitor_webhook)
        try:
            raise RuntimeError(f"key {SECRETS['DRAGOMAN_OPENAI_API_KEY']} refused")
        except RuntimeError:
            logger.exception("backend failed")
    finally:
        logger.removeHandler(handler)
    written = capsys.readouterr().err
    assert "posting to" in written and "backend failed" in written and "RuntimeError" in written
    assert MONITOR_TOKEN not in written and SECRETS["DRAGOMAN_OPENAI_API_KEY"] not in written


def test_masks() -> None:
    assert redact_url("https://u:p@hooks.slack.com/services/T0/B1/xyz?a=1") == \
        "https://hooks.slack.com/…"  # fmt: skip
    assert redact_url("javascript:alert(1)") == "**********"
    nested = mask_value("kwargs", {"headers": {"Authorization": "Bearer x"}, "model": "m",
                                   "endpoints": ["http://a:pw12345@h/x"]})  # fmt: skip
    assert nested == {"headers": {"Authorization": "**********"}, "model": "m",
                      "endpoints": ["http://a:**********@h/x"]}  # fmt: skip
