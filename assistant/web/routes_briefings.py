"""The briefings archive in the analysts' app: the list, each briefing's files, and JSON.

Only briefings written for the user's clearance or below are listed or served."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from assistant.briefing.archive import MAX_LISTING
from assistant.briefing.contracts import BriefingEntryOut
from assistant.web.auth import Reader, ServicesDep
from assistant.web.contracts import API_ERRORS, ContractRoute

router = APIRouter(responses=API_ERRORS, route_class=ContractRoute)
FileName = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")]
MEDIA_TYPES = {".html": "text/html; charset=utf-8", ".md": "text/markdown; charset=utf-8",
               ".pdf": "application/pdf", ".json": "application/json",
               ".docx": "application/vnd.openxmlformats-officedocument."
                        "wordprocessingml.document"}  # fmt: skip


@router.get("/briefings", response_class=HTMLResponse)
async def briefings_page(request: Request, principal: Reader, services: ServicesDep) -> Response:
    """The archive: every briefing this user may read, newest first."""
    listing = await run_in_threadpool(services.briefings.listing, principal.user.clearance)
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request, "briefings.html.j2", {"user": principal.user, "briefings": listing}
    )


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
    day: date, watchlist: FileName, name: FileName, principal: Reader, services: ServicesDep
) -> FileResponse:
    """One file of a briefing (HTML to read in the browser; Markdown, PDF, JSON to keep)."""
    path = services.briefings.file(day.isoformat(), watchlist, name, principal.user.clearance)
    return FileResponse(path, media_type=MEDIA_TYPES.get(path.suffix, "application/octet-stream"))
