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


class SourceOut(Contract):
    """A source as `dragoman sources list|show --json` and the API show it."""

    id: int
    name: str
    url: str
    type: str
    kind: str | None
    clearance: str
    language: str | None
    source: str | None
    every: str
    status: str  # active | paused
    health: str  # new | ok | failing | unhealthy | paused
    created_at: str
    last_run_at: str | None
    last_success_at: str | None
    last_error: str | None
    failures: int
    failing_since: str | None
    next_due: str | None
    added_total: int
    items_per_day: float
    map: dict[str, str]
    robots: bool
    prefix: str | None
    cursor: dict[str, Any]


class SourcesOut(Contract):
    sources: list[SourceOut]


class CollectSourceOut(Contract):
    """What one collection pass did for one source."""

    id: int
    name: str
    status: str  # ok | not_modified | failed
    fetched: int
    not_modified: int
    added: int
    updated: int
    failed: int
    error: str | None
    next_due: str | None
    notes: list[str]


class CollectOut(Contract):
    """`dragoman collect --json`: per source, then the totals and the index report."""

    sources: list[CollectSourceOut]
    added: int
    seconds: float
    index: dict[str, Any] | None = None
    monitor: dict[str, Any] | None = None
