"""Clearance leak hunt (issue 11): restricted documents with a canary word, hunted for on
every surface a public reader has — search, documents, answers (and their saved stages),
monitoring series, alerts and campaigns, the dashboard, briefings, drafting, and the CLI.
A restricted reader finds the canary on the same surfaces, so each check can fail.

Run twice: on the embedded stores, and with every store on a real PostgreSQL and the index on
`chroma run` (the team server of docs/DEPLOY.md)."""

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
from bench.support.postgres import postgres_server
from bench.support.processes import chroma_server
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


@pytest.fixture(scope="module", params=["embedded", "servers"])
def stores(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """The settings that put the stores on servers (none: embedded)."""
    if request.param == "embedded":
        yield {}
        return
    with postgres_server() as postgres, chroma_server(tmp_path_factory.mktemp("chroma")) as url:
        yield {"DRAGOMAN_DATABASE_URL": postgres.create("registry"),
               "DRAGOMAN_WEB_DATABASE_URL": postgres.create("users"),
               "DRAGOMAN_CHROMA_URL": url}  # fmt: skip


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, stores: dict[str, str]) -> Path:
    root = tmp_path_factory.mktemp("leaks")
    env = cli_env(root / "home", **stores)
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
                        DRAGOMAN_VERIFY_JUDGE="heuristic", **stores)  # fmt: skip
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


@pytest.fixture(scope="module")
def reader_settings(home: Path, stores: dict[str, str]) -> Settings:
    on_servers = {key.removeprefix("DRAGOMAN_").lower(): url for key, url in stores.items()}
    return load_settings(home=home, llm_backend=BACKEND, verify_judge="heuristic", ask_k=5,
                         **on_servers)  # type: ignore[arg-type]  # fmt: skip


@pytest.fixture
def client(reader_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(reader_settings)) as client:
        yield client


def _restricted_ids(settings: Settings) -> list[str]:
    registry = Registry(settings.registry_url)
    docs = registry.documents(DocFilters(include_duplicates=True), limit=1000)
    return [d.doc_id for d in docs if d.clearance == "restricted"]


def _surfaces(client: TestClient, settings: Settings, csrf: str) -> dict[str, str]:
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
    run = settings.home / "runs" / "ask" / f"{asked.json()['run_id']}.json"
    texts = {name: r.text for name, r in bodies.items()}
    texts["ask_stages"] = run.read_text("utf-8")
    for b in json.loads(texts["briefings"]):
        for name in b["files"]:
            texts[f"brief:{b['clearance']}:{name}"] = client.get(
                f"/briefings/{b['date']}/{b['watchlist']}/{name}").text  # fmt: skip
    for doc_id in _restricted_ids(settings):
        texts[f"doc:{doc_id}"] = client.get(f"/api/docs/{doc_id}").text
    return texts


def test_a_public_reader_finds_the_canary_nowhere(
    client: TestClient, reader_settings: Settings
) -> None:
    csrf = sign_in(client, "ana")
    texts = _surfaces(client, reader_settings, csrf)
    leaks = [name for name, text in texts.items() if CANARY in text]
    assert leaks == []
    restricted = set(_restricted_ids(reader_settings))
    assert len(restricted) == 9
    assert [n for n, t in texts.items() if any(d in t for d in restricted)
            and not n.startswith("doc:")] == []  # fmt: skip
    assert all(json.loads(texts[f"doc:{d}"])["error"] == "NotFoundError" for d in restricted)
    assert not any(b["clearance"] == "restricted" for b in json.loads(texts["briefings"]))


def test_a_restricted_reader_finds_it_on_the_same_surfaces(
    client: TestClient, reader_settings: Settings
) -> None:
    csrf = sign_in(client, "root")
    texts = _surfaces(client, reader_settings, csrf)
    found = {name for name, text in texts.items() if CANARY in text}
    assert {"search", "alerts", "ask_stages"} <= found
    assert any(name.startswith("brief:restricted:") for name in found)
    assert any(name.startswith("doc:") for name in found)


def test_drafting_cannot_use_a_restricted_document(
    client: TestClient, reader_settings: Settings
) -> None:
    csrf = sign_in(client, "pat")
    cable = _restricted_ids(reader_settings)[0]
    refused = client.post("/api/drafts", headers={"X-CSRF-Token": csrf},
                          json={"instruction": "Announce the Geneva talks", "platform": "x",
                                "languages": ["en"], "doc_ids": [cable]})  # fmt: skip
    # above the reader: "no such document", exactly as for an id that does not exist
    assert refused.status_code == 404 and CANARY not in refused.text
    assert refused.json()["message"] == f"no document {cable!r}"


def test_the_cli_shows_a_public_reader_nothing(home: Path, stores: dict[str, str]) -> None:
    env = cli_env(home, **stores)
    if stores:  # the servers' variant wrote nothing to the embedded stores
        assert not any((home / name).exists() for name in ("dragoman.db", "web.db", "chroma"))
    for args in (["search", QUERY, "--clearance", "public"],
                 ["monitor", "--since", "2025-07-01", "--until", "2025-07-31"],
                 ["monitor", "--kind", "social", "--granularity", "hour", "--since", "2025-07-27",
                  "--until", "2025-07-29"],
                 ["alerts"]):  # fmt: skip
        shown = run_cli(*args, "--json", env=env)
        assert shown.returncode == 0, shown.stderr
        assert CANARY not in shown.stdout, args
    assert CANARY in run_cli("alerts", "--clearance", "restricted", "--json", env=env).stdout
