"""The append-only audit log: logins, questions, searches, ingests, exports, account changes.

Rows are never updated or deleted (database triggers refuse it) and each row's hash is an
HMAC, keyed outside the database, over the row and the previous row's hash: someone who can
write to the database but not read the key cannot alter, insert or remove a row without
:meth:`AuditLog.verify_chain` noticing.  Removing the *newest* rows leaves a shorter chain
that is still valid, so every append also writes a signed copy of the newest row (the
*head*) outside the database; ``dragoman audit --verify`` compares the chain with it, or
with a head exported earlier (``--export-head``) and kept elsewhere.

Rows written before the chain was keyed (plain SHA-256) are accepted only before the first
keyed row; ``legacy_rows`` counts them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

from sqlalchemy import select

from assistant.accounts.store import AuditRow, WebStore, utcnow
from assistant.core.database import lock_for_transaction
from assistant.core.errors import ConfigError
from assistant.core.settings import Settings, load_settings

GENESIS = "0" * 64
KEYED = "h"  # keyed rows' hashes start with it (SHA-256 hex never contains an "h")
_lock = threading.Lock()


@dataclass(frozen=True)
class ChainCheck:
    rows: int
    intact: bool
    first_bad_id: int | None
    legacy_rows: int = 0
    head: str = "none"  # none | matches | missing rows | forged
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "intact": self.intact, "first_bad_id": self.first_bad_id,
                "legacy_rows": self.legacy_rows, "head": self.head,
                "reason": self.reason}  # fmt: skip


def _payload(prev: str, at: str, actor: str, action: str, target: str | None, detail: str) -> bytes:
    return json.dumps([prev, at, actor, action, target, detail], ensure_ascii=False).encode()


def _digest(prev: str, at: str, actor: str, action: str, target: str | None, detail: str) -> str:
    """The unkeyed hash of rows written before the chain was keyed."""
    return hashlib.sha256(_payload(prev, at, actor, action, target, detail)).hexdigest()


def _keyed(key: bytes, payload: bytes) -> str:
    return KEYED + hmac.new(key, payload, hashlib.sha256).hexdigest()[:63]


def audit_key(settings: Settings) -> bytes:
    """DRAGOMAN_AUDIT_KEY, or the key file (made once, mode 0600, outside the database)."""
    if settings.audit.key is not None and settings.audit.key.get_secret_value():
        return settings.audit.key.get_secret_value().encode("utf-8")
    path = settings.audit.key_file or settings.home / "audit.key"
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32))
        return path.read_text("utf-8").strip().encode("utf-8")
    except FileExistsError:
        return path.read_text("utf-8").strip().encode("utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read or create the audit key {path}: {exc}",
            fix="set DRAGOMAN_AUDIT_KEY or DRAGOMAN_AUDIT_KEY_FILE to a readable place",
        ) from exc


def _at(row: AuditRow) -> str:
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
    return at.isoformat()


def _entry(row: AuditRow) -> dict[str, Any]:
    return {
        "id": row.id, "at": _at(row), "actor": row.actor, "action": row.action,
        "target": row.target, "detail": json.loads(row.detail_json), "client": row.client,
    }  # fmt: skip


class AuditLog:
    """Appends to and reads the audit log."""

    def __init__(self, store: WebStore, settings: Settings | None = None) -> None:
        settings = settings or load_settings()
        self.store = store
        self.key = audit_key(settings)
        self.head_path = settings.audit.head_file or settings.home / "audit.head.json"

    def record(
        self,
        actor: str,
        action: str,
        target: str | None = None,
        detail: dict[str, Any] | None = None,
        client: str | None = None,
    ) -> None:
        detail_json = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str)
        with _lock, self.store.session() as db, db.begin():
            lock_for_transaction(db.connection(), "dragoman-audit")  # other workers wait
            last = db.scalar(select(AuditRow).order_by(AuditRow.id.desc()).limit(1))
            prev = last.hash if last else GENESIS
            at = utcnow().replace(microsecond=0)
            payload = _payload(prev, at.isoformat(), actor, action, target, detail_json)
            row = AuditRow(
                at=at, actor=actor, action=action, target=target, detail_json=detail_json,
                client=client, prev_hash=prev, hash=_keyed(self.key, payload),
            )  # fmt: skip
            db.add(row)
            db.flush()
            head = self.head_of(row.id, row.hash)
        self._write_head(head, self.head_path)

    def head_of(self, row_id: int, row_hash: str) -> dict[str, Any]:
        """A signed record of the newest row: its id and hash."""
        mac = hmac.new(self.key, f"{row_id}:{row_hash}".encode(), hashlib.sha256).hexdigest()
        return {"id": row_id, "hash": row_hash, "mac": mac}

    def export_head(self, path: Path) -> dict[str, Any]:
        """Write the current head to ``path`` (keep it away from the database)."""
        with self.store.session() as db:
            last = db.scalar(select(AuditRow).order_by(AuditRow.id.desc()).limit(1))
        head = self.head_of(last.id, last.hash) if last else self.head_of(0, GENESIS)
        self._write_head(head, path)
        return head

    @staticmethod
    def _write_head(head: dict[str, Any], path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            current = json.loads(path.read_text("utf-8")) if path.exists() else {}
            if int(current.get("id", 0)) > int(head["id"]):
                return  # another process already recorded a newer row
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            temporary.write_text(json.dumps(head), encoding="utf-8")
            temporary.replace(path)
        except (OSError, ValueError):
            pass  # the chain itself is intact; --verify reports a missing head

    def entries(
        self, limit: int = 100, actor: str | None = None, action: str | None = None
    ) -> list[dict[str, Any]]:
        query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
        if actor:
            query = query.where(AuditRow.actor == actor)
        if action:
            query = query.where(AuditRow.action == action)
        with self.store.session() as db:
            return [_entry(row) for row in db.scalars(query)]

    def verify_chain(self, head_path: Path | None = None) -> ChainCheck:
        """Recompute every hash in order (the first row that does not match is reported),
        then compare with the signed head (``head_path``, or the one kept at every append):
        the row it names must still be there, unchanged."""
        head, problem = _read_head(head_path or self.head_path, self)
        prev, count, legacy, keyed_seen = GENESIS, 0, 0, False
        at_head: str | None = None
        with self.store.session() as db:
            for row in db.scalars(select(AuditRow).order_by(AuditRow.id)):
                count += 1
                payload = _payload(prev, _at(row), row.actor, row.action, row.target,
                                   row.detail_json)  # fmt: skip
                if row.hash.startswith(KEYED):
                    keyed_seen, expected = True, _keyed(self.key, payload)
                else:  # an unkeyed row after a keyed one is a forgery
                    legacy += 1
                    expected = "" if keyed_seen else hashlib.sha256(payload).hexdigest()
                if row.prev_hash != prev or not hmac.compare_digest(row.hash, expected):
                    return ChainCheck(count, False, row.id, legacy, reason="row altered")
                prev = row.hash
                if head is not None and row.id == head[0]:
                    at_head = row.hash
        if problem:
            return ChainCheck(count, False, None, legacy, "forged", problem)
        if head is None:
            return ChainCheck(count, True, None, legacy, "none")
        if head[0] and at_head != head[1]:
            reason = f"row {head[0]} named by the head is missing or different: rows removed"
            return ChainCheck(count, False, head[0], legacy, "missing rows", reason)
        return ChainCheck(count, True, None, legacy, "matches")


def _read_head(path: Path, log: AuditLog) -> tuple[tuple[int, str] | None, str | None]:
    """(head id and hash, or None when no head was kept; the problem with it, if any)."""
    try:
        head = json.loads(path.read_text("utf-8"))
        head_id, head_hash, mac = int(head["id"]), str(head["hash"]), str(head["mac"])
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError, KeyError, TypeError):
        return None, f"the head file {path} is unreadable"
    if not hmac.compare_digest(log.head_of(head_id, head_hash)["mac"], mac):
        return None, f"the head file {path} is not signed with the audit key"
    return (head_id, head_hash), None
