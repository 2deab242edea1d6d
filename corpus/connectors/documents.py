"""Policy-style documents: plain text, Markdown with YAML front matter, PDF, DOCX."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import yaml

from assistant.core.errors import InputError
from corpus.connectors import Options, connector, decode_text
from corpus.document import RawRecord
from corpus.sources import SourceFile

_FRONT_MATTER = re.compile(r"^---\s*\n(.*?)\n---\s*\n", re.S)
_MD_HEADING = re.compile(r"^#{1,6}\s+", re.M)


def first_line_title(text: str, fallback: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line if len(line) <= 160 else line[:157] + "…"
    return fallback


@connector("text")
def read_text(source: SourceFile, fmt: str, options: Options) -> Iterator[RawRecord]:
    text = decode_text(source, options.limits)
    if text.strip():
        yield RawRecord(identity=source.identity, text=text, title=None)


@connector("markdown")
def read_markdown(source: SourceFile, fmt: str, options: Options) -> Iterator[RawRecord]:
    text = decode_text(source, options.limits)
    meta: dict[str, Any] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError as exc:
            raise InputError(f"invalid YAML front matter: {exc}") from exc
        meta = loaded if isinstance(loaded, dict) else {}
        text = text[match.end() :]
    body = _MD_HEADING.sub("", text)
    if not body.strip():
        return
    published = meta.get("published_time") or meta.get("date") or meta.get("published_at")
    tags = meta.get("tags")
    yield RawRecord(
        identity=source.identity,
        text=body,
        title=_str(meta.get("title")),
        url=_str(meta.get("source_url") or meta.get("url")),
        author=_str(meta.get("author")),
        source=_str(meta.get("source")),
        language=_str(meta.get("lang") or meta.get("language")),
        published_at=str(published) if published is not None else None,
        metadata={"tags": tags} if tags else {},
    )


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


@connector("pdf")
def read_pdf(source: SourceFile, fmt: str, options: Options) -> Iterator[RawRecord]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(source.data))
        if reader.is_encrypted:
            raise InputError("encrypted PDF", fix="decrypt it first")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"corrupt PDF: {type(exc).__name__}: {exc}") from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise InputError("PDF has no extractable text (scanned images?)", fix="OCR it first")
    yield RawRecord(
        identity=source.identity,
        text=text,
        title=(info.title if info and info.title else None),
        author=(info.author if info and info.author else None),
        published_at=(info.creation_date if info and _safe_date(info) else None),
        metadata={"pages": len(pages)},
    )


def _safe_date(info: Any) -> bool:
    try:
        return info.creation_date is not None
    except (ValueError, TypeError):
        return False


@connector("docx")
def read_docx(source: SourceFile, fmt: str, options: Options) -> Iterator[RawRecord]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import XMLSyntaxError

    _check_zip_container(source, options)
    try:
        document = docx.Document(io.BytesIO(source.data))
    except (
        PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, XMLSyntaxError,
        AttributeError, TypeError,  # python-docx on parts whose XML has the wrong shape
    ) as exc:  # fmt: skip
        raise InputError(f"corrupt DOCX: {type(exc).__name__}: {exc}") from exc
    paragraphs = [p.text.strip() for p in document.paragraphs if p.text.strip()]
    if not paragraphs:
        return
    props = document.core_properties
    yield RawRecord(
        identity=source.identity,
        text="\n\n".join(paragraphs),
        title=props.title or None,
        author=props.author or None,
        published_at=props.created,
        language=props.language or None,
    )


def _check_zip_container(source: SourceFile, options: Options) -> None:
    """A DOCX is a zip: refuse bombs before python-docx inflates its parts."""
    try:
        with zipfile.ZipFile(io.BytesIO(source.data)) as archive:
            total = sum(i.file_size for i in archive.infolist())
            names = set(archive.namelist())
    except zipfile.BadZipFile as exc:
        raise InputError(f"corrupt DOCX: {exc}") from exc
    missing = sorted({"[Content_Types].xml", "word/document.xml"} - names)
    if missing:
        raise InputError(f"corrupt DOCX: the package lacks {', '.join(missing)}")
    if total > max(len(source.data) * options.limits.max_ratio, 1_000_000):
        raise InputError(f"DOCX expands to {total:,} bytes: refused as a decompression bomb")
