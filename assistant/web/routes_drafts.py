"""Drafts of official posts: the pages for press officers and approvers, and the JSON API.

Drafting roles (press officer, approver, admin) see and edit every draft; approving and
rejecting need the approver role and are refused on one's own drafts
(:mod:`assistant.drafting.workflow` holds the rules)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from assistant.accounts.accounts import User
from assistant.drafting.contracts import (
    DiffOut,
    DraftListOut,
    DraftOut,
    LengthOut,
    PlatformsOut,
)
from assistant.drafting.model import LANGUAGES, TONES
from assistant.drafting.platforms import PLATFORM_NAMES, length_report
from assistant.drafting.workflow import STATUSES
from assistant.web.auth import DraftApprover, DraftWriter, ServicesDep, client_of
from assistant.web.contracts import (
    API_ERRORS,
    CONFLICT,
    ContractRoute,
    OneOf,
    OptionalVersion,
    RowId,
    VersionNumber,
)
from assistant.web.drafting import (
    CountIn,
    DraftIn,
    EditIn,
    ExportIn,
    ReviewIn,
    create_draft,
    diff_versions,
    edit_draft,
    export_draft,
)
from assistant.web.pages import page
from assistant.web.services import Services

router = APIRouter(responses={**API_ERRORS, **CONFLICT}, route_class=ContractRoute)


@router.get("/drafts", response_class=HTMLResponse)
async def drafts_page(request: Request, principal: DraftWriter, services: ServicesDep) -> Response:
    """Every draft, newest change first, and the form for a new one."""
    drafts = await run_in_threadpool(services.drafts.listing)
    context = {
        "user": principal.user,
        "csrf_token": principal.csrf_token or "",
        "drafts": drafts,
        "platforms": PLATFORM_NAMES,
        "languages": LANGUAGES,
        "tones": list(TONES),
    }
    return page(request, "drafts.html.j2", context)


@router.get("/drafts/{draft_id:int}", response_class=HTMLResponse)
async def draft_page(
    draft_id: RowId,
    request: Request,
    principal: DraftWriter,
    services: ServicesDep,
    version: OptionalVersion = None,
    compare: OptionalVersion = None,
) -> Response:
    """One draft: its variants (editable, counted live), flags, sources, versions, reviews."""
    view = await run_in_threadpool(services.drafts.get, draft_id, version)
    diff = None
    if compare is not None:
        diff = await run_in_threadpool(
            diff_versions, services, draft_id, compare, view.version.number
        )
    profile = services.drafter_platform(view.platform)
    context = {
        "user": principal.user,
        "csrf_token": principal.csrf_token or "",
        "draft": view,
        "data": view.to_dict(),
        "diff": diff,
        "profile": profile.to_dict(),
    }
    return page(request, "draft.html.j2", context)


@router.get("/api/drafts", tags=["drafts"], response_model=DraftListOut)
async def list_drafts(
    principal: DraftWriter,
    services: ServicesDep,
    status: Annotated[Annotated[str, OneOf(STATUSES)] | None, Query()] = None,
) -> dict[str, Any]:
    """Drafts in the workflow (``?status=in_review`` for an approver's queue)."""
    return {"drafts": await run_in_threadpool(services.drafts.listing, status)}


@router.post("/api/drafts", tags=["drafts"], status_code=201, response_model=DraftOut)
async def new_draft(
    body: DraftIn, request: Request, principal: DraftWriter, services: ServicesDep
) -> dict[str, Any]:
    """Draft a post grounded in public sources (takes a turn in the generation queue)."""
    services.ask_limit.check(principal.user.username)
    ticket = services.gate.admit()
    try:
        return await run_in_threadpool(
            create_draft, services, principal.user, body, ticket, client_of(request)
        )
    finally:
        ticket.cancel()  # a no-op once the draft ran; frees the place when it never did


@router.get("/api/drafts/{draft_id:int}", tags=["drafts"], response_model=DraftOut)
async def get_draft(
    draft_id: RowId,
    principal: DraftWriter,
    services: ServicesDep,
    version: OptionalVersion = None,
) -> dict[str, Any]:
    """A draft at its current (or the given) version, with its versions and reviews."""
    view = await run_in_threadpool(services.drafts.get, draft_id, version)
    return view.to_dict()


@router.get(
    "/api/drafts/{draft_id:int}/diff",
    tags=["drafts"],
    response_model=DiffOut,
    response_model_by_alias=True,
)
async def draft_diff(
    draft_id: RowId,
    principal: DraftWriter,
    services: ServicesDep,
    a: VersionNumber,
    b: VersionNumber,
) -> dict[str, Any]:
    """Word-level differences from version ``a`` to version ``b``, per language."""
    return await run_in_threadpool(diff_versions, services, draft_id, a, b)


@router.post(
    "/api/drafts/{draft_id:int}/versions", tags=["drafts"], status_code=201, response_model=DraftOut
)
async def edit(
    draft_id: RowId, body: EditIn, request: Request, principal: DraftWriter, services: ServicesDep
) -> dict[str, Any]:
    """Save edited text as a new version (approved versions never change)."""
    client = client_of(request)
    return await run_in_threadpool(edit_draft, services, principal.user, draft_id, body, client)


@router.post("/api/drafts/{draft_id:int}/submit", tags=["drafts"], response_model=DraftOut)
async def submit(
    draft_id: RowId, request: Request, principal: DraftWriter, services: ServicesDep
) -> dict[str, Any]:
    """Send the draft to review."""
    view = await run_in_threadpool(
        services.drafts.submit, principal.user, draft_id, client_of(request)
    )
    return view.to_dict()


@dataclass
class Review:
    """An approver's review of one version of a draft."""

    services: Services
    user: User
    draft_id: int
    body: ReviewIn
    client: str | None


def _review(
    draft_id: RowId, body: ReviewIn, request: Request, principal: DraftApprover,
    services: ServicesDep,
) -> Review:  # fmt: skip
    return Review(services, principal.user, draft_id, body, client_of(request))


ReviewDep = Annotated[Review, Depends(_review)]


@router.post("/api/drafts/{draft_id:int}/approve", tags=["drafts"], response_model=DraftOut)
async def approve(review: ReviewDep) -> dict[str, Any]:
    """Approve the version read (not one's own draft; warnings acknowledged; each fidelity
    warning resolved by its id)."""
    body = review.body
    view = await run_in_threadpool(
        review.services.drafts.approve,
        review.user,
        review.draft_id,
        body.version,
        body.comment,
        body.acknowledge,
        review.client,
        body.resolved,
    )
    return view.to_dict()


@router.post("/api/drafts/{draft_id:int}/reject", tags=["drafts"], response_model=DraftOut)
async def reject(review: ReviewDep) -> dict[str, Any]:
    """Send the draft back, saying what to change."""
    body = review.body
    view = await run_in_threadpool(
        review.services.drafts.reject, review.user, review.draft_id, body.version, body.comment,
        review.client,
    )  # fmt: skip
    return view.to_dict()


@router.post(
    "/api/drafts/{draft_id:int}/export", tags=["drafts"],
    responses={200: {"content": {"application/json": {}, "text/markdown": {}}}},
)  # fmt: skip
async def export(
    draft_id: RowId,
    body: ExportIn,
    request: Request,
    principal: DraftWriter,
    services: ServicesDep,
) -> Response:
    """The approved text as JSON or Markdown, to publish by hand."""
    content, media_type, name = await run_in_threadpool(
        export_draft, services, principal.user, draft_id, body.format, client_of(request)
    )
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(content, media_type=media_type, headers=headers)


@router.post("/api/drafts/count", tags=["drafts"], response_model=LengthOut)
def count(body: CountIn, principal: DraftWriter, services: ServicesDep) -> dict[str, Any]:
    """Count text as the platform does (the editor's live count)."""
    return length_report(services.drafter_platform(body.platform), body.text)


@router.get("/api/platforms", tags=["drafts"], response_model=PlatformsOut)
def platforms(principal: DraftWriter, services: ServicesDep) -> dict[str, Any]:
    """The platform profiles: limits, counting rules, hashtag conventions."""
    return {"platforms": [services.drafter_platform(n).to_dict() for n in PLATFORM_NAMES]}
