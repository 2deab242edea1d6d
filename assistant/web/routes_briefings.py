"""The briefings archive in the analysts' app: the list, each briefing's files, and JSON;
and briefings created from the web (written in the background, followed by the page).

Only briefings written for the user's clearance or below are listed or served; one asked
for is written for the requester's clearance or a lower one they choose."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from assistant.briefing.archive import MAX_LISTING
from assistant.briefing.contracts import (
    BriefingEntryOut,
    BriefingJobOut,
    BriefingJobsOut,
)
from assistant.core.clearance import readable_levels
from assistant.core.errors import NotFoundError, PermissionDeniedError
from assistant.web.auth import BriefWriter, Principal, Reader, ServicesDep
from assistant.web.contracts import API_ERRORS, BoundedDate, ContractRoute
from assistant.web.pages import page
from assistant.web.services import Services
from corpus.document import Clearance

router = APIRouter(responses=API_ERRORS, route_class=ContractRoute)
# 1h … 744h, 1d … 31d, 1w … 4w: every window `dragoman brief --window` accepts (≤ 31 days)
WINDOW = (
    r"^(([1-9]|[1-9][0-9]|[1-6][0-9]{2}|7[0-3][0-9]|74[0-4])h"
    r"|([1-9]|[12][0-9]|3[01])d|[1-4]w)$"
)
OutputLanguage = Literal["en", "zh", "fr", "es", "ru", "ar"]
Format = Literal["md", "html", "pdf", "docx"]


class BriefingAsk(BaseModel):
    """A briefing asked for from the web app (the fields of `dragoman brief`)."""

    model_config = ConfigDict(extra="forbid")

    date: BoundedDate | None = Field(default=None, description="Its day (default: today, UTC)")
    window: str = Field(default="24h", pattern=WINDOW, description="Period: 24h, 3d, 1w")
    watchlist: str = Field(default="all", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    languages: list[OutputLanguage] = Field(default=["en"], min_length=1, max_length=6)
    formats: list[Format] = Field(default=["md", "html"], min_length=1, max_length=4)
    clearance: Clearance | None = Field(
        default=None, description="Audience (default and highest: the requester's clearance)"
    )


JobId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{16}$")]
FileName = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")]
MEDIA_TYPES = {".html": "text/html; charset=utf-8", ".md": "text/markdown; charset=utf-8",
               ".pdf": "application/pdf", ".json": "application/json",
               ".docx": "application/vnd.openxmlformats-officedocument."
                        "wordprocessingml.document"}  # fmt: skip


@router.get("/briefings", response_class=HTMLResponse)
async def briefings_page(request: Request, principal: Reader, services: ServicesDep) -> Response:
    """The archive: every briefing this user may read, newest first."""
    listing = await run_in_threadpool(services.briefings.listing, principal.user.clearance)
    context = {"user": principal.user, "briefings": listing,
               "csrf_token": principal.csrf_token or "",
               "form": await run_in_threadpool(_form_defaults, services, principal)}  # fmt: skip
    return page(request, "briefings.html.j2", context)


def _form_defaults(services: Services, principal: Principal) -> dict[str, Any]:
    """What the "Create a briefing" form offers: today, or, when nothing the reader may
    see was published in the last day, the day after the newest document (saying so)."""
    from assistant.briefing.translate import LANGUAGES

    now = datetime.now(UTC)
    cutoff = services.settings.brief.cutoff_hour
    levels = readable_levels(principal.user.clearance)
    latest = services.registry.latest_published(levels, int(now.timestamp()))
    day, note = now.date(), None
    if latest is not None and latest < now - timedelta(days=1):
        day = (latest - timedelta(hours=cutoff)).date() + timedelta(days=1)
        note = (
            "Nothing you may read was published in the last day; the newest item is from "
            f"{latest.date()}, so the form starts on the briefing that covers it."
        )
    watchlists = ["all", *sorted(n for n in services.settings.watchlists if n != "all")]
    return {"date": day.isoformat(), "note": note, "watchlists": watchlists,
            "languages": LANGUAGES, "clearances": levels}  # fmt: skip


@router.post("/api/briefings", response_model=BriefingJobOut, status_code=202)
async def create_briefing(
    ask: BriefingAsk, principal: BriefWriter, services: ServicesDep
) -> dict[str, Any]:
    """Write a briefing now, like `dragoman brief` (archived, not delivered): answered at
    once with the job; follow it at `/api/briefings/jobs/{id}`."""
    from assistant.briefing.pipeline import BriefRequest

    user = principal.user
    clearance = ask.clearance or user.clearance
    if clearance not in readable_levels(user.clearance):
        raise PermissionDeniedError(
            f"a briefing for {clearance!r} readers is above your clearance",
            fix=f"choose {user.clearance!r} or lower",
        )
    if ask.watchlist != "all" and ask.watchlist not in services.settings.watchlists:
        raise NotFoundError(f"no watchlist {ask.watchlist!r}", fix="GET /briefings lists them")
    day = date.fromisoformat(ask.date) if ask.date else datetime.now(UTC).date()
    request = BriefRequest(
        day=day, window=ask.window, watchlist=ask.watchlist, clearance=clearance,
        languages=list(dict.fromkeys(ask.languages)), formats=list(dict.fromkeys(ask.formats)),
    )  # fmt: skip
    job = await run_in_threadpool(services.briefing_queue.submit, request, user.username)
    return job.to_dict()


@router.get("/api/briefings/jobs", response_model=BriefingJobsOut)
async def briefing_jobs(principal: BriefWriter, services: ServicesDep) -> dict[str, Any]:
    """The briefings you asked for in the last day, newest first."""
    levels = readable_levels(principal.user.clearance)
    jobs = services.briefing_queue.jobs_of(principal.user.username)
    return {"jobs": [job.to_dict() for job in jobs if job.request.clearance in levels]}


@router.get("/api/briefings/jobs/{job_id}", response_model=BriefingJobOut)
async def briefing_job(job_id: JobId, principal: BriefWriter, services: ServicesDep) -> Any:
    """One briefing you asked for: queued, running (with its progress), done or failed
    (not shown once it is above your clearance, should that have been lowered since)."""
    job = services.briefing_queue.get(job_id, principal.user.username)
    if job.request.clearance not in readable_levels(principal.user.clearance):
        raise NotFoundError(f"no briefing job {job_id!r}", fix="GET /api/briefings/jobs")
    return job.to_dict()


@router.get("/api/briefings", response_model=list[BriefingEntryOut])
async def briefings_list(
    principal: Reader,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LISTING)] = 100,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> list[dict[str, Any]]:
    """Archived briefings this user may read, newest first (at most 500 a page): what each
    covers, its files and whether it was delivered — never a delivery's URL."""
    return await run_in_threadpool(
        services.briefings.listing, principal.user.clearance, limit, offset
    )


@router.get("/briefings/{day}/{watchlist}/{name}")
async def briefing_file(
    day: date,
    watchlist: FileName,
    name: FileName,
    principal: Reader,
    services: ServicesDep,
    version: Annotated[int | None, Query(ge=1, le=10_000)] = None,
) -> FileResponse:
    """One file of a briefing (HTML to read in the browser; Markdown, PDF, JSON to keep);
    ``version``: one of the earlier briefings of that date and watchlist."""
    path = services.briefings.file(
        day.isoformat(), watchlist, name, principal.user.clearance, version
    )
    return FileResponse(path, media_type=MEDIA_TYPES.get(path.suffix, "application/octet-stream"))
