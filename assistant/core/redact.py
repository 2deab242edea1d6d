"""Secrets never printed, logged or stored: masks for URLs, settings and free text.

A webhook URL carries its own token (Slack, Teams, most receivers), a database or Chroma
URL its password, LangChain keyword arguments an ``api_key``.  Everything that could be
shown — `dragoman config`, `doctor`, delivery records, briefing manifests, logs — goes
through these masks.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

MASK = "**********"
# keys whose values are secrets wherever they appear (settings, kwargs, schedules)
SECRET_KEY = re.compile(
    r"(pass(word|wd)?|secret|token|api[_-]?key|authorization|auth[_-]?token|credential|"
    r"private[_-]?key|webhook|slack|teams)",
    re.I,
)
_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^\s\"'<>]+", re.I)


def redact_url(url: str) -> str:
    """``scheme://host[:port]/…``: no credentials, path or query (where tokens live)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return MASK
    if not parts.scheme or not host:
        return MASK
    tail = "/…" if (parts.path.strip("/") or parts.query or parts.fragment) else ""
    return f"{parts.scheme}://{host}{port}{tail}"


def url_fingerprint(url: str) -> str:
    """A short SHA-256 of the whole URL: tells two targets apart without revealing either."""
    return hashlib.sha256(url.strip().encode("utf-8")).hexdigest()[:16]


_TOKEN_SEGMENT = re.compile(r"^[A-Za-z0-9_\-~.=:+]{16,}$")


def _token_like(segment: str) -> bool:
    """Whether a path segment looks like a credential (``/feeds/u7Fq2…/rss``, ``/bot123:AB…``)
    rather than a slug or a date: long, letters and digits mixed, not words joined by
    hyphens."""
    if not _TOKEN_SEGMENT.match(segment):
        return False
    if not (re.search(r"\d", segment) and re.search(r"[A-Za-z]", segment)):
        return False
    words = [w for w in re.split(r"[-_.~]", segment) if w]
    alphabetic = [w for w in words if w.isalpha()]
    return not (len(words) >= 3 and len(alphabetic) * 2 >= len(words))


def url_secrets(url: str) -> set[str]:
    """The secrets a URL may carry: its user information, every query value (``?key=…``,
    ``&sig=…``: a signed URL's parts are all secret), its fragment's values, and a path
    segment that looks like a token."""
    from urllib.parse import parse_qsl

    try:
        parts = urlsplit(url)
    except ValueError:
        return set()
    found = {parts.password or "", parts.username or ""}
    found |= {v for _, v in parse_qsl(parts.query, keep_blank_values=False)}
    found |= {v for _, v in parse_qsl(parts.fragment) if "=" in parts.fragment}
    found |= {seg for seg in parts.path.split("/") if _token_like(seg)}
    return {f for f in found if len(f) >= 4}


def mask_url_secrets(url: str) -> str:
    """The URL as anyone may see it: user information, query values and token-like path
    segments masked (``https://h/feed?key=**********``); names and the path stay readable."""
    from urllib.parse import parse_qsl, urlencode

    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        return MASK
    if not parts.scheme or not parts.netloc:
        return scrub(url, url_secrets(url))
    netloc = parts.netloc
    if "@" in netloc:  # a user with a password keeps the name; a lone user is a token
        host = netloc.rpartition("@")[2]
        netloc = f"{parts.username}:{MASK}@{host}" if parts.password else f"{MASK}@{host}"
    path = "/".join(MASK if _token_like(seg) else seg for seg in parts.path.split("/"))
    query = urlencode(
        [(k, MASK) for k, _ in parse_qsl(parts.query, keep_blank_values=True)], safe="*"
    )
    fragment = MASK if "=" in parts.fragment else parts.fragment
    shown = f"{parts.scheme}://{netloc}{path}"
    return shown + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")


def mask_value(key: str, value: Any) -> Any:
    """``value`` with every secret inside masked: secret-named keys, URLs' credentials,
    webhook URLs (their path is the token); recursing into dicts and lists."""
    if isinstance(value, dict):
        return {k: mask_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(key, v) for v in value]
    if not isinstance(value, str) or not value:
        return value
    if "webhook" in key.lower() or (SECRET_KEY.search(key) and "://" in value):
        return redact_url(value)
    if SECRET_KEY.search(key):
        return MASK
    return _URL.sub(lambda m: mask_url_secrets(m.group(0)), value)


def secret_values(values: Iterable[Any]) -> set[str]:
    """Every string in ``values`` worth scrubbing from free text (6 characters or more)."""
    found: set[str] = set()
    for value in values:
        if isinstance(value, dict):
            found |= secret_values(value.values())
        elif isinstance(value, list | tuple):
            found |= secret_values(value)
        elif isinstance(value, str) and len(value) >= 6:
            found.add(value)
            if "://" in value:
                found |= _url_parts(value)
    return found


def _url_parts(url: str) -> set[str]:
    """The secret-bearing parts of a URL: its password, path and query."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return set()
    pieces = {parts.password or "", parts.path.strip("/"), parts.query}
    return {p for p in pieces if len(p) >= 6}


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every known secret value replaced by the mask (longest first)."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


_installed: set[str] = set()


def install_log_scrubber(secrets: Iterable[str]) -> None:
    """Mask ``secrets`` in every log record, whichever logger or handler takes it: the
    record factory scrubs each message (and its traceback) as it is made."""
    fresh = set(secrets) - _installed
    if not fresh:
        return
    _installed.update(fresh)
    previous = logging.getLogRecordFactory()
    known = frozenset(_installed)

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return record
        cleaned = scrub(message, known)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None  # formatted once, here, so it can be scrubbed
        if record.exc_text:
            record.exc_text = scrub(record.exc_text, known)
        return record

    logging.setLogRecordFactory(factory)
