"""The web application: FastAPI + Jinja2, server-rendered, a little vanilla JS for streaming.

Errors from the one exception tree become HTTP responses here, and only here:
``{"error", "message", "fix"}`` with the error's status (plus ``Retry-After`` for 429 and
503).  A browser page request without a session is sent to the sign-in page instead.

Public without a session: ``/healthz``, the sign-in form and the static assets (CSS, JS;
no data).  Every other route authenticates.
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant import __version__
from assistant.core.errors import AuthError, BusyError, DragomanError, PermissionDeniedError
from assistant.core.redact import install_log_scrubber
from assistant.core.settings import Settings, load_settings
from assistant.web import routes_api as api
from assistant.web import routes_briefings as briefings
from assistant.web import routes_drafts as drafts
from assistant.web import routes_history as history
from assistant.web import routes_library as library
from assistant.web import routes_licences as licences
from assistant.web import routes_monitor as monitor
from assistant.web import routes_pages as pages
from assistant.web import routes_positions as positions
from assistant.web import routes_sources as sources
from assistant.web.contracts import errors_as_json, validation_error_body
from assistant.web.guards import BodyLimitMiddleware
from assistant.web.pages import page
from assistant.web.services import Services

# every router of the app, in the order they are matched
ROUTE_MODULES = (
    pages,
    api,
    history,
    briefings,
    drafts,
    monitor,
    sources,
    library,
    positions,
    licences,
)

HERE = Path(__file__).resolve().parent
PUBLIC_PATHS = ("/healthz", "/login", "/static/")
_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'"
)
_CSP_DOCS = _CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")


def _mount(app: FastAPI) -> None:
    """Templates, static files and every router."""
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["j2"]),
        undefined=StrictUndefined,
    )  # fmt: skip
    app.state.templates = Jinja2Templates(env=env)
    app.mount("/static/vendor", StaticFiles(directory=_swagger_assets()), name="vendor")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in ROUTE_MODULES:
        app.include_router(module.router)


def create_app(
    settings: Settings | None = None,
    backend: str | None = None,
    *,
    warm_up: bool = False,
    schedule: bool = False,
) -> FastAPI:
    """The app for ``settings`` (default: from the environment) and an LLM backend spec.

    ``warm_up`` opens the embedder, indexes and model in the background at start-up, so
    the first question does not pay for it; ``schedule`` runs the configured briefings
    (`dragoman serve` does both)."""
    settings = settings or load_settings()
    install_log_scrubber(settings.secrets())  # no secret in any log line the server writes
    services = Services(settings, backend)
    if schedule:
        from assistant.briefing.schedule import parse_schedules

        parse_schedules(settings)  # refuse a bad schedule before serving

    lifespan = _lifespan(settings, services, warm_up=warm_up, schedule=schedule)
    app = FastAPI(
        lifespan=lifespan,
        title="Dragoman", version=__version__, docs_url=None, redoc_url=None, openapi_url=None,
        description="Cited, verified answers from a multilingual corpus, for diplomatic "
        "analysts. Authenticate with a session cookie or `Authorization: Bearer <token>`.",
    )  # fmt: skip
    app.state.services = services
    _mount(app)
    build_openapi = app.openapi
    app.openapi = lambda: errors_as_json(build_openapi())  # type: ignore[method-assign]
    _install_error_handlers(app)
    app.add_middleware(SecurityHeaders)
    upload_limit = settings.max_upload_mb * 1024 * 1024
    request_limit = settings.max_request_kb * 1024
    app.add_middleware(
        BodyLimitMiddleware,
        limit_for=lambda path: upload_limit if path == "/api/ingest" else request_limit,
    )
    return app


def _lifespan(
    settings: Settings, services: Services, *, warm_up: bool, schedule: bool
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start-up and shutdown: warm the components up; run the briefings' and the
    collection's schedules while serving."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        running: list[Any] = []
        if warm_up:
            threading.Thread(target=services.warm_up, name="dragoman-warm-up", daemon=True).start()
        if schedule:  # a backend without records calibrates itself in the background
            threading.Thread(
                target=services.calibrate_if_unmeasured, name="dragoman-calibrate", daemon=True
            ).start()
            from assistant.briefing.schedule import start_scheduler
            from assistant.collection.schedule import start_collection

            running.append(
                start_scheduler(
                    settings, services.briefer, services.record_system, services.claim_run
                )
            )
            running.append(start_collection(
                services.collector(record=services.record_system),
                settings.collect.tick_s,
                services.leads_collection,
                services.fill_rerank if settings.rerank_embedder else None,
            ))  # fmt: skip
        yield
        services.background_calibration.stop()
        for scheduler in running:
            if scheduler is not None:
                scheduler.shutdown(wait=False)

    return lifespan


def app_from_environment() -> FastAPI:
    """The app of one worker of `dragoman serve --workers N` (uvicorn imports it by name in
    each worker process; settings come from the environment the command set)."""
    backend = os.environ.get("DRAGOMAN_SERVE_BACKEND") or None
    return create_app(load_settings(), backend, warm_up=True, schedule=True)


def _swagger_assets() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).resolve().parent / "static"


def _wants_page(request: Request) -> bool:
    return (
        request.method == "GET"
        and not request.url.path.startswith("/api/")
        and "text/html" in request.headers.get("accept", "")
    )


TITLES = {400: "Not understood", 401: "Sign-in needed", 403: "Not allowed", 404: "Not found",
          405: "Not allowed here", 409: "Conflict", 413: "Too large", 422: "Not understood",
          429: "Too many requests", 503: "Busy"}  # fmt: skip


def error_page(request: Request, status: int, body: dict[str, Any]) -> Response:
    """An error as a page, for a browser that asked for one (escaped like every page)."""
    context = {"status": status, "title": TITLES.get(status, "Something went wrong"),
               "message": body.get("message") or "", "fix": body.get("fix")}  # fmt: skip
    return page(request, "error.html.j2", context, status_code=status)


def error_response(exc: DragomanError) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, BusyError) else None
    return JSONResponse(exc.to_dict(), status_code=exc.http_status, headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DragomanError)
    async def dragoman_error(request: Request, exc: DragomanError) -> Response:
        signed_out = isinstance(exc, AuthError) and not isinstance(exc, PermissionDeniedError)
        if signed_out and _wants_page(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        if _wants_page(request):
            return error_page(request, exc.http_status, exc.to_dict())
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        body = validation_error_body(request, exc.errors())
        if _wants_page(request):
            return error_page(request, 422, body)
        return JSONResponse(body, status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        name = {404: "NotFoundError", 405: "InputError", 413: "RequestTooLargeError"}
        body = {"error": name.get(exc.status_code, "HTTPError"), "message": str(exc.detail),
                "fix": None}  # fmt: skip
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(app, request.scope))
        if _wants_page(request) and exc.status_code != 405:
            return error_page(request, exc.status_code, body)
        return JSONResponse(body, status_code=exc.status_code, headers=headers)


def _allowed_methods(app: FastAPI, scope: Scope) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    return [
        method
        for method in ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")
        if any(r.matches({**scope, "method": method})[0] is Match.FULL for r in app.router.routes)
    ]


class SecurityHeaders:
    """Conservative browser security headers on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = _CSP_DOCS if scope["path"] == "/docs" else _CSP

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", csp.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
