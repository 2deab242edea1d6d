"""Connectors: a source file's bytes → raw records.  ``--format auto`` detects by content."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from assistant.core.errors import InputError
from assistant.core.registrar import registrar
from corpus.document import Clearance, Kind, RawRecord
from corpus.sources import Limits, SourceFile


@dataclass(frozen=True)
class Options:
    """How the user asked the inputs to be read (the `dragoman ingest` flags)."""

    format: str = "auto"
    kind: Kind | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    source: str | None = None
    clearance: Clearance = "public"
    language: str | None = None
    filename_pattern: str | None = None
    title_template: str | None = None
    line_pattern: str | None = None
    date_default: str | None = None  # fills parts a date lacks: --date-default 2023-01-01
    timezone: str = "UTC"  # IANA zone for dates written without an offset
    near_dup_threshold: float = 0.8
    batch_size: int = 200  # documents per transaction: the most a crash can lose
    scope: str | None = None  # identity namespace (a web upload: ``upload:NAME``)
    actor: str | None = None  # who ingests, recorded with every version it writes
    limits: Limits = field(default_factory=Limits)


Connector = Callable[[SourceFile, str, Options], Iterator[RawRecord]]
CONNECTORS: dict[str, Connector] = {}


connector = registrar(CONNECTORS)  # @connector("csv") registers a connector


def decode_text(source: SourceFile, limits: Limits) -> str:
    """Strict decoding: UTF-8 (BOM allowed) or UTF-16 with a BOM; binary and huge lines refused."""
    data = source.data
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        if b"\x00" in data[:8192]:
            raise InputError("binary content (NUL bytes): not a text format Dragoman reads")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"invalid UTF-8 at byte {exc.start} ({data[exc.start : exc.start + 4]!r})",
                fix="convert the file to UTF-8",
            ) from exc
    longest = max((len(line) for line in text.splitlines()), default=0)
    if longest > limits.max_line_chars:
        raise InputError(
            f"a line of {longest:,} characters exceeds the {limits.max_line_chars:,} limit"
        )
    return text


_SNIFF = (
    ("tweets-js", re.compile(r"^\s*window\.YTD\.\w+\.part\d+\s*=")),
    (
        "feed",
        re.compile(
            r"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*|<!DOCTYPE[^\[>]*(\[.*?\])?\s*>\s*)*"
            r"<(rss|feed|rdf:RDF)\b",
            re.S,
        ),
    ),
    ("html", re.compile(r"^\s*(<!doctype html|<html\b|<head\b|<body\b)", re.I)),
    ("markdown", re.compile(r"^---\s*\n.*?\n---\s*\n", re.S)),
)


def detect_format(source: SourceFile, options: Options) -> str:
    """Choose a connector by content (magic bytes, structure), then by extension."""
    head = source.data[:4096]
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx" if b"word/" in source.data[:65536] or source.name.endswith(".docx") else "zip"
    if options.line_pattern:
        return "lines"
    text_head = head.decode("utf-8", errors="ignore").lstrip("\ufeff")
    for name, pattern in _SNIFF:
        if pattern.match(text_head):
            return name
    stripped = text_head.lstrip()
    if stripped.startswith(("{", "[")):
        return _detect_json(source)
    lower = source.name.lower()
    suffixes = ((".csv", "csv"), (".md", "markdown"), (".htm", "html"), (".xml", "feed"),
                (".rss", "feed"), (".atom", "feed"))  # fmt: skip
    for suffix, name in suffixes:
        if lower.endswith(suffix) or lower.endswith(suffix + "l"):
            return name
    return "text"


def _detect_json(source: SourceFile) -> str:
    lines = source.data.strip().splitlines()
    if len(lines) > 1 and all(line.strip().startswith(b"{") for line in lines[:5]):
        try:
            json.loads(lines[0])
            return "jsonl"
        except json.JSONDecodeError:
            pass
    try:
        data = json.loads(source.data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return "json"  # the json connector reports the syntax error
    if isinstance(data, dict) and isinstance(data.get("messages"), list):
        return "telegram"
    if isinstance(data, dict) and "orderedItems" in data:
        return "mastodon"
    if isinstance(data, list) and data and isinstance(data[0], dict):
        keys = set(data[0])
        if keys & {"mblogid", "text_raw", "mid", "微博正文"}:
            return "weibo"
    return "json"


def known_formats() -> list[str]:
    """Every connector name (importing the connector modules registers them)."""
    from corpus.connectors import documents, social, tabular, web  # noqa: F401

    return sorted(CONNECTORS)


def extract(source: SourceFile, options: Options) -> tuple[str, list[RawRecord]]:
    """Records of one source file and the format used; InputError when it cannot be read."""
    known_formats()
    name = options.format if options.format != "auto" else detect_format(source, options)
    if name == "zip":
        raise InputError("a zip archive inside an archive is not walked; extract it first")
    if name not in CONNECTORS:
        known = ", ".join(sorted(CONNECTORS))
        raise InputError(f"unknown format {name!r}", fix=f"use --format auto or one of: {known}")
    records = list(CONNECTORS[name](source, name, options))
    if not records:
        raise InputError(f"no text found ({name})")
    return name, records
