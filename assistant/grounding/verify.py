"""Stage 6, verification: every sentence checked against the passages it cites.

A sentence is supported when the hard checks pass (its numbers, countries and, in the
same language, names appear in the cited passages) and the judge's support score reaches
the threshold.  The heuristic judge is a logistic model over embedding and lexical
features whose weights and threshold were fitted on real data by
``evals/calibrate_support.py`` (shipped in ``support_calibration.json`` with its measured
accuracy); the LLM judge asks the backend for an entailment verdict.  Citations that do
not help are dropped from a supported sentence (citation precision).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import TYPE_CHECKING, Protocol

from langchain_core.embeddings import Embeddings

from assistant.core.errors import ConfigError, DragomanError
from assistant.grounding.stages import DraftSentence, Passage, Verdict
from assistant.grounding.support import hard_check_failures, support_features
from prompts import render

if TYPE_CHECKING:
    from assistant.llm.client import LLM

CALIBRATION_FILE = "support_calibration.json"
JUDGE_SCHEMA = {
    "type": "object",
    "properties": {"verdict": {"type": "string", "enum": ["supported", "not_supported"]}},
    "required": ["verdict"],
}


@dataclass(frozen=True)
class Calibration:
    weights: list[float]
    threshold: float


@lru_cache(maxsize=1)
def calibration() -> Calibration:
    """The shipped calibration (weights and threshold fitted on real data)."""
    try:
        text = files("assistant.grounding").joinpath(CALIBRATION_FILE).read_text("utf-8")
        data = json.loads(text)
        return Calibration([float(w) for w in data["weights"]], float(data["threshold"]))
    except (OSError, KeyError, ValueError) as exc:
        raise ConfigError(
            f"support calibration {CALIBRATION_FILE} is missing or invalid: {exc}",
            fix="reinstall dragoman or run `python evals/calibrate_support.py`",
        ) from exc


class SupportJudge(Protocol):
    name: str

    def score(self, claim: str, evidence: str, same_language: bool) -> float:
        """Probability-like score in [0, 1] that ``evidence`` supports ``claim``."""


class HeuristicJudge:
    """Calibrated logistic model over embedding similarity and term coverage."""

    name = "heuristic"

    def __init__(self, embedder: Embeddings) -> None:
        self.embedder = embedder

    def score(self, claim: str, evidence: str, same_language: bool) -> float:
        features = support_features(
            claim, evidence, same_language=same_language, embedder=self.embedder
        )
        weights = calibration().weights
        logit = sum(w * x for w, x in zip(weights, features.vector(), strict=True))
        return 1.0 / (1.0 + math.exp(-logit))


class LLMJudge:
    """Entailment verdict from the backend (for models strong enough to act as a judge)."""

    name = "llm"

    def __init__(self, llm: LLM, fallback: HeuristicJudge) -> None:
        self.llm = llm
        self.fallback = fallback

    def score(self, claim: str, evidence: str, same_language: bool) -> float:
        prompt = render("judge_support.j2", claim=claim, evidence=evidence)
        try:
            verdict = self.llm.generate(prompt, schema=JUDGE_SCHEMA, max_tokens=20).data["verdict"]
        except DragomanError:  # an unusable verdict: judge this one heuristically
            return self.fallback.score(claim, evidence, same_language)
        return 1.0 if verdict == "supported" else 0.0


class CascadeJudge:
    """The heuristic first; a claim it finds supported must also be stated in the evidence
    according to the backend's entailment verdict (which catches a swapped name or phrase
    that looks like the source). Rejections by the heuristic cost no model call."""

    name = "cascade"

    def __init__(self, heuristic: SupportJudge, llm: SupportJudge) -> None:
        self.heuristic = heuristic
        self.llm = llm

    def score(self, claim: str, evidence: str, same_language: bool) -> float:
        score = self.heuristic.score(claim, evidence, same_language)
        if score < calibration().threshold:
            return score
        # 0.0 is the model's "not supported"; an unusable verdict falls back to the heuristic's
        # own (accepting) score, so the heuristic's acceptance then stands
        return score if self.llm.score(claim, evidence, same_language) > 0.0 else 0.0


def _evidence(passages: list[Passage]) -> str:
    return "\n".join(f"{p.title}\n{p.chunk_text}" for p in passages)


def verify_sentence(
    sentence: DraftSentence,
    passages: dict[int, Passage],
    *,
    language: str,
    judge: SupportJudge,
    threshold: float,
) -> Verdict:
    """Check one sentence against the passages it cites (together, and each alone)."""
    cited = [passages[n] for n in sentence.citations if n in passages]
    reasons = [f"citation [{n}] does not resolve to a source" for n in sentence.invalid_citations]
    if not cited:
        reasons.append("cites no source")
        return Verdict(sentence.text, [], False, 0.0, reasons, judge.name)
    same_language = all(p.language == language for p in cited)
    reasons += hard_check_failures(sentence.text, _evidence(cited), same_language)
    alone = {p.n: _alone_score(sentence.text, p, language, judge) for p in cited}
    score = max(alone.values())
    if len(cited) > 1:
        score = max(score, judge.score(sentence.text, _evidence(cited), same_language))
    supported = not reasons and score >= threshold
    if score < threshold:
        reasons.append(f"support score {score:.2f} below {threshold:.2f}")
    citations = [p.n for p in cited]
    if supported:  # citation precision: keep the citations that support the sentence alone
        citations = [n for n in citations if alone[n] >= threshold] or citations
    return Verdict(sentence.text, citations, supported, score, reasons, judge.name)


def recited(
    sentence: DraftSentence,
    passages: dict[int, Passage],
    *,
    language: str,
    judge: SupportJudge,
    threshold: float,
) -> Verdict | None:
    """A sentence its citations do not support, verified against the one other passage of
    the context that supports it best — a small model often cites the passage next to the
    right one.  None when no passage supports it; the verdict says the citation changed."""
    cited = set(sentence.citations)
    scores = {
        n: _alone_score(sentence.text, p, language, judge)
        for n, p in passages.items()
        if n not in cited
    }
    if not scores or max(scores.values()) < threshold:
        return None
    best = max(scores, key=lambda n: scores[n])
    verdict = verify_sentence(
        DraftSentence(sentence.text, [best]),
        passages,
        language=language,
        judge=judge,
        threshold=threshold,
    )
    if not verdict.supported:
        return None
    was = "".join(f"[{n}]" for n in sentence.citations) or "nothing"
    verdict.reasons.append(f"the draft cited {was}; supported by [{best}]")
    return verdict


def support_score(claim: str, evidence: str, same_language: bool, judge: SupportJudge) -> float:
    """The judge's support for ``claim`` in ``evidence``; 0 when a hard check fails."""
    if hard_check_failures(claim, evidence, same_language):
        return 0.0
    return judge.score(claim, evidence, same_language)


def _alone_score(claim: str, passage: Passage, language: str, judge: SupportJudge) -> float:
    """The passage's own support for the claim."""
    return support_score(claim, _evidence([passage]), passage.language == language, judge)


def resolve_citations(sentences: list[DraftSentence], passages: list[Passage]) -> None:
    """Stage 5: move citation numbers that match no passage to ``invalid_citations``."""
    known = {p.n for p in passages}
    for sentence in sentences:
        sentence.invalid_citations = [n for n in sentence.citations if n not in known]
        sentence.citations = [n for n in sentence.citations if n in known]


def make_judge(kind: str, llm: LLM, embedder: Embeddings, embedded_backend: bool) -> SupportJudge:
    heuristic = HeuristicJudge(embedder)
    if kind == "llm" or (kind == "auto" and not embedded_backend):
        return LLMJudge(llm, heuristic)
    if kind == "cascade":
        return CascadeJudge(heuristic, LLMJudge(llm, heuristic))
    return heuristic


def judge_threshold(judge: SupportJudge) -> float:
    return 0.5 if judge.name == "llm" else calibration().threshold
