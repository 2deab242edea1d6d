"""The Library: every document the reader may see, filtered and paged, each opening in a
reading view (its Markdown rendered, hard line breaks reflowed, nothing from the document
able to run in the page), with its source, language, clearance and versions; and the
upload form for analysts (`POST /api/ingest`, with the session's CSRF token)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from pydantic import StringConstraints
from starlette.concurrency import run_in_threadpool

from assistant.core.clearance import readable_levels
from assistant.core.errors import NotFoundError
from assistant.web.auth import Principal, Reader, ServicesDep
from assistant.web.contracts import (
    API_ERRORS,
    ContractRoute,
    Kind,
    Language,
    ReadingOut,
    Since,
    Until,
)
from assistant.web.pages import page
from assistant.web.services import Services
from corpus.contracts import DocumentsOut
from corpus.document import Document, http_url
from corpus.registry import DocFilters
from corpus.speakers import speaker_label, speaker_of

router = APIRouter(responses=API_ERRORS, route_class=ContractRoute)
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
SourceName = Annotated[str | None, Query(max_length=300)]
Speaker = Annotated[str | None, Query(pattern=r"^(|[A-Za-z]{3}|@[\w.-]{1,64})$")]
DocId = Annotated[str, PathParam(pattern=r"^doc_[0-9a-f]{6,64}$")]
Mark = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,9}-[0-9]{1,9}$")]
Marks = Annotated[
    list[Mark], Query(max_length=20, description="Character ranges to highlight: START-END")
]


def _summary(doc: Document) -> dict[str, Any]:
    return {
        "doc_id": doc.doc_id, "title": doc.title, "kind": doc.kind, "source": doc.source,
        "author": doc.author, "platform": doc.platform, "language": doc.language,
        "published_at": doc.published_at.isoformat() if doc.published_at else None,
        "clearance": doc.clearance, "url": http_url(doc.url),
        "countries": doc.countries_mentioned[:6], "chars": len(doc.text),
        "collected_from": doc.metadata.get("collected_from"), "duplicate_of": doc.duplicate_of,
        "speaker": speaker_of(doc),
    }  # fmt: skip


def _listing(
    services: Services, principal: Principal, params: dict[str, Any], limit: int, offset: int
) -> dict[str, Any]:
    since, until = _day_range(params.pop("since"), params.pop("until"))
    filters = DocFilters(
        kind=params["kind"] or None, language=params["language"] or None,
        source=params["source"] or None, since=since, until=until, include_duplicates=True,
        speaker=_speaker(params["speaker"]),
    )  # fmt: skip
    levels = readable_levels(principal.user.clearance)
    documents = services.registry.documents(filters, limit, offset, clearance_levels=levels)
    return DocumentsOut.shape({"documents": [_summary(d) for d in documents], "limit": limit,
                               "offset": offset})  # fmt: skip


def _speaker(value: str | None) -> str | None:
    return value if not value or value.startswith("@") else value.upper()


def _day_range(since: str | None, until: str | None) -> tuple[int | None, int | None]:
    """``since`` (30d, 2w or a date) and ``until`` (a date) as YYYYMMDD bounds."""
    from assistant.monitoring.service import end_of_day, parse_since

    until_ts = end_of_day(until) if until else int(time.time())
    since_day = _day(parse_since(since, until_ts)) if since else None
    return since_day, (_day(until_ts - 1) if until else None)


def _day(ts: int) -> int:
    return int(datetime.fromtimestamp(ts, UTC).strftime("%Y%m%d"))


@router.get("/api/docs", tags=["documents"], response_model=DocumentsOut)
async def documents_api(
    principal: Reader, services: ServicesDep, kind: Kind = None, lang: Language = None,
    source: SourceName = None, since: Since = None, until: Until = None, limit: Limit = 50,
    offset: Offset = 0, speaker: Speaker = None,
) -> dict[str, Any]:  # fmt: skip
    """Documents the caller may see, newest first, without their text (the Library's JSON);
    ``speaker``: only those it speaks in (alpha-3 code or @handle)."""
    params = {"kind": kind, "language": lang, "source": source, "since": since, "until": until,
              "speaker": speaker}  # fmt: skip
    return await run_in_threadpool(_listing, services, principal, params, limit, offset)


@router.get("/library", response_class=HTMLResponse)
async def library_page(
    request: Request, principal: Reader, services: ServicesDep, kind: Kind = None,
    lang: Language = None, source: SourceName = None, since: Since = None,
    until: Until = None, offset: Offset = 0, speaker: Speaker = None,
) -> Response:  # fmt: skip
    """Browse and filter the corpus; analysts also upload files here."""
    params = {"kind": kind, "language": lang, "source": source, "since": since, "until": until,
              "speaker": speaker}  # fmt: skip
    listing = await run_in_threadpool(_listing, services, principal, dict(params), 50, offset)
    shown = {("lang" if k == "language" else k): v for k, v in params.items() if v}
    context = {"user": principal.user, "documents": listing["documents"], "params": params,
               "offset": offset, "csrf_token": principal.csrf_token or "",
               "newer": urlencode({**shown, "offset": max(offset - 50, 0)}),
               "older": urlencode({**shown, "offset": offset + 50}),
               "upload": principal.user.can("ingest"),
               "clearances": readable_levels(principal.user.clearance)}  # fmt: skip
    return page(request, "library.html.j2", context)


def _readable(services: Services, principal: Principal, doc_id: str) -> Document:
    doc = services.registry.get(doc_id)
    if doc is None or doc.clearance not in readable_levels(principal.user.clearance):
        raise NotFoundError(f"no document {doc_id!r}", fix="open it from the Library")
    return doc


@router.get("/library/{doc_id}", response_class=HTMLResponse)
async def document_page(
    request: Request, doc_id: DocId, principal: Reader, services: ServicesDep
) -> Response:
    """One document to read: its text rendered safely, its metadata and versions."""
    from assistant.web.reading import render_text

    doc = await run_in_threadpool(_readable, services, principal, doc_id)
    versions = await run_in_threadpool(services.registry.versions, doc_id)
    summary = _summary(doc)
    speaker = speaker_label(summary["speaker"]) if summary["speaker"] else None
    context = {"user": principal.user, "doc": summary, "body": render_text(doc.text),
               "versions": versions, "author": doc.author, "speaker": speaker}  # fmt: skip
    return page(request, "document.html.j2", context)


@router.get("/api/docs/{doc_id}/reading", tags=["documents"], response_model=ReadingOut)
async def reading_api(
    doc_id: DocId,
    principal: Reader,
    services: ServicesDep,
    mark: Marks = [],  # noqa: B006
) -> dict[str, Any]:
    """A document's text as safe HTML for the source viewer: its Markdown rendered, hard
    line breaks reflowed, the cited ranges (``mark=START-END``, code points) highlighted."""
    from assistant.web.reading import render_text

    ranges = [(int(a), int(b)) for a, b in (value.split("-") for value in mark)]  # empty: none
    doc = await run_in_threadpool(_readable, services, principal, doc_id)
    return {"doc_id": doc.doc_id, "html": await run_in_threadpool(render_text, doc.text, ranges)}
