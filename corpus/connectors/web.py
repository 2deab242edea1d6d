"""News-style sources: HTML pages (trafilatura) and RSS/Atom feeds (feedparser, defused XML)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as defused_fromstring

from assistant.core.errors import InputError
from corpus.connectors import Options, connector, decode_text
from corpus.document import RawRecord
from corpus.sources import SourceFile


def html_to_text(html: str) -> str:
    """Main text of an HTML fragment or page."""
    import trafilatura

    extracted = trafilatura.extract(html, include_comments=False, favor_recall=True)
    if extracted:
        return str(extracted)
    import lxml.html

    try:
        return str(lxml.html.fromstring(html).text_content())
    except (ValueError, lxml.etree.ParserError):
        return ""


def extract_article(html: str, url: str | None = None) -> dict[str, Any]:
    """An article page's main text and metadata (title, date, author, language, site) by
    trafilatura; empty when it finds none."""
    import trafilatura

    result = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, favor_recall=True, as_dict=True
    )
    return result if isinstance(result, dict) else {}


@connector("html")
def read_html(source: SourceFile, fmt: str, options: Options) -> Iterator[RawRecord]:
    data = extract_article(decode_text(source, options.limits))
    text = data.get("text") or ""
    if not text.strip():
        raise InputError("HTML page has no main text")
    yield RawRecord(
        identity=data.get("url") or source.identity,
        text=text,
        title=data.get("title"),
        url=data.get("url"),
        author=data.get("author"),
        source=data.get("sitename") or data.get("hostname"),
        published_at=data.get("date"),
        language=data.get("language"),
        kind="news",
    )


def parse_feed(data: bytes) -> tuple[dict[str, Any], list[Any]]:
    """A feed's channel and entries, after refusing entity expansion (billion laughs),
    external entities and DTD tricks; InputError on malformed or hostile XML."""
    import feedparser

    try:
        defused_fromstring(data, forbid_dtd=False, forbid_entities=True)
    except DefusedXmlException as exc:
        raise InputError(f"feed refused: {type(exc).__name__} (XML entity attack?)") from exc
    except ParseError as exc:
        raise InputError(f"malformed feed XML: {exc}") from exc
    parsed = feedparser.parse(data, sanitize_html=True, resolve_relative_uris=False)
    return dict(parsed.get("feed", {})), list(parsed.get("entries", []))


@connector("feed")
def read_feed(source: SourceFile, fmt: str, options: Options) -> Iterator[RawRecord]:
    channel, entries = parse_feed(source.data)
    outlet = channel.get("title")
    for entry in entries:
        body = entry_html(entry)
        text = html_to_text(body) if "<" in body else body
        if not text.strip():
            continue
        identity = entry.get("id") or entry.get("link") or f"{source.identity}#{entry.get('title')}"
        yield RawRecord(
            identity=str(identity),
            text=text,
            title=entry.get("title"),
            url=entry.get("link"),
            author=entry.get("author"),
            source=outlet,
            published_at=entry.get("published") or entry.get("updated"),
            language=(channel.get("language") or None),
            kind="news",
        )


def entry_html(entry: Any) -> str:
    """A feed entry's fullest body: its content, else its summary."""
    contents = entry.get("content") or []
    if contents:
        return str(contents[0].get("value", ""))
    return str(entry.get("summary", ""))
