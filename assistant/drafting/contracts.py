"""What the drafting desk gives: `dragoman draft --json`, `dragoman drafts list|show
--json` and the `/api/drafts` routes."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from assistant.core.contracts import Contract
from assistant.licensing.contracts import LicenceOut

Status = Literal["draft", "in_review", "approved", "rejected", "exported"]
Origin = Literal["generated", "edited"]


class FlagOut(Contract):
    """Something the approver must see (``block`` stops approval, ``warn`` needs a read,
    ``resolve``: a fact a translation loses or a sentence not in its language, which the
    approver acknowledges one by one, by ``id``, unless an edit removes it)."""

    kind: str
    severity: Literal["block", "warn", "resolve"]
    message: str
    language: str | None
    detail: dict[str, Any]
    id: str | None = None


class PostSentenceOut(Contract):
    text: str
    citations: list[int]
    supported: bool
    score: float
    reasons: list[str]
    source: int | None


class VariantOut(Contract):
    """The message in one language, fitted to the platform: one post or a thread."""

    language: str
    posts: list[str]
    sentences: list[PostSentenceOut]
    hashtags: list[str]
    lengths: list[int]
    translated: bool
    truncated: bool
    dropped: list[int]
    text: str


class DraftPassageOut(Contract):
    """A numbered source a version rests on (versions stored before a key existed lack it)."""

    n: int
    doc_id: str
    title: str
    language: str
    quote: str
    chunk_id: str = ""
    url: str | None = None
    published_at: str | None = None
    spans: list[tuple[int, int]] = Field(default_factory=list)
    source: str | None = None
    speaker: str | None = None
    kind: str | None = None
    chunk_text: str = ""


class ContentOut(Contract):
    """One version's content: the variants, the sources, the flags."""

    platform: str
    languages: list[str]
    tone: str
    instruction: str
    thread: bool
    variants: dict[str, VariantOut]
    passages: list[DraftPassageOut]
    flags: list[FlagOut]
    origin: Origin
    backend: str | None
    model: str | None
    stages: dict[str, Any]
    # what its labels rest on (versions stored before licences existed have none)
    licences: list[LicenceOut] = Field(default_factory=list)


class GeneratedDraftOut(ContentOut):
    """`dragoman draft --json`: the content, and the draft it was saved as (if any)."""

    draft_id: int | None
    status: Status | None


class VersionSummaryOut(Contract):
    number: int
    author: str
    origin: Origin
    created_at: str


class VersionOut(VersionSummaryOut, ContentOut):
    """A version: who wrote it, when, and its content."""


class ReviewOut(Contract):
    step: str
    version: int
    by: str
    comment: str | None
    detail: dict[str, Any]
    at: str


class DraftSummaryOut(Contract):
    """A draft in the list: its state and how many flags its current version has."""

    id: int
    status: Status
    platform: str
    languages: list[str]
    instruction: str
    author: str
    created_at: str
    updated_at: str
    current_version: int
    approved_version: int | None
    blocking: int
    warnings: int
    to_resolve: int = 0  # fidelity warnings the approver resolves one by one


class DraftOut(DraftSummaryOut):
    """A draft with the version asked for, every version and every review."""

    version: VersionOut
    versions: list[VersionSummaryOut]
    reviews: list[ReviewOut]


class DraftListOut(Contract):
    drafts: list[DraftSummaryOut]


class DiffOpOut(Contract):
    op: Literal["equal", "delete", "insert"]
    text: str


class LanguageDiffOut(Contract):
    changed: bool
    ops: list[DiffOpOut]


class DiffOut(Contract):
    """Word-level differences between two versions, per language."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    draft_id: int
    from_: int = Field(alias="from")
    to: int
    languages: dict[str, LanguageDiffOut]


class LengthOut(Contract):
    """A text counted as the platform counts it."""

    platform: str
    length: int
    limit: int
    remaining: int
    within_limit: bool
    rule: str


class PlatformOut(Contract):
    """A platform's limits, counting rule and hashtag convention."""

    name: str
    label: str
    limit: int
    rule: str
    max_hashtags: int
    hashtag_style: str
    threads: bool
    max_posts: int
    target: int


class PlatformsOut(Contract):
    platforms: list[PlatformOut]
