"""Scheduled briefings in `dragoman serve` (APScheduler, cron expressions in UTC).

Each entry of ``DRAGOMAN_BRIEF_SCHEDULES`` becomes a cron job that writes, archives and
delivers one briefing, sharing the server's model through its generation queue (one
model call at a time, between analysts' questions).  Every run is recorded in the audit
log: ``brief`` on success, ``brief_failed`` with the error otherwise (a failed delivery,
an error of ours, or anything else the job raised), and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from assistant.briefing.jobs import Outcome, Targets, run_job
from assistant.briefing.pipeline import Briefer, BriefRequest
from assistant.briefing.render import parse_formats
from assistant.core.errors import ConfigError, DragomanError
from assistant.core.settings import Settings
from corpus.document import Clearance

logger = logging.getLogger("dragoman.briefing")
Record = Callable[[str, dict[str, Any]], None]  # (audit action, detail)
Claim = Callable[[str], bool]  # a run's name → whether this worker is the one to do it


class BriefSchedule(BaseModel):
    cron: str = Field(description="Five-field cron expression, UTC: '0 6 * * *'")
    watchlist: str = "all"
    window: str = "24h"
    lang: str = "en"
    format: str = "md,html"
    email: list[str] = Field(default_factory=list)
    webhook: str | None = None
    slack: str | None = None
    teams: str | None = None
    telegram: str | None = None
    clearance: Clearance | None = None

    def chats(self) -> dict[str, str]:
        return {k: v for k, v in (("slack", self.slack), ("teams", self.teams),
                                  ("telegram", self.telegram)) if v}  # fmt: skip

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        CronTrigger.from_crontab(value, timezone=UTC)  # raises ValueError when invalid
        return value

    def request(self, settings: Settings, day: datetime) -> BriefRequest:
        request = BriefRequest(
            day=day.date(), window=self.window, watchlist=self.watchlist,
            languages=[x.strip() for x in self.lang.split(",") if x.strip()],
            formats=parse_formats(self.format),
            clearance=self.clearance or settings.brief.clearance,
        )  # fmt: skip
        request.check()
        return request


def parse_schedules(settings: Settings) -> list[BriefSchedule]:
    schedules = []
    for index, entry in enumerate(settings.brief.schedules):
        try:
            schedule = BriefSchedule.model_validate(entry)
            schedule.request(settings, datetime.now(UTC))
        except (ValidationError, DragomanError) as exc:
            raise ConfigError(f"DRAGOMAN_BRIEF_SCHEDULES[{index}] is invalid: {exc}") from exc
        schedules.append(schedule)
    return schedules


def run_scheduled(
    briefer: Callable[[], Briefer],
    schedule: BriefSchedule,
    record: Record,
    claim: Claim | None = None,
) -> Outcome | None:
    """One scheduled run; its outcome is audited either way.  With several workers each
    fires it, and only the one whose ``claim`` of this minute's run succeeds writes it."""
    due = datetime.now(UTC).strftime("%Y%m%dT%H%M")
    if claim is not None and not claim(f"brief:{schedule.watchlist}:{schedule.cron}:{due}"):
        return None
    builder = briefer()
    request = schedule.request(builder.settings, datetime.now(UTC))
    targets = Targets(schedule.email, schedule.webhook, chats=schedule.chats())
    try:
        outcome = run_job(builder, request, targets, lambda text: logger.info("brief: %s", text))
    except DragomanError as exc:
        logger.error("scheduled briefing %s failed: %s", schedule.watchlist, exc)
        record("brief_failed", {"watchlist": schedule.watchlist, "error": str(exc)})
        return None
    detail = {"watchlist": schedule.watchlist, "date": outcome.briefing.manifest["date"],
              "stories": len(outcome.briefing.analysis.stories),
              "deliveries": [d.to_dict() for d in outcome.deliveries]}  # fmt: skip
    if outcome.ok:
        record("brief", detail)
    else:
        logger.error("scheduled briefing %s: a delivery failed: %s", schedule.watchlist, detail)
        record("brief_failed", detail)
    return outcome


def start_scheduler(
    settings: Settings,
    briefer: Callable[[], Briefer],
    record: Record,
    claim: Claim | None = None,
) -> Any | None:
    """A started BackgroundScheduler with one job per schedule (None when none is set)."""
    schedules = parse_schedules(settings)
    if not schedules:
        return None
    from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger

    scheduler = BackgroundScheduler(timezone=UTC)
    for index, schedule in enumerate(schedules):
        scheduler.add_job(
            run_scheduled, CronTrigger.from_crontab(schedule.cron, timezone=UTC),
            args=[briefer, schedule, record, claim], id=f"brief-{index}", max_instances=1,
            coalesce=True, misfire_grace_time=3600,
        )  # fmt: skip

    def on_error(event: JobExecutionEvent) -> None:  # anything but our own errors
        record("brief_failed", {"job": event.job_id, "error": repr(event.exception)})

    scheduler.add_listener(on_error, EVENT_JOB_ERROR)
    scheduler.start()
    return scheduler
