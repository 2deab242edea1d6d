"""Users, roles, clearances, passwords (argon2id), browser sessions and API tokens."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update

from assistant.accounts.contracts import UserOut
from assistant.accounts.store import SessionRow, TokenRow, UserRow, WebStore, utcnow
from assistant.core.errors import AuthError, InputError, NotFoundError, StoreError
from corpus.document import CLEARANCES

logger = logging.getLogger(__name__)
Role = Literal["analyst", "press_officer", "approver", "admin"]
ROLES: tuple[Role, ...] = ("analyst", "press_officer", "approver", "admin")

# What each role may do.  Every role may ask, search and read within its clearance.
_READ = frozenset({"ask", "search", "read", "export"})
PERMISSIONS: dict[str, frozenset[str]] = {
    "analyst": _READ | {"ingest", "brief"},
    "press_officer": _READ | {"draft"},
    "approver": _READ | {"draft", "approve"},
    # separation of duties: administrators manage accounts and read the audit log; approving
    # official posts is the approver role's alone
    "admin": _READ | {"ingest", "brief", "draft", "manage_users", "manage_sources", "audit"},
}
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
MIN_PASSWORD = 10
TOKEN_PREFIX = "dgm_"
_hasher = PasswordHasher()
# Verified against when the user does not exist, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountLockedError(AuthError, http_status=423):
    """Too many failed sign-ins in a row: locked until an administrator lifts it."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    clearance: str
    disabled: bool
    locked: bool = False

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())

    @property
    def permissions(self) -> list[str]:
        return sorted(PERMISSIONS.get(self.role, frozenset()))

    def to_dict(self) -> dict[str, Any]:
        return UserOut.model_validate(self, from_attributes=True).model_dump(mode="json")


@dataclass(frozen=True)
class WebSession:
    user: User
    csrf_token: str
    expires_at: datetime


MAX_TOKEN_DAYS = 3650


def _user(row: UserRow) -> User:
    return User(
        row.id, row.username, row.role, row.clearance, row.disabled, row.locked_at is not None
    )


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"the password must have at least {MIN_PASSWORD} characters")


class Accounts:
    """Account operations on the web database."""

    def __init__(self, store: WebStore) -> None:
        self.store = store

    def add(self, username: str, password: str, role: str, clearance: str) -> User:
        if not USERNAME.match(username):
            raise InputError(
                f"invalid user name {username!r}", fix="2–64 letters, digits, _ . @ or -"
            )
        if role not in ROLES:
            raise InputError(f"unknown role {role!r}", fix=f"one of {', '.join(ROLES)}")
        if clearance not in CLEARANCES:
            raise InputError(
                f"unknown clearance {clearance!r}", fix=f"one of {', '.join(CLEARANCES)}"
            )
        check_password_strength(password)
        with self.store.session() as db, db.begin():
            if db.scalar(select(UserRow).where(UserRow.username == username)) is not None:
                raise InputError(f"user {username!r} already exists")
            row = UserRow(
                username=username, password_hash=_hasher.hash(password), role=role,
                clearance=clearance, disabled=False, created_at=utcnow(),
            )  # fmt: skip
            db.add(row)
            db.flush()
            return _user(row)

    def get(self, username: str) -> User:
        with self.store.session() as db:
            row = db.scalar(select(UserRow).where(UserRow.username == username))
            if row is None:
                raise NotFoundError(f"no user {username!r}")
            return _user(row)

    def all_users(self) -> list[User]:
        with self.store.session() as db:
            return [_user(r) for r in db.scalars(select(UserRow).order_by(UserRow.username))]

    def set_disabled(self, username: str, disabled: bool) -> User:
        """Disable (or re-enable) an account; disabling ends its sessions and tokens' use."""
        with self.store.session() as db, db.begin():
            row = db.scalar(select(UserRow).where(UserRow.username == username))
            if row is None:
                raise NotFoundError(f"no user {username!r}")
            row.disabled = disabled
            if disabled:
                for session in db.scalars(select(SessionRow).where(SessionRow.user_id == row.id)):
                    db.delete(session)
            return _user(row)

    def authenticate(self, username: str, password: str, ceiling: int | None = None) -> User:
        """The user, if the password matches and the account is enabled and not locked;
        else AuthError. A failure counts against the account: at ``ceiling`` failures in a
        row it is locked (:class:`AccountLockedError`) until an administrator lifts it."""
        with self.store.session() as db, db.begin():
            row = db.scalar(select(UserRow).where(UserRow.username == username))
            try:
                _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
                matched = row is not None
            except (VerificationError, InvalidHashError):
                matched = False
            locked = row is not None and row.locked_at is not None
            if row is not None and not matched and not locked:
                row.failed_logins = (row.failed_logins or 0) + 1
                if ceiling is not None and row.failed_logins >= ceiling:
                    row.locked_at = utcnow()
            ok = matched and row is not None and not row.disabled and row.locked_at is None
            if ok and row is not None:
                if _hasher.check_needs_rehash(row.password_hash):
                    row.password_hash = _hasher.hash(password)
                row.last_login_at = utcnow()
                row.failed_logins = 0
                return _user(row)
            failures = row.failed_logins if row is not None else 0
            now_locked = row is not None and row.locked_at is not None
        if now_locked:
            raise AccountLockedError(
                f"the account {username!r} is locked after {failures} failed sign-ins in a row",
                fix="an administrator lifts it: `dragoman users unlock NAME`",
            )
        raise AuthError("wrong user name or password, or the account is disabled")

    def unlock(self, username: str) -> User:
        """Lift the failed sign-in lock (and the count) of an account."""
        with self.store.session() as db, db.begin():
            row = db.scalar(select(UserRow).where(UserRow.username == username))
            if row is None:
                raise NotFoundError(f"no user {username!r}")
            row.locked_at, row.failed_logins = None, 0
            return _user(row)

    def open_session(self, user: User, hours: float) -> tuple[str, WebSession]:
        """A new session: (secret id for the cookie, the session)."""
        session_id = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        expires = utcnow() + timedelta(hours=hours)
        with self.store.session() as db, db.begin():
            db.execute(delete(SessionRow).where(SessionRow.expires_at < utcnow()))
            db.add(SessionRow(
                id_hash=sha256(session_id), user_id=user.id, csrf_token=csrf,
                created_at=utcnow(), expires_at=expires,
            ))  # fmt: skip
        return session_id, WebSession(user, csrf, expires)

    def session_user(self, session_id: str) -> WebSession | None:
        with self.store.session() as db:
            row = db.get(SessionRow, sha256(session_id))
            if row is None or _aware(row.expires_at) <= utcnow():
                return None
            user = db.get(UserRow, row.user_id)
            if user is None or user.disabled:
                return None
            return WebSession(_user(user), row.csrf_token, _aware(row.expires_at))

    def close_session(self, session_id: str) -> None:
        with self.store.session() as db, db.begin():
            row = db.get(SessionRow, sha256(session_id))
            if row is not None:
                db.delete(row)

    def create_token(self, username: str, name: str, expires_days: float | None = None) -> str:
        """A new API token for the user; returned once, stored only as a hash.  With
        ``expires_days`` it stops working after that many days."""
        user = self.get(username)
        if expires_days is not None and not 0 < expires_days <= MAX_TOKEN_DAYS:
            raise InputError(f"a token's expiry must be between 0 and {MAX_TOKEN_DAYS} days")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        expires = utcnow() + timedelta(days=expires_days) if expires_days else None
        with self.store.session() as db, db.begin():
            db.add(TokenRow(
                token_hash=sha256(token), user_id=user.id, name=name[:100], created_at=utcnow(),
                expires_at=expires,
            ))  # fmt: skip
        return token

    def set_password(self, username: str, password: str, keep_session: str | None = None) -> User:
        """A new password (an admin's `dragoman users passwd`); the account's sessions end,
        but ``keep_session`` (the one making its owner's change) stays."""
        check_password_strength(password)
        with self.store.session() as db, db.begin():
            row = db.scalar(select(UserRow).where(UserRow.username == username))
            if row is None:
                raise NotFoundError(f"no user {username!r}")
            row.password_hash = _hasher.hash(password)
            ended = delete(SessionRow).where(SessionRow.user_id == row.id)
            if keep_session:
                ended = ended.where(SessionRow.id_hash != sha256(keep_session))
            db.execute(ended)
            return _user(row)

    def change_own_password(
        self, username: str, current: str, new: str, keep_session: str | None = None
    ) -> User:
        """A user's own change: the current password is checked first; the user's other
        sessions end."""
        self.authenticate(username, current)
        if new == current:
            raise InputError("the new password must differ from the current one")
        return self.set_password(username, new, keep_session)

    def revoke_tokens(self, username: str) -> int:
        """Revoke every API token of the user; returns how many were active."""
        user = self.get(username)
        with self.store.session() as db, db.begin():
            rows = db.scalars(
                select(TokenRow).where(TokenRow.user_id == user.id, TokenRow.revoked.is_(False))
            ).all()
            for row in rows:
                row.revoked = True
            return len(rows)

    def token_user(self, token: str) -> User | None:
        """The token's user, if the token is valid. Its last use is noted as book-keeping:
        when the database cannot be written (a full disk) the request still reads."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        with self.store.session() as db:
            row = db.scalar(select(TokenRow).where(TokenRow.token_hash == sha256(token)))
            if row is None or row.revoked:
                return None
            if row.expires_at is not None and _aware(row.expires_at) <= utcnow():
                return None
            user = db.get(UserRow, row.user_id)
            if user is None or user.disabled:
                return None
            found, token_id = _user(user), row.id
        try:
            with self.store.session() as db, db.begin():
                db.execute(
                    update(TokenRow).where(TokenRow.id == token_id).values(last_used_at=utcnow())
                )
        except StoreError as exc:
            logger.warning("a token's last use was not noted: %s", exc.message)
        return found


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes; they were stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
