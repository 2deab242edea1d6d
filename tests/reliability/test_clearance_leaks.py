"""Clearance leak hunt (issue 11): restricted documents with a canary word, hunted for on
every surface a public reader has — search, documents, answers (and their saved stages),
monitoring series, alerts and campaigns, the dashboard, briefings, drafting, and the CLI.
A restricted reader finds the canary on the same surfaces, so each check can fail."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from langchain_core.language_models import BaseChatModel

from assistant.core.settings import Settings, load_settings
from assistant.llm.registry import register_backend, unregister_backend
from assistant.web.app import create_app
from bench.support.scripted import ScriptedChatModel
from bench.support.web import DEMO, add_users, ingest, sign_in
from corpus.registry import DocFilters, Registry
from tests.conftest import REPO, cli_env, run_cli

CANARY = "Zarafshan"
NEWS = f"""---
title: "{CANARY} channel: envoy to meet in Geneva"
date: '2025-07-28'
---
Restricted cable. The {CANARY} channel reports that the United States and Japan will hold
secret talks in Geneva on 30 July 2025. The envoy will carry a new proposal on tariffs.
"""
POST = f"{CANARY} leak: the Geneva talks will collapse tomorrow, everyone share this now"
# what is asked aims at the restricted texts without naming the canary: any canary in an
# answer or a result came from a restricted document
QUERY = "secret talks in Geneva envoy proposal on tariffs"
QUESTION = "What proposal will the envoy carry to the secret talks in Geneva?"
BACKEND = "scripted-leaks"
ECHO = "langchain:bench.support.scripted:SourceEchoChatModel"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("leaks")
    env = cli_env(root / "home")
    news = root / "cable.md"
    news.write_text(NEWS, "utf-8")
    start = datetime(2025, 7, 28, 9, tzinfo=UTC)
    posts = [{"mid": f"r{n}", "text_raw": POST + "!" * n, "screen_name": f"insider{n}",
              "created_at": (start + timedelta(minutes=n)).isoformat()} for n in range(8)]  # fmt: skip
    social = root / "posts.jsonl"
    social.write_text("\n".join(json.dumps(p) for p in posts), "utf-8")
    for args in ([str(DEMO / "whitehouse"), "--kind", "news", "--source", "The White House"],
                 [str(news), "--kind", "news", "--clearance", "restricted"],
                 [str(social), "--format", "weibo", "--kind", "social", "--clearance", "restricted"]):  # fmt: skip
        ingest(env, *args)
    add_users(env, {"ana": ("analyst", "public"), "pat": ("press_officer", "internal"),
                    "root": ("admin", "restricted")})  # fmt: skip
    brief_env = cli_env(root / "home", PYTHONPATH=str(REPO), DRAGOMAN_LLM_BACKEND=ECHO,
                        DRAGOMAN_VERIFY_JUDGE="heuristic")  # fmt: skip
    for clearance in ("public", "restricted"):
        done = run_cli("brief", "--date", "2025-07-29", "--window", "3d", "--clearance", clearance,
                       "--watchlist", "all", "--format", "md,html", "--out", str(root / clearance),
                       "--json", env=brief_env, timeout=600)  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
    return root / "home"


@pytest.fixture(scope="module", autouse=True)
def scripted_backend() -> Iterator[None]:
    @register_backend(BACKEND, "a model that would repeat whatever its prompt holds")
    def factory(settings: Settings, argument: str) -> BaseChatModel:
        return ScriptedChatModel(responses=["The envoy will meet in Geneva [1]."])

    yield
    unregister_backend(BACKEND)


@pytest.fixture
def client(home: Path) -> Iterator[TestClient]:
    settings = load_settings(home=home, llm_backend=BACKEND, verify_judge="heuristic", ask_k=5)
    with TestClient(create_app(settings)) as client:
        yield client


def _restricted_ids(home: Path) -> list[str]:
    registry = Registry(f"sqlite:///{home / 'dragoman.db'}")
    docs = registry.documents(DocFilters(include_duplicates=True), limit=1000)
    return [d.doc_id for d in docs if d.clearance == "restricted"]


def _surfaces(client: TestClient, home: Path, csrf: str) -> dict[str, str]:
    """Every reading surface's body, as text."""
    bodies: dict[str, Any] = {
        "search": client.get("/api/search", params={"q": QUERY, "k": 10}),
        "monitor": client.get("/api/monitor?since=2025-07-01&until=2025-07-31"),
        "monitor_social": client.get("/api/monitor?kind=social&granularity=hour"
                                     "&since=2025-07-27&until=2025-07-29"),
        "alerts": client.get("/api/alerts"),
        "dashboard": client.get("/monitor?since=2025-07-01&until=2025-07-31"),
        "briefings": client.get("/api/briefings"),
        "briefings_page": client.get("/briefings"),
    }  # fmt: skip
    asked = client.post("/api/ask", json={"question": QUESTION},
                        headers={"X-CSRF-Token": csrf})  # fmt: skip
    bodies["ask"] = asked
    run = home / "runs" / "ask" / f"{asked.json()['run_id']}.json"
    texts = {name: r.text for name, r in bodies.items()}
    texts["ask_stages"] = run.read_text("utf-8")
    for b in json.loads(texts["briefings"]):
        for name in b["files"]:
            texts[f"brief:{b['clearance']}:{name}"] = client.get(
                f"/briefings/{b['date']}/{b['watchlist']}/{name}").text  # fmt: skip
    for doc_id in _restricted_ids(home):
        texts[f"doc:{doc_id}"] = client.get(f"/api/docs/{doc_id}").text
    return texts


def test_a_public_reader_finds_the_canary_nowhere(client: TestClient, home: Path) -> None:
    csrf = sign_in(client, "ana")
    texts = _surfaces(client, home, csrf)
    leaks = [name for name, text in texts.items() if CANARY in text]
    assert leaks == []
    restricted = set(_restricted_ids(home))
    assert len(restricted) == 9
    assert [n for n, t in texts.items() if any(d in t for d in restricted)
            and not n.startswith("doc:")] == []  # fmt: skip
    assert all(json.loads(texts[f"doc:{d}"])["error"] == "NotFoundError" for d in restricted)
    assert not any(b["clearance"] == "restricted" for b in json.loads(texts["briefings"]))


def test_a_restricted_reader_finds_it_on_the_same_surfaces(client: TestClient, home: Path) -> None:
    csrf = sign_in(client, "root")
    texts = _surfaces(client, home, csrf)
    found = {name for name, text in texts.items() if CANARY in text}
    assert {"search", "alerts", "ask_stages"} <= found
    assert any(name.startswith("brief:restricted:") for name in found)
    assert any(name.startswith("doc:") for name in found)


def test_drafting_cannot_use_a_restricted_document(client: TestClient, home: Path) -> None:
    csrf = sign_in(client, "pat")
    cable = _restricted_ids(home)[0]
    refused = client.post("/api/drafts", headers={"X-CSRF-Token": csrf},
                          json={"instruction": "Announce the Geneva talks", "platform": "x",
                                "languages": ["en"], "doc_ids": [cable]})  # fmt: skip
    # above the reader: "no such document", exactly as for an id that does not exist
    assert refused.status_code == 404 and CANARY not in refused.text
    assert refused.json()["message"] == f"no document {cable!r}"


def test_the_cli_shows_a_public_reader_nothing(home: Path) -> None:
    env = cli_env(home)
    for args in (["search", QUERY, "--clearance", "public"],
                 ["monitor", "--since", "2025-07-01", "--until", "2025-07-31"],
                 ["monitor", "--kind", "social", "--granularity", "hour", "--since", "2025-07-27",
                  "--until", "2025-07-29"],
                 ["alerts"]):  # fmt: skip
        shown = run_cli(*args, "--json", env=env)
        assert shown.returncode == 0, shown.stderr
        assert CANARY not in shown.stdout, args
    assert CANARY in run_cli("alerts", "--clearance", "restricted", "--json", env=env).stdout
