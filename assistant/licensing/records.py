"""Calibration records: how often a label held, for one subject, language and label kind,
with its 95 % Wilson interval and where it was measured."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

Z95 = 1.96


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval of ``successes`` out of ``n`` (n > 0)."""
    p = successes / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    scale = 1 + z * z / n
    return max((centre - spread) / scale, 0.0), min((centre + spread) / scale, 1.0)


@dataclass(frozen=True)
class CalibrationRecord:
    """``hits`` of ``n`` labels held (precision) for ``subject`` in ``language``; ``recall``
    where the suite can tell it; measured by ``suite`` on ``dataset`` in eval run ``run_id``."""

    subject: str  # "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf@1a2b3c4d5e6f", "judge:heuristic"
    kind: str
    language: str
    hits: int
    n: int
    suite: str
    dataset: str
    run_id: str
    measured_at: str  # ISO date
    recall: float | None = None
    commit: str | None = None

    @property
    def precision(self) -> float:
        return self.hits / self.n if self.n else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.hits, self.n) if self.n else (0.0, 1.0)

    @property
    def key(self) -> tuple[str, str, str]:
        return self.subject, self.kind, self.language

    def to_dict(self) -> dict[str, Any]:
        low, high = self.interval
        return {
            **asdict(self),
            "precision": round(self.precision, 4),
            "low": round(low, 4),
            "high": round(high, 4),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CalibrationRecord:
        fields = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in fields})

    def evidence(self) -> str:
        """The figure as an analyst reads it: ``0.04 [0.01, 0.13], 2 of 51 (run …)``."""
        low, high = self.interval
        return (
            f"precision {self.precision:.2f} [{low:.2f}, {high:.2f}], "
            f"{self.hits} of {self.n} on {self.dataset} (run {self.run_id})"
        )
