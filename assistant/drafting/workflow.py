"""The approval gate: draft → in review → approved / rejected → exported.

Rules, enforced here (so the API, the web pages and the CLI cannot differ):

- drafting roles (``draft`` permission) create, edit and submit; only roles with
  ``approve`` approve or reject, and a rejection says why;
- nobody approves or rejects a draft they created or wrote any version of;
- an approval names the version the approver read; a draft changed since is refused (409);
- a draft with a blocking flag cannot be submitted or approved; warnings must be
  acknowledged by the approver, and the acknowledgement is recorded; a fact a
  translation loses (a number, a date, a name, a sentence) or a sentence not in its
  language is resolved one by one: edited away, or acknowledged by its id, each recorded;
- versions are immutable (database triggers refuse UPDATE and DELETE): editing approved
  text writes a new version and sends the draft back to ``draft``;
- only approved text is exported; Dragoman never posts anything itself.

Every step is in the audit log (who, when, which version) and in the draft's reviews.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, cast, get_args

from pydantic import ConfigDict, SkipValidation
from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.accounts.accounts import User
from assistant.accounts.audit import AuditLog
from assistant.accounts.store import UserRow, WebStore, utcnow
from assistant.core.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from assistant.drafting.contracts import DraftOut, DraftSummaryOut, Status
from assistant.drafting.model import DraftContent
from assistant.drafting.store import DRAFTS_SCHEMA, DraftReviewRow, DraftRow, DraftVersionRow

STATUSES: tuple[str, ...] = get_args(Status)
MAX_COMMENT = 2000


def _iso(moment: datetime) -> str:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


@dataclass
class VersionView:
    number: int
    author: str
    origin: str
    created_at: str
    content: DraftContent

    def summary(self) -> dict[str, Any]:
        """The version in a draft's list of versions: who wrote it, how and when."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "content"}


class DraftView(DraftSummaryOut):
    """A draft: its line in the list (the contract's fields) with the version asked for,
    its version list and its reviews."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    version: SkipValidation[VersionView]
    versions: list[dict[str, Any]]
    reviews: list[dict[str, Any]]

    def writers(self) -> set[str]:
        return {self.author, *(v["author"] for v in self.versions)}

    def to_dict(self, full: bool = True) -> dict[str, Any]:
        """The draft as `drafts show --json` and the API give it (``full=False``: its
        line in the list)."""
        data = self.model_dump(mode="json", include=set(DraftSummaryOut.model_fields))
        if not full:
            return data
        version = {**self.version.summary(), **self.version.content.to_dict()}
        return DraftOut.shape(
            {**data, "version": version, "versions": self.versions, "reviews": self.reviews}
        )


class DraftDesk:
    """Creates, edits, reviews and exports drafts in the web database."""

    def __init__(self, store: WebStore, audit: AuditLog) -> None:
        self.store = store
        self.audit = audit
        store.migrate(DRAFTS_SCHEMA)

    def create(self, user: User, content: DraftContent, client: str | None = None) -> DraftView:
        _require(user, "draft")
        with self.store.session() as db, db.begin():
            row = DraftRow(
                author_id=user.id,
                platform=content.platform,
                instruction=content.instruction,
                languages=",".join(content.languages),
                status="draft",
                current_version=1,
            )
            db.add(row)
            db.flush()
            draft_id = row.id
            db.add(_version_row(draft_id, 1, user, content))
        self.audit.record(
            user.username,
            "draft_create",
            f"draft:{draft_id}",
            {"version": 1, "platform": content.platform, "flags": _flag_kinds(content)},
            client,
        )
        return self.get(draft_id)

    def edit(
        self,
        user: User,
        draft_id: int,
        content: DraftContent,
        based_on: int,
        client: str | None = None,
    ) -> DraftView:
        """A new version (the old ones stay as they were); back to ``draft``."""
        _require(user, "draft")
        with self.store.session() as db, db.begin():
            row = _draft_row(db, draft_id)
            _same_version(row, based_on)
            number = row.current_version + 1
            db.add(_version_row(draft_id, number, user, content))
            previous = row.status
            row.current_version, row.status, row.updated_at = number, "draft", utcnow()
        self.audit.record(
            user.username,
            "draft_edit",
            f"draft:{draft_id}",
            {"version": number, "was": previous, "flags": _flag_kinds(content)},
            client,
        )
        return self.get(draft_id)

    def submit(self, user: User, draft_id: int, client: str | None = None) -> DraftView:
        _require(user, "draft")
        view = self.get(draft_id)
        if view.status not in ("draft", "rejected"):
            raise ConflictError(f"draft {draft_id} is {view.status}; only a draft is submitted")
        _no_blocking(view)
        self._step(user, view, "submitted", "in_review", "", {}, client)
        return self.get(draft_id)

    def approve(
        self,
        user: User,
        draft_id: int,
        version: int,
        comment: str = "",
        acknowledge: bool = False,
        client: str | None = None,
        resolved: list[str] | None = None,
    ) -> DraftView:
        view = self._reviewable(user, draft_id, version)
        _no_blocking(view)
        content = view.version.content
        warnings = content.warnings
        if warnings and not acknowledge:
            raise ConflictError(
                f"draft {draft_id} has {len(warnings)} warning(s): "
                + "; ".join(w.message for w in warnings[:3]),
                fix="read them, then approve with acknowledge=true (recorded)",
            )
        pending = [f for f in content.to_resolve if f.id not in set(resolved or [])]
        if pending:
            raise ConflictError(
                f"draft {draft_id} has {len(pending)} fidelity warning(s) to resolve: "
                + "; ".join(f"[{f.language}] {f.message}" for f in pending[:3]),
                fix="edit the variant, or acknowledge each one by its id (resolved=[...])",
            )
        resolutions = [
            {"id": f.id, "language": f.language, "message": f.message} for f in content.to_resolve
        ]
        detail = {"acknowledged": [w.message for w in warnings], "resolved": resolutions}
        self._step(user, view, "approved", "approved", comment, detail, client)
        return self.get(draft_id)

    def reject(
        self, user: User, draft_id: int, version: int, comment: str, client: str | None = None
    ) -> DraftView:
        view = self._reviewable(user, draft_id, version)
        if not comment.strip():
            raise InputError("a rejection needs a comment saying what to change")
        self._step(user, view, "rejected", "rejected", comment, {}, client)
        return self.get(draft_id)

    def exported(self, user: User, draft_id: int, fmt: str, client: str | None = None) -> DraftView:
        """Record an export of the approved version (the caller renders it)."""
        _require(user, "export")
        _require(user, "draft")
        view = self.get(draft_id)
        if view.status not in ("approved", "exported") or view.approved_version is None:
            raise ConflictError(
                f"draft {draft_id} is {view.status}: only approved text is exported"
            )
        self._step(
            user,
            view,
            "exported",
            "exported",
            "",
            {"format": fmt},
            client,
            version=view.approved_version,
        )
        return self.get(draft_id)

    def _reviewable(self, user: User, draft_id: int, version: int) -> DraftView:
        _require(user, "approve")
        view = self.get(draft_id)
        if user.username in view.writers():
            raise PermissionDeniedError(
                "nobody approves or rejects a draft they wrote: another approver must review it"
            )
        if view.status != "in_review":
            raise ConflictError(f"draft {draft_id} is {view.status}, not in review")
        if version != view.current_version:
            raise ConflictError(
                f"draft {draft_id} is now at version {view.current_version}, not {version}",
                fix="reload it and review the current version",
            )
        return view

    def _step(
        self,
        user: User,
        view: DraftView,
        step: str,
        status: str,
        comment: str,
        detail: dict[str, Any],
        client: str | None,
        version: int | None = None,
    ) -> None:
        if len(comment) > MAX_COMMENT:
            raise InputError(f"the comment is over {MAX_COMMENT} characters")
        number = version or view.current_version
        with self.store.session() as db, db.begin():
            row = _draft_row(db, view.id)
            if row.current_version != view.current_version or row.status != view.status:
                raise ConflictError(f"draft {view.id} changed meanwhile", fix="reload it")
            row.status, row.updated_at = status, utcnow()
            if step == "approved":
                row.approved_version = number
            db.add(
                DraftReviewRow(
                    draft_id=view.id,
                    version=number,
                    user_id=user.id,
                    step=step,
                    comment=comment.strip(),
                    detail_json=json.dumps(detail),
                )
            )
        self.audit.record(
            user.username,
            _ACTIONS[step],
            f"draft:{view.id}",
            {"version": number, "comment": comment.strip(), **detail},
            client,
        )

    def get(self, draft_id: int, version: int | None = None) -> DraftView:
        with self.store.session() as db:
            row = _draft_row(db, draft_id)
            names = _usernames(db)
            versions = list(
                db.scalars(
                    select(DraftVersionRow)
                    .where(DraftVersionRow.draft_id == draft_id)
                    .order_by(DraftVersionRow.number)
                )
            )
            reviews = list(
                db.scalars(
                    select(DraftReviewRow)
                    .where(DraftReviewRow.draft_id == draft_id)
                    .order_by(DraftReviewRow.id)
                )
            )
        wanted = version or row.current_version
        chosen = next((v for v in versions if v.number == wanted), None)
        if chosen is None:
            raise NotFoundError(f"draft {draft_id} has no version {wanted}")
        view = _view(chosen, names)
        return DraftView(
            id=row.id,
            status=cast(Status, row.status),
            platform=row.platform,
            languages=row.languages.split(","),
            instruction=row.instruction,
            author=names[row.author_id],
            created_at=_iso(row.created_at),
            updated_at=_iso(row.updated_at),
            current_version=row.current_version,
            approved_version=row.approved_version,
            blocking=len(view.content.blocking),
            warnings=len(view.content.warnings),
            to_resolve=len(view.content.to_resolve),
            version=view,
            versions=[_summary(v, names) for v in versions],
            reviews=[_review(r, names) for r in reviews],
        )

    def listing(self, status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        if status is not None and status not in STATUSES:
            raise InputError(f"unknown status {status!r}", fix=f"use one of: {', '.join(STATUSES)}")
        query = select(DraftRow.id).order_by(DraftRow.updated_at.desc()).limit(limit)
        if status:
            query = query.where(DraftRow.status == status)
        with self.store.session() as db:
            ids = list(db.scalars(query))
        return [self.get(i).to_dict(full=False) for i in ids]


_ACTIONS = {
    "submitted": "draft_submit",
    "approved": "draft_approve",
    "rejected": "draft_reject",
    "exported": "draft_export",
}


def _require(user: User, permission: str) -> None:
    if not user.can(permission):
        raise PermissionDeniedError(f"the role {user.role!r} may not {permission} drafts")


def _no_blocking(view: DraftView) -> None:
    blocking = view.version.content.blocking
    if blocking:
        raise ConflictError(
            f"draft {view.id} has {len(blocking)} blocking problem(s): "
            + "; ".join(f.message for f in blocking[:3]),
            fix="edit the draft to remove them",
        )


def _same_version(row: DraftRow, based_on: int) -> None:
    if based_on != row.current_version:
        raise ConflictError(
            f"draft {row.id} is now at version {row.current_version}; the edit was based on "
            f"version {based_on}",
            fix="reload the draft and edit its current version",
        )


def _draft_row(db: Session, draft_id: int) -> DraftRow:
    row = db.get(DraftRow, draft_id)
    if row is None:
        raise NotFoundError(f"no draft {draft_id}")
    return row


def _usernames(db: Session) -> dict[int, str]:
    return {row.id: row.username for row in db.scalars(select(UserRow))}


def _version_row(draft_id: int, number: int, user: User, content: DraftContent) -> DraftVersionRow:
    return DraftVersionRow(
        draft_id=draft_id,
        number=number,
        author_id=user.id,
        origin=content.origin,
        content_json=json.dumps(content.to_dict(), ensure_ascii=False, default=str),
    )


def _summary(row: DraftVersionRow, names: dict[int, str]) -> dict[str, Any]:
    """A version in the list, without reading its content."""
    return {"number": row.number, "author": names[row.author_id], "origin": row.origin,
            "created_at": _iso(row.created_at)}  # fmt: skip


def _view(row: DraftVersionRow, names: dict[int, str]) -> VersionView:
    content = DraftContent.from_dict(json.loads(row.content_json))
    return VersionView(row.number, names[row.author_id], row.origin, _iso(row.created_at), content)


def _review(row: DraftReviewRow, names: dict[int, str]) -> dict[str, Any]:
    return {
        "step": row.step,
        "version": row.version,
        "by": names[row.user_id],
        "comment": row.comment,
        "detail": json.loads(row.detail_json),
        "at": _iso(row.at),
    }


def _flag_kinds(content: DraftContent) -> list[str]:
    return sorted({f"{f.severity}:{f.kind}" for f in content.flags})
