"""What an ingest through the API (`POST /api/ingest`) answers."""

from __future__ import annotations

from typing import Any

from assistant.core.contracts import Contract


class UploadResultOut(Contract):
    """One uploaded file: ``ok`` with its counts, or ``failed`` with the error."""

    file: str
    status: str  # ok | failed
    run_id: str | None = None
    added: int | None = None
    updated: int | None = None
    unchanged: int | None = None
    near_duplicates: int | None = None
    exact_duplicates: int | None = None
    errors: list[str] | None = None
    error: str | None = None
    message: str | None = None
    fix: str | None = None
    param: str | None = None


class UploadsOut(Contract):
    """Per-file results, then the index report and (when monitoring is on) its report."""

    files: list[UploadResultOut]
    index: dict[str, Any]
    monitor: dict[str, Any] | None = None
