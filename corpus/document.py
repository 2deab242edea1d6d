"""The normalised document every source becomes, and the record connectors produce."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, Literal
from urllib.parse import urlsplit

from dateutil import parser as date_parser
from pydantic import BaseModel, Field

from assistant.core.clearance import CLEARANCES as CLEARANCES  # re-exported: a document's field
from assistant.core.clearance import Clearance as Clearance
from assistant.core.errors import InputError

Kind = Literal["news", "social", "policy"]
KINDS: tuple[Kind, ...] = ("news", "social", "policy")


@dataclass
class RawRecord:
    """What a connector extracts from a source, before normalisation.

    ``identity`` names the record within its source (an archive member path, a
    tweet id, a feed entry's guid…) and is what the stable ``doc_id`` derives from.
    """

    identity: str
    text: str
    title: str | None = None
    url: str | None = None
    source: str | None = None
    author: str | None = None
    platform: str | None = None
    published_at: str | datetime | None = None
    language: str | None = None
    kind: Kind | None = None
    countries: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)  # raw source fields, for --set templates


class Document(BaseModel):
    """One normalised document: news article, social post or policy text."""

    doc_id: str
    kind: Kind
    title: str
    text: str
    url: str | None = None
    source: str | None = None
    author: str | None = None
    platform: str | None = None
    published_at: datetime | None = None
    published_date: int | None = Field(default=None, description="YYYYMMDD, for range filters")
    published_ts: int | None = Field(default=None, description="Unix epoch seconds (UTC)")
    language: str
    countries_mentioned: list[str] = Field(default_factory=list)
    clearance: Clearance = "public"
    content_hash: str
    origin: str = Field(description="The source identity the doc_id derives from")
    metadata: dict[str, Any] = Field(default_factory=dict)
    duplicate_of: str | None = None
    duplicate_kind: Literal["exact", "near"] | None = None


def http_url(url: object) -> str | None:
    """``url`` if it is an absolute http(s) URL with a host, else None: a stored
    ``javascript:`` or ``data:`` link must never become something a reader clicks."""
    if not isinstance(url, str):
        return None
    candidate = url.strip()
    if any(ord(c) < 0x21 or c in '<>"\\' for c in candidate):  # browsers strip tabs and newlines
        return None
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    ok = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    return candidate if ok else None


def make_doc_id(identity: str) -> str:
    """Stable id from the source identity (never from run order)."""
    return "doc_" + hashlib.sha256(identity.encode("utf-8")).hexdigest()[:24]


def scoped_identity(
    identity: str, clearance: str, scope: str | None = None, explicit: bool = False
) -> str:
    """The identity a document's id derives from: the source's own identity, within the
    uploader's scope (``upload:NAME/cable.md``) and the clearance level it is filed at.

    The same file filed at another level, or uploaded by someone else, is another
    document: an ingest can never overwrite (or learn of) a document it could not read.
    Public documents keep the bare identity (ids stable since the first release) unless
    ``explicit`` — used when that id is taken by an older document filed higher."""
    key = f"{scope}/{identity}" if scope else identity
    return f"[{clearance}] {key}" if clearance != "public" or explicit else key


_SPACES = re.compile(r"[^\S\n]+")
_BLANKS = re.compile(r"\s+")
# Control characters (but newline and tab), BOM, soft hyphen; ZWJ/ZWNJ are kept (Persian, Indic).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff\u00ad]")


def normalise_text(text: str) -> str:
    """NFKC, no control characters, collapsed blank runs; paragraphs kept."""
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    paragraphs = re.split(r"\n\s*\n", text)
    cleaned = (
        "\n".join(_SPACES.sub(" ", line).strip() for line in p.split("\n")) for p in paragraphs
    )
    return "\n\n".join(p.strip("\n") for p in cleaned if p.strip())


def content_hash(text: str) -> str:
    """Hash of the text's content, insensitive to case and whitespace."""
    canonical = _BLANKS.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_date(
    value: str | datetime | None, default: datetime | None = None, zone: tzinfo = UTC
) -> datetime | None:
    """Parse a date in any common notation (ISO, RFC 822, 2023-07-28 16：40, '2015') as UTC.

    Parts the value lacks (the year of '8-4 18:15') come from ``default``; a value with
    no offset is read in ``zone``."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()
        if re.fullmatch(r"\d{4}", text):
            text += "-01-01"
        elif re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", text):
            text = re.sub(r"[年月]", "-", text).rstrip("日")
        elif re.fullmatch(r"\d{10}(\.\d+)?", text):
            return datetime.fromtimestamp(float(text), tz=UTC)
        try:
            parsed = date_parser.parse(text, default=default or datetime(2000, 1, 1))
        except (ValueError, OverflowError) as exc:
            raise InputError(f"unparseable date {value!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def date_fields(published: datetime | None) -> tuple[int | None, int | None]:
    """The integer forms stored for range filters: (YYYYMMDD, epoch seconds)."""
    if published is None:
        return None, None
    return int(published.strftime("%Y%m%d")), int(published.timestamp())
