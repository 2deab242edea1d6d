"""`dragoman positions` on the real embedded 1.5B, embedder, Chroma and the demo UN speeches;
the web API and export with a scripted reader registered through the real backend registry
(the flow around the model is the subject there)."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from langchain_core.language_models.chat_models import BaseChatModel

from assistant.components import Components
from assistant.core.settings import Settings, load_settings
from assistant.licensing import STANCE_KINDS, CalibrationRecord
from assistant.llm.registry import register_backend, unregister_backend
from assistant.positions import PositionsRequest
from assistant.web.app import create_app
from bench.support.scripted import StanceEchoChatModel
from bench.support.web import sign_in
from corpus.registry import DocFilters
from tests.conftest import REPO, cli_env, run_cli

DEMO = REPO / "corpus" / "demo"
UN_PATTERN = r"(?P<country>[A-Z]{2,3})_(?P<session>\d+)_(?P<year>\d{4})\.txt$"
BACKEND = "stance-echo"
UKRAINE = re.compile(r"ukrain|乌克兰", re.IGNORECASE)

SUDAN = {  # two speakers' statements that differ in one figure (written for this test)
    "FRA": "In Sudan, the war has driven 11 million people from their homes since April "
    "2023, and famine has been declared in North Darfur.",
    "DEU": "In Sudan, the war has driven 8 million people from their homes since April "
    "2023, and famine has been declared in North Darfur.",
}


def _ingest(env: dict[str, str], *args: str) -> None:
    result = run_cli("ingest", *args, "--json", env=env)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.fixture(scope="module")
def un_home(web_home: Path, tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Path:
    """The web test home (White House files, users) plus the demo's UN speeches of 2024."""
    home = tmp_path_factory.mktemp("positions") / "home"
    shutil.copytree(web_home, home, symlinks=True)
    if not (home / "models").exists():
        (home / "models").symlink_to(models_dir)
    _ingest(cli_env(home), str(DEMO / "un"), "--kind", "policy", "--source", "UN General Debate",
            "--filename-pattern", UN_PATTERN, "--set", "published_at={year}-09-20",
            "--set", "title={country_name} — UN General Debate, session {session} ({year})")  # fmt: skip
    statements = home.parent / "statements"  # two that disagree (written for these tests)
    statements.mkdir()
    for speaker, text in SUDAN.items():
        (statements / f"{speaker}_99_2024.txt").write_text(text, encoding="utf-8")
    _ingest(cli_env(home), str(statements), "--kind", "policy", "--source", "Statements",
            "--filename-pattern", UN_PATTERN, "--set", "published_at={year}-10-01",
            "--set", "title={country_name} statement on Sudan")  # fmt: skip
    return home


@pytest.mark.model
def test_positions_on_the_real_model(un_home: Path, default_model: Path, tmp_path: Path) -> None:
    exported = tmp_path / "positions.md"
    result = run_cli(
        "positions", "Ukraine", "--speakers", "USA,RUS,EGY", "--kind", "policy",
        "--since", "2024-01-01", "--until", "2024-12-31", "--export", str(exported), "--json",
        env=cli_env(un_home, DRAGOMAN_LLM_BACKEND="local"), timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    by_speaker = {p["speaker"]: p for p in report["positions"]}
    assert list(by_speaker) == ["USA", "RUS", "EGY"]
    for speaker in ("USA", "RUS"):
        quotes = by_speaker[speaker]["quotes"]
        assert 1 <= len(quotes) <= 3, by_speaker[speaker]
        assert all(q["verified"] and UKRAINE.search(q["quote"]) for q in quotes), quotes
        assert all(q["speaker"] == speaker for q in quotes)  # its own words, not a mention
        assert by_speaker[speaker]["summary"]
        assert "topic" not in by_speaker[speaker]["summary"]  # what was said, not the rubric
    # the 1.5B's shipped records license none of its stance labels (measured against the UN
    # vote), so no side is asked for: the summary and the quotes are what the analyst reads
    assert {by_speaker[s]["stance"] for s in ("USA", "RUS")} == {"undetermined"}
    assert {by_speaker[s]["model_stance"] for s in ("USA", "RUS")} == {"undetermined"}
    reasons = [r for s in ("USA", "RUS") for r in by_speaker[s]["reasons"][-1:]]
    assert all("no stance label is licensed" in r for r in reasons), reasons
    licences = {(lic["kind"], lic["status"]) for lic in report["licences"]}
    assert ("stance.supports", "below_bar") in licences and ("stance.opposes", "below_bar") in (
        licences
    )
    egypt = by_speaker["EGY"]  # its 2024 speech never names Ukraine: no statement, no guess
    assert egypt["stance"] == "no_statement" and not egypt["quotes"] and egypt["summary"] is None
    text = exported.read_text("utf-8")
    assert text.startswith("# Positions on Ukraine") and "| Egypt | no statement found |" in text
    assert (un_home / "runs" / "positions" / f"{report['run_id']}.json").is_file()


def test_bad_positions_flags_are_refused_before_any_work(un_home: Path) -> None:
    env = cli_env(un_home)
    for args, message in (
        (["--speakers", "Russia"], "--speakers"),
        (["--speakers", "USA", "--all"], "exclude each other"),
        (["--export", "out.pdf"], ".md or .csv"),
        (["--compare", "2024", "last year"], "period"),
        (["--kind", "blog"], "--kind"),
    ):
        result = run_cli("positions", "Ukraine", *args, "--json", env=env)
        said = result.stdout + result.stderr  # --json: the error as JSON on stdout
        assert result.returncode == 2 and message in said, (args, said)


@pytest.fixture(scope="module")
def echo_backend(un_home: Path) -> Iterator[None]:
    @register_backend(BACKEND, "echoes the first quote, on the topic's side")
    def factory(settings: Settings, argument: str) -> BaseChatModel:
        return StanceEchoChatModel()

    # The stand-in's labels are licensed by records written here: these tests are about the
    # flow around a licensed label (API, export, shifts); how a record licenses one is
    # tests/integration/test_labels.py's subject.
    components = Components(_settings(un_home))
    subject = components.model_subject()
    records = [
        CalibrationRecord(subject, kind, "en", 100, 100, "positions-2022", "stand-in", "echo", "")
        for kind in STANCE_KINDS.values()
    ]
    components.calibration.add(records)
    yield
    unregister_backend(BACKEND)


def _settings(home: Path) -> Settings:
    return load_settings(home=home, llm_backend=BACKEND, verify_judge="heuristic")


@pytest.fixture(scope="module")
def client(un_home: Path, echo_backend: None) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(un_home))) as client:
        yield client


def _positions(client: TestClient, csrf: str, **body: Any) -> Any:
    return client.post("/api/positions", json=body, headers={"X-CSRF-Token": csrf})


def _report_for_ana(client: TestClient, **body: Any) -> dict[str, Any]:
    """Ana signs in afresh and runs positions: the report (the call must succeed)."""
    client.cookies.clear()
    response = _positions(client, sign_in(client, "ana"), **body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_the_positions_api_cites_verified_quotes_and_exports_them(
    client: TestClient, un_home: Path
) -> None:
    report = _report_for_ana(client, topic="Ukraine", speakers=["usa", "EGY"],
                             since="2024-01-01", until="2024-12-31", kind="policy")  # fmt: skip
    usa, egypt = report["positions"]
    first = " ".join(usa["quotes"][0]["quote"].split())
    assert usa["stance"] == "supports" and usa["summary"] == first
    assert usa["summary_supported"] and all(q["verified"] for q in usa["quotes"])
    assert egypt["stance"] == "no_statement" and egypt["quotes"] == []
    run = report["run_id"]
    markdown = client.get(f"/api/positions/{run}/export?format=md")
    assert markdown.status_code == 200 and markdown.headers["content-type"].startswith(
        "text/markdown"
    )
    assert "| United States | supports |" in markdown.text
    rows = list(
        csv.DictReader(io.StringIO(client.get(f"/api/positions/{run}/export?format=csv").text))
    )
    assert {r["speaker"] for r in rows} == {"USA", "EGY"}
    quoted = usa["quotes"][0]["doc_id"]  # reclassified above the reader since the run
    env = cli_env(un_home)
    assert (
        run_cli("docs", "reclassify", quoted, "--clearance", "restricted", env=env).returncode == 0
    )
    try:
        later = client.get(f"/api/positions/{run}/export?format=md").text
    finally:
        assert (
            run_cli("docs", "reclassify", quoted, "--clearance", "public", env=env).returncode == 0
        )
    assert "| United States | undetermined |  |" in later  # no summary read from it either
    assert " ".join(usa["quotes"][0]["quote"].split())[:40] not in later
    client.cookies.clear()
    csrf_other = sign_in(client, "val")  # someone else's run is not theirs to read
    assert client.get(f"/api/positions/{run}/export").status_code == 404
    assert client.get("/api/positions/..%2F..%2Fweb/export").status_code in (404, 422)
    assert _positions(client, csrf_other, topic="Ukraine", speakers=["Russia"]).status_code == 422
    many = [f"A{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(21)]
    assert _positions(client, csrf_other, topic="Ukraine", speakers=many).status_code == 422
    assert _positions(client, csrf_other, topic="", speakers=["USA"]).status_code == 422
    client.cookies.clear()
    assert client.post("/api/positions", json={"topic": "Ukraine"}).status_code == 401


def test_the_positions_page_is_served(client: TestClient) -> None:
    client.cookies.clear()
    sign_in(client, "ana")
    page = client.get("/positions")
    assert page.status_code == 200 and 'id="positions-form"' in page.text
    assert 'href="/positions"' in client.get("/").text


def test_a_shift_is_flagged_only_between_two_stated_stances(
    un_home: Path, echo_backend: None
) -> None:
    engine = Components(_settings(un_home)).positions()
    periods = [(20240101, 20241231), (20250101, 20251231)]
    policy = PositionsRequest("Ukraine", ["USA", "EGY"], DocFilters(kind="policy"))
    shifts = {s["speaker"]: s for s in engine.compare(policy, periods)["shifts"]}
    # the US spoke of Ukraine at the UN in 2024, but no policy document of 2025 is its own
    assert shifts["USA"]["before"]["stance"] == "supports"
    assert shifts["USA"]["after"]["stance"] == "no_statement" and not shifts["USA"]["changed"]
    assert not shifts["EGY"]["changed"]
    model = engine.engine.llm.chat_model
    model.against_if = "intensive work"  # type: ignore[attr-defined]  # 2025's joint statement
    try:
        report = engine.compare(PositionsRequest("Ukraine", ["USA", "EGY"]), periods)
    finally:
        model.against_if = None  # type: ignore[attr-defined]
    assert report["periods"] == ["2024-01-01 – 2024-12-31", "2025-01-01 – 2025-12-31"]
    usa = {s["speaker"]: s for s in report["shifts"]}["USA"]
    assert (usa["before"]["stance"], usa["after"]["stance"]) == ("supports", "opposes")
    assert usa["changed"] and any("intensive work" in q["quote"] for q in usa["after"]["quotes"])


def test_positions_show_where_the_speakers_sources_disagree(
    client: TestClient, un_home: Path
) -> None:
    report = _report_for_ana(client, topic="Sudan", speakers=["FRA", "DEU"],
                             since="2024-10-01", until="2024-10-01")  # fmt: skip
    sides = {s["value"]: s for d in report["disagreements"] for s in d["sides"]}
    assert sides["11"]["speakers"] == ["FRA"] and sides["8"]["speakers"] == ["DEU"], sides
    assert "11 million" in sides["11"]["sentence"]
    markdown = client.get(f"/api/positions/{report['run_id']}/export?format=md").text
    assert "## Where the sources disagree" in markdown and "(DEU)" in markdown
    german = sides["8"]["doc_ids"][0]  # reclassified above the reader since the run
    env = cli_env(un_home)
    assert run_cli("docs", "reclassify", german, "--clearance", "restricted",
                   env=env).returncode == 0  # fmt: skip
    try:
        later = client.get(f"/api/positions/{report['run_id']}/export?format=md").text
    finally:
        assert run_cli("docs", "reclassify", german, "--clearance", "public",
                       env=env).returncode == 0  # fmt: skip
    assert "Where the sources disagree" not in later and "8 million" not in later


def test_social_accounts_take_a_speaker_slot_only_when_named(
    un_home: Path, echo_backend: None, tmp_path: Path
) -> None:
    """Issue 49: the period's speakers are governments; an account that posted on the topic
    is read only when the analyst names it."""
    home = tmp_path / "home"
    shutil.copytree(un_home, home, symlinks=True)
    posts = tmp_path / "posts.jsonl"
    post = {
        "id": "u1",
        "user": "kyiv_watch",
        "created_at": "2024-09-25T09:00:00Z",
        "text": "Ukraine needs air defence now, says every speaker in New York.",
    }
    posts.write_text(json.dumps(post), encoding="utf-8")
    _ingest(cli_env(home), str(posts), "--kind", "social", "--source", "X export")
    engine = Components(_settings(home)).positions()
    period = DocFilters(since=20240901, until=20241231)
    everyone = engine.run(PositionsRequest("Ukraine", None, period))
    assert all(not p["speaker"].startswith("@") for p in everyone["positions"])
    named = engine.run(PositionsRequest("Ukraine", ["@kyiv_watch"], period))
    assert [p["speaker"] for p in named["positions"]] == ["@kyiv_watch"]
    assert named["positions"][0]["quotes"]
