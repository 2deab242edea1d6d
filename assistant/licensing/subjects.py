"""What a record is a record of: the model (weights' hash, or the server's model name), the
support judge (and the model it asks), the sentiment head, or the rules."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Protocol

from assistant.licensing.kinds import LabelKind

RULES = "rules"


class ModelIdentity(Protocol):
    @property
    def backend(self) -> str: ...
    @property
    def model(self) -> str: ...


def model_subject(llm: ModelIdentity) -> str:
    """``local:qwen…gguf@<sha256[:12]>`` for the embedded models (their weights are pinned);
    ``openai:<served model name>`` (the backend and the model it serves) for the others."""
    from assistant.llm.weights import MODEL_SPECS

    spec = MODEL_SPECS.get(llm.backend)
    if spec is not None:
        return f"{llm.backend}:{spec.filename}@{spec.sha256[:12]}"
    return f"{llm.backend}:{llm.model}"


def judge_subject(judge: str, llm: ModelIdentity | None) -> str:
    """The heuristic judge is the same on every model; the others ask the model."""
    if judge == "heuristic" or llm is None:
        return "judge:heuristic"
    return f"judge:{judge}:{model_subject(llm)}"


def file_digest(path: Path) -> str:
    """The first 12 hex digits of a file's sha256 (the sentiment head's identity)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def subject_for(kind: LabelKind, llm: ModelIdentity, judge: str, sentiment: str) -> str:
    """The subject whose record governs ``kind`` in a process running ``llm`` and ``judge``."""
    if kind.subject == "model":
        return model_subject(llm)
    if kind.subject == "judge":
        return judge_subject(judge, llm)
    if kind.subject == "sentiment":
        return sentiment
    return RULES
