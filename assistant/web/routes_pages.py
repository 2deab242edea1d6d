"""Server-rendered pages: sign-in, the chat, the API reference; and `/healthz`."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from assistant import __version__
from assistant.accounts.accounts import MIN_PASSWORD, AccountLockedError
from assistant.core.errors import AuthError, InputError, RateLimitedError
from assistant.web.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    CurrentUser,
    Principal,
    ServicesDep,
    client_of,
    signer,
)
from assistant.web.contracts import HealthOut
from assistant.web.guards import RateLimiter
from assistant.web.health import HEALTHY
from assistant.web.pages import page
from assistant.web.services import Services
from corpus.document import CLEARANCES, KINDS

router = APIRouter(include_in_schema=False)


@router.get("/healthz", include_in_schema=True, tags=["health"], response_model=HealthOut)
def healthz(services: ServicesDep) -> dict[str, Any]:
    """Liveness, load and each part's state, without authentication (nothing private)."""
    parts = services.health_of_parts()
    status = "ok" if all(v in HEALTHY for k, v in parts.items() if k != "model") else "degraded"
    licences, calibration = services.licence_counts()
    return {
        "status": status,
        "version": __version__,
        "model_loaded": services.engine_loaded(),
        "generation": services.gate.stats(),
        "parts": parts,
        "workers": services.settings.web_workers,
        "licences": licences,
        "calibration": calibration,
    }


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None, error: str | None = None) -> Response:
    token = secrets.token_urlsafe(32)
    response = page(
        request, "login.html.j2",
        {"csrf_token": token, "next": _safe_next(next), "error": error},
    )  # fmt: skip
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login",
        secure=request.app.state.services.settings.secure_cookies,
    )  # fmt: skip
    return response


@router.post("/login")
async def login(
    request: Request,
    services: ServicesDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=100)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    """Check the password (argon2id); start a session (HttpOnly, SameSite=Lax cookie).

    Failed attempts per user name and address are rate-limited (429 + Retry-After)."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, csrf_token):
        raise AuthError("the sign-in form expired or was not sent from this site", fix="reload")
    charged = _charge_login(services, username, client_of(request))
    ceiling = services.settings.rate.login_ceiling
    try:
        user = await run_in_threadpool(services.accounts.authenticate, username, password, ceiling)
    except AccountLockedError:
        services.audit.record(username, "login_locked", None, {}, client_of(request))
        return RedirectResponse(f"/login?error=locked&next={_safe_next(next)}", status_code=303)
    except AuthError:
        services.audit.record(username, "login_failed", None, {}, client_of(request))
        return RedirectResponse(f"/login?error=1&next={_safe_next(next)}", status_code=303)
    for limiter, key in charged:  # only failed attempts count against the limits
        limiter.refund(key)
    session_id, _ = services.accounts.open_session(user, services.settings.session_hours)
    services.audit.record(user.username, "login", None, {}, client_of(request))
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE, signer(services).sign(session_id).decode(), httponly=True,
        samesite="lax", secure=services.settings.secure_cookies,
        max_age=int(services.settings.session_hours * 3600),
    )  # fmt: skip
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


def _charge_login(
    services: Services, username: str, client: str | None
) -> list[tuple[RateLimiter, str]]:
    """Charge the attempt to its user name and its address *before* the password is
    checked, so parallel attempts cannot all pass a check made before any was counted."""
    charged: list[tuple[RateLimiter, str]] = []
    address = client or "?"
    keys = (
        (services.login_limit, f"name:{username.casefold()}|{address}"),
        (services.login_address_limit, f"address:{address}"),
    )
    try:
        for limiter, key in keys:
            limiter.check(key)
            charged.append((limiter, key))
    except RateLimitedError:
        for limiter, key in charged:
            limiter.refund(key)
        raise
    return charged


@router.post("/logout")
def logout(request: Request, principal: CurrentUser, services: ServicesDep) -> Response:
    if principal.session_id:
        services.accounts.close_session(principal.session_id)
    services.audit.record(principal.user.username, "logout", None, {}, client_of(request))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/account/password", response_class=HTMLResponse)
def password_page(request: Request, principal: CurrentUser, done: bool = False) -> Response:
    """The form to change one's own password."""
    return _password_form(request, principal, None, done)


@router.post("/account/password", response_class=HTMLResponse)
async def change_password(
    request: Request,
    principal: CurrentUser,
    services: ServicesDep,
    current: Annotated[str, Form(max_length=1024)],
    new: Annotated[str, Form(max_length=1024)],
) -> Response:
    """Check the current password (charged to the sign-in limits), set the new one, end
    the user's other sessions; audited."""
    user = principal.user
    charged = _charge_login(services, user.username, client_of(request))
    try:
        await run_in_threadpool(services.accounts.change_own_password, user.username, current,
                                new, principal.session_id)  # fmt: skip
    except AuthError:
        services.audit.record(user.username, "password_change_failed", None, {},
                              client_of(request))  # fmt: skip
        return _password_form(request, principal, "The current password is wrong.", False, 400)
    except InputError as exc:
        return _password_form(request, principal, exc.message, False, 400)
    for limiter, key in charged:
        limiter.refund(key)
    services.audit.record(user.username, "password_change", user.username, {},
                          client_of(request))  # fmt: skip
    return RedirectResponse("/account/password?done=true", status_code=303)


def _password_form(
    request: Request, principal: Principal, error: str | None, done: bool, status: int = 200
) -> Response:
    return page(
        request, "password.html.j2",
        {"user": principal.user, "csrf_token": principal.csrf_token or "", "error": error,
         "done": done, "min_length": MIN_PASSWORD},
        status_code=status,
    )  # fmt: skip


@router.get("/", response_class=HTMLResponse)
def chat_page(request: Request, principal: CurrentUser, services: ServicesDep) -> Response:
    """The analysts' chat: conversations, filters, streamed answers, the source viewer, and
    example questions drawn from the corpus while the chat is empty."""
    languages = {"": "same as question", "en": "English", "zh": "中文", "es": "Español",
                 "fr": "Français", "ru": "Русский", "ar": "العربية"}  # fmt: skip
    return page(
        request, "chat.html.j2",
        {"user": principal.user, "csrf_token": principal.csrf_token or "", "kinds": KINDS,
         "clearances": CLEARANCES, "languages": languages,
         "examples": services.example_questions(principal.user.clearance)},
    )  # fmt: skip


@router.get("/openapi.json")
def openapi(request: Request, principal: CurrentUser) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs", response_class=HTMLResponse)
def api_docs(principal: CurrentUser) -> HTMLResponse:
    """Swagger UI, served from the package (no CDN: the product runs offline)."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json", title="Dragoman API",
        swagger_js_url="/static/vendor/swagger-ui-bundle.js",
        swagger_css_url="/static/vendor/swagger-ui.css",
        swagger_favicon_url="/static/vendor/favicon.png",
    )  # fmt: skip
