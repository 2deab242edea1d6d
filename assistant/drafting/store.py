"""The drafts of official posts, their versions and reviews: tables in the users' database.

A draft's versions and reviews are append-only in the database itself (triggers refuse
every UPDATE and DELETE on them): approved text is frozen, an edit is a new version.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from assistant.accounts.store import Base, utcnow
from assistant.core.database import append_only
from assistant.core.migrations import Schema


class DraftRow(Base):
    """An official post in the approval workflow; its text lives in its versions."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    instruction: Mapped[str] = mapped_column(Text)
    languages: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), index=True)
    current_version: Mapped[int] = mapped_column(Integer)
    approved_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DraftVersionRow(Base):
    """One version of a draft's text, never changed once written (approved text is frozen:
    an edit is a new version)."""

    __tablename__ = "draft_versions"
    __table_args__ = (UniqueConstraint("draft_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    origin: Mapped[str] = mapped_column(String(20))
    content_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DraftReviewRow(Base):
    """A workflow step on a draft: submitted, approved, rejected (with comments), exported."""

    __tablename__ = "draft_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    step: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    detail_json: Mapped[str] = mapped_column(Text, default="{}")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


DRAFTS_SCHEMA = Schema(
    "drafts", Path(__file__).parent / "migrations",
    tables=("drafts", "draft_versions", "draft_reviews"),
    after=append_only(draft_versions="the history of draft versions",
                      draft_reviews="the history of draft reviews"),
)  # fmt: skip
