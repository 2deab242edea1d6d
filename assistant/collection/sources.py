"""Adding and describing sources: validation, type detection, schedules, health."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from assistant.collection.contracts import SourceOut
from assistant.collection.http import PoliteClient
from assistant.collection.readers import TYPES, detect_type
from assistant.collection.store import Source, SourceStore
from assistant.core.areas import CollectSettings
from assistant.core.errors import InputError
from assistant.core.fetch import literal_address_refusal, origin_of
from assistant.core.redact import mask_url_secrets, scrub, url_secrets
from corpus.document import CLEARANCES, KINDS

_EVERY = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_EVERY_S, MAX_EVERY_S = 60, 7 * 86400


def parse_every(value: str) -> int:
    """``30m``, ``2h``, ``1d`` → seconds (1 minute to 7 days)."""
    match = _EVERY.match(value)
    if not match:
        raise InputError(
            f"--every {value!r} is not a duration", fix="e.g. 10m, 2h, 1d", param="every"
        )
    seconds = int(match[1]) * _UNIT_S[match[2]]
    if not MIN_EVERY_S <= seconds <= MAX_EVERY_S:
        raise InputError(f"--every {value} is outside 1m … 7d", fix="e.g. 30m", param="every")
    return seconds


def every_text(seconds: int) -> str:
    for unit in ("d", "h", "m"):
        if seconds % _UNIT_S[unit] == 0:
            return f"{seconds // _UNIT_S[unit]}{unit}"
    return f"{seconds}s"


@dataclass(frozen=True)
class NewSource:
    """What `dragoman sources add` was given."""

    url: str
    type: str | None = None
    name: str | None = None
    kind: str | None = None
    every: str = "30m"
    clearance: str = "public"
    language: str | None = None
    label: str | None = None
    mapping: dict[str, str] | None = None
    robots: bool = True
    prefix: str | None = None  # a listing page: the path its articles live under


def add_source(
    store: SourceStore, new: NewSource, settings: CollectSettings, now: datetime | None = None
) -> Source:
    """Validate and store a source; its type detected when not given."""
    url = new.url.strip()
    if not urlsplit(url).hostname or urlsplit(url).scheme not in ("http", "https"):
        raise InputError(
            f"a source is an http(s) URL, got {url!r}",
            fix="e.g. https://example.org/feed.xml",
            param="url",
        )
    every_s = parse_every(new.every)  # every cheap check before the type is fetched
    _check_fields(new)
    refusal = literal_address_refusal(url, settings.allow_private)
    if refusal:
        raise InputError(
            f"a source on {refusal}: refused",
            fix="name a public host (DRAGOMAN_COLLECT_ALLOW_PRIVATE=true allows intranet "
            "sources on private and loopback addresses)",
            param="url",
        )
    kind = new.type or _detect(url, settings)
    if kind not in TYPES:
        raise InputError(f"unknown --type {kind!r}", fix=f"one of {', '.join(TYPES)}", param="type")
    _check_service_host(kind, url, settings)
    if kind == "json" and not (new.mapping or {}).get("text"):
        raise InputError(
            "a json source needs --map text=PATH (and items=PATH to its list)",
            fix="e.g. --map items=data --map text=body --map url=link",
        )
    options: dict[str, Any] = {"map": dict(new.mapping or {})}
    if not new.robots:
        options["robots"] = False
    if new.prefix:
        options["prefix"] = "/" + new.prefix.lstrip("/")
    moment = now or datetime.now(UTC)
    return store.add(
        Source(
            id=0,
            name=new.name or _default_name(url),
            url=url,
            type=kind,
            kind=new.kind,
            clearance=new.clearance,
            language=new.language,
            label=new.label,
            every_s=every_s,
            status="active",
            created_at=moment,
            next_due_at=moment,
            options=options,
        )
    )


def _check_service_host(kind: str, url: str, settings: CollectSettings) -> None:
    """A source of a service whose credential the server holds names that service's own
    host: the credential is only ever sent there (an X source is a URL on the X API)."""
    if kind == "x" and origin_of(url) != origin_of(settings.x_api_url):
        raise InputError(
            f"an X source is a URL on the X API ({settings.x_api_url}), not "
            f"{mask_url_secrets(url)}: refused (the server's X token is sent only there)",
            fix=f"e.g. {settings.x_api_url}/2/users/USER_ID/tweets",
            param="url",
        )


_LIMITS = {"url": 2000, "name": 200, "label": 300, "language": 16, "prefix": 500}


def _check_fields(new: NewSource) -> None:
    """Bounded lengths and known values (the API hands these in as they came)."""
    for name, most in _LIMITS.items():
        value = getattr(new, name)
        if value is not None and len(value) > most:
            raise InputError(f"{name} is over {most} characters", param=name)
    if new.clearance not in CLEARANCES:
        raise InputError(f"unknown clearance {new.clearance!r}", fix=f"one of {CLEARANCES}",
                         param="clearance")  # fmt: skip
    if new.kind is not None and new.kind not in KINDS:
        raise InputError(f"unknown kind {new.kind!r}", fix=f"one of {KINDS}", param="kind")
    mapping = new.mapping or {}
    if len(mapping) > 20 or any(len(k) > 64 or len(v) > 200 for k, v in mapping.items()):
        raise InputError("--map takes at most 20 FIELD=PATH pairs, paths under 200 characters",
                         param="map")  # fmt: skip


def _detect(url: str, settings: CollectSettings) -> str:
    client = PoliteClient(settings)
    try:
        return detect_type(url, client.get)
    finally:
        client.close()


def _default_name(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}{parts.path.rstrip('/')}"[:200]


def describe(
    source: Source, settings: CollectSettings, now: datetime | None = None, *, reveal: bool = False
) -> dict[str, Any]:
    """A source as `sources list|show --json` and the web page show it: its URL's user
    information, query values and token-like path segments masked, unless ``reveal`` (an
    administrator editing it asked to see them)."""
    moment = now or datetime.now(UTC)
    health = source.health(moment, timedelta(hours=settings.unhealthy_hours))
    return SourceOut.shape(
        {
            "id": source.id,
            "name": source.name,
            "url": source.url if reveal else mask_url_secrets(source.url),
            "type": source.type,
            "kind": source.kind,
            "clearance": source.clearance,
            "language": source.language,
            "source": source.label,
            "every": every_text(source.every_s),
            "status": source.status,
            "health": health,
            "created_at": source.created_at.isoformat(),
            "last_run_at": _iso(source.last_run_at),
            "last_success_at": _iso(source.last_success_at),
            "last_error": scrub(source.last_error, url_secrets(source.url))
            if source.last_error
            else None,
            "failures": source.failures,
            "failing_since": _iso(source.failing_since),
            "next_due": _iso(source.next_due_at),
            "added_total": source.added_total,
            "items_per_day": _per_day(source, moment),
            "map": source.options.get("map", {}),
            "robots": source.options.get("robots", True),
            "prefix": source.options.get("prefix"),
            "cursor": source.cursor,
        }
    )


def _per_day(source: Source, now: datetime) -> float:
    days = max((now - source.created_at).total_seconds() / 86400, 1.0)
    return round(source.added_total / days, 1)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
