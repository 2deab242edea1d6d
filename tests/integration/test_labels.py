"""Labels licensed by measurement, on the real components: `dragoman calibrate` through
the real CLI (the sentiment head on held-out posts), and stance labels unlocked by a
calibration of a reader that reads the recorded vote — not by one that guesses — through
the real `positions-2022` suite (UN speeches, embedder, Chroma, BM25, the heuristic judge)
and the product's positions engine. The embedded models' shipped records keep their stance
labels locked, as measured."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from langchain_core.language_models.chat_models import BaseChatModel

from assistant.components import Components
from assistant.core.settings import Settings, load_settings
from assistant.licensing import STANCE_KINDS, kinds_named
from assistant.llm.registry import register_backend, unregister_backend
from assistant.monitoring.sentiment import sentiment_subject
from assistant.positions import PositionsRequest
from bench.support.scripted import VoteReaderChatModel
from bench.support.web import SCRIPTED, scripted_env, serving, sign_in
from corpus.connectors import Options
from corpus.ingest import ingest
from corpus.registry import DocFilters
from corpus.speakers import speaker_label
from evals.calibrate import records_from_run
from evals.harness import load_run, run_suites
from evals.stance_data import ES_11_1_FILE, extract_speeches, read_vote
from retrieval.indexer import index_pending
from tests.conftest import SHARED, cli_env, run_cli

MEMBERS = 60  # members of the 2022 vote sampled by the suite (about 36 named Ukraine)
SIDE = {"yes": "for", "no": "against", "abstain": "neither"}
TOPIC = "the territorial integrity of Ukraine"
UN_PATTERN = r"(?P<country>[A-Z]{2,3})_(?P<session>\d+)_(?P<year>\d{4})\.txt$"


@pytest.fixture(scope="module")
def readers() -> Iterator[None]:
    votes = read_vote(ES_11_1_FILE).votes
    sides = {speaker_label(code): SIDE[vote] for code, vote in votes.items()}

    @register_backend("vote-reader", "reads each member's recorded vote as its stance")
    def reads(settings: Settings, argument: str) -> BaseChatModel:
        return VoteReaderChatModel(sides=sides)

    @register_backend("guess-reader", "gives each member a side at random")
    def guesses(settings: Settings, argument: str) -> BaseChatModel:
        return VoteReaderChatModel(guess=True)

    yield
    unregister_backend("vote-reader")
    unregister_backend("guess-reader")


def _speeches(settings: Settings, members: set[str]) -> None:
    """The members' September 2022 speeches, ingested and indexed in the home."""
    folder = settings.home.parent / "ungdc-2022"
    extract_speeches(SHARED, [2022], members, folder)
    components = Components(settings)
    options = Options(kind="policy", filename_pattern=UN_PATTERN, source="UN General Debate")
    templates = {
        "title": "{country_name} — UN General Debate ({year})",
        "published_at": "{year}-09-20",
    }
    ingest(components.registry, [str(folder)], options, templates)
    index_pending(components.retrieval(), components.registry)


def test_a_reader_of_the_vote_unlocks_stances_and_a_guesser_does_not(
    home: Path, readers: None
) -> None:
    settings = load_settings(home=home, verify_judge="heuristic", corpora_dir=SHARED)
    _speeches(settings, {"FRA", "RUS"})
    request = PositionsRequest(TOPIC, ["FRA", "RUS"], DocFilters(kind="policy"))
    for backend, unlocked in (("vote-reader", True), ("guess-reader", False)):
        components = Components(settings, backend)
        before = components.positions().run(request)
        assert {p["stance"] for p in before["positions"]} == {"undetermined"}, backend
        assert all(lic["status"] == "not_measured" for lic in before["licences"])
        run = run_suites(settings, ["positions-2022"], limit=MEMBERS, backend=backend)
        saved = load_run(settings, run["run_id"])
        records = records_from_run(saved, kinds_named(["stance"]), sentiment_subject())
        components.calibration.add(records)
        supports = components.licences.licence("stance.supports", "en")
        assert supports.record is not None and supports.record.n >= 5, supports
        assert supports.shown is unlocked, supports.message()
        after = Components(settings, backend).positions().run(request)
        france, russia = after["positions"]
        if unlocked:  # France voted yes: shown; Russia's "opposes" rests on too few "no"
            assert france["stance"] == "supports", france
            assert russia["model_stance"] == "opposes" and russia["stance"] == "undetermined"
            why = " ".join(russia["reasons"])
            assert "below the bar" in why or "not measured" in why, why
        else:
            assert france["stance"] == "undetermined", france
        shown = {(lic["kind"], lic["status"]) for lic in after["licences"]}
        assert ("stance.supports", "licensed" if unlocked else "below_bar") in shown


def test_the_embedded_models_shipped_records_keep_their_stances_locked(home: Path) -> None:
    """The 0.5B's and 1.5B's records (shipped, measured on the 2022 vote) lock every side:
    a side they gave is below the bar, a side they never gave is not measured."""
    for backend in ("local", "local-small"):
        licences = Components(load_settings(home=home), backend).licences
        found = [licences.licence(kind, "en") for kind in STANCE_KINDS.values()]
        assert not [lic.kind for lic in found if lic.shown], backend
        measured = [lic for lic in found if lic.record is not None]
        assert measured and all(lic.status == "below_bar" for lic in measured), backend
        assert licences.licence("stance.opposes", "en").record is not None, backend


def test_calibrate_writes_records_through_the_cli_and_lists_them(home: Path) -> None:
    env = cli_env(home, DRAGOMAN_CORPORA_DIR=str(SHARED))
    made = run_cli(
        "calibrate",
        "--labels",
        "sentiment",
        "--languages",
        "zh,hi",
        "--limit",
        "60",
        "--json",
        env=env,
        timeout=600,
    )
    assert made.returncode == 0, made.stderr[-2000:]
    records = json.loads(made.stdout)["records"]
    assert {r["language"] for r in records} == {"zh", "hi"}
    assert {r["kind"] for r in records} >= {"sentiment.negative", "sentiment.positive"}
    assert all(r["subject"].startswith("sentiment:") and r["n"] > 0 for r in records)
    listed = run_cli("calibrate", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr[-2000:]
    run_ids = {r["run_id"] for r in json.loads(listed.stdout)["records"] if r["language"] == "hi"}
    assert run_ids == {json.loads(made.stdout)["run_id"]}
    again = run_cli(
        "calibrate",
        "--from-run",
        json.loads(made.stdout)["run_id"],
        "--labels",
        "sentiment.negative",
        "--json",
        env=env,
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert {r["kind"] for r in json.loads(again.stdout)["records"]} == {"sentiment.negative"}
    bad = run_cli("calibrate", "--labels", "stances", "--json", env=env)
    assert bad.returncode != 0 and "no label kind 'stances'" in bad.stdout + bad.stderr


def test_serve_calibrates_a_backend_without_records_in_the_background(web_home: Path) -> None:
    """The real server on a backend with no records starts `dragoman calibrate` for it at
    start-up; /healthz, the API and the Labels page say so; an analyst cannot start another,
    an administrator is told one runs; stopping the server ends it."""
    env = scripted_env(
        web_home,
        ["unused"],
        DRAGOMAN_CALIBRATE_ON_FIRST_USE="true",
        DRAGOMAN_CORPORA_DIR=str(SHARED),
    )
    with serving(web_home, env) as url, httpx.Client(base_url=url) as client:
        deadline = time.monotonic() + 60
        while (health := client.get("/healthz").json())["calibration"] == "idle":
            assert time.monotonic() < deadline, health
            time.sleep(0.5)
        assert health["calibration"] == "running", health
        state = json.loads((web_home / "calibration" / "background.json").read_text("utf-8"))
        assert state["backend"] == SCRIPTED and state["limit"] == 40
        sign_in(client, "ana")
        view = client.get("/api/licences").json()
        assert view["calibration"]["status"] == "running"
        assert view["subjects"]["model"] == "langchain:ScriptedChatModel"
        assert all(
            lic["status"] == "not_measured"
            for lic in view["licences"]
            if lic["subject"] == view["subjects"]["model"]
        )
        page = client.get("/licences")
        assert page.status_code == 200 and 'data-status="running"' in page.text
        csrf = client.get("/api/me").json()["csrf_token"]
        assert (
            client.post("/api/licences/calibrate", headers={"X-CSRF-Token": csrf}).status_code
            == 403
        )
        client.cookies.clear()
        csrf = sign_in(client, "root")
        again = client.post("/api/licences/calibrate", headers={"X-CSRF-Token": csrf})
        assert again.status_code == 409 and "running" in again.json()["message"]
    deadline = time.monotonic() + 15
    while _alive(state["pid"]):
        assert time.monotonic() < deadline, "the calibration outlived its server"
        time.sleep(0.2)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return "Z"
