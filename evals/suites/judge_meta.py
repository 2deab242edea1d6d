"""`judge-meta`: the support judge against human preference labels (RAGChecker).

For each of the 280 questions two systems' responses were compared by two annotators
(−2 … 2, positive: response 2 better) for correctness, completeness and overall
quality.  The judge scores each response the way RAGChecker does, at claim level against
the reference answer: correctness = share of the response's claims the reference
supports (precision), completeness = share of the reference's claims the response
supports (recall), overall = their F1.  The judge prefers the response with the higher
score (a difference under ``TIE`` is a tie) and is compared with each annotator.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from assistant.grounding.support import evidence_units
from assistant.grounding.verify import SupportJudge, make_judge
from evals.datasets import Preference, load_ragchecker, sample
from evals.harness import EvalContext, Item, Metric, register_suite
from evals.metrics import balanced_accuracy, kendall_tau_b, macro_f1, mean
from evals.suites.common import CachedEmbeddings, claims, closest_units, supported

ASPECTS = ("correctness", "completeness", "overall")
TIE = 0.05  # score differences below this are a tie
EVIDENCE_UNITS = 4  # reference sentences shown to the judge per claim (as in production)


def _sign(x: float, tie: float = 0.0) -> int:
    return 0 if abs(x) <= tie else (1 if x > 0 else -1)


def _binary(aspect: str, fn: Any) -> Any:
    def metric(items: list[Item]) -> float | None:
        rows = [i for i in items if i[f"human_{aspect}"] != 0]
        truth = [_sign(i[f"human_{aspect}"]) for i in rows]
        predicted = [_sign(i[f"judge_{aspect}"], TIE) for i in rows]
        return fn(truth, predicted) if rows else None

    return metric


def _decided(aspect: str) -> Any:
    """Accuracy where both the annotator and the judge expressed a preference."""

    def metric(items: list[Item]) -> float | None:
        pairs = [(_sign(i[f"human_{aspect}"]), _sign(i[f"judge_{aspect}"], TIE)) for i in items]
        return mean([float(h == j) for h, j in pairs if h and j])

    return metric


def _tie_rate(aspect: str) -> Any:
    def metric(items: list[Item]) -> float | None:
        rows = [i for i in items if i[f"human_{aspect}"] != 0]
        return mean([float(_sign(i[f"judge_{aspect}"], TIE) == 0) for i in rows])

    return metric


def _agreement(aspect: str) -> Any:
    def metric(items: list[Item]) -> float | None:
        return mean([float(_sign(i[f"human_{aspect}"]) == _sign(i[f"judge_{aspect}"], TIE))
                     for i in items])  # fmt: skip

    return metric


def _tau(aspect: str) -> Any:
    def metric(items: list[Item]) -> float | None:
        return kendall_tau_b([i[f"judge_{aspect}"] for i in items],
                             [i[f"human_{aspect}"] for i in items])  # fmt: skip

    return metric


def _annotators(aspect: str) -> Any:
    """The humans' own 3-way agreement: the ceiling for the judge's."""

    def metric(items: list[Item]) -> float | None:
        by_instance: dict[int, list[int]] = {}
        for i in items:
            by_instance.setdefault(i["instance"], []).append(_sign(i[f"human_{aspect}"]))
        pairs = [v for v in by_instance.values() if len(v) == 2]
        return mean([float(a == b) for a, b in pairs])

    return metric


def _metrics() -> tuple[Metric, ...]:
    out = []
    for a in ASPECTS:
        out += [
            Metric(
                f"{a}_balanced_accuracy",
                f"{a}: which response is better (human non-ties)",
                fn=_binary(a, balanced_accuracy),
            ),
            Metric(f"{a}_f1", f"{a}: macro F1 of the preference", fn=_binary(a, macro_f1)),
            Metric(
                f"{a}_decided_accuracy",
                f"{a}: accuracy where neither annotator nor judge calls a tie",
                fn=_decided(a),
            ),
            Metric(
                f"{a}_judge_tie_rate",
                f"{a}: judge calls a tie although the annotator did not",
                higher_is_better=False,
                fn=_tie_rate(a),
            ),
            Metric(
                f"{a}_agreement", f"{a}: 3-way agreement (better / tie / worse)", fn=_agreement(a)
            ),
            Metric(
                f"{a}_kendall_tau",
                f"{a}: Kendall τ-b, judge score gap vs human label",
                fn=_tau(a),
                bootstrap=False,
            ),
            Metric(
                f"{a}_annotator_agreement",
                f"{a}: the two annotators' 3-way agreement",
                fn=_annotators(a),
                bootstrap=False,
            ),
        ]
    return tuple(out)


class JudgeMeta:
    name = "judge-meta"
    description = (
        "The support judge vs two annotators' pairwise preferences on 280 RAGChecker "
        "questions: claim-level precision (correctness), recall (completeness), F1 (overall)."
    )
    group_by = None
    metrics = _metrics()

    def items(self, ctx: EvalContext, limit: int | None) -> Iterator[Item]:
        path, rows = load_ragchecker(ctx.corpora)
        ctx.use_dataset("ragchecker", path)
        instances: dict[int, list[Preference]] = {}
        for row in rows:
            instances.setdefault(row.instance, []).append(row)
        chosen = sample(sorted(instances), limit, seed="judge-meta")
        embedder = CachedEmbeddings(ctx.engine.retrieval.embedder)
        embedded = ctx.engine.llm.embedded
        judge = make_judge(ctx.judge_kind, ctx.engine.llm, embedder, embedded)
        for n, instance in enumerate(chosen):
            first = instances[instance][0]
            scores = [self._scores(judge, embedder, first.reference, r) for r in first.responses]
            for row in instances[instance]:
                yield self._item(row, scores, judge.name)
            ctx.progress(self.name, n + 1, len(chosen))

    def _scores(
        self, judge: SupportJudge, embedder: CachedEmbeddings, reference: str, response: str
    ) -> dict[str, float]:
        def share(claims_of: str, evidence_text: str) -> float:
            units = evidence_units(evidence_text)
            found = [
                supported(judge, c, closest_units(c, units, embedder, EVIDENCE_UNITS))
                for c in claims(claims_of)
            ]
            return sum(found) / len(found) if found else 0.0

        precision, recall = share(response, reference), share(reference, response)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"correctness": precision, "completeness": recall, "overall": f1}

    def _item(self, row: Preference, scores: list[dict[str, float]], judge: str) -> Item:
        item: Item = {"id": row.id, "instance": row.instance, "dataset": row.dataset,
                      "query": row.query, "judge": judge}  # fmt: skip
        for a in ASPECTS:
            item[f"response1_{a}"] = round(scores[0][a], 4)
            item[f"response2_{a}"] = round(scores[1][a], 4)
            item[f"judge_{a}"] = round(scores[1][a] - scores[0][a], 4)
            item[f"human_{a}"] = row.labels[a]
        agree = _sign(row.labels["correctness"]) == _sign(item["judge_correctness"], TIE)
        item["score"] = float(agree)
        return item


register_suite(JudgeMeta())
