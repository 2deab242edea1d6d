"""Collection inside `dragoman serve`: every ``DRAGOMAN_COLLECT_TICK_S`` the sources whose
time has come are collected (each on its own ``--every``), one pass at a time, each
source's run audited; a pass already running (here or from `dragoman collect`) is skipped.
On the same tick, up to :data:`RERANK_PER_TICK` chunks get their re-ranking vectors
(``retrieval.rerank``): the slower embedder follows what was collected, in the background."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from assistant.collection.collector import Collector
from assistant.core.errors import BusyError, DragomanError

logger = logging.getLogger("dragoman.collection")
RERANK_PER_TICK = 64  # about 10 s of e5-small on 2 cores: a day's chunks within hours


def collect_due(
    collector: Collector, leads: Callable[[], bool] | None = None
) -> dict[str, Any] | None:
    """One scheduled pass over the due sources; None when another pass holds the home, or
    another web worker holds collection's lease (``leads``)."""
    if leads is not None and not leads():
        return None
    try:
        report = collector.collect(due=True)
    except BusyError:
        return None
    except DragomanError as exc:  # the store or index failed: logged, the next tick retries
        logger.error("scheduled collection failed: %s", exc)
        return None
    if report.sources:
        logger.info("collected %d sources, %d added", len(report.sources), report.added)
    return report.to_dict()


Fill = Callable[[int, Callable[[], bool]], dict[str, Any]]  # (limit, stop) → report


def fill_rerank_due(
    fill: Fill, leads: Callable[[], bool] | None = None, stopping: threading.Event | None = None
) -> dict[str, Any] | None:
    """One scheduled batch of re-ranking vectors, by the worker that leads collection; it
    ends early once ``stopping`` is set (the server is shutting down)."""
    stopping = stopping or threading.Event()
    if stopping.is_set() or (leads is not None and not leads()):
        return None
    try:
        report = fill(RERANK_PER_TICK, stopping.is_set)
    except DragomanError as exc:  # logged; the next tick retries
        logger.error("re-ranking vectors failed: %s", exc)
        return None
    if report.get("written"):
        logger.info("re-ranking vectors: %d written, %d left", report["written"], report["left"])
    return report


class Schedule:
    """The started scheduler; shutting it down also asks a running fill to stop."""

    def __init__(self, scheduler: Any, stopping: threading.Event) -> None:
        self.scheduler, self.stopping = scheduler, stopping

    def shutdown(self, wait: bool = False) -> None:
        self.stopping.set()
        self.scheduler.shutdown(wait=wait)


def start_collection(
    collector: Collector,
    tick_s: int,
    leads: Callable[[], bool] | None = None,
    fill_rerank: Fill | None = None,
) -> Schedule:
    """A started BackgroundScheduler running :func:`collect_due` every ``tick_s`` seconds,
    and :func:`fill_rerank_due` when a re-ranking embedder is configured."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(
        collect_due, IntervalTrigger(seconds=tick_s, timezone=UTC), args=[collector, leads],
        id="collect", max_instances=1, coalesce=True,
        next_run_time=datetime.now(UTC) + timedelta(seconds=5),
    )  # fmt: skip
    stopping = threading.Event()
    if fill_rerank is not None:
        scheduler.add_job(
            fill_rerank_due, IntervalTrigger(seconds=tick_s, timezone=UTC),
            args=[fill_rerank, leads, stopping], id="rerank-vectors", max_instances=1,
            coalesce=True, next_run_time=datetime.now(UTC) + timedelta(seconds=15),
        )  # fmt: skip
    scheduler.start()
    return Schedule(scheduler, stopping)
