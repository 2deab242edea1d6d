"""`qa-xquad`: answer and citation correctness, end to end, on XQuAD en/zh/es."""

from __future__ import annotations

from collections.abc import Iterator

from evals.datasets import XQUAD_LANGUAGES, sample
from evals.harness import EvalContext, Item, Metric, register_suite, timing
from evals.metrics import contains_answer, exact_match, token_f1
from evals.suites.common import answer_record, answer_text
from evals.xquad_index import xquad_filters


class QAXQuAD:
    name = "qa-xquad"
    description = (
        "XQuAD questions asked through the whole pipeline (retrieval in the question's "
        "language among 240 contexts, context selection, generation, verification); the "
        "answer compared with the gold spans, each citation checked for the gold answer."
    )
    group_by = "language"
    metrics = (
        Metric("exact_match", "answer equals a gold span (MLQA normalisation)", field="em"),
        Metric("token_f1", "token F1 against the best gold span (characters for zh)", field="f1"),
        Metric(
            "answer_contains_gold",
            "a gold span appears in the answer (RGB's accuracy)",
            field="contains",
        ),
        Metric(
            "citation_correct",
            "share of cited passages that contain a gold span",
            field="citation_correct",
        ),
        Metric(
            "gold_retrieved",
            "the gold context was among the passages retrieved",
            field="gold_retrieved",
        ),
        Metric(
            "false_refusal",
            "refused although every question is answerable",
            higher_is_better=False,
            field="refused",
        ),
        timing("seconds", "time per question"),
    )

    def items(self, ctx: EvalContext, limit: int | None) -> Iterator[Item]:
        index = ctx.xquad
        questions = [
            q
            for language in XQUAD_LANGUAGES
            for q in sample(index.data[language].questions, limit, seed="qa-xquad")
        ]
        for n, q in enumerate(questions):
            result = ctx.engine.ask(
                q.question, language=q.language, filters=xquad_filters(q.language)
            )
            text = answer_text(result)
            cited = [c["quote"] for c in result.citations]
            retrieved = {index.context_of.get(s["doc_id"]) for s in result.sources}
            yield {
                "id": f"{q.id}:{q.language}",
                "language": q.language,
                "question": q.question,
                "gold": list(q.answers),
                **answer_record(result),
                "em": exact_match(text, q.answers, q.language),
                "f1": token_f1(text, q.answers, q.language),
                "contains": float(contains_answer(text, q.answers, q.language)),
                "citation_correct": (
                    sum(contains_answer(c, q.answers, q.language) for c in cited) / len(cited)
                    if cited
                    else None
                ),
                "gold_retrieved": float(q.context_id in retrieved),
                "refused": float(result.refused),
                "seconds": result.timings.get("total_s"),
                "score": token_f1(text, q.answers, q.language),
            }
            ctx.progress(self.name, n + 1, len(questions))


register_suite(QAXQuAD())
