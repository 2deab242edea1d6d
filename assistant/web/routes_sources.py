"""Sources in the web app: the list (status, last success, items per day, next run, last
error) for every reader, within their clearance; adding, pausing, resuming, removing and
collecting now for administrators. Each change is audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from assistant.collection import NewSource, Source, add_source, describe
from assistant.collection.contracts import CollectOut, SourceOut, SourcesOut
from assistant.collection.readers import TYPES
from assistant.core.clearance import readable_levels
from assistant.core.errors import NotFoundError, PermissionDeniedError
from assistant.core.redact import mask_url_secrets
from assistant.web.auth import Principal, Reader, ServicesDep, SourceAdmin
from assistant.web.contracts import API_ERRORS, CONFLICT, ContractRoute
from assistant.web.pages import page
from assistant.web.services import Services

router = APIRouter(responses=API_ERRORS, route_class=ContractRoute)
SourceId = Annotated[int, PathParam(ge=1, le=2_147_483_647)]


def _visible(services: Services, principal: Principal) -> list[Source]:
    levels = readable_levels(principal.user.clearance)
    return [s for s in services.sources.all() if s.clearance in levels]


def _listing(services: Services, principal: Principal) -> dict[str, Any]:
    shown = [describe(s, services.settings.collect) for s in _visible(services, principal)]
    return {"sources": shown}


def _one(services: Services, principal: Principal, source_id: int) -> Source:
    source = services.sources.get(source_id)
    if source.clearance not in readable_levels(principal.user.clearance):
        raise NotFoundError(f"no source #{source_id}", fix="GET /api/sources")
    return source


@router.get("/sources", response_class=HTMLResponse)
async def sources_page(request: Request, principal: Reader, services: ServicesDep) -> Response:
    """Every source this user may see, with its health; administrators also manage them."""
    listing = await run_in_threadpool(_listing, services, principal)
    context = {"user": principal.user, "sources": listing["sources"],
               "manage": principal.user.can("manage_sources"), "types": TYPES,
               "clearances": readable_levels(principal.user.clearance),
               "csrf_token": principal.csrf_token or ""}  # fmt: skip
    return page(request, "sources.html.j2", context)


@router.get("/api/sources", response_model=SourcesOut)
async def sources_api(principal: Reader, services: ServicesDep) -> dict[str, Any]:
    """The sources — the JSON of `dragoman sources list` (never above the reader's clearance)."""
    return await run_in_threadpool(_listing, services, principal)


@router.get("/api/sources/{source_id}", response_model=SourceOut)
async def source_api(
    source_id: SourceId, principal: Reader, services: ServicesDep, reveal: bool = False
) -> Any:
    """One source with its cursor (where its next collection resumes); its URL's secrets
    (query values, user information, a token in the path) masked, shown with ``reveal=true``
    to an administrator of sources only (audited)."""
    source = await run_in_threadpool(_one, services, principal, source_id)
    if reveal:
        if not principal.user.can("manage_sources"):
            raise PermissionDeniedError(
                "only an administrator of sources may see a source's full URL",
                fix="ask an administrator",
            )
        services.audit.record(principal.user.username, "source_reveal", str(source_id), {})
    return describe(source, services.settings.collect, reveal=reveal)


@router.post("/api/sources", response_model=SourceOut, status_code=201, responses=CONFLICT)
async def add_source_api(new: NewSource, principal: SourceAdmin, services: ServicesDep) -> Any:
    """Add a source (its type detected when not given); the schedule collects it next."""
    if new.clearance not in readable_levels(principal.user.clearance):
        raise PermissionDeniedError(
            f"a source filed at {new.clearance!r} is above your clearance", fix="ask an "
            "administrator cleared for it, or `dragoman sources add` on the server"
        )  # fmt: skip
    added = await run_in_threadpool(add_source, services.sources, new, services.settings.collect)
    services.audit.record(
        principal.user.username, "source_add", str(added.id), {"url": mask_url_secrets(added.url)}
    )
    return describe(added, services.settings.collect)


def _set_status(
    services: Services, principal: Principal, source_id: int, status: str
) -> dict[str, Any]:
    _one(services, principal, source_id)
    updated = services.sources.update(source_id, status=status)
    services.audit.record(principal.user.username, f"source_{status}", str(source_id),
                          {"url": mask_url_secrets(updated.url)})  # fmt: skip
    return describe(updated, services.settings.collect)


@router.post("/api/sources/{source_id}/pause", response_model=SourceOut)
async def pause_api(source_id: SourceId, principal: SourceAdmin, services: ServicesDep) -> Any:
    """Stop collecting a source (it keeps its cursor)."""
    return await run_in_threadpool(_set_status, services, principal, source_id, "paused")


@router.post("/api/sources/{source_id}/resume", response_model=SourceOut)
async def resume_api(source_id: SourceId, principal: SourceAdmin, services: ServicesDep) -> Any:
    """Collect a paused source again."""
    return await run_in_threadpool(_set_status, services, principal, source_id, "active")


@router.delete("/api/sources/{source_id}", response_model=SourceOut)
async def remove_api(source_id: SourceId, principal: SourceAdmin, services: ServicesDep) -> Any:
    """Forget a source; its documents stay in the corpus."""
    await run_in_threadpool(_one, services, principal, source_id)
    removed = await run_in_threadpool(services.sources.remove, source_id)
    services.audit.record(principal.user.username, "source_remove", str(source_id),
                          {"url": mask_url_secrets(removed.url)})  # fmt: skip
    return describe(removed, services.settings.collect)


@router.post("/api/sources/{source_id}/collect", response_model=CollectOut)
async def collect_now_api(
    source_id: SourceId, principal: SourceAdmin, services: ServicesDep
) -> dict[str, Any]:
    """Collect one source now (503 with Retry-After while another pass runs)."""
    await run_in_threadpool(_one, services, principal, source_id)
    actor = principal.user.username
    collector = services.collector(record=lambda action, detail: services.audit.record(
        actor, action, str(detail.get("id")), detail))  # fmt: skip
    try:
        report = await run_in_threadpool(collector.collect, [source_id])
    finally:
        collector.client.close()
    return report.to_dict()
