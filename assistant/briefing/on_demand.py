"""Briefings asked for on demand (the web app's "Create a briefing"): written one at a time
by a background worker, archived like a scheduled one, each job with a status and its
progress for the page to follow.

The model is shared with analysts' questions through the briefer's ``turn`` (the server's
generation queue); a person may have ``PER_PERSON`` jobs unfinished (more: 429) and at most
``MAX_WAITING`` jobs wait in all (more: 503), each refusal with a retry time.
Jobs are kept in the users' database (:mod:`assistant.briefing.job_store`), so every web
worker shows them, for a day (the briefings themselves stay in the archive); a job is shown
only to the person who asked for it. Every outcome is audited under their name.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from assistant.briefing.job_store import UNFINISHED, BriefingJob, JobStore
from assistant.briefing.jobs import Targets, run_job
from assistant.briefing.pipeline import Briefer, BriefRequest
from assistant.core.errors import BusyError, DragomanError, NotFoundError, RateLimitedError

logger = logging.getLogger("dragoman.briefing")
Record = Callable[[str, str, dict[str, Any]], None]  # (who, audit action, detail)
MAX_WAITING = 8
PER_PERSON = 2


class BriefingQueue:
    """On-demand briefings for one server: ``submit`` returns at once, a worker thread
    writes them in order."""

    def __init__(self, briefer: Callable[[], Briefer], record: Record, store: JobStore) -> None:
        self._briefer = briefer
        self._record = record
        self._store = store
        self._mine: set[str] = set()  # jobs this process accepted and has not finished
        self._waiting: queue.Queue[BriefingJob] = queue.Queue()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None

    def submit(self, request: BriefRequest, requested_by: str) -> BriefingJob:
        """Queue a briefing (checked first: bad input queues nothing)."""
        request.check()
        with self._lock:  # (two workers may each accept one at the same moment: a soft bound)
            unfinished = [j for j in self._store.recent() if j.status in UNFINISHED]
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
            self._store.add(job)
            self._mine.add(job.id)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(
                    target=self._work, name="dragoman-briefings", daemon=True
                )
                self._worker.start()
        self._waiting.put(job)
        return job

    def get(self, job_id: str, requested_by: str) -> BriefingJob:
        """A job, for the person who asked for it (anyone else: not found)."""
        job = self._store.get(job_id)
        if job is None or job.requested_by != requested_by:
            raise NotFoundError(f"no briefing job {job_id!r}", fix="GET /api/briefings/jobs")
        return job

    def jobs_of(self, requested_by: str) -> list[BriefingJob]:
        """This person's jobs of the last day, newest first."""
        return self._store.recent(requested_by)

    def _work(self) -> None:
        while True:
            job = self._waiting.get()
            job.status = "running"
            self._store.save(job)
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
            self._store.save(job)
            with self._lock:
                waiting_here = list(self._mine - {job.id})
            self._store.touch(waiting_here)  # they are alive, waiting behind this one

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

    def _finish(self, job: BriefingJob, status: str, *, error: str | None = None,
                fix: str | None = None) -> None:  # fmt: skip
        job.error, job.fix = error, fix
        job.progress = "done" if status == "done" else "failed"
        job.finished_at = datetime.now(UTC)
        job.status = status
        self._store.save(job)
        with self._lock:
            self._mine.discard(job.id)
