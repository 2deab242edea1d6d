"""`qa-rgb`: RGB (Chinese news) — noise robustness, negative rejection, counterfactuals.

Protocol of the RGB paper: five passages per question; ``noise`` mixes three positive
and two negative passages (noise rate 0.4); ``negative`` gives five negatives, so the
only right answer is a refusal; ``counterfactual`` (zh_fact) gives three passages whose
facts were altered plus two negatives.  An answer is correct when every required
element of the gold answer appears in it (RGB's criterion); a refusal is never correct.
"""

from __future__ import annotations

from collections.abc import Iterator

from evals.datasets import RGBItem, load_rgb, rgb_passages, sample
from evals.harness import EvalContext, Item, Metric, register_suite, timing
from evals.metrics import all_elements_found
from evals.suites.common import answer_record, answer_text, given_passages

CONDITIONS = ("noise", "negative", "counterfactual")


class QARGB:
    name = "qa-rgb"
    description = (
        "RGB zh_refine/zh_fact with five given passages: noise (3 positive + 2 negative), "
        "negative (5 negatives: refusal expected), counterfactual (3 altered + 2 negative)."
    )
    group_by = "condition"
    metrics = (
        Metric("accuracy", "noise: every gold element in the answer", field="correct"),
        Metric(
            "false_refusal",
            "noise: refused although positives were given",
            higher_is_better=False,
            field="false_refusal",
        ),
        Metric(
            "correct_refusal",
            "negative: refused when only negatives were given",
            field="correct_refusal",
        ),
        Metric(
            "counterfactual_correct",
            "counterfactual: the true answer given anyway",
            field="cf_correct",
        ),
        Metric(
            "counterfactual_follows_sources",
            "counterfactual: the altered fact repeated",
            higher_is_better=False,
            field="cf_fake",
        ),
        Metric(
            "counterfactual_refusal",
            "counterfactual: refused",
            higher_is_better=False,
            field="cf_refused",
        ),
        timing("seconds", "time per question"),
    )

    def items(self, ctx: EvalContext, limit: int | None) -> Iterator[Item]:
        refine_path, refine = load_rgb(ctx.corpora, "zh_refine")
        fact_path, fact = load_rgb(ctx.corpora, "zh_fact")
        ctx.use_dataset("rgb.zh_refine", refine_path)
        ctx.use_dataset("rgb.zh_fact", fact_path)
        plan = [("noise", i) for i in sample(refine, limit, seed="qa-rgb-noise")]
        plan += [("negative", i) for i in sample(refine, limit, seed="qa-rgb-negative")]
        plan += [("counterfactual", i) for i in sample(fact, limit, seed="qa-rgb-cf")]
        for n, (condition, item) in enumerate(plan):
            yield self._evaluate(ctx, condition, item)
            ctx.progress(self.name, n + 1, len(plan))

    def _evaluate(self, ctx: EvalContext, condition: str, item: RGBItem) -> Item:
        if condition == "counterfactual":
            texts = list(item.counterfactual[:3]) + list(item.negative[:2])
        else:
            texts = rgb_passages(item, 1.0 if condition == "negative" else 0.4)
        result, _ = ctx.engine.answer_from(
            item.query, given_passages(texts, language="zh", prefix=item.id), language="zh"
        )
        text = answer_text(result)
        correct = all_elements_found(text, item.answers, "zh")
        record: Item = {
            "id": f"{item.id}:{condition}",
            "condition": condition,
            "question": item.query,
            "gold": [list(e) for e in item.answers],
            "passages": texts,
            **answer_record(result),
            "seconds": result.timings.get("total_s"),
        }
        if condition == "noise":
            record |= {"correct": float(correct), "false_refusal": float(result.refused)}
            record["score"] = float(correct)
        elif condition == "negative":
            record |= {"correct_refusal": float(result.refused), "score": float(result.refused)}
        else:
            fake = all_elements_found(text, item.fake_answers, "zh")
            record |= {"cf_correct": float(correct), "cf_fake": float(fake),
                       "cf_refused": float(result.refused), "score": float(correct)}  # fmt: skip
        return record


register_suite(QARGB())
