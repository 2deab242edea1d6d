"""`citations`: ALCE-style citation recall and precision of the answers' sentences.

Recall: the passages a sentence cites, together, support it.  Precision: a citation is
irrelevant when it does not support the sentence alone and the other citations still do
without it; the citations of an unsupported sentence earn no precision credit.  Both are
averaged per answer, then over answers, as ALCE does.  Measured on the model's draft
(what verification receives) and on the verified answer (what the analyst sees), with
the judge given by ``--judge`` (default: the verification judge).
"""

from __future__ import annotations

from collections.abc import Iterator

from assistant.grounding.stages import Passage
from assistant.grounding.verify import SupportJudge
from evals.datasets import XQUAD_LANGUAGES, sample
from evals.harness import EvalContext, Item, Metric, register_suite
from evals.suites.common import answer_record, supported
from evals.xquad_index import xquad_filters


def citation_scores(
    sentences: list[tuple[str, list[int]]], passages: dict[int, Passage], judge: SupportJudge
) -> tuple[float | None, float | None, list[Item]]:
    """(recall, precision, per-sentence details) of one answer's cited sentences."""
    if not sentences:
        return None, None, []

    def holds(text: str, numbers: list[int]) -> bool:
        cited = [passages[n] for n in numbers if n in passages]
        evidence = "\n".join(f"{p.title}\n{p.quote}" for p in cited)
        return bool(cited) and supported(judge, text, evidence)

    entailed = precise = total = 0
    details = []
    for text, numbers in sentences:
        joint = holds(text, numbers)
        irrelevant = [
            n for n in numbers
            if joint and len(numbers) > 1 and not holds(text, [n])
            and holds(text, [m for m in numbers if m != n])
        ]  # fmt: skip
        entailed += joint
        total += len(numbers)
        precise += (len(numbers) - len(irrelevant)) if joint else 0
        details.append({"text": text, "citations": numbers, "supported": joint,
                        "irrelevant": irrelevant})  # fmt: skip
    return entailed / len(sentences), (precise / total if total else 0.0), details


class Citations:
    name = "citations"
    description = (
        "ALCE-style citation recall/precision on XQuAD answers (en/zh/es, retrieval in the "
        "question's language), for the model's draft and for the verified answer."
    )
    group_by = "language"
    metrics = (
        Metric(
            "citation_recall",
            "draft: sentences fully supported by their citations",
            field="draft_recall",
        ),
        Metric("citation_precision", "draft: citations that are needed", field="draft_precision"),
        Metric("verified_citation_recall", "answer after verification", field="final_recall"),
        Metric("verified_citation_precision", "answer after verification", field="final_precision"),
        Metric("sentences_kept", "share of draft sentences that passed verification", field="kept"),
    )

    def items(self, ctx: EvalContext, limit: int | None) -> Iterator[Item]:
        index = ctx.xquad
        questions = [
            q
            for language in XQUAD_LANGUAGES
            for q in sample(index.data[language].questions, limit, seed="citations")
        ]
        engine = ctx.engine
        for n, q in enumerate(questions):
            results = engine.search.search(
                q.question, clearance="public", k=ctx.settings.ask.k,
                filters=xquad_filters(q.language),
            )  # fmt: skip
            result, trace = engine.answer_from(q.question, results, language=q.language)
            passages = {p.n: p for p in trace.context.passages}
            draft = [(s.text, s.citations + s.invalid_citations)
                     for s in (trace.draft.sentences if trace.draft else [])]  # fmt: skip
            final = [(v.text, v.citations) for v in trace.verdicts if v.supported]
            d_recall, d_precision, d_details = citation_scores(draft, passages, ctx.judge)
            f_recall, f_precision, _ = citation_scores(final, passages, ctx.judge)
            yield {
                "id": f"{q.id}:{q.language}",
                "language": q.language,
                "question": q.question,
                **answer_record(result),
                "judge": ctx.judge.name,
                "draft": d_details,
                "draft_recall": d_recall,
                "draft_precision": d_precision,
                "final_recall": f_recall,
                "final_precision": f_precision,
                "kept": len(final) / len(draft) if draft else None,
                "score": d_recall if d_recall is not None else 0.0,
            }
            ctx.progress(self.name, n + 1, len(questions))


register_suite(Citations())
