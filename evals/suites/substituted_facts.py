"""`substituted-facts`: does verification reject a sentence whose fact was swapped?

The adversarial set of :mod:`evals.substitutions` (XQuAD en/zh/es): for each question a
true sentence (verbatim, or checked against the paragraph in another language) and the
same sentence with its answer swapped for another answer of the same article (number,
date, name or other). Each claim is scored against its paragraph exactly as verification
scores a cited sentence (the hard checks, then the judge against its threshold).
Reported per split: ``dev`` (articles 0–23) and ``held_out`` (24–47), where the targets
are read (≥ 80 % of substituted facts rejected, ≥ 90 % of true sentences kept).
"""

from __future__ import annotations

from collections.abc import Iterator

from assistant.grounding.verify import judge_threshold, support_score
from evals.datasets import XQUAD_FILE, sample
from evals.harness import EvalContext, Item, Metric, register_suite
from evals.substitutions import LANGUAGES, build


class SubstitutedFacts:
    name = "substituted-facts"
    description = (
        "XQuAD gold sentences with their answer swapped for another on-topic answer (false) "
        "and unchanged, same-language or across languages (true), scored like a cited "
        "sentence; share of swapped facts rejected and of true sentences kept."
    )
    group_by = "split"
    metrics = (
        Metric("substituted_rejected", "swapped facts the verifier rejects", field="rejected"),
        Metric("true_kept", "true sentences the verifier keeps", field="kept"),
        Metric("accuracy", "claims judged right, true and swapped together", field="correct"),
    )

    def items(self, ctx: EvalContext, limit: int | None) -> Iterator[Item]:
        for lang in LANGUAGES:
            ctx.use_dataset(f"xquad.{lang}", ctx.corpora / XQUAD_FILE.format(language=lang))
        claims = sample(build(ctx.corpora), limit, seed="substituted-facts")
        judge = ctx.judge
        threshold = judge_threshold(judge)
        for n, claim in enumerate(claims):
            same = claim.claim_language == claim.evidence_language
            score = support_score(claim.claim, claim.evidence, same, judge)
            supported = score >= threshold
            yield {
                "id": claim.id, "split": claim.split, "kind": claim.kind, "true": claim.true,
                "claim_language": claim.claim_language,
                "evidence_language": claim.evidence_language, "claim": claim.claim,
                "answer": claim.answer, "judge": judge.name, "support": round(score, 4),
                "supported": supported, "correct": supported == claim.true,
                "kept": supported if claim.true else None,
                "rejected": (not supported) if not claim.true else None,
                "score": float(supported == claim.true),
            }  # fmt: skip
            ctx.progress(self.name, n + 1, len(claims))


register_suite(SubstitutedFacts())
