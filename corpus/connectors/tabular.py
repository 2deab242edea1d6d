"""Tabular sources with a field mapping: JSON, JSONL, CSV, and line-pattern text files.

``--map text=content --map published_at=date`` names which source field feeds which
document field; unmapped fields are guessed from common names and the rest is kept
as metadata.  ``--line-pattern REGEX`` reads one record per line from the regex's
named groups (e.g. CRUD-RAG: ``^\\[ (?P<published_at>[^\\]]+) \\] ，正文：(?P<text>.+)$``).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from assistant.core.errors import InputError
from corpus.connectors import Options, connector, decode_text
from corpus.document import RawRecord
from corpus.sources import SourceFile

FIELDS = ("id", "text", "title", "url", "source", "author", "platform", "published_at",
          "language", "country")  # fmt: skip
GUESSES: dict[str, tuple[str, ...]] = {
    "id": ("id", "guid", "uuid", "doc_id", "id_str", "mid"),
    "text": ("text", "content", "body", "full_text", "text_raw", "review", "message", "正文"),
    "title": ("title", "headline", "标题"),
    "url": ("url", "link", "source_url", "permalink"),
    "source": ("source", "outlet", "publisher", "site"),
    "author": ("author", "user", "screen_name", "username", "作者"),
    "published_at": (
        "published_at",
        "published",
        "date",
        "created_at",
        "time",
        "timestamp",
        "pubdate",
        "year",
    ),
    "language": ("language", "lang"),
    "platform": ("platform",),
    "country": ("country",),
}


def resolve_mapping(columns: Iterable[str], explicit: dict[str, str]) -> dict[str, str]:
    """Document field → source column: explicit ``--map`` first, then common names."""
    unknown = set(explicit) - set(FIELDS)
    if unknown:
        raise InputError(
            f"--map names unknown document fields {sorted(unknown)}",
            fix=f"map onto: {', '.join(FIELDS)}",
        )
    available = list(columns)
    lowered = {c.lower(): c for c in available}
    mapping = dict(explicit)
    for target, names in GUESSES.items():
        if target not in mapping:
            found = next((lowered[n] for n in names if n in lowered), None)
            if found:
                mapping[target] = found
    missing = [v for v in explicit.values() if v not in available]
    if missing and available:
        raise InputError(f"--map names columns not in the file: {missing}; it has {available}")
    if "text" not in mapping:
        raise InputError(f"no text column among {available}", fix="name it: --map text=<column>")
    return mapping


def _lookup(row: dict[str, Any], column: str) -> Any:
    value: Any = row
    for part in column.split("."):  # nested JSON: --map author=user.screen_name
        value = value.get(part) if isinstance(value, dict) else None
    return value


def row_to_record(
    row: dict[str, Any],
    mapping: dict[str, str],
    base: str,
    position: str,
    platform: str | None = None,
) -> RawRecord | None:
    """One row as a record; its identity is the row's own id or URL when it has one."""

    def get(name: str) -> str | None:
        value = _lookup(row, mapping[name]) if name in mapping else None
        return None if value in (None, "") else str(value)

    text = get("text")
    if not text or not text.strip():
        return None
    used = {mapping[k].split(".")[0] for k in mapping}
    record_id = get("id") or get("url")
    country = get("country")
    return RawRecord(
        identity=f"{base}#id={record_id}" if record_id else f"{base}#{position}",
        text=text,
        title=get("title"),
        url=get("url"),
        source=get("source"),
        author=get("author"),
        platform=get("platform") or platform,
        published_at=get("published_at"),
        language=get("language"),
        countries=[country.upper()] if country and len(country) == 3 else [],
        metadata={k: v for k, v in row.items() if k not in used and _scalar(v)},
        fields={k: str(v) for k, v in row.items() if _scalar(v) and len(str(v)) < 200},
    )


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) and len(str(value)) < 2000


def records_from_rows(
    rows: list[dict[str, Any]], source: SourceFile, options: Options, platform: str | None = None
) -> Iterator[RawRecord]:
    if not rows:
        return
    columns: dict[str, None] = {}
    for row in rows[:50]:
        columns.update(dict.fromkeys(row))
    mapping = resolve_mapping(columns, options.mapping)
    for index, row in enumerate(rows, 1):
        record = row_to_record(row, mapping, source.identity, str(index), platform)
        if record is not None:
            yield record


def json_rows(source: SourceFile, options: Options) -> list[dict[str, Any]]:
    try:
        data = json.loads(decode_text(source, options.limits))
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    rows = data if isinstance(data, list) else [data]
    return [r for r in rows if isinstance(r, dict)]


def csv_rows(source: SourceFile, options: Options) -> list[dict[str, Any]]:
    text = decode_text(source, options.limits)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        return list(csv.DictReader(io.StringIO(text), dialect=dialect))
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}") from exc


@connector("json")
def read_json(source: SourceFile, fmt: str, options: Options) -> Iterator[RawRecord]:
    yield from records_from_rows(json_rows(source, options), source, options)


def jsonl_rows(source: SourceFile, options: Options) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(decode_text(source, options.limits).splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON on line {number}: {exc.msg}") from exc
        if isinstance(row, dict):
            rows.append(row)
    return rows


def json_or_jsonl_rows(source: SourceFile, options: Options) -> list[dict[str, Any]]:
    """One JSON document, or JSON Lines (one object per line), whichever the file is."""
    text = decode_text(source, options.limits)
    first = next((line for line in text.splitlines() if line.strip()), "")
    if first.lstrip().startswith("{") and _is_json(first) and first.strip() != text.strip():
        return jsonl_rows(source, options)
    return json_rows(source, options)


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return False
    return True


@connector("jsonl")
def read_jsonl(source: SourceFile, fmt: str, options: Options) -> Iterator[RawRecord]:
    yield from records_from_rows(jsonl_rows(source, options), source, options)


@connector("csv")
def read_csv(source: SourceFile, fmt: str, options: Options) -> Iterator[RawRecord]:
    yield from records_from_rows(csv_rows(source, options), source, options)


@connector("lines")
def read_lines(source: SourceFile, fmt: str, options: Options) -> Iterator[RawRecord]:
    """A record starts at each line matching ``--line-pattern``; the lines that follow
    and do not match continue its text (articles with line breaks)."""
    if not options.line_pattern:
        raise InputError("--format lines needs --line-pattern REGEX with named groups")
    try:
        pattern = re.compile(options.line_pattern)
    except re.error as exc:
        raise InputError(f"invalid --line-pattern: {exc}") from exc
    if "text" not in pattern.groupindex:
        raise InputError("--line-pattern needs a (?P<text>...) group")
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(decode_text(source, options.limits).splitlines(), 1):
        match = pattern.search(line)
        if match:
            rows.append({**{k: v for k, v in match.groupdict().items() if v}, "line": number})
        elif rows and line.strip():
            rows[-1]["text"] = f"{rows[-1].get('text', '')}\n{line}"
    if not rows:
        raise InputError("no line matches --line-pattern")
    explicit = {**{k: k for k in pattern.groupindex if k in FIELDS}, **options.mapping}
    mapping = resolve_mapping([*pattern.groupindex, "line"], explicit)
    for row in rows:
        record = row_to_record(row, mapping, source.identity, f"L{row['line']}")
        if record is not None:
            yield record
