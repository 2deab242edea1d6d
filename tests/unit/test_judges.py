"""The cascade judge: the heuristic decides rejections alone; what it accepts must also be
accepted by the model's verdict (the model is a stand-in here: the test is about the order
and the thresholds, not about either judge's quality, which evals/ measures)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from assistant.grounding.verify import CascadeJudge, calibration, judge_threshold


@dataclass
class Fixed:
    name: str
    value: float
    calls: list[str] = field(default_factory=list)

    def score(self, claim: str, evidence: str, same_language: bool) -> float:
        self.calls.append(claim)
        return self.value


THRESHOLD = calibration().threshold


def test_a_claim_the_heuristic_rejects_costs_no_model_call() -> None:
    model = Fixed("llm", 1.0)
    judge = CascadeJudge(Fixed("heuristic", THRESHOLD - 0.01), model)
    assert judge.score("claim", "evidence", True) < judge_threshold(judge)
    assert model.calls == []


@pytest.mark.parametrize(("verdict", "kept"), [(1.0, True), (0.0, False)])
def test_what_the_heuristic_accepts_the_model_must_accept_too(verdict: float, kept: bool) -> None:
    model = Fixed("llm", verdict)
    judge = CascadeJudge(Fixed("heuristic", THRESHOLD + 0.05), model)
    assert (judge.score("claim", "evidence", False) >= judge_threshold(judge)) is kept
    assert model.calls == ["claim"]
