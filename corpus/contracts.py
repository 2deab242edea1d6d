"""What a listing of documents answers (`GET /api/docs`, the Library page): each document
without its text, and the page it is."""

from __future__ import annotations

from assistant.core.contracts import Contract


class DocumentSummaryOut(Contract):
    doc_id: str
    title: str
    kind: str
    source: str | None
    author: str | None
    platform: str | None
    language: str
    published_at: str | None
    clearance: str
    url: str | None
    countries: list[str]
    chars: int
    collected_from: int | None
    duplicate_of: str | None
    speaker: str | None = None  # who speaks (corpus.speakers): alpha-3 or @handle


class DocumentsOut(Contract):
    documents: list[DocumentSummaryOut]
    limit: int
    offset: int
