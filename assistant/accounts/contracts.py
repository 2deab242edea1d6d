"""What `dragoman users … --json`, `dragoman audit --json`, `GET /api/me`, `/api/users`
and `/api/audit` give."""

from __future__ import annotations

from typing import Any

from assistant.core.contracts import Contract


class UserOut(Contract):
    """An account: role, clearance, state and what the role may do."""

    username: str
    role: str
    clearance: str
    disabled: bool
    permissions: list[str]
    locked: bool = False  # after too many failed sign-ins in a row, until an admin lifts it


class MeOut(UserOut):
    """The signed-in user, with the token unsafe requests of a browser session carry."""

    csrf_token: str | None


class UsersOut(Contract):
    users: list[UserOut]


class AuditEntryOut(Contract):
    """One audited action: who, what, on what, from where."""

    id: int
    at: str
    actor: str
    action: str
    target: str | None
    detail: dict[str, Any]
    client: str | None


class ChainOut(Contract):
    """Whether the keyed hash chain is intact, and the head kept outside the database."""

    rows: int
    intact: bool
    first_bad_id: int | None
    legacy_rows: int
    head: str
    reason: str | None


class AuditOut(Contract):
    """The newest entries and the chain's check (``exported_head``: `audit --export-head`)."""

    entries: list[AuditEntryOut]
    chain: ChainOut
    exported_head: dict[str, Any] | None = None
