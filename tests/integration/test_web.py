"""The web app's routes through FastAPI's TestClient: real accounts database, real embedder,
real Chroma and registry on the White House demo files; the model is a scripted chat model
registered through the real backend registry (the flow around the model is the subject)."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from langchain_core.language_models.chat_models import BaseChatModel

from assistant.core.errors import RateLimitedError, ServerBusyError
from assistant.core.settings import Settings, load_settings
from assistant.llm.registry import register_backend, unregister_backend
from assistant.web.app import PUBLIC_PATHS, ROUTE_MODULES, create_app
from assistant.web.guards import GenerationGate, RateLimiter
from bench.support.scripted import ScriptedChatModel
from bench.support.web import (
    CABLE,
    PASSWORD,
    parse_sse,
    scripted_env,
    serving,
    sign_in,
)
from corpus.registry import DocFilters, Registry
from tests.conftest import REPO, cli_env, run_cli

QUESTION = "Which city will the presidential delegation visit for the World Expo?"
REPLY = "The presidential delegation will attend the World Expo in Osaka, Japan [1]."
BACKEND = "scripted-web"


@pytest.fixture(scope="module", autouse=True)
def scripted_backend() -> Iterator[None]:
    @register_backend(BACKEND, "scripted replies for the web tests")
    def factory(settings: Settings, argument: str) -> BaseChatModel:
        return ScriptedChatModel(responses=[REPLY])

    yield
    unregister_backend(BACKEND)


def make_settings(home: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"home": home, "llm_backend": BACKEND, "verify_judge": "heuristic",
                              "ask_k": 3, **overrides}  # fmt: skip
    return load_settings(**values)


@pytest.fixture(scope="module")
def app_client(web_home: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(web_home))) as client:
        yield client


@pytest.fixture
def client(app_client: TestClient) -> Iterator[TestClient]:
    """The module's app, with a fresh cookie jar (signed out) for each test."""
    app_client.cookies.clear()
    yield app_client
    app_client.cookies.clear()
    app_client.headers.pop("authorization", None)


def _ask(client: TestClient, csrf: str, question: str = QUESTION, **extra: Any) -> Any:
    return client.post(
        "/api/ask", json={"question": question, **extra}, headers={"X-CSRF-Token": csrf}
    )


def test_every_route_but_the_public_ones_requires_authentication(client: TestClient) -> None:
    checked = 0
    routes = [r for m in ROUTE_MODULES for r in m.router.routes]
    for route in routes:
        if not isinstance(route, APIRoute) or route.path.startswith(PUBLIC_PATHS):
            continue
        path = route.path.replace("{doc_id}", "doc_x").replace("{conversation_id}", "c_x")
        path = path.replace("{message_id}", "1").replace("{draft_id:int}", "1")
        for method in route.methods:
            response = client.request(method, path, headers={"accept": "application/json"})
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.json()["error"] == "AuthError"
            checked += 1
    assert checked >= 31
    page = client.get("/", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert client.get("/healthz").json()["status"] == "ok"


def test_sign_in_sets_a_hardened_session_cookie_and_signs_out(client: TestClient) -> None:
    token = client.get("/login").cookies.get("dragoman_login_csrf")
    wrong = client.post("/login", data={"username": "ana", "password": "nope-nope-nope",
                                        "csrf_token": token}, follow_redirects=False)  # fmt: skip
    assert wrong.status_code == 303 and "error=1" in wrong.headers["location"]
    forged = client.post("/login", data={"username": "ana", "password": PASSWORD,
                                         "csrf_token": "forged"}, follow_redirects=False)  # fmt: skip
    assert forged.status_code == 401
    token = client.get("/login").cookies.get("dragoman_login_csrf")
    good = client.post("/login", data={"username": "ana", "password": PASSWORD,
                                       "csrf_token": token}, follow_redirects=False)  # fmt: skip
    cookie = next(h for h in good.headers.get_list("set-cookie") if "dragoman_session=" in h)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = client.get("/")
    assert page.status_code == 200 and "ana" in page.text and "clearance <b>public" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    csrf = client.get("/api/me").json()["csrf_token"]
    assert (
        client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    )
    assert client.get("/api/me").status_code == 401


def test_state_changes_need_the_csrf_token(client: TestClient) -> None:
    csrf = sign_in(client, "ana")
    assert client.post("/api/conversations", json={"title": "x"}).status_code == 401
    bad = client.post("/api/conversations", json={"title": "x"}, headers={"X-CSRF-Token": "no"})
    assert bad.status_code == 401 and "CSRF" in bad.json()["message"]
    ok = client.post("/api/conversations", json={"title": "x"}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201


def test_api_tokens_for_scripts_and_disabled_accounts(client: TestClient) -> None:
    services = client.app.state.services  # type: ignore[attr-defined]
    token = services.accounts.create_token("pat", "test")
    headers = {"authorization": f"Bearer {token}"}
    found = client.get("/api/search", params={"q": "World Expo Osaka", "k": 3}, headers=headers)
    assert found.status_code == 200 and found.json()["results"]
    by_speaker = client.get("/api/search", params={"q": "Expo", "speaker": "usa"}, headers=headers)
    assert {r["speaker"] for r in by_speaker.json()["results"]} == {"USA"}
    nobody = client.get("/api/search", params={"q": "Expo", "speaker": "BRA"}, headers=headers)
    assert nobody.status_code == 200 and nobody.json()["results"] == []
    wrong = client.get("/api/search", params={"q": "Expo", "speaker": "Japan"}, headers=headers)
    assert wrong.status_code == 422
    posted = client.post("/api/conversations", json={"title": "by script"}, headers=headers)
    assert posted.status_code == 201  # no ambient credentials, so no CSRF token needed
    assert client.get("/api/me", headers={"authorization": "Bearer dgm_forged"}).status_code == 401
    services.accounts.set_disabled("pat", True)
    try:
        assert client.get("/api/me", headers=headers).status_code == 401
    finally:
        services.accounts.set_disabled("pat", False)
    assert services.accounts.revoke_tokens("pat") >= 1
    assert client.get("/api/me", headers=headers).status_code == 401


def test_roles_limit_what_users_may_do(client: TestClient) -> None:
    csrf = sign_in(client, "pat")
    upload = client.post("/api/ingest", files={"files": ("a.txt", b"text")},
                         headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert upload.status_code == 403 and upload.json()["error"] == "PermissionDeniedError"
    assert client.get("/api/audit").status_code == 403
    assert client.get("/api/users").status_code == 403
    sign_in(client, "root")
    users = client.get("/api/users").json()["users"]
    assert {u["username"]: u["role"] for u in users}["pat"] == "press_officer"


def _cable_id(home: Path) -> str:
    registry = Registry(make_settings(home).registry_url)
    (doc,) = [d for d in registry.documents(DocFilters(), limit=100) if d.text == CABLE]
    return doc.doc_id


def test_clearance_is_enforced_on_search_documents_and_answers(
    client: TestClient, web_home: Path
) -> None:
    cable = _cable_id(web_home)
    csrf = sign_in(client, "ana")
    hits = client.get("/api/search", params={"q": "envoy Grand Vizier Samarkand", "k": 10})
    assert all(r["doc_id"] != cable for r in hits.json()["results"])
    hidden = client.get(f"/api/docs/{cable}")
    assert hidden.status_code == 404 and hidden.json()["error"] == "NotFoundError"
    answer = _ask(client, csrf, "Where will the envoy meet the Grand Vizier?").json()
    assert all(c["doc_id"] != cable for c in answer["citations"] + answer["sources"])
    sign_in(client, "root")
    assert client.get(f"/api/docs/{cable}").json()["text"] == CABLE
    hits = client.get("/api/search", params={"q": "envoy Grand Vizier Samarkand", "k": 3})
    assert hits.json()["results"][0]["doc_id"] == cable


def test_ask_saves_the_conversation_and_exports_with_citations(client: TestClient) -> None:
    csrf = sign_in(client, "ana")
    result = _ask(client, csrf).json()
    assert not result["refused"] and "Osaka" in result["answer"] and "[1]" in result["answer"]
    conversation = result["conversation_id"]
    follow_up = _ask(client, csrf, "And when?", conversation_id=conversation).json()
    assert follow_up["conversation_id"] == conversation
    listed = client.get("/api/conversations").json()["conversations"]
    assert any(c["id"] == conversation and c["messages"] == 2 for c in listed)
    exported = client.get(
        f"/api/conversations/{conversation}/messages/{result['message_id']}/export"
    )
    assert "Osaka" in exported.text and "[1]" in exported.text and "Sources:" in exported.text
    renamed = client.patch(f"/api/conversations/{conversation}", json={"title": "Expo"},
                           headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert renamed.json()["title"] == "Expo"
    sign_in(client, "pat")  # another user sees nothing of it
    assert client.get(f"/api/conversations/{conversation}").status_code == 404
    sign_in(client, "ana")
    deleted = client.delete(f"/api/conversations/{conversation}", headers={"X-CSRF-Token": csrf})
    assert deleted.status_code == 401  # the old session's token: signing in again rotated it
    csrf = client.get("/api/me").json()["csrf_token"]
    deleted = client.delete(f"/api/conversations/{conversation}", headers={"X-CSRF-Token": csrf})
    assert deleted.status_code == 204
    assert client.get(f"/api/conversations/{conversation}").status_code == 404


def test_ask_streams_server_sent_events(client: TestClient) -> None:
    csrf = sign_in(client, "ana")
    response = _ask(client, csrf, stream=True)
    assert response.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(response.text)
    names = [name for name, _ in events]
    assert names[0] == "start" and names[-1] == "result" and "token" in names
    # evidence first: the passages found come before the draft's first token
    assert names.index("evidence") < names.index("token")
    evidence = next(data for name, data in events if name == "evidence")
    assert any("Osaka" in s["quote"] for s in evidence["sources"])
    streamed = "".join(data["text"] for name, data in events if name == "token")
    assert "Osaka" in streamed
    result = events[-1][1]
    assert result["citations"][0]["spans"] and result["message_id"]


def test_full_generation_queue_answers_503_with_retry_after(client: TestClient) -> None:
    services = client.app.state.services  # type: ignore[attr-defined]
    csrf = sign_in(client, "ana")
    saved = services.gate
    services.gate = GenerationGate(queue=0, timeout_s=5)
    held = services.gate.admit()  # the one generation slot is taken
    try:
        busy = _ask(client, csrf)
        assert busy.status_code == 503 and int(busy.headers["retry-after"]) >= 1
        assert busy.json()["error"] == "ServerBusyError"
    finally:
        held.cancel()
        services.gate = saved
    assert _ask(client, csrf).status_code == 200


def test_generation_gate_bounds_the_queue() -> None:
    gate = GenerationGate(queue=1, timeout_s=0.2)
    first, second = gate.admit(), gate.admit()
    with pytest.raises(ServerBusyError):
        gate.admit()
    assert first.run(lambda: 7) == 7  # runs, releases
    gate.admit().cancel()
    second.cancel()
    assert gate.stats()["admitted"] == 0 and gate.stats()["refused"] == 1


def test_rate_limits_per_user(web_home: Path) -> None:
    limiter = RateLimiter(2, "questions")
    limiter.check("a")
    limiter.check("a")
    limiter.check("b")
    with pytest.raises(RateLimitedError, match="too many questions") as caught:
        limiter.check("a")
    assert caught.value.retry_after_s >= 1
    settings = make_settings(web_home, rate_asks_per_minute=1, rate_logins_per_minute=2)
    with TestClient(create_app(settings)) as client:
        for _ in range(3):  # successful sign-ins are not what the login limit counts
            csrf = sign_in(client, "ana")
        assert _ask(client, csrf).status_code == 200
        limited = _ask(client, csrf)
        assert limited.status_code == 429 and "retry-after" in limited.headers
        for attempt in range(3):
            token = client.get("/login").cookies.get("dragoman_login_csrf")
            response = client.post("/login", data={"username": "pat", "password": "wrong-wrong",
                                                   "csrf_token": token}, follow_redirects=False)  # fmt: skip
            assert response.status_code == (303 if attempt < 2 else 429)
        token = client.get("/login").cookies.get("dragoman_login_csrf")
        blocked = client.post("/login", data={"username": "pat", "password": PASSWORD,
                                              "csrf_token": token}, follow_redirects=False)  # fmt: skip
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1


def test_request_size_limits(web_home: Path) -> None:
    settings = make_settings(web_home, max_request_kb=4, max_upload_mb=1)
    with TestClient(create_app(settings)) as client:
        csrf = sign_in(client, "ana")
        big = client.post("/api/conversations", content=b"{" + b" " * 8000 + b"}",
                          headers={"X-CSRF-Token": csrf, "content-type": "application/json"})  # fmt: skip
        assert big.status_code == 413 and big.json()["error"] == "RequestTooLargeError"
        huge = client.post("/api/ingest", files={"files": ("big.txt", b"a " * 700_000)},
                           headers={"X-CSRF-Token": csrf})  # fmt: skip
        assert huge.status_code == 413


def test_upload_ingests_each_file_and_is_searchable(client: TestClient) -> None:
    csrf = sign_in(client, "ana")
    files = [
        ("files", ("brief.txt", b"The consulate in Mombasa reopens on 3 May after renovation.")),
        ("files", ("broken.pdf", b"%PDF-1.4 this is not really a pdf")),
    ]
    response = client.post("/api/ingest", files=files, data={"kind": "policy"},
                           headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert response.status_code == 200, response.text
    results = {r["file"]: r for r in response.json()["files"]}
    assert results["brief.txt"]["status"] == "ok" and results["brief.txt"]["added"] == 1
    assert results["broken.pdf"]["status"] == "failed"
    hits = client.get("/api/search", params={"q": "consulate Mombasa reopens", "k": 3}).json()
    assert "Mombasa" in hits["results"][0]["text"]
    above = client.post("/api/ingest", files=files[:1], data={"clearance": "restricted"},
                        headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert above.status_code == 403


def test_audit_log_is_append_only_and_hash_chained(client: TestClient, web_home: Path) -> None:
    sign_in(client, "root")
    audit = client.get("/api/audit", params={"limit": 1000}).json()
    actions = {e["action"] for e in audit["entries"]}
    assert {"login", "user_add"} <= actions and audit["chain"]["intact"]
    database = sqlite3.connect(web_home / "web.db")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        database.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 1")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        database.execute("DELETE FROM audit_log WHERE id = 1")
    database.close()


def test_tampering_outside_the_app_breaks_the_chain(tmp_path: Path) -> None:
    from assistant.accounts.audit import AuditLog
    from assistant.accounts.store import WebStore

    store = WebStore(f"sqlite:///{tmp_path / 'web.db'}")
    log = AuditLog(store, load_settings(home=tmp_path))
    for action in ("login", "ask", "export"):
        log.record("ana", action, None, {"n": 1})
    assert log.verify_chain().intact
    database = sqlite3.connect(tmp_path / "web.db")
    database.execute("DROP TRIGGER audit_log_no_update")
    database.execute("UPDATE audit_log SET actor = 'mallory' WHERE action = 'ask'")
    database.commit()
    database.close()
    check = log.verify_chain()
    assert not check.intact and check.first_bad_id == 2


def test_openapi_reference_is_served_offline_behind_sign_in(client: TestClient) -> None:
    sign_in(client, "ana")
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/static/vendor/swagger-ui-bundle.js" in docs.text
    assert client.get("/static/vendor/swagger-ui-bundle.js").status_code == 200
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    assert {"/api/ask", "/api/search", "/api/docs/{doc_id}", "/api/ingest"} <= set(paths)
    # every API route documents the statuses it can fail with, and their body
    for path, methods in paths.items():
        for method, operation in methods.items():
            assert {"400", "401", "404", "422"} <= set(operation["responses"]), (path, method)
    assert set(spec["components"]["schemas"]["ErrorOut"]["properties"]) >= {"error", "message"}


def test_an_undeclared_method_is_answered_with_allow(client: TestClient) -> None:
    sign_in(client, "ana")
    refused = client.delete("/api/search")
    assert refused.status_code == 405 and refused.headers["allow"] == "GET"
    assert refused.json()["error"] == "InputError"
    # every method the path serves, not only the first route's
    several = client.put("/api/conversations")
    assert several.status_code == 405 and several.headers["allow"] == "GET, POST"
    # a literal segment is not taken for a draft's number
    assert client.get("/api/drafts/count").headers["allow"] == "POST"


def _token(home: Path, username: str) -> str:
    made = run_cli("users", "token", username, "--json", env=cli_env(home))
    assert made.returncode == 0, made.stderr
    return str(json.loads(made.stdout)["token"])


# (user, the operations their role may call, the stand-in model): the analyst everything
# (asking and positions on the scripted model), the press officer the drafting desk on a
# stand-in writer that answers the drafting schema, the admin the admin routes.
DRAFT_ECHO = "langchain:bench.support.scripted:DraftEchoChatModel"
CONTRACT_RUNS = {
    "ana": (["--exclude-name", "POST /api/drafts"], None),
    "pat": (["--include-path-regex", "^/(api/)?(drafts|platforms)"], DRAFT_ECHO),
    "root": (["--include-path-regex", "^/api/(audit|users)(/|$)"], None),
}


def _failures(report: str) -> str:
    """The failures section of a schemathesis report, lines cut short (bodies can be huge)."""
    section = report.partition("FAILURES")[2].partition("WARNINGS")[0] or report[-3000:]
    return "\n".join(line[:240] for line in section.splitlines() if line.strip())[:6000]


def test_the_api_keeps_its_openapi_contract(web_home: Path, tmp_path: Path) -> None:
    """schemathesis (a contract tester) against the real server's /openapi.json: statuses,
    bodies, content types, Allow headers, schema-valid input accepted and invalid refused;
    the model's routes included, on stand-in models."""
    home = tmp_path / "home"
    shutil.copytree(web_home, home, symlinks=True)
    limits = {
        "DRAGOMAN_RATE_REQUESTS_PER_MINUTE": "100000",
        "DRAGOMAN_RATE_ASKS_PER_MINUTE": "100000",
    }
    tokens = {user: _token(home, user) for user in CONTRACT_RUNS}
    for backend in dict.fromkeys(model for _, model in CONTRACT_RUNS.values()):
        env = scripted_env(home, [REPLY], **limits)
        if backend:
            env["DRAGOMAN_LLM_BACKEND"] = backend
        with serving(home, env) as url:
            for user, (selection, model) in CONTRACT_RUNS.items():
                if model != backend:
                    continue
                run = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "schemathesis.cli",
                        "--no-color",
                        "--config-file",
                        str(REPO / "tests" / "fixtures" / "schemathesis.toml"),
                        "run",
                        f"{url}/openapi.json",
                        "-H",
                        f"Authorization: Bearer {tokens[user]}",
                        *selection,
                    ],
                    capture_output=True,
                    text=True,
                    timeout=400,
                    cwd=tmp_path,
                    check=False,
                )
                (tmp_path / f"schemathesis-{user}.txt").write_text(run.stdout + run.stderr)
                failures = _failures(run.stdout)
                assert run.returncode == 0, f"{user}: {failures}\n{run.stderr[-2000:]}"


def test_a_browser_gets_errors_as_pages(client: TestClient) -> None:
    """A page request (GET, Accept: text/html) that fails gets a page with the message and
    the fix, escaped; the same request from a program still gets the JSON error."""
    sign_in(client, "ana")
    html = {"accept": "text/html"}
    missing = client.get("/briefings/2099-01-01/all/briefing.en.html", headers=html)
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "Not found" in missing.text and 'id="error-message"' in missing.text
    invalid = client.get("/monitor?country=<script>alert(1)</script>", headers=html)
    assert invalid.status_code == 422 and "<script>alert(1)" not in invalid.text
    assert 'id="error-message"' in invalid.text
    program = client.get("/briefings/2099-01-01/all/briefing.en.html")
    assert program.status_code == 404 and program.json()["error"] == "NotFoundError"


def test_the_library_lists_and_reads_within_clearance(client: TestClient) -> None:
    """The Library's list (page and JSON) and reading view show only what the reader's
    clearance allows; a document's text is rendered with nothing able to run."""
    sign_in(client, "root")
    everything = client.get("/api/docs", params={"limit": 200}).json()["documents"]
    restricted = [d for d in everything if d["clearance"] == "restricted"]
    assert restricted and all("text" not in d for d in everything)
    client.cookies.clear()
    sign_in(client, "ana")
    listed = client.get("/api/docs", params={"limit": 200}).json()["documents"]
    assert listed and {d["clearance"] for d in listed} == {"public"}
    page = client.get("/library", params={"kind": "news"})
    assert page.status_code == 200 and listed[0]["title"].split()[0] in page.text
    assert 'id="upload-form"' in page.text  # analysts may upload
    reading = client.get(f"/library/{listed[0]['doc_id']}")
    assert reading.status_code == 200 and 'id="document-text"' in reading.text
    statement = next(d for d in listed if d["source"] == "The White House")
    assert statement["speaker"] == "USA"  # who speaks, apart from who is mentioned
    assert "speaker: United States" in client.get(f"/library/{statement['doc_id']}").text
    spoken = client.get("/api/docs", params={"limit": 200, "speaker": "usa"}).json()["documents"]
    assert spoken and {d["speaker"] for d in spoken} == {"USA"}
    assert len(spoken) == sum(d["speaker"] == "USA" for d in listed)  # none missed, none extra
    assert client.get("/api/docs", params={"speaker": "FRA"}).json()["documents"] == []
    assert client.get("/api/docs", params={"speaker": "France"}).status_code == 422
    assert 'name="speaker"' in client.get("/library", params={"speaker": "USA"}).text
    assert "<script" not in reading.text.split('id="document-text"')[1].split("</article>")[0]
    hidden = client.get(f"/library/{restricted[0]['doc_id']}", headers={"accept": "text/html"})
    assert hidden.status_code == 404 and restricted[0]["title"] not in hidden.text


def test_invalid_requests_get_specific_errors(client: TestClient) -> None:
    csrf = sign_in(client, "ana")
    empty = _ask(client, csrf, "")
    assert empty.status_code == 422 and "question" in empty.json()["message"]
    bad_filter = _ask(client, csrf, filters={"country": "Narnia"})
    assert bad_filter.status_code == 422 and "country" in bad_filter.json()["message"]
    assert _ask(client, csrf, conversation_id="c_nobody").status_code == 404
    gate = client.app.state.services.gate.stats()  # type: ignore[attr-defined]
    assert gate["admitted"] == 0  # the refused question gave its queue place back


def test_a_briefing_is_created_from_the_web(client: TestClient) -> None:
    """An analyst asks for a briefing on the Briefings page: the form opens on the corpus's
    latest day (the demo files are older than the clock), the job is followed to the end,
    and the briefing is in the archive, audited under the analyst's name."""
    import time

    csrf = sign_in(client, "ana")
    page = client.get("/briefings")
    assert 'id="new-briefing"' in page.text and 'id="briefing-note"' in page.text
    day = re.search(r'id="briefing-date" type="date" value="([0-9-]+)"', page.text)[1]  # type: ignore[index]
    headers = {"X-CSRF-Token": csrf}
    ask = {"date": day, "window": "3d", "formats": ["md", "html", "docx"]}
    assert client.post("/api/briefings", json={**ask, "clearance": "restricted"},
                       headers=headers).status_code == 403  # fmt: skip
    assert client.post("/api/briefings", json={**ask, "watchlist": "nobody"},
                       headers=headers).status_code == 404  # fmt: skip
    assert client.post("/api/briefings", json={**ask, "formats": ["exe"]},
                       headers=headers).status_code == 422  # fmt: skip
    started = client.post("/api/briefings", json=ask, headers=headers)
    assert started.status_code == 202 and started.json()["status"] in ("queued", "running")
    job_id = started.json()["id"]
    deadline = time.monotonic() + 300
    while (job := client.get(f"/api/briefings/jobs/{job_id}").json())["status"] not in (
        "done",
        "failed",
    ) and time.monotonic() < deadline:
        time.sleep(1)
    assert job["status"] == "done", job
    assert job["briefing"]["date"] == day and not job["briefing"]["empty"]
    assert "briefing.en.docx" in job["briefing"]["files"]
    archived = client.get("/api/briefings").json()
    assert any(b["date"] == day and b["clearance"] == "public" for b in archived)
    assert [j["id"] for j in client.get("/api/briefings/jobs").json()["jobs"]] == [job_id]
    client.cookies.clear()
    sign_in(client, "root")  # another person: the job is not theirs to see
    assert client.get(f"/api/briefings/jobs/{job_id}").status_code == 404
    audit = client.get("/api/audit", params={"action": "brief"}).json()
    assert any(e["actor"] == "ana" for e in audit["entries"]), audit
    client.cookies.clear()
    press = {"X-CSRF-Token": sign_in(client, "pat")}  # a press officer does not write briefings
    assert client.post("/api/briefings", json=ask, headers=press).status_code == 403


def test_pages_open_on_the_corpus_and_offer_questions_from_it(client: TestClient) -> None:
    """The demo corpus is older than the clock: Monitoring opens on its latest 30 days and
    says so; the empty chat offers questions drawn from the corpus; the source viewer's
    reading API renders and marks the cited range, within clearance."""
    sign_in(client, "ana")
    monitor = client.get("/monitor")
    assert 'id="period-note"' in monitor.text and "the newest item you may read" in monitor.text
    assert client.get("/monitor", params={"since": "30d"}).text.count('id="period-note"') == 0
    chat = client.get("/")
    examples = re.findall(r'<button type="button" class="example">([^<]+)</button>', chat.text)
    news = client.get("/api/docs", params={"kind": "news", "limit": 2}).json()["documents"]
    assert _announce_question(news[0]) in examples, examples
    # filed higher, the newest statement takes its question with it at once (not after the
    # examples' ten minutes in the cache)
    registry = client.app.state.services.registry  # type: ignore[attr-defined]
    registry.reclassify([news[0]["doc_id"]], "restricted", "test")
    try:
        again = client.get("/").text
        assert _announce_question(news[1]) in again
    finally:
        registry.reclassify([news[0]["doc_id"]], "public", "test")
    listed = client.get("/api/docs", params={"limit": 5}).json()["documents"]
    doc = listed[0]["doc_id"]
    reading = client.get(f"/api/docs/{doc}/reading", params={"mark": ["0-40"]})
    assert reading.status_code == 200 and '<mark class="cited">' in reading.json()["html"]
    empty = client.get(f"/api/docs/{doc}/reading", params={"mark": ["9-3"]})  # marks nothing
    assert empty.status_code == 200 and "<mark" not in empty.json()["html"]
    assert client.get(f"/api/docs/{doc}/reading", params={"mark": ["3"]}).status_code == 422
    hidden = client.get(f"/api/docs/{_cable_id(client.app.state.services.settings.home)}/reading")  # type: ignore[attr-defined]
    assert hidden.status_code == 404


def _announce_question(doc: dict[str, Any]) -> str:
    from datetime import datetime

    day = datetime.fromisoformat(doc["published_at"])
    return f"What did The White House announce on {day.day} {day:%B %Y}?"
