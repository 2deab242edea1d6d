"""A label's licence as `--json` prints it and the API answers it."""

from __future__ import annotations

from typing import Literal

from assistant.core.contracts import Contract


class LicenceOut(Contract):
    """Whether a label kind may be shown for this subject and language, and the evidence:
    the record's precision, its 95 % interval and n, the run that measured it, and the bar
    its lower bound must clear; ``message`` says it in words."""

    kind: str
    language: str
    subject: str
    status: Literal["licensed", "below_bar", "not_measured"]
    threshold: float
    precision: float | None
    low: float | None
    high: float | None
    n: int | None
    run_id: str | None
    dataset: str | None
    measured_at: str | None
    message: str


class CalibrationStateOut(Contract):
    """The background calibration of this home (``idle`` when none ran)."""

    status: Literal["idle", "running", "done", "failed"]
    backend: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    run_id: str | None = None
    records: int | None = None
    limit: int | None = None
    pid: int | None = None
    error: str | None = None  # administrators only


class LicencesOut(Contract):
    """What this server runs (model, judge, sentiment head), every label kind's licence
    for them, and the background calibration."""

    subjects: dict[str, str]
    licences: list[LicenceOut]
    calibration: CalibrationStateOut
