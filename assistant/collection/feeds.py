"""News sources: RSS/Atom feeds (with their linked articles) and listing pages.

A feed item that carries only a summary has its linked article fetched and its main text,
title, date and language extracted (trafilatura); the article's URL is canonicalised
(courlan) and is the document's identity, so one story reached through two feeds, or twice
through one, is one document."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from assistant.collection.http import FetchError
from assistant.collection.readers import (
    Context,
    Harvest,
    checked,
    conditional_headers,
    reader,
    validators,
)
from assistant.collection.store import Source
from assistant.core.errors import InputError
from corpus.connectors.web import entry_html, extract_article, html_to_text, parse_feed
from corpus.document import RawRecord, parse_date

FULL_TEXT_CHARS = 600  # an item body shorter than this is taken for a summary


def canonical_url(url: str) -> str:
    """One spelling per article: scheme and host lower-cased, default port, tracking
    parameters and fragment dropped (courlan)."""
    import courlan

    try:
        return str(courlan.normalize_url(url, strict=True))
    except ValueError:
        return url


@reader("rss")
def read_rss(source: Source, context: Context) -> Harvest:
    """New items of a feed, each with its article's full text when the item has less."""
    response = context.get(source.url, conditional_headers(source.cursor))
    if response.not_modified:
        return Harvest(cursor=dict(source.cursor), not_modified=1)
    checked(response, source.url)
    channel, entries = parse_feed(response.body)
    harvest = Harvest(cursor={**_kept(source.cursor), **validators(response)}, fetched=1)
    for entry in entries[: context.depth]:
        record = _entry_record(entry, channel, context, harvest)
        if record is not None:
            harvest.records.append(record)
    _advance_newest(harvest)
    return harvest


def _kept(cursor: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in cursor.items() if k not in ("etag", "last_modified")}


def _entry_record(
    entry: Any, channel: dict[str, Any], context: Context, harvest: Harvest
) -> RawRecord | None:
    link = entry.get("link")
    identity = canonical_url(link) if link else str(entry.get("id") or "")
    if not identity or context.known(identity):
        return None
    body = entry_html(entry)
    text = html_to_text(body) if "<" in body else body
    record = RawRecord(
        identity=identity,
        text=text,
        title=entry.get("title"),
        url=identity if link else None,
        author=entry.get("author"),
        source=channel.get("title"),
        published_at=entry.get("published") or entry.get("updated"),
        language=channel.get("language") or None,
        kind="news",
        metadata={"feed_summary_chars": len(text)},
    )
    if link and len(text) < FULL_TEXT_CHARS:
        _complete_from_article(record, link, context, harvest)
    return record if record.text.strip() else None


def _complete_from_article(
    record: RawRecord, link: str, context: Context, harvest: Harvest
) -> None:
    """Replace a summary by the linked article's main text (kept when the article fails)."""
    try:
        response = checked(context.get(link), link)
    except FetchError as exc:
        harvest.notes.append(f"article {link}: {exc}")
        return
    harvest.fetched += 1
    article = extract_article(response.text(), response.url)
    text = str(article.get("text") or "")
    if len(text) <= len(record.text):
        return
    record.text = text
    record.title = record.title or article.get("title")
    record.published_at = record.published_at or article.get("date")
    record.language = record.language or article.get("language")
    record.author = record.author or article.get("author")
    record.source = record.source or article.get("sitename") or article.get("hostname")
    record.metadata["full_text"] = "article"


def _advance_newest(harvest: Harvest) -> None:
    dates = []
    for record in harvest.records:
        try:
            parsed = parse_date(record.published_at) if record.published_at else None
        except InputError:
            parsed = None
        if parsed is not None:
            dates.append(parsed.isoformat())
    if dates:
        harvest.cursor["newest"] = max([*dates, str(harvest.cursor.get("newest", ""))])


@reader("web")
def read_listing(source: Source, context: Context) -> Harvest:
    """A listing page without a feed (a ministry's press releases): the links under its
    path prefix that are not yet stored are followed one level and their articles kept."""
    response = context.get(source.url, conditional_headers(source.cursor))
    if response.not_modified:
        return Harvest(cursor=dict(source.cursor), not_modified=1)
    checked(response, source.url)
    harvest = Harvest(cursor={**_kept(source.cursor), **validators(response)}, fetched=1)
    prefix = str(source.options.get("prefix") or _directory(response.url))
    for link in _links(response.text(), response.url, prefix)[: context.depth]:
        if context.known(link):
            continue
        record = RawRecord(identity=link, text="", url=link, kind="news")
        _complete_from_article(record, link, context, harvest)
        if record.text.strip():
            harvest.records.append(record)
    _advance_newest(harvest)
    return harvest


def _directory(url: str) -> str:
    parts = urlsplit(url)
    return parts.path.rsplit("/", 1)[0] + "/"


def _links(html: str, base: str, prefix: str) -> list[str]:
    """Canonical same-site links under ``prefix``, in page order, without the page itself."""
    import lxml.html

    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    site, page = urlsplit(base).netloc, canonical_url(base)
    links: list[str] = []
    for href in tree.xpath("//a/@href"):
        url = urljoin(base, str(href))
        parts = urlsplit(url)
        if (
            parts.scheme in ("http", "https")
            and parts.netloc == site
            and parts.path.startswith(prefix)
        ):
            canonical = canonical_url(url)
            if canonical != page and canonical not in links:
                links.append(canonical)
    return links
