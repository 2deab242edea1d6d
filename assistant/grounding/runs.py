"""Saved stage outputs: one JSON file per question under ``DRAGOMAN_HOME/runs/ask/``.

Every stage's output is kept (query plan, retrieved passages, context, draft, verdicts,
answer) so that an evaluation can replay verification on a saved draft, or compare two
versions of a stage on the same inputs.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

from assistant.core.errors import InputError


def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(4)


class RunStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, run_id: str, stages: dict[str, Any]) -> Path:
        """Write atomically (temp file + rename): a crash never leaves half a run."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / f"{run_id}.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(
            json.dumps(stages, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
        )
        os.replace(temporary, path)
        return path

    def load(self, run_id: str) -> dict[str, Any]:
        path = self.root / f"{run_id}.json"
        if not path.is_file():
            raise InputError(f"no saved run {run_id!r} in {self.root}")
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data
