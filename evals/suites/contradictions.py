"""`contradictions`: when the sources disagree on a fact, does the answer say so?

RGB's counterfactual items (zh_fact): each question comes with passages stating the true
answer and copies of them with the answer altered. Two conditions per question:
``conflict`` (two true passages, two altered ones, one unrelated, in a fixed shuffled
order) — the answer should flag the disagreement and show both sides — and ``consistent``
(three true passages, two unrelated) — it should flag nothing. Flags come from
``assistant.grounding.disagreement`` on the passages the model was given (they do not
depend on the model); whether the answer repeats the altered fact does. ``split``: even
ids were looked at while the detector was built (dev), odd ids were not (held_out).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from evals.datasets import RGBItem, load_rgb, sample
from evals.harness import EvalContext, Item, Metric, register_suite, timing
from evals.metrics import all_elements_found
from evals.suites.common import answer_record, answer_text, given_passages

CONDITIONS = ("conflict", "consistent")


def _has(text: str, elements: tuple[tuple[str, ...], ...]) -> bool:
    return bool(elements) and all_elements_found(text, elements, "zh")


class Contradictions:
    name = "contradictions"
    description = (
        "RGB zh_fact: true and altered passages together (conflict) or true ones only "
        "(consistent); share of answers that flag the disagreement, with both sides."
    )
    group_by = "condition"
    metrics = (
        Metric("flagged", "conflict: the answer flags a disagreement", field="flagged"),
        Metric("both_sides_shown", "conflict: a flag with the true and the altered fact as sides",
               field="both_sides"),
        Metric("false_flag_rate", "consistent: a disagreement flagged where there is none",
               higher_is_better=False, field="false_flag"),
        Metric("altered_repeated", "conflict: the answer states the altered fact",
               higher_is_better=False, field="fake"),
        Metric("altered_repeated_unflagged", "conflict: the altered fact stated with no flag",
               higher_is_better=False, field="fake_unflagged"),
        timing("seconds", "time per question"),
    )  # fmt: skip

    def items(self, ctx: EvalContext, limit: int | None) -> Iterator[Item]:
        path, fact = load_rgb(ctx.corpora, "zh_fact")
        ctx.use_dataset("rgb.zh_fact", path)
        chosen = [i for i in sample(fact, limit, seed="contradictions") if i.counterfactual]
        plan = [(condition, item) for item in chosen for condition in CONDITIONS]
        for n, (condition, item) in enumerate(plan):
            yield self._evaluate(ctx, condition, item)
            ctx.progress(self.name, n + 1, len(plan))

    def _evaluate(self, ctx: EvalContext, condition: str, item: RGBItem) -> Item:
        texts = passages_for(condition, item)
        result, _ = ctx.engine.answer_from(
            item.query, given_passages(texts, language="zh", prefix=item.id), language="zh"
        )
        flagged = bool(result.disagreements)
        record: Item = {
            "id": f"{item.id}:{condition}", "condition": condition,
            "split": "held_out" if int(item.id.rsplit("-", 1)[1]) % 2 else "dev",
            "question": item.query,
            "passages": texts, "disagreements": result.disagreements,
            **answer_record(result), "seconds": result.timings.get("total_s"),
        }  # fmt: skip
        if condition == "consistent":
            record |= {"false_flag": float(flagged), "score": float(not flagged)}
            return record
        fake = _has(answer_text(result), item.fake_answers)
        both = any(sides_hold(d, item) for d in result.disagreements)
        record |= {"flagged": float(flagged), "both_sides": float(both), "fake": float(fake),
                   "fake_unflagged": float(fake and not flagged), "score": float(both)}  # fmt: skip
        return record


def passages_for(condition: str, item: RGBItem) -> list[str]:
    if condition == "consistent":
        return list(item.positive[:3]) + list(item.negative[:2])
    texts = list(item.positive[:2]) + list(item.counterfactual[:2]) + list(item.negative[:1])
    random.Random(f"contradictions:{item.id}").shuffle(texts)
    return texts


def sides_hold(disagreement: dict[str, Any], item: RGBItem) -> bool:
    """Whether a disagreement's sides hold both the true and the altered fact."""
    sentences = [side["sentence"] for side in disagreement["sides"]]
    true_side = any(_has(s, item.answers) for s in sentences)
    altered_side = any(_has(s, item.fake_answers) for s in sentences)
    return true_side and altered_side


register_suite(Contradictions())
