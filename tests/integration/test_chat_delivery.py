"""Briefings and alerts delivered to Slack, Teams and Telegram receivers on loopback: each
in its own format, retried when the receiver fails for a moment, reported when it keeps
failing, and never showing the receiver's URL or token."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistant.core.settings import Settings, load_settings
from assistant.monitoring.chats import ChatMessage, alerts_message, deliver_chat

TOKEN = "123456:telegram-secret-token"
Received = list[tuple[str, dict[str, object]]]


@pytest.fixture
def receivers() -> Iterator[tuple[str, Received]]:
    """Answers by path: /ok → 200, /flaky → 503 twice then 200, /down → 500, /refuse → 400."""
    received: Received = []
    failures = {"/flaky": 2}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append((self.path, body))
            status = 200
            if self.path == "/flaky" and failures["/flaky"] > 0:
                failures["/flaky"] -= 1
                status = 503
            status = {"/down": 500, "/refuse": 400}.get(self.path, status)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", received
    server.shutdown()


def _settings(tmp_path: Path, base: str) -> Settings:
    return load_settings(home=tmp_path, telegram_bot_token=TOKEN, telegram_api=base,
                         delivery_timeout_s=5.0)  # type: ignore[arg-type]  # fmt: skip


MESSAGE = ChatMessage("Dragoman briefing 2025-07-10 — all",
                      ["1. Tariffs <script>alert(1)</script> & trade", "2. Talks in Geneva"],
                      [("Readout", "https://example.org/readout")])  # fmt: skip


def test_each_channel_in_its_own_format(tmp_path: Path, receivers: tuple[str, Received]) -> None:
    base, received = receivers
    settings = _settings(tmp_path, base)
    no_wait = lambda _s: None  # noqa: E731
    slack = deliver_chat(settings, "slack", f"{base}/ok", MESSAGE, no_wait)
    teams = deliver_chat(settings, "teams", f"{base}/ok", MESSAGE, no_wait)
    telegram = deliver_chat(settings, "telegram", "-100200", MESSAGE, no_wait)
    assert slack.ok and teams.ok and telegram.ok, (slack, teams, telegram)
    (_, slack_body), (_, teams_body), (path, telegram_body) = received
    assert slack_body["blocks"][0]["type"] == "header"  # type: ignore[index]
    assert "&lt;script&gt;" in json.dumps(slack_body)  # escaped for Slack's mrkdwn
    card = teams_body["attachments"][0]["content"]  # type: ignore[index]
    assert card["type"] == "AdaptiveCard" and card["actions"][0]["url"].startswith("https://")
    assert path == f"/bot{TOKEN}/sendMessage" and telegram_body["chat_id"] == "-100200"
    assert telegram_body["parse_mode"] == "HTML" and "&lt;script&gt;" in telegram_body["text"]  # type: ignore[operator]
    shown = json.dumps([d.to_dict() for d in (slack, teams, telegram)])
    assert TOKEN not in shown and "/ok" not in shown  # receivers named by host, never URL


def test_retried_then_reported(tmp_path: Path, receivers: tuple[str, Received]) -> None:
    base, received = receivers
    settings = _settings(tmp_path, base)
    waits: list[float] = []
    flaky = deliver_chat(settings, "slack", f"{base}/flaky", MESSAGE, waits.append)
    assert flaky.ok and waits == [1.0, 2.0]  # two failures, then delivered
    down = deliver_chat(settings, "teams", f"{base}/down", MESSAGE, lambda _s: None)
    assert not down.ok and down.error == "HTTP 500 after 3 attempts"
    refused = deliver_chat(settings, "slack", f"{base}/refuse", MESSAGE, lambda _s: None)
    assert refused.error == "HTTP 400 after 1 attempts"  # a refusal is not retried
    assert [p for p, _ in received].count("/down") == 3
    unreachable = deliver_chat(settings, "slack", "http://127.0.0.1:9/hook", MESSAGE,
                               lambda _s: None)  # fmt: skip
    assert not unreachable.ok and unreachable.error == "ConnectError after 3 attempts"


def test_alerts_reach_the_chats(tmp_path: Path, receivers: tuple[str, Received]) -> None:
    from assistant.monitoring.service import Monitoring
    from corpus.registry import Registry

    base, received = receivers
    settings = load_settings(home=tmp_path, monitor_slack=f"{base}/ok", monitor_telegram="7",
                             telegram_bot_token=TOKEN, telegram_api=base,
                             public_url="https://dragoman.mfa.example/")  # type: ignore[arg-type]  # fmt: skip
    alert = {"id": 1, "doc_ids": ["doc-a1", "doc/b2"], "signal": "negative_share", "clearance": "public",
             "series": {"country": "CHN", "topic": "*", "kind": "social"},
             "observed": 0.61, "baseline": 0.22, "z": 4.2, "volume": 57,
             "window": {"start": "2025-07-10T06:00:00+00:00", "end": "2025-07-10T12:00:00+00:00"}}  # fmt: skip
    restricted = {**alert, "id": 2, "clearance": "restricted"}
    monitoring = Monitoring(settings, Registry(settings.registry_url))
    deliveries = monitoring.deliver([alert, restricted])
    assert [d["channel"] for d in deliveries] == ["slack", "telegram"]
    assert all(d["ok"] for d in deliveries)
    text = json.dumps([body for _, body in received])
    assert "CHN / social: negative share 0.61 against 0.22 (z 4.2), 57 items" in text
    assert len(received) == 2  # the restricted alert went to no chat (above the clearance)
    # the duty officer opens the documents behind the alert, not raw JSON
    assert "https://dragoman.mfa.example/library/doc-a1" in text
    assert "https://dragoman.mfa.example/library/doc%2Fb2" in text
    assert alerts_message([alert]).title == "Dragoman: 1 new early-warning alert"
