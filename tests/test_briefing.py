"""`dragoman brief` end to end on real White House files (July 2025), real registry, Chroma
and embedder, with a stand-in writer (tests.scripted.SourceEchoChatModel, registered through
the real `langchain:` backend registry): archive, formats, citations, idempotence, an empty
window, email to a real local SMTP server (aiosmtpd), a webhook on loopback, failures."""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from email.message import Message
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from corpus.registry import Registry
from tests import corpora
from tests.conftest import REPO, cli_env, free_port, run_cli

ECHO = "langchain:tests.scripted:SourceEchoChatModel"
PLANTED = "The summit in Reykjavik agreed a 47 percent cut in tariffs."
ARGS = ("brief", "--date", "2025-07-10", "--window", "3d", "--lang", "en,zh",
        "--format", "md,html,pdf", "--json")  # fmt: skip


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content))  # type: ignore[attr-defined]
        return "250 OK"


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


@pytest.fixture(scope="module")
def hook() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    received: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()


@pytest.fixture(scope="module")
def july(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("brief-flow")
    files = root / "files"
    files.mkdir()
    names = [n for n in corpora.member_names("whitehouse-2024-2026.tar.gz") if "/2025-07/" in n]
    corpora.extract_members("whitehouse-2024-2026.tar.gz", names, files)
    home = root / "home"
    env = cli_env(
        home, PYTHONPATH=str(REPO), DRAGOMAN_LLM_BACKEND=ECHO,
        DRAGOMAN_LANGCHAIN_KWARGS=json.dumps({"plant": PLANTED}),
        DRAGOMAN_VERIFY_JUDGE="heuristic", DRAGOMAN_WEBHOOK_SECRET="test-signing-key",
    )  # fmt: skip
    done = run_cli("ingest", str(files), "--kind", "news", "--source", "The White House",
                   "--json", env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return home, env


def briefing_files(home: Path) -> dict[str, bytes]:
    folder = home / "briefings" / "2025-07-10" / "all"
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "manifest.json"}


def test_brief_archives_cited_verified_briefing_in_two_languages(july, smtp, hook) -> None:  # type: ignore[no-untyped-def]
    home, env = july
    port, inbox = smtp
    url, received = hook
    done = run_cli(*ARGS, "--email", "duty@example.org", "--webhook", url,
                   env={**env, "DRAGOMAN_SMTP_HOST": "127.0.0.1", "DRAGOMAN_SMTP_PORT": str(port)})  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-2000:]
    result = json.loads(done.stdout)
    assert result["ok"] and result["stories"] >= 3 and not result["empty"]
    folder = Path(result["folder"])
    assert folder == home / "briefings" / "2025-07-10" / "all"
    for name in ("briefing.en.md", "briefing.zh.md", "briefing.en.html", "briefing.zh.pdf"):
        assert (folder / name).is_file(), name
    assert (folder / "briefing.en.pdf").read_bytes().startswith(b"%PDF")

    analysis = json.loads((folder / "analysis.json").read_text("utf-8"))
    registry = Registry(f"sqlite:///{home / 'dragoman.db'}")
    for passage in analysis["passages"]:  # every [n] resolves to exact spans of a stored doc
        text = registry.get(passage["doc_id"]).text
        assert all(0 <= s < e <= len(text) for s, e in passage["spans"])
    for story in analysis["stories"]:
        assert 2 <= len(story["sentences"]) <= 4
        for sentence in story["sentences"]:
            assert sentence["citations"] and sentence["support_score"] >= 0.5
        assert PLANTED in [r["text"] for r in story["rejected"]]  # unsupported: dropped
    markdown = (folder / "briefing.en.md").read_text("utf-8")
    assert PLANTED not in markdown and "Reykjavik" not in markdown

    renditions = json.loads((folder / "renditions.json").read_text("utf-8"))
    en, zh = renditions
    for a, b in zip(en["stories"], zh["stories"], strict=True):
        assert [s["citations"] for s in a["sentences"]] == [s["citations"] for s in b["sentences"]]
    # the stand-in cannot translate: the zh briefing shows the English, marked, never unmarked
    assert zh["untranslated"] == sum(len(s["sentences"]) for s in zh["stories"])
    assert "原文：译文未能通过核查" in (folder / "briefing.zh.md").read_text("utf-8")

    [message] = inbox.messages
    assert message["To"] == "duty@example.org" and "2025-07-10" in message["Subject"]
    parts = {part.get_content_type() for part in message.walk()}
    assert {"text/plain", "text/html", "application/pdf"} <= parts
    [(headers, body)] = received
    expected = hmac.new(b"test-signing-key", body, hashlib.sha256).hexdigest()
    assert headers["X-Dragoman-Signature"] == f"sha256={expected}"
    payload = json.loads(body)
    assert payload["headlines"] == result["headlines"] and payload["markdown"].startswith("# ")
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert [d["ok"] for d in manifest["deliveries"]] == [True, True]


def test_same_inputs_give_the_same_briefing(july) -> None:  # type: ignore[no-untyped-def]
    home, env = july
    first = run_cli(*ARGS, env=env)
    assert first.returncode == 0, first.stderr[-2000:]
    before = briefing_files(home)
    again = run_cli(*ARGS, env=env)
    assert again.returncode == 0, again.stderr[-2000:]
    assert briefing_files(home) == before  # md, html, pdf, analysis: byte for byte
    assert json.loads(again.stdout)["fingerprint"] == json.loads(first.stdout)["fingerprint"]


def test_empty_window_says_so(july) -> None:  # type: ignore[no-untyped-def]
    home, env = july
    done = run_cli("brief", "--date", "2019-01-01", "--json", env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["empty"] and result["documents"] == 0
    text = (home / "briefings" / "2019-01-01" / "all" / "briefing.en.md").read_text("utf-8")
    assert "No new items in this window." in text


def test_failed_delivery_is_reported_and_the_briefing_kept(july) -> None:  # type: ignore[no-untyped-def]
    home, env = july
    closed = free_port()
    done = run_cli("brief", "--date", "2025-07-10", "--window", "3d", "--email", "a@example.org",
                   "--webhook", f"http://127.0.0.1:{closed}/hook", "--json",
                   env={**env, "DRAGOMAN_SMTP_HOST": "127.0.0.1",
                        "DRAGOMAN_SMTP_PORT": str(closed)})  # fmt: skip
    assert done.returncode == 1
    result = json.loads(done.stdout)
    assert [d["ok"] for d in result["deliveries"]] == [False, False]
    assert all("Connect" in d["error"] or "refused" in d["error"] for d in result["deliveries"])
    manifest = json.loads((Path(result["folder"]) / "manifest.json").read_text("utf-8"))
    assert [d["ok"] for d in manifest["deliveries"]] == [False, False]
    assert (Path(result["folder"]) / "briefing.en.md").is_file()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--lang", "en,xx"), "unsupported output language"),
        (("--format", "md,docx"), "unknown format"),
        (("--window", "9w"), "between 1h and 31d"),
        (("--date", "10/07/2025"), "invalid --date"),
        (("--watchlist", "../etc"), "invalid watchlist name"),
    ],
)
def test_bad_input_is_refused_before_anything_is_written(july, flags, message) -> None:  # type: ignore[no-untyped-def]
    home, env = july
    before = sorted(p.relative_to(home) for p in (home / "briefings").rglob("*"))
    done = run_cli("brief", "--date", "2025-07-10", *flags, "--json", env=env)
    assert done.returncode != 0
    assert message in json.loads(done.stdout)["message"]
    assert sorted(p.relative_to(home) for p in (home / "briefings").rglob("*")) == before
