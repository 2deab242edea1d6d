"""The append-only audit log: logins, questions, searches, ingests, exports, account changes.

Rows are never updated or deleted (database triggers refuse it) and each row's hash covers
the previous row's hash, so :func:`verify_chain` detects a row altered or removed outside
the application.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import select

from assistant.web.store import AuditRow, WebStore, utcnow

GENESIS = "0" * 64
_lock = threading.Lock()


@dataclass(frozen=True)
class ChainCheck:
    rows: int
    intact: bool
    first_bad_id: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "intact": self.intact, "first_bad_id": self.first_bad_id}


def _digest(prev: str, at: str, actor: str, action: str, target: str | None, detail: str) -> str:
    payload = json.dumps([prev, at, actor, action, target, detail], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


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

    def __init__(self, store: WebStore) -> None:
        self.store = store

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
            last = db.scalar(select(AuditRow).order_by(AuditRow.id.desc()).limit(1))
            prev = last.hash if last else GENESIS
            at = utcnow().replace(microsecond=0)
            digest = _digest(prev, at.isoformat(), actor, action, target, detail_json)
            db.add(AuditRow(
                at=at, actor=actor, action=action, target=target, detail_json=detail_json,
                client=client, prev_hash=prev, hash=digest,
            ))  # fmt: skip

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

    def verify_chain(self) -> ChainCheck:
        """Recompute every hash in order; the first row that does not match is reported."""
        prev = GENESIS
        count = 0
        with self.store.session() as db:
            for row in db.scalars(select(AuditRow).order_by(AuditRow.id)):
                count += 1
                expected = _digest(
                    prev, _at(row), row.actor, row.action, row.target, row.detail_json
                )
                if row.prev_hash != prev or row.hash != expected:
                    return ChainCheck(count, False, row.id)
                prev = row.hash
        return ChainCheck(count, True, None)
