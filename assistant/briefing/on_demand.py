"""Briefings asked for on demand (the web app's "Create a briefing"): written one at a time
by a background worker, archived like a scheduled one, each job with a status and its
progress for the page to follow.

The model is shared with analysts' questions through the briefer's ``turn`` (the server's
generation queue); a person may have ``PER_PERSON`` jobs unfinished (more: 429) and at most
``MAX_WAITING`` jobs wait in all (more: 503), each refusal with a retry time.
Jobs are kept in memory for a day (the briefings themselves stay in the archive); a job is
shown only to the person who asked for it. Every outcome is audited under their name.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from assistant.briefing.contracts import BriefingJobOut
from assistant.briefing.jobs import Targets, run_job
from assistant.briefing.pipeline import Briefer, BriefRequest
from assistant.core.errors import BusyError, DragomanError, NotFoundError, RateLimitedError

logger = logging.getLogger("dragoman.briefing")
Record = Callable[[str, str, dict[str, Any]], None]  # (who, audit action, detail)
MAX_WAITING = 8
PER_PERSON = 2
KEPT_FOR = timedelta(days=1)


@dataclass
class BriefingJob:
    """One briefing asked for: what, by whom, where it stands, and what came of it."""

    id: str
    requested_by: str
    request: BriefRequest
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    status: str = "queued"  # queued → running → done | failed
    progress: str = "waiting for its turn"
    finished_at: datetime | None = None
    error: str | None = None
    fix: str | None = None
    briefing: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        request = self.request
        return BriefingJobOut.shape({
            "id": self.id, "status": self.status, "progress": self.progress,
            "requested_by": self.requested_by, "date": request.day.isoformat(),
            "window": request.window, "watchlist": request.watchlist,
            "languages": request.languages, "formats": request.formats,
            "clearance": request.clearance, "created_at": self.created_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "error": self.error, "fix": self.fix, "briefing": self.briefing,
        })  # fmt: skip


class BriefingQueue:
    """On-demand briefings for one server: ``submit`` returns at once, a worker thread
    writes them in order."""

    def __init__(self, briefer: Callable[[], Briefer], record: Record) -> None:
        self._briefer = briefer
        self._record = record
        self._jobs: dict[str, BriefingJob] = {}
        self._waiting: queue.Queue[BriefingJob] = queue.Queue()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None

    def submit(self, request: BriefRequest, requested_by: str) -> BriefingJob:
        """Queue a briefing (checked first: bad input queues nothing)."""
        request.check()
        with self._lock:
            self._forget_old()
            unfinished = [j for j in self._jobs.values() if j.status in ("queued", "running")]
            if sum(j.requested_by == requested_by for j in unfinished) >= PER_PERSON:
                raise RateLimitedError(
                    f"you already have {PER_PERSON} briefings being written", retry_after_s=60,
                    fix="wait until one of them is done",
                )  # fmt: skip
            waiting = sum(job.status == "queued" for job in unfinished)
            if waiting >= MAX_WAITING:
                raise BusyError(
                    f"{waiting} briefings are already waiting", retry_after_s=120,
                    fix="try again when one of them is done",
                )  # fmt: skip
            job = BriefingJob(uuid.uuid4().hex[:16], requested_by, request)
            self._jobs[job.id] = job
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(
                    target=self._work, name="dragoman-briefings", daemon=True
                )
                self._worker.start()
        self._waiting.put(job)
        return job

    def get(self, job_id: str, requested_by: str) -> BriefingJob:
        """A job, for the person who asked for it (anyone else: not found)."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.requested_by != requested_by:
            raise NotFoundError(f"no briefing job {job_id!r}", fix="GET /api/briefings/jobs")
        return job

    def jobs_of(self, requested_by: str) -> list[BriefingJob]:
        """This person's jobs of the last day, newest first."""
        with self._lock:
            self._forget_old()
            mine = [job for job in self._jobs.values() if job.requested_by == requested_by]
        return sorted(mine, key=lambda job: job.created_at, reverse=True)

    def _forget_old(self) -> None:
        cutoff = datetime.now(UTC) - KEPT_FOR
        for job_id in [k for k, job in self._jobs.items() if job.finished_at and
                       job.finished_at < cutoff]:  # fmt: skip
            del self._jobs[job_id]

    def _work(self) -> None:
        while True:
            job = self._waiting.get()
            job.status = "running"
            try:
                self._run(job)
            except Exception as exc:  # the worker must outlive any one job; audited too
                logger.exception("briefing job %s failed", job.id)
                self._finish(job, "failed", error="the briefing failed unexpectedly",
                             fix="see the server's log")  # fmt: skip
                self._record(job.requested_by, "brief_failed", {"job": job.id,
                             "error": type(exc).__name__})  # fmt: skip
            finally:
                self._waiting.task_done()

    def _run(self, job: BriefingJob) -> None:
        def progress(text: str) -> None:
            job.progress = text

        detail = {"date": job.request.day.isoformat(), "watchlist": job.request.watchlist,
                  "clearance": job.request.clearance, "job": job.id}  # fmt: skip
        try:
            outcome = run_job(self._briefer(), job.request, Targets(), progress)
        except DragomanError as exc:
            self._finish(job, "failed", error=str(exc), fix=exc.fix)
            self._record(job.requested_by, "brief_failed", {**detail, "error": str(exc)})
            return
        manifest = outcome.briefing.manifest
        job.briefing = {key: manifest.get(key) for key in
                        ("date", "watchlist", "files", "headlines", "empty")}  # fmt: skip
        job.briefing["stories"] = len(outcome.briefing.analysis.stories)
        self._finish(job, "done")
        self._record(job.requested_by, "brief", {**detail, "stories": job.briefing["stories"]})

    @staticmethod
    def _finish(job: BriefingJob, status: str, *, error: str | None = None,
                fix: str | None = None) -> None:  # fmt: skip
        job.error, job.fix = error, fix
        job.progress = "done" if status == "done" else "failed"
        job.finished_at = datetime.now(UTC)
        job.status = status
