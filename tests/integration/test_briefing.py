"""`dragoman brief` end to end on real White House files (July 2025), real registry, Chroma
and embedder, with a stand-in writer (bench.support.scripted.SourceEchoChatModel, registered through
the real `langchain:` backend registry): archive, formats, citations, idempotence, an empty
window, email to a real local SMTP server (aiosmtpd), a webhook on loopback, failures."""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import re
import threading
from collections.abc import Iterator
from email.message import Message
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from bench.support import corpora
from corpus.registry import Registry
from tests.conftest import REPO, cli_env, free_port, run_cli

ECHO = "langchain:bench.support.scripted:SourceEchoChatModel"
PLANTED = "The summit in Reykjavik agreed a 47 percent cut in tariffs."
ARGS = ("brief", "--date", "2025-07-10", "--window", "3d", "--lang", "en,zh",
        "--format", "md,html,pdf,docx", "--json")  # fmt: skip


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
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
        def do_POST(self) -> None:
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
    files = corpora.whitehouse_month(root, "2025-07")
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
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name != "manifest.json")
    return {p.name: p.read_bytes() for p in files}


def test_brief_archives_cited_verified_briefing_in_two_languages(july, smtp, hook) -> None:  # type: ignore[no-untyped-def]
    home, env = july
    port, inbox = smtp
    url, received = hook
    before = len(received)  # the receiver is shared by the module's tests
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
    _the_word_rendition_matches(folder)

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
    # the briefing says what its "verified" sentences (the heuristic judge's record) and
    # its translations (the stand-in writer has none) rest on, in the document and the JSON
    assert "## What the labels rest on" in markdown
    assert "answer.verified below the bar in en" in markdown  # the heuristic judge's record
    kinds = {(lic["kind"], lic["language"]) for lic in result["licences"]}
    assert {("answer.verified", "en"), ("language.purity", "zh")} <= kinds
    assert ("language.purity", "en") not in kinds  # the first language is not a translation
    assert "标签的依据" in (folder / "briefing.zh.md").read_text("utf-8")

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
    [(headers, body)] = received[before:]
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
    assert briefing_files(home) == before  # md, html, pdf, docx, analysis: byte for byte
    assert json.loads(again.stdout)["fingerprint"] == json.loads(first.stdout)["fingerprint"]
    # the earlier briefing of the day is kept whole, as a version: never overwritten
    second = json.loads(again.stdout)
    kept = home / "briefings" / "2025-07-10" / "all" / "versions"
    assert second["version"] >= 2 and second["earlier_versions"][-1]["files"]
    assert (kept / str(second["version"] - 1) / "briefing.en.md").read_bytes() == before[
        "briefing.en.md"
    ]


def test_empty_window_says_so(july) -> None:  # type: ignore[no-untyped-def]
    home, env = july
    done = run_cli("brief", "--date", "2019-01-01", "--json", env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["empty"] and result["documents"] == 0
    text = (home / "briefings" / "2019-01-01" / "all" / "briefing.en.md").read_text("utf-8")
    assert "No new items in this window." in text


def test_failed_delivery_is_reported_and_the_briefing_kept(july) -> None:  # type: ignore[no-untyped-def]
    _, env = july
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


def _the_word_rendition_matches(folder: Path) -> None:
    """The .docx holds the Markdown's headlines and cited sentences (python-docx reads it)."""
    import docx

    renditions = json.loads((folder / "renditions.json").read_text("utf-8"))
    for rendition in renditions:
        text = "\n".join(p.text for p in docx.Document(
            str(folder / f"briefing.{rendition['language']}.docx")).paragraphs)  # fmt: skip
        for number, story in enumerate(rendition["stories"], start=1):
            assert f"{number}. {story['headline']}" in text
            first = story["sentences"][0]
            assert first["text"] + "".join(f"[{n}]" for n in first["citations"]) in text


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--lang", "en,xx"), "unsupported output language"),
        (("--format", "md,odt"), "unknown format"),
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


def test_archive_page_lists_and_serves_briefings_within_clearance(july) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from assistant.core.settings import load_settings
    from assistant.web.app import create_app
    from bench.support.web import PASSWORD, sign_in

    home, env = july
    internal = run_cli("brief", "--date", "2025-07-20", "--window", "3d", "--clearance",
                       "internal", "--json", env=env)  # fmt: skip
    assert internal.returncode == 0, internal.stderr[-2000:]
    public = run_cli("brief", "--date", "2025-07-10", "--window", "3d", "--json", env=env)
    assert public.returncode == 0, public.stderr[-2000:]
    for name, clearance in (("pub", "public"), ("intern", "internal")):
        added = run_cli("users", "add", name, "--clearance", clearance, "--password-stdin",
                        "--exist-ok", env=env, stdin=PASSWORD + "\n")  # fmt: skip
        assert added.returncode == 0, added.stderr
    settings = load_settings(home=home, llm_backend=ECHO, verify_judge="heuristic")
    with TestClient(create_app(settings)) as client:
        sign_in(client, "pub")
        listed = client.get("/api/briefings").json()
        assert ("2025-07-10", "public") in [(b["date"], b["clearance"]) for b in listed]
        assert {b["clearance"] for b in listed} == {"public"}
        page = client.get("/briefings")
        assert page.status_code == 200 and "/briefings/2025-07-10/all/briefing.en.html" in page.text
        assert "2025-07-20" not in page.text
        html = client.get("/briefings/2025-07-10/all/briefing.en.html")
        assert html.status_code == 200 and "Morning briefing" in html.text
        assert "default-src 'self'" in html.headers["content-security-policy"]
        assert client.get("/briefings/2025-07-20/all/briefing.en.html").status_code == 404
        assert client.get("/briefings/2025-07-10/all/..%2Fmanifest.json").status_code == 404
        client.cookies.clear()
        sign_in(client, "intern")
        dates = [b["date"] for b in client.get("/api/briefings").json()]
        assert {"2025-07-20", "2025-07-10"} <= set(dates) and dates == sorted(dates, reverse=True)
        assert client.get("/briefings/2025-07-20/all/briefing.en.md").status_code == 200


def test_scheduled_briefing_runs_and_every_outcome_is_audited(july) -> None:  # type: ignore[no-untyped-def]
    from assistant.briefing.schedule import BriefSchedule, run_scheduled, start_scheduler
    from assistant.components import Components
    from assistant.core.errors import ConfigError
    from assistant.core.settings import load_settings

    home, _ = july
    schedules = [{"cron": "0 6 * * *", "watchlist": "all", "window": "3d"}]
    settings = load_settings(home=home, llm_backend=ECHO, verify_judge="heuristic",
                             brief_schedules=schedules)  # fmt: skip
    briefer = Components(settings).briefer()
    records: list[tuple[str, dict[str, object]]] = []

    def record(action: str, detail: dict[str, object]) -> None:
        records.append((action, detail))

    scheduler = start_scheduler(settings, lambda: briefer, record)
    try:
        [job] = scheduler.get_jobs()
        assert job.next_run_time.hour == 6 and job.next_run_time.minute == 0
    finally:
        scheduler.shutdown(wait=False)
    good = BriefSchedule(cron="0 6 * * *", window="3d")
    outcome = run_scheduled(lambda: briefer, good, record)
    assert outcome is not None and outcome.ok and records[-1][0] == "brief"
    broken = BriefSchedule(cron="0 6 * * *", webhook=f"http://127.0.0.1:{free_port()}/x")
    run_scheduled(lambda: briefer, broken, record)
    assert records[-1][0] == "brief_failed" and not records[-1][1]["deliveries"][0]["ok"]  # type: ignore[index]
    with pytest.raises(ConfigError, match="BRIEF_SCHEDULES"):
        start_scheduler(load_settings(home=home, brief_schedules=[{"cron": "61 * * * *"}]),
                        lambda: briefer, record)  # fmt: skip


def test_a_webhooks_url_and_the_receivers_reply_reach_no_reader(july) -> None:  # type: ignore[no-untyped-def]
    """Issue 20 §4: the webhook URL carries its receiver's token; a failing receiver's reply
    may echo it. Neither is stored in the manifest, printed, or served to a reader."""
    from fastapi.testclient import TestClient

    from assistant.core.settings import load_settings
    from assistant.web.app import create_app
    from bench.support.web import PASSWORD, sign_in

    token, echoed = "T0KEN-d41d8cd98f00b204", "receiver-secret-e9800998ecf8427e"

    class Failing(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(500)
            self.end_headers()
            self.wfile.write(f"bad token {token}; {echoed}".encode())

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    home, env = july
    url = f"http://127.0.0.1:{server.server_port}/hooks/{token}?sig={echoed}"
    try:
        done = run_cli("brief", "--date", "2025-07-11", "--window", "3d", "--format", "md",
                       "--webhook", url, "--json", env=env)  # fmt: skip
    finally:
        server.shutdown()
    assert done.returncode == 1, done.stderr[-2000:]
    [delivery] = json.loads(done.stdout)["deliveries"]
    assert delivery["target"] == f"http://127.0.0.1:{server.server_port}/…"
    assert delivery["error"] == "HTTP 500" and len(delivery["target_sha256"]) == 16
    folder = home / "briefings" / "2025-07-11" / "all"
    stored = (folder / "manifest.json").read_text("utf-8")
    for secret in (token, echoed):
        assert secret not in done.stdout + done.stderr and secret not in stored
    added = run_cli("users", "add", "reader", "--password-stdin", "--exist-ok", env=env,
                    stdin=PASSWORD + "\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    settings = load_settings(home=home, llm_backend=ECHO, verify_judge="heuristic")
    with TestClient(create_app(settings)) as client:
        sign_in(client, "reader")
        listed = client.get("/api/briefings")
        page = client.get("/briefings")
        for secret in (token, echoed):
            assert secret not in listed.text and secret not in page.text
        [shown] = [b for b in listed.json() if b["date"] == "2025-07-11"]
        assert shown["deliveries"][0]["ok"] is False and "timings" not in shown
        assert "manifest.json" not in shown["files"]
        assert client.get("/briefings/2025-07-11/all/manifest.json").status_code == 404


def test_the_briefing_reaches_slack_teams_and_telegram(july, hook) -> None:  # type: ignore[no-untyped-def]
    """`brief --slack --teams --telegram`: each receiver (loopback) gets its own format with
    the briefing's headlines; the manifest records three deliveries without URL or token."""
    home, env = july
    url, received = hook
    before = len(received)
    token = "999:bot-secret"
    _failing_sources(home, env)
    done = run_cli("brief", "--date", "2025-07-11", "--window", "3d", "--format", "md",
                   "--slack", f"{url}/slack-secret-path", "--teams", f"{url}/teams-secret-path",
                   "--telegram", "42", "--json",
                   env={**env, "DRAGOMAN_TELEGRAM_BOT_TOKEN": token,
                        "DRAGOMAN_TELEGRAM_API": url.rsplit("/", 1)[0]})  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert [d["channel"] for d in result["deliveries"]] == ["slack", "teams", "telegram"]
    assert all(d["ok"] for d in result["deliveries"])
    slack, teams, telegram = (json.loads(body) for _, body in received[before:])
    headline = result["headlines"][0]
    assert headline in json.dumps(slack, ensure_ascii=False)
    assert teams["attachments"][0]["content"]["type"] == "AdaptiveCard"
    assert telegram["chat_id"] == "42" and telegram["parse_mode"] == "HTML"
    shown = done.stdout + (Path(result["folder"]) / "manifest.json").read_text("utf-8")
    assert token not in shown and "secret-path" not in shown
    markdown = (Path(result["folder"]) / "briefing.en.md").read_text("utf-8")
    assert "## Sources not collected" in markdown and "Ministry wire (rss)" in markdown
    assert "Embassy cables" not in markdown  # restricted: not named in a public briefing


def _failing_sources(home: Path, env: dict[str, str]) -> None:
    """Two sources failing for 30 hours, one of them restricted (the appendix's input)."""
    from datetime import UTC, datetime, timedelta

    from assistant.collection import SourceStore

    for name, clearance in (("Ministry wire", "public"), ("Embassy cables", "restricted")):
        added = run_cli(
            "sources",
            "add",
            f"http://127.0.0.1:9/{clearance}.xml",
            "--type",
            "rss",
            "--name",
            name,
            "--clearance",
            clearance,
            env={**env, "DRAGOMAN_COLLECT_ALLOW_PRIVATE": "true"},  # a loopback source
        )
        assert added.returncode == 0, added.stderr
    store = SourceStore(Registry(f"sqlite:///{home / 'dragoman.db'}").engine)
    for source in store.all():
        store.update(source.id, failing_since=datetime.now(UTC) - timedelta(hours=30),
                     failures=9, last_error="ConnectError")  # fmt: skip


def test_a_story_whose_sources_disagree_says_so(tmp_path: Path) -> None:
    """Two outlets report one election with different seat counts: the briefing shows
    both figures with their sources (Markdown, HTML, Word), never one silently."""
    home = tmp_path / "home"
    env = cli_env(home, PYTHONPATH=str(REPO), DRAGOMAN_LLM_BACKEND=ECHO,
                  DRAGOMAN_VERIFY_JUDGE="heuristic")  # fmt: skip
    statement = "The Legislative Council of Hong Kong has {} seats, filled at the election of 4 September 2016."
    reports = [
        {"id": "a", "source": "Daily A", "published_at": "2016-09-05T08:00:00Z",
         "text": statement.format(70) + " Turnout reached a record of 58 percent, officials said. "
                 "Pro-establishment parties kept a majority in the chamber."},
        {"id": "b", "source": "Wire B", "published_at": "2016-09-05T09:30:00Z",
         "text": statement.format(170) + " Young candidates from new parties won several seats "
                 "in the geographical constituencies across the territory."},
    ]  # fmt: skip
    for report in reports:
        path = tmp_path / f"{report['id']}.jsonl"
        path.write_text(json.dumps(report), encoding="utf-8")
        done = run_cli("ingest", str(path), "--kind", "news", "--source", report["source"],
                       "--json", env=env)  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
    done = run_cli("brief", "--date", "2016-09-06", "--window", "2d", "--format", "md,html,docx",
                   "--json", env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    folder = home / "briefings" / "2016-09-06" / "all"
    markdown = next(folder.glob("*.md")).read_text("utf-8")
    line = next(x for x in markdown.splitlines() if x.startswith("**The sources disagree:**"))
    assert re.search(r"70 \[\d\] / 170 \[\d\]|170 \[\d\] / 70 \[\d\]", line), line
    assert "The sources disagree:" in next(folder.glob("*.html")).read_text("utf-8")
    from docx import Document as WordDocument

    word = WordDocument(str(next(folder.glob("*.docx"))))
    assert any(p.text.startswith("The sources disagree: ") for p in word.paragraphs)
