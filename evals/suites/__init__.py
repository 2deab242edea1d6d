"""The built-in suites; importing this package registers them."""

from evals.suites import (
    analyst_qa,
    citations,
    contradictions,
    fidelity,
    injection,
    injection_social,
    judge_meta,
    positions,
    qa_rgb,
    qa_xquad,
    retrieval_xling,
    retrieval_xling_expanded,
    sentiment,
    substituted_facts,
    who_said_what,
)

__all__ = [
    "analyst_qa",
    "citations",
    "contradictions",
    "fidelity",
    "injection",
    "injection_social",
    "judge_meta",
    "positions",
    "qa_rgb",
    "qa_xquad",
    "retrieval_xling",
    "retrieval_xling_expanded",
    "sentiment",
    "substituted_facts",
    "who_said_what",
]
