"""The harness's own logic: ALCE citation scoring, judge-meta agreement, comparison with
bootstrap intervals, reports, and a run end to end through the real backend registry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.language_models import BaseChatModel

from assistant.core.settings import Settings, load_settings
from assistant.grounding.stages import Passage
from assistant.llm.registry import register_backend, unregister_backend
from bench.support.scripted import ScriptedChatModel
from evals.compare import compare_runs
from evals.harness import aggregate, get_suite, load_run, run_suites
from evals.report import render_html, summary
from evals.suites.citations import citation_scores
from tests.conftest import SHARED, cli_env, run_cli


class WordJudge:
    """Supports a claim when every word of it occurs in the evidence."""

    name = "llm"  # threshold 0.5

    def score(self, claim: str, evidence: str, same_language: bool) -> float:
        return float(set(claim.lower().split()) <= set(evidence.lower().split()))


def _passage(n: int, text: str) -> Passage:
    return Passage(n, f"d{n}", f"c{n}", text, [], text, 1.0, "t", None, None, "en", None, None)


def test_alce_citation_recall_and_precision_by_hand() -> None:
    passages = {1: _passage(1, "paris is the capital"), 2: _passage(2, "of france"),
                3: _passage(3, "paris is the capital of france"), 4: _passage(4, "bananas")}  # fmt: skip
    sentences = [
        ("paris is the capital", [1, 4]),  # supported; [4] irrelevant → 1 of 2 precise
        ("paris is the capital of france", [1, 2]),  # needs both → 2 of 2 precise
        ("the moon is cheese", [3]),  # unsupported → recall 0, no precision credit
    ]
    recall, precision, details = citation_scores(sentences, passages, WordJudge())
    assert recall == pytest.approx(2 / 3)
    assert precision == pytest.approx(3 / 5)
    assert [d["irrelevant"] for d in details] == [[4], [], []]
    assert citation_scores([], passages, WordJudge())[:2] == (None, None)
    # a citation to a passage that does not exist supports nothing
    assert citation_scores([("bananas", [9])], passages, WordJudge())[:2] == (0.0, 0.0)


def test_judge_meta_metrics_by_hand() -> None:
    suite = get_suite("judge-meta")
    rows = [  # (instance, human label, judge score gap response2 − response1)
        (1, 2, 0.30), (1, 1, 0.30),  # both annotators: 2 better; judge agrees
        (2, -1, 0.20), (2, 0, 0.20),  # annotators disagree; judge says 2 better
        (3, 0, 0.01), (3, 0, 0.01),  # tie; judge's gap under TIE → tie
    ]  # fmt: skip
    items = [{"id": f"{i}-{k}", "instance": i, "human_correctness": h, "judge_correctness": g,
              "human_completeness": h, "judge_completeness": g, "human_overall": h,
              "judge_overall": g} for k, (i, h, g) in enumerate(rows)]  # fmt: skip
    metrics = aggregate(suite, items)
    # non-tie human labels: +1, +1, −1; judge +1, +1, +1 → recall(+1) = 1, recall(−1) = 0
    assert metrics["correctness_balanced_accuracy"] == 0.5
    assert metrics["correctness_agreement"] == pytest.approx(round(4 / 6, 4))  # 3-way
    assert metrics["correctness_annotator_agreement"] == pytest.approx(round(2 / 3, 4))


def _write_run(root: Path, run_id: str, suite: str, items: list[dict[str, object]]) -> Path:
    path = root / run_id
    (path / "items").mkdir(parents=True)
    record = {"run_id": run_id, "status": "complete", "created_at": "2026-11-22T00:00:00",
              "suites": [suite], "limit": None, "backend": "local", "judge": "heuristic",
              "model": None, "dragoman": {"version": "0", "commit": None},
              "machine": {"platform": "test", "cpus": 2}, "datasets": {}, "timings_s": {},
              "items": {suite: len(items)}, "metrics": {}}  # fmt: skip
    (path / "run.json").write_text(json.dumps(record))
    lines = "\n".join(json.dumps(i) for i in items)
    (path / "items" / f"{suite}.jsonl").write_text(lines)
    return path


def _rgb_items(correct: list[int]) -> list[dict[str, object]]:
    return [{"id": f"q{n}:noise", "condition": "noise", "question": f"q{n}", "answer": "",
             "correct": float(c), "false_refusal": 0.0, "seconds": 1.0, "score": float(c)}
            for n, c in enumerate(correct)]  # fmt: skip


def test_compare_flags_a_real_regression_and_not_noise(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path)
    base = _rgb_items([1] * 30 + [0] * 10)
    same = _write_run(tmp_path, "a", "qa-rgb", base)
    noisy = _write_run(tmp_path, "b", "qa-rgb", _rgb_items([0] + [1] * 29 + [1] + [0] * 9))
    broken = _write_run(tmp_path, "c", "qa-rgb", _rgb_items([0] * 40))
    a = load_run(settings, str(same))
    assert compare_runs(a, load_run(settings, str(noisy)))["regressions"] == []
    result = compare_runs(a, load_run(settings, str(broken)))
    assert "qa-rgb:accuracy" in result["regressions"]
    accuracy = next(m for m in result["suites"][0]["metrics"] if m["metric"] == "accuracy")
    assert accuracy["delta"] == pytest.approx(-0.75) and accuracy["ci_high"] < 0
    assert len(result["suites"][0]["regressed_items"]) == 30


def test_compare_cli_gate_exit_codes_and_html_report(tmp_path: Path) -> None:
    home = tmp_path / "home"
    root = home / "evals"
    _write_run(root, "base", "qa-rgb", _rgb_items([1] * 30 + [0] * 10))
    _write_run(root, "worse", "qa-rgb", _rgb_items([0] * 40))
    env = cli_env(home)
    ok = run_cli("eval", "compare", "base", "base", "--gate", "--json", env=env, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["regressions"] == []
    bad = run_cli("eval", "compare", "base", "worse", "--gate", env=env, timeout=120)
    assert bad.returncode == 1 and "qa-rgb:accuracy" in bad.stdout
    missing = run_cli("eval", "report", "nope", "--json", env=env, timeout=120)
    assert missing.returncode == 2 and json.loads(missing.stdout)["error"] == "InputError"
    report = run_cli("eval", "report", "worse", "--html", "--json", env=env, timeout=120)
    assert report.returncode == 0, report.stderr
    page = Path(json.loads(report.stdout)["html"]).read_text()
    assert "data:image/png;base64," in page and "accuracy" in page and "q0" in page
    base_report = json.loads(run_cli("eval", "report", "base", "--json", env=env).stdout)
    intervals = base_report["suites"][0]["intervals"]
    low, high = intervals["accuracy"]  # 30 of 40 right: about ±0.13 around 0.75
    assert 0.55 < low < 0.75 < high < 0.9 and intervals["accuracy[noise]"] == [low, high]
    assert "seconds" not in intervals  # timings are machine-dependent: no interval
    assert "95 % interval" in page


@pytest.fixture
def scripted() -> Iterator[list[str]]:
    responses: list[str] = []

    @register_backend("scripted-eval", "scripted replies for harness tests")
    def factory(settings: Settings, argument: str) -> BaseChatModel:
        return ScriptedChatModel(responses=list(responses))

    yield responses
    unregister_backend("scripted-eval")


def test_a_run_records_config_datasets_items_and_metrics(home: Path, scripted: list[str]) -> None:
    # qa-rgb with --limit 1: one noise, one negative and one counterfactual question
    scripted += ["The stampede killed 12 people [1].", "NOT_IN_SOURCES", "共有170个议席[1]。"]
    settings = load_settings(home=home, llm_backend="scripted-eval", verify_judge="heuristic",
                             corpora_dir=SHARED)  # fmt: skip
    record = run_suites(settings, ["qa-rgb"], limit=1, backend=None)
    run = load_run(settings, record["run_id"])
    assert record["status"] == "complete" and run.path == home / "evals" / record["run_id"]
    assert set(record["datasets"]) == {"rgb.zh_refine", "rgb.zh_fact"}
    assert all(len(d["sha256"]) == 64 for d in record["datasets"].values())
    assert record["backend"] == "scripted-eval" and record["config"]["ask_k"] == 6
    items = run.items["qa-rgb"]
    assert [i["condition"] for i in items] == ["noise", "negative", "counterfactual"]
    negative = items[1]
    assert negative["refused"] and negative["correct_refusal"] == 1.0
    assert record["metrics"]["qa-rgb"]["correct_refusal"] == 1.0
    assert all("timings" in i and "answer" in i and "passages" in i for i in items)
    assert not (run.path / "work").exists()  # the scratch index is removed
    assert summary(run)["suites"][0]["items"] == 3
    assert render_html(run).is_file()


def test_eval_cli_on_the_real_small_model(home: Path, small_model: Path) -> None:
    env = cli_env(home, DRAGOMAN_CORPORA_DIR=str(SHARED))
    done = run_cli("eval", "qa-rgb", "--limit", "1", "--backend", "local-small", "--json",
                   env=env, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert (
        record["model"]["sha256"]
        == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    )
    assert record["judge_resolved"] == "heuristic" and record["items"] == {"qa-rgb": 3}
    run = load_run(load_settings(home=home), record["run_id"])
    assert aggregate(get_suite("qa-rgb"), run.items["qa-rgb"]) == record["metrics"]["qa-rgb"]
    for item in run.items["qa-rgb"]:  # a real answer or a real refusal, with its stages
        assert item["answer"] and (item["refused"] or item["cited"])
        assert item["timings"]["total_s"] > 0
        # RGB's protocol: five passages, fewer when an item has fewer altered ones
        assert len(item["passages"]) == 5 or item["condition"] == "counterfactual"
    listed = run_cli("eval", "list", "--json", env=env, timeout=120)
    assert record["run_id"] in [r["run_id"] for r in json.loads(listed.stdout)["runs"]]
