"""The built-in suites; importing this package registers them."""

from evals.suites import (
    citations,
    injection,
    injection_social,
    judge_meta,
    qa_rgb,
    qa_xquad,
    retrieval_xling,
)

__all__ = [
    "citations",
    "injection",
    "injection_social",
    "judge_meta",
    "qa_rgb",
    "qa_xquad",
    "retrieval_xling",
]
