"""Whether a label may be shown: its record's lower bound against the policy's bar.

A label is shown as the model (or judge, head, rules) reads it only when the newest record
for that subject, label kind and language has a 95 % interval whose lower bound clears the
family's threshold (``DRAGOMAN_LICENCE_THRESHOLDS``). Otherwise what is shown says why:
"not measured for this model and language", or "below the bar" with the evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from assistant.core.errors import ConfigError
from assistant.licensing.kinds import LABEL_KINDS, label_kind
from assistant.licensing.records import CalibrationRecord
from assistant.licensing.store import RecordStore

Status = Literal["licensed", "below_bar", "not_measured"]
DEFAULT_THRESHOLDS = {
    "stance": 0.80,
    "sentiment": 0.60,
    "answer": 0.80,
    "judge": 0.70,
    "translation": 0.90,
    "language": 0.90,
    "topic": 0.80,
}


@dataclass(frozen=True)
class Licence:
    kind: str
    language: str
    subject: str
    status: Status
    threshold: float
    record: CalibrationRecord | None = None

    @property
    def shown(self) -> bool:
        return self.status == "licensed"

    def message(self) -> str:
        if self.record is None:
            return (
                f"{self.kind} not measured for this model and language ({self.subject}, "
                f"{self.language}): run `dragoman calibrate --labels {self.kind} "
                f"--languages {self.language}`"
            )
        verdict = "licensed" if self.shown else "below the bar"
        return (
            f"{self.kind} {verdict} in {self.language} ({self.record.evidence()}; "
            f"the bar: a lower bound of {self.threshold:.2f})"
        )

    def to_dict(self) -> dict[str, Any]:
        from assistant.licensing.contracts import LicenceOut

        record = self.record
        low, high = record.interval if record else (None, None)
        return LicenceOut.shape(
            {
                "kind": self.kind,
                "language": self.language,
                "subject": self.subject,
                "status": self.status,
                "threshold": self.threshold,
                "precision": round(record.precision, 4) if record else None,
                "low": round(low, 4) if low is not None else None,
                "high": round(high, 4) if high is not None else None,
                "n": record.n if record else None,
                "run_id": record.run_id if record else None,
                "dataset": record.dataset if record else None,
                "measured_at": record.measured_at if record else None,
                "message": self.message(),
            }
        )


class Licences:
    """Looks up each label's licence; ``subjects`` name, lazily, what this process runs
    (``model``: the LLM, ``judge``: the support judge, ``sentiment``: the head)."""

    def __init__(
        self,
        store: RecordStore,
        thresholds: Mapping[str, float],
        subjects: Mapping[str, Callable[[], str]],
    ) -> None:
        unknown = sorted(set(thresholds) - set(DEFAULT_THRESHOLDS))
        if unknown:
            raise ConfigError(
                f"DRAGOMAN_LICENCE_THRESHOLDS names no label family: {', '.join(unknown)}",
                fix="families: " + ", ".join(DEFAULT_THRESHOLDS),
            )
        self.store = store
        self.thresholds = {**DEFAULT_THRESHOLDS, **thresholds}
        self.subjects = subjects

    def subject(self, kind: str) -> str:
        wanted = label_kind(kind).subject
        if wanted == "rules":
            return "rules"
        return self.subjects[wanted]()

    def licence(self, kind: str, language: str, subject: str | None = None) -> Licence:
        who = subject or self.subject(kind)
        threshold = self.thresholds[label_kind(kind).family]
        record = self.store.latest().get((who, kind, language))
        if record is None:
            return Licence(kind, language, who, "not_measured", threshold)
        status: Status = "licensed" if record.interval[0] >= threshold else "below_bar"
        return Licence(kind, language, who, status, threshold, record)

    def table(self, subject_kinds: Mapping[str, str] | None = None) -> list[Licence]:
        """Every recorded licence of the subjects this process runs (``doctor``, /healthz,
        the admin page), and each kind not measured for them."""
        mine = {
            name: self.subject(name)
            for name in LABEL_KINDS
            if subject_kinds is None or name in subject_kinds
        }
        found = [
            self.licence(kind, language, subject)
            for (subject, kind, language) in sorted(self.store.latest())
            if mine.get(kind) == subject
        ]
        measured = {lic.kind for lic in found}
        found += [
            Licence(kind, "*", subject, "not_measured", self.thresholds[label_kind(kind).family])
            for kind, subject in mine.items()
            if kind not in measured
        ]
        return found
