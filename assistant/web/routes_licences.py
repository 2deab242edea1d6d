"""What each label rests on: `GET /api/licences` and the Labels page (every reader may see
what the labels they read were measured to be; administrators also see a failed
calibration's error and may start one)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from assistant.core.errors import ConflictError
from assistant.licensing.contracts import CalibrationStateOut, LicencesOut
from assistant.web.auth import Admin, Reader, ServicesDep
from assistant.web.contracts import API_ERRORS, CONFLICT, ContractRoute
from assistant.web.pages import page

router = APIRouter(responses=API_ERRORS, route_class=ContractRoute)


@router.get("/api/licences", response_model=LicencesOut)
async def licences_api(principal: Reader, services: ServicesDep) -> dict[str, Any]:
    """Every label kind's licence for this server's model, judge and sentiment head."""
    admin = principal.user.can("manage_users")
    return await run_in_threadpool(services.licences_view, admin)


@router.get("/licences", response_class=HTMLResponse)
async def licences_page(request: Request, principal: Reader, services: ServicesDep) -> Response:
    admin = principal.user.can("manage_users")
    view = await run_in_threadpool(services.licences_view, admin)
    context = {"user": principal.user, "view": view, "admin": admin}
    context["csrf_token"] = principal.csrf_token or ""
    return page(request, "licences.html.j2", context)


@router.post(
    "/api/licences/calibrate",
    response_model=CalibrationStateOut,
    status_code=202,
    responses=CONFLICT,
)
async def calibrate_api(principal: Admin, services: ServicesDep) -> dict[str, Any]:
    """Start `dragoman calibrate` for this server's backend in the background (409 while
    one runs); the labels licence themselves when it ends."""
    if not services.settings.calibrate_on_first_use:
        raise ConflictError(
            "calibration in the background is off here (DRAGOMAN_CALIBRATE_ON_FIRST_USE=false)",
            fix=f"dragoman calibrate --backend {services.backend} on the server",
        )
    calibration = services.background_calibration
    started = await run_in_threadpool(
        calibration.start, services.backend, services.settings.calibrate_limit
    )
    if not started:
        raise ConflictError("a calibration is running", fix="GET /api/licences for its state")
    services.audit.record(principal.user.username, "calibrate", services.backend, {})
    return CalibrationStateOut.shape(calibration.state())
