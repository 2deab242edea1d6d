"""The Positions page and `POST /api/positions`: each speaker's stance on a topic."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from assistant.positions import PositionsRequest
from assistant.positions.contracts import PositionsOut
from assistant.web.asking import SPEAKER_PATTERN
from assistant.web.auth import Asker, ServicesDep, client_of
from assistant.web.contracts import API_ERRORS, BodyDate, ContractRoute, check_period
from assistant.web.pages import page
from corpus.registry import DocFilters

router = APIRouter(responses=API_ERRORS, route_class=ContractRoute)
WEB_SPEAKERS = 20  # speakers in one web request: it holds the model's turn (≈ 5 s each)


class PositionsIn(BaseModel):
    topic: str = Field(min_length=1, max_length=200)
    speakers: list[Annotated[str, Field(pattern=SPEAKER_PATTERN)]] | None = Field(
        default=None, min_length=1, max_length=WEB_SPEAKERS,
        description="Alpha-3 codes or @handles; none: every speaker of the period (at most 20)",
    )  # fmt: skip
    since: BodyDate | None = None
    until: BodyDate | None = None
    kind: Literal["news", "social", "policy"] | None = None
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}$", description="Your language")
    quotes: int = Field(default=3, ge=1, le=3)

    def to_request(self, clearance: str) -> PositionsRequest:
        check_period(self.since, self.until)
        speakers = [s if s.startswith("@") else s.upper() for s in self.speakers or []]
        filters = DocFilters(kind=self.kind, since=_day(self.since), until=_day(self.until))
        return PositionsRequest(self.topic, speakers or None, filters, self.language,
                                clearance, self.quotes)  # fmt: skip


def _day(value: date | None) -> int | None:
    return int(value.strftime("%Y%m%d")) if value else None


@router.get("/positions", response_class=HTMLResponse)
async def positions_page(request: Request, principal: Asker) -> Response:
    """Ask for positions on a topic; the answer is drawn by `/static/positions.js`."""
    context = {"user": principal.user, "csrf_token": principal.csrf_token}
    return page(request, "positions.html.j2", context)


@router.post("/api/positions", tags=["positions"], response_model=PositionsOut)
async def positions_api(
    body: PositionsIn, request: Request, principal: Asker, services: ServicesDep
) -> dict[str, Any]:
    """Each speaker's stance on ``topic`` within the caller's clearance: a summary verified
    against 1–3 verbatim quotes (takes a turn in the generation queue)."""
    user = principal.user
    services.ask_limit.check(user.username)
    positions_request = body.to_request(user.clearance).checked()
    ticket = services.gate.admit()
    try:
        services.audit.record(user.username, "positions", body.topic,
                              body.model_dump(mode="json", exclude_none=True),
                              client_of(request))  # fmt: skip
        engine = services.positions()
        return await run_in_threadpool(
            ticket.run,
            lambda: engine.run(
                positions_request, max_speakers=WEB_SPEAKERS, requested_by=user.username
            ),
        )
    finally:
        ticket.cancel()  # a no-op once it ran; frees the place when it never did


@router.get(
    "/api/positions/{run_id}/export", tags=["positions"],
    responses={200: {"content": {"text/markdown": {}, "text/csv": {}}}},
)  # fmt: skip
async def positions_export(
    run_id: Annotated[str, Path(pattern=r"^\d{8}T\d{6}-[0-9a-f]{8}$")],
    principal: Asker,
    services: ServicesDep,
    format: Literal["md", "csv"] = "md",
) -> Response:
    """Positions you asked for, as Markdown or CSV (quotes from documents you may no
    longer read are left out)."""
    from assistant.positions import to_csv, to_markdown

    user = principal.user
    report = await run_in_threadpool(
        services.positions().saved, run_id, user.username, user.clearance
    )
    text = to_csv(report) if format == "csv" else to_markdown(report)
    media = "text/csv" if format == "csv" else "text/markdown"
    disposition = f'attachment; filename="positions-{run_id}.{format}"'
    return Response(text, media_type=f"{media}; charset=utf-8",
                    headers={"Content-Disposition": disposition})  # fmt: skip
