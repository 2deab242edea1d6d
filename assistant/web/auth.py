"""Authentication for every route: session cookie (browser) or bearer API token (scripts).

Browser requests that change state must also carry the session's CSRF token, in the
``X-CSRF-Token`` header (fetch) or a ``csrf_token`` form field; token-authenticated
requests carry no ambient credentials and need none.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from itsdangerous import BadSignature, TimestampSigner
from starlette.concurrency import run_in_threadpool

from assistant.accounts.accounts import User
from assistant.answering.history import Readable
from assistant.core.clearance import readable_levels
from assistant.core.errors import AuthError, PermissionDeniedError
from assistant.web.services import Services

SESSION_COOKIE = "dragoman_session"
LOGIN_CSRF_COOKIE = "dragoman_login_csrf"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_TYPE = "application/x-www-form-urlencoded"


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


@dataclass(frozen=True)
class Principal:
    """Who is calling, and how they proved it."""

    user: User
    via: str  # "session" | "token"
    csrf_token: str | None = None
    session_id: str | None = None


def signer(services: Services) -> TimestampSigner:
    secret = services.settings.secret_key.get_secret_value()
    return TimestampSigner(secret, salt="dragoman-session")


def client_of(request: Request) -> str | None:
    return request.client.host if request.client else None


def _session_id(request: Request, services: Services) -> str | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    max_age = int(services.settings.session_hours * 3600)
    try:
        return signer(services).unsign(cookie, max_age=max_age).decode()
    except BadSignature:
        return None


def _authenticate(request: Request, services: Services) -> Principal:
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        user = services.accounts.token_user(token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise AuthError("invalid, revoked or unknown API token", fix="dragoman users token")
        return Principal(user, "token")
    session_id = _session_id(request, services)
    session = services.accounts.session_user(session_id) if session_id else None
    if session is None:
        raise AuthError("not signed in, or the session has expired", fix="sign in at /login")
    return Principal(session.user, "session", session.csrf_token, session_id)


async def _csrf_sent(request: Request) -> str:
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and request.headers.get("content-type", "").startswith(FORM_TYPE):
        sent = str((await request.form()).get("csrf_token", ""))
    return sent


async def current_principal(request: Request, services: ServicesDep) -> Principal:
    """The authenticated caller; CSRF-checked for state-changing browser requests."""
    principal = await run_in_threadpool(_authenticate, request, services)
    if principal.via == "session" and request.method in UNSAFE_METHODS:
        sent = await _csrf_sent(request)
        if not sent or not hmac.compare_digest(sent, principal.csrf_token or ""):
            raise AuthError("missing or wrong CSRF token", fix="reload the page")
    if services.shared:  # a database round trip: off the event loop
        await run_in_threadpool(services.request_limit.check, principal.user.username)
    else:
        services.request_limit.check(principal.user.username)
    request.state.user = principal.user
    return principal


CurrentUser = Annotated[Principal, Depends(current_principal)]


def require(permission: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency: the caller, who must hold ``permission``."""

    async def dependency(principal: CurrentUser) -> Principal:
        if not principal.user.can(permission):
            raise PermissionDeniedError(
                f"the role {principal.user.role!r} may not {permission.replace('_', ' ')}"
            )
        return principal

    return dependency


Asker = Annotated[Principal, Depends(require("ask"))]
Searcher = Annotated[Principal, Depends(require("search"))]
Reader = Annotated[Principal, Depends(require("read"))]
Exporter = Annotated[Principal, Depends(require("export"))]
Ingester = Annotated[Principal, Depends(require("ingest"))]
Admin = Annotated[Principal, Depends(require("manage_users"))]
SourceAdmin = Annotated[Principal, Depends(require("manage_sources"))]
BriefWriter = Annotated[Principal, Depends(require("brief"))]
Auditor = Annotated[Principal, Depends(require("audit"))]
DraftWriter = Annotated[Principal, Depends(require("draft"))]
DraftApprover = Annotated[Principal, Depends(require("approve"))]


def readable_by(services: Services, clearance: str) -> Readable:
    """Which of some documents a reader at ``clearance`` may read, asked at the moment a
    saved answer is read (a document reclassified since drops out)."""
    levels = readable_levels(clearance)

    def readable(doc_ids: list[str]) -> set[str]:
        return services.registry.readable(doc_ids, levels) if doc_ids else set()

    return readable


def readable_now(services: Services, principal: Principal) -> Readable:
    """:func:`readable_by` at the signed-in reader's clearance."""
    return readable_by(services, principal.user.clearance)
