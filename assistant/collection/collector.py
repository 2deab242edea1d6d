"""One collection pass: each chosen source read by its type's reader, its new items stored
through the ingest sequence, its cursor and health saved, then one index (and monitoring)
pass over everything new.

Sources are read side by side (``collect_concurrency`` at once, one request at a time per
host, each fetch under a total deadline), so one slow source costs only its own slot; what
they bring is stored one source at a time, in this thread. Only one pass runs at a time on a
home (a lock file), whether it was started by `dragoman collect`, by cron, or by `serve`'s
schedule.
A source's cursor is saved only after its items are stored, so a pass killed at any point
and run again reaches the state of an uninterrupted one: what was stored is known and
skipped, what was not is read again."""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from assistant.collection.http import Credential, PoliteClient
from assistant.collection.readers import Context, Harvest, read
from assistant.collection.service import Ingestion
from assistant.collection.store import Source, SourceStore
from assistant.core.areas import CollectSettings
from assistant.core.errors import BusyError, DragomanError
from assistant.core.fetch import origin_of
from assistant.core.redact import mask_url_secrets, scrub, url_secrets
from corpus.connectors import Options
from corpus.document import Clearance, Kind, make_doc_id, scoped_identity

Record = Callable[[str, dict[str, Any]], None]  # (action, detail) → the audit log
Progress = Callable[[int, int, str], None]  # (sources done, of, current name)
MAX_BACKOFF = timedelta(hours=24)


@dataclass
class SourceRun:
    """What one pass did for one source (a row of ``collect --json``)."""

    id: int
    name: str
    status: str  # ok | not_modified | failed
    fetched: int = 0
    not_modified: int = 0
    added: int = 0
    updated: int = 0
    failed: int = 0  # items that failed alone (the source itself did not)
    error: str | None = None
    next_due: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class CollectReport:
    sources: list[SourceRun] = field(default_factory=list)
    seconds: float = 0.0
    finish: dict[str, Any] = field(default_factory=dict)  # index (and monitor) reports

    @property
    def added(self) -> int:
        return sum(run.added for run in self.sources)

    def to_dict(self) -> dict[str, Any]:
        from assistant.collection.contracts import CollectOut

        return CollectOut.shape(
            {
                "sources": [asdict(run) for run in self.sources],
                "added": self.added,
                "seconds": self.seconds,
                **self.finish,
            }
        )


def backoff(every_s: int, failures: int) -> timedelta:
    """Wait before retrying a failing source: its interval doubled per failure, ≤ 24 h."""
    return min(
        timedelta(seconds=every_s * 2 ** min(failures, 16)),
        max(MAX_BACKOFF, timedelta(seconds=every_s)),
    )


@dataclass
class Collector:
    """Collects a home's sources into its corpus; ``record`` audits each source's run."""

    store: SourceStore
    ingestion: Ingestion
    settings: CollectSettings
    lock_path: Path
    batch_size: int = 200
    record: Record | None = None
    client: PoliteClient = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.client is None:
            self.client = PoliteClient(self.settings)
        self._resumed = False  # the first pass finishes what a killed run left pending

    def collect(
        self,
        ids: list[int] | None = None,
        *,
        due: bool = False,
        index: bool = True,
        progress: Progress | None = None,
        now: datetime | None = None,
    ) -> CollectReport:
        """One pass over ``ids`` (default: every active source; ``due``: only those due)."""
        started = time.perf_counter()
        with self._one_pass():
            moment = now or datetime.now(UTC)
            chosen = self._chosen(ids, due, moment)
            report = CollectReport()
            workers = max(1, min(self.settings.concurrency, len(chosen)))
            with ThreadPoolExecutor(workers, thread_name_prefix="collect") as pool:
                reading = [pool.submit(self._read, source) for source in chosen]
                # stored in the sources' order (the same documents whichever answers first)
                for done, (source, future) in enumerate(zip(chosen, reading, strict=True)):
                    if progress:
                        progress(done, len(chosen), source.name)
                    report.sources.append(self._store_one(source, future, moment))
            # the first pass of a process finishes what a killed ingest, upload or pass left
            # pending (registered, not yet indexed); after it, an idle tick checks nothing
            resume, self._resumed = not self._resumed, True
            if index and (chosen or resume) and self.ingestion.pending():
                report.finish = self.ingestion.finish()
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    def _chosen(self, ids: list[int] | None, due: bool, now: datetime) -> list[Source]:
        if ids:
            return [self.store.get(source_id) for source_id in ids]
        if due:
            return self.store.due(now)
        return [s for s in self.store.all() if s.status == "active"]

    @contextmanager
    def _one_pass(self) -> Iterator[None]:
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        with self.lock_path.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise BusyError(
                    "another collection is running on this home",
                    retry_after_s=60,
                    fix="wait for it to finish",
                ) from exc
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def credential_for(self, source: Source) -> Credential | None:
        """The service's credential a source's requests carry (the X API's token for an X
        source), pinned to that service's origin."""
        token = self.settings.x_bearer_token
        if source.type != "x" or token is None:
            return None
        headers = {"Authorization": f"Bearer {token.get_secret_value()}"}
        return Credential(origin_of(self.settings.x_api_url), headers, "X API")

    def _read(self, source: Source) -> Harvest:
        """A source's harvest (run in a worker thread: network only, nothing stored)."""
        context = Context(
            self.client,
            self.settings.depth,
            self._known(source),
            robots=bool(source.options.get("robots", True)),
            credential=self.credential_for(source),
        )
        return read(source, context)

    def _store_one(self, source: Source, reading: Future[Harvest], now: datetime) -> SourceRun:
        run = SourceRun(source.id, source.name, "ok")
        try:
            harvest = reading.result()
            run.fetched, run.not_modified = harvest.fetched, harvest.not_modified
            run.notes, run.failed = harvest.notes, len(harvest.notes)
            for record in harvest.records:
                record.metadata["collected_from"] = source.id
            if harvest.records:
                stored = self.ingestion.register_records(
                    source.url, harvest.records, self._options(source), source.type
                )
                run.added, run.updated = stored.added, stored.updated
                run.failed += len(stored.failed)
        except DragomanError as exc:  # stored and shown without the URL's secrets
            return self._failed(source, run, scrub(str(exc), url_secrets(source.url)), now)
        if run.not_modified and not run.fetched:
            run.status = "not_modified"
        saved = self.store.update(
            source.id,
            cursor=harvest.cursor,
            last_run_at=now,
            last_success_at=now,
            last_error=None,
            failing_since=None,
            failures=0,
            next_due_at=now + timedelta(seconds=source.every_s),
            added_total=source.added_total + run.added,
        )
        run.next_due = saved.next_due_at.isoformat()
        self._audit("collect", run)
        return run

    def _failed(self, source: Source, run: SourceRun, error: str, now: datetime) -> SourceRun:
        failures = source.failures + 1
        saved = self.store.update(
            source.id,
            last_run_at=now,
            last_error=error,
            failures=failures,
            failing_since=source.failing_since or now,
            next_due_at=now + backoff(source.every_s, failures),
        )
        run.status, run.error, run.next_due = "failed", error, saved.next_due_at.isoformat()
        self._audit("collect_failed", run)
        return run

    def _known(self, source: Source) -> Callable[[str], bool]:
        registry = self.ingestion.registry

        def known(identity: str) -> bool:
            doc_id = make_doc_id(scoped_identity(identity, source.clearance, None))
            return bool(registry.existing([doc_id]))

        return known

    def _options(self, source: Source) -> Options:
        return Options(
            kind=cast("Kind | None", source.kind),
            source=source.label,
            clearance=cast("Clearance", source.clearance),
            language=source.language,
            batch_size=self.batch_size,
            actor=f"collector:source-{source.id}",
        )

    def _audit(self, action: str, run: SourceRun) -> None:
        if self.record is not None:
            detail = {k: v for k, v in asdict(run).items() if k != "notes"}
            detail["name"] = mask_url_secrets(run.name)
            self.record(action, detail)
