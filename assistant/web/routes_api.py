"""The JSON API, mirroring the CLI: ask, search, documents, ingest, audit, users."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from assistant.accounts.accounts import User
from assistant.accounts.contracts import AuditOut, MeOut, UserOut, UsersOut
from assistant.answering.contracts import ConversationAnswerOut
from assistant.collection.contracts import UploadsOut
from assistant.core.clearance import clearance_level
from assistant.core.errors import NotFoundError
from assistant.grounding.stages import Turn
from assistant.web.asking import SPEAKER_PATTERN, AskIn, AskJob, FiltersIn
from assistant.web.auth import (
    Admin,
    Asker,
    Auditor,
    CurrentUser,
    Ingester,
    Reader,
    Searcher,
    ServicesDep,
    client_of,
    readable_by,
)
from assistant.web.contracts import API_ERRORS, ContractRoute, not_null
from assistant.web.services import Services
from assistant.web.uploads import Upload, UploadOptions, ingest_uploads
from corpus.document import Document, http_url
from retrieval.contracts import SearchOut

router = APIRouter(prefix="/api", responses=API_ERRORS, route_class=ContractRoute)
LANG_OR_EMPTY = r"^([a-z]{2,3})?$"
STREAM_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


@router.get("/me", tags=["accounts"], response_model=MeOut)
def me(principal: CurrentUser) -> dict[str, Any]:
    """The signed-in user, with role, clearance and permissions."""
    data = principal.user.to_dict()
    data["csrf_token"] = principal.csrf_token
    return data


# One server-sent event as a client reads it: its name and its JSON data (a string).
SSE_EVENT = {
    "type": "object",
    "properties": {
        "event": {"enum": ["queued", "start", "evidence", "token", "result", "error"]},
        "data": {"type": "string", "contentMediaType": "application/json"},
    },
    "required": ["event", "data"],
}


@router.post(
    "/ask",
    tags=["answers"],
    response_model=None,
    responses={
        200: {
            "model": ConversationAnswerOut,
            "content": {"text/event-stream": {"schema": SSE_EVENT}},
        }
    },
)
async def ask(
    body: AskIn, request: Request, principal: Asker, services: ServicesDep
) -> StreamingResponse | dict[str, Any]:
    """Answer from the corpus within the caller's clearance, with verified citations.

    ``stream: true`` (or ``Accept: text/event-stream``) answers with server-sent events:
    ``queued``, ``start``, ``token`` (the draft), then ``result`` (verified) or ``error``.
    A full generation queue answers 503 with Retry-After before anything starts."""
    user = principal.user
    body.filters.to_filters()  # a period ending before it starts: 422, before anything is stored
    services.ask_limit.check(user.username)
    ticket = services.gate.admit()  # a full queue answers 503 before anything is stored
    try:
        conversation, turns = await run_in_threadpool(
            _conversation_for, services, user, body, client_of(request)
        )
    except BaseException:  # a 404, a store failure or a cancelled request: give the place back
        ticket.cancel()
        raise
    job = AskJob(services, user, body, conversation, turns, ticket)
    if body.stream or "text/event-stream" in request.headers.get("accept", ""):
        return StreamingResponse(
            job.start_stream(), media_type="text/event-stream", headers=STREAM_HEADERS
        )
    return await run_in_threadpool(job.run_blocking)


def _conversation_for(
    services: Services, user: User, body: AskIn, client: str | None
) -> tuple[str, list[Turn]]:
    """The conversation the question goes to (a new one unless given) and its last turns;
    the question is audited."""
    conversation = services.history.ensure(user.id, body.conversation_id, body.question)
    services.audit.record(
        user.username, "ask", conversation,
        {"question": body.question, "filters": body.filters.model_dump(exclude_none=True)},
        client,
    )  # fmt: skip
    readable = readable_by(services, user.clearance)
    return conversation, services.history.turns(user.id, conversation, readable)


@router.get("/search", tags=["search"], response_model=SearchOut)
async def search(
    principal: Searcher,
    services: ServicesDep,
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=2000)],
    k: Annotated[int, Query(ge=1, le=50)] = 10,
    mode: Literal["hybrid", "dense", "lexical"] = "hybrid",
    kind: Literal["news", "social", "policy"] | None = None,
    language: Annotated[str | None, Query(pattern=r"^[a-z]{2,3}$")] = None,
    country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{3}$")] = None,
    speaker: Annotated[str | None, Query(pattern=SPEAKER_PATTERN)] = None,
    source: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> dict[str, Any]:
    """Hybrid search over the chunks the caller's clearance allows (`dragoman search`)."""
    filters = FiltersIn(
        kind=kind, language=language, country=country, speaker=speaker, source=source,
        since=since, until=until,
    ).to_filters()  # fmt: skip
    user = principal.user
    results = await anyio.to_thread.run_sync(
        lambda: services.search().search(q, clearance=user.clearance, k=k, filters=filters,
                                         mode=mode),
        limiter=services.search_limiter(),
    )  # fmt: skip
    await run_in_threadpool(
        services.audit.record, user.username, "search", None, {"query": q}, client_of(request)
    )
    return {"query": q, "results": [r.to_dict() for r in results]}


@router.get("/docs/{doc_id}", tags=["documents"], response_model=Document)
def document(doc_id: str, principal: Reader, services: ServicesDep) -> dict[str, Any]:
    """One document with its full text — or 404, also when it is above the caller's clearance."""
    doc = services.registry.get(doc_id)
    allowed = clearance_level(principal.user.clearance)
    if doc is None or clearance_level(doc.clearance) > allowed:
        raise NotFoundError(f"no document {doc_id!r}")
    return {**doc.model_dump(mode="json"), "url": http_url(doc.url)}


@router.post("/ingest", tags=["documents"], response_model=UploadsOut)
def ingest(
    principal: Ingester,
    services: ServicesDep,
    request: Request,
    files: Annotated[
        list[UploadFile], File(min_length=1, description="Files or archives to ingest")
    ],
    kind: Annotated[
        Literal["news", "social", "policy"] | None, Form(json_schema_extra=not_null)
    ] = None,
    source: Annotated[str | None, Form(max_length=300, json_schema_extra=not_null)] = None,
    clearance: Annotated[Literal["public", "internal", "restricted"], Form()] = "public",
    lang: Annotated[str | None, Form(pattern=LANG_OR_EMPTY, json_schema_extra=not_null)] = None,
) -> dict[str, Any]:
    """Upload files into the corpus (as `dragoman ingest`); one result per file."""
    uploads = [Upload(f.filename or "upload", f.file.read()) for f in files]
    options = UploadOptions(kind=kind, source=source or None, clearance=clearance, language=lang)
    report = ingest_uploads(services, principal.user, uploads, options)
    services.audit.record(
        principal.user.username, "ingest", None,
        {"files": report["files"], "clearance": clearance}, client_of(request),
    )  # fmt: skip
    return report


@router.get("/audit", tags=["admin"], response_model=AuditOut)
def audit(
    principal: Auditor,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    actor: str | None = None,
    action: str | None = None,
) -> dict[str, Any]:
    """The newest audit entries, and whether the hash chain is intact."""
    return {
        "entries": services.audit.entries(limit, actor, action),
        "chain": services.audit.verify_chain().to_dict(),
    }


@router.get("/users", tags=["admin"], response_model=UsersOut)
def users(principal: Admin, services: ServicesDep) -> dict[str, Any]:
    """Every account (`dragoman users list`)."""
    return {"users": [u.to_dict() for u in services.accounts.all_users()]}


@router.post("/users/{username}/unlock", tags=["admin"], response_model=UserOut)
def unlock_user(
    username: Annotated[str, PathParam(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")],
    principal: Admin,
    services: ServicesDep,
    request: Request,
) -> dict[str, Any]:
    """Lift the lock of an account locked after too many failed sign-ins (audited)."""
    user = services.accounts.unlock(username)
    services.audit.record(principal.user.username, "user_unlock", username, {}, client_of(request))
    return user.to_dict()
