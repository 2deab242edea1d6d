"""Social sources on their public protocols: Mastodon (REST API), Bluesky (the public
AppView), Telegram public channels (the ``t.me/s/`` preview), X (API v2, the user's bearer
token), and any JSON API with a field mapping.

Each resumes from where it stopped (the newest id or date in its cursor), reads newest
first and pages backwards until it meets what it has, or up to the configured depth on a
first run. Posts keep their author, platform, reply/repost relations and engagement counts
(campaign detection reads them)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from assistant.collection.http import FetchError
from assistant.collection.readers import Context, Harvest, checked, reader
from assistant.collection.store import Source
from corpus.connectors.web import html_to_text
from corpus.document import RawRecord

Page = tuple[list[dict[str, Any]], str | None]  # items, the next (older) page's URL


def _with(url: str, **params: Any) -> str:
    return str(httpx.URL(url).copy_merge_params({k: v for k, v in params.items() if v}))


def _json(context: Context, url: str, headers: dict[str, str] | None = None) -> Any:
    response = checked(context.get(url, headers), url)
    try:
        return json.loads(response.body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FetchError(f"{url} did not answer JSON: {exc}") from exc


def _newest_first(
    context: Context,
    first: str,
    page: Callable[[str], Page],
    is_old: Callable[[dict[str, Any]], bool],
) -> Iterator[dict[str, Any]]:
    """Items from the newest page backwards, until an item already had, or the depth."""
    url: str | None = first
    taken = 0
    while url and taken < context.depth:
        items, url = page(url)
        for item in items:
            if is_old(item) or taken >= context.depth:
                return
            taken += 1
            yield item
        if not items:
            return


def _as_int(value: Any) -> int:
    return int(value) if str(value).isdigit() else 0


# Mastodon ------------------------------------------------------------------------------


def _mastodon_api(source: Source, context: Context) -> str:
    if "/api/v1/" in source.url:
        return source.url
    parts = urlsplit(source.url)
    base = f"{parts.scheme}://{parts.netloc}"
    path = parts.path.strip("/")
    if path.startswith("tags/"):
        return f"{base}/api/v1/timelines/tag/{quote(path[5:])}"
    account = _json(context, _with(f"{base}/api/v1/accounts/lookup", acct=path.lstrip("@")))
    return f"{base}/api/v1/accounts/{account['id']}/statuses"


@reader("mastodon")
def read_mastodon(source: Source, context: Context) -> Harvest:
    """A public account's or hashtag's timeline."""
    cursor = dict(source.cursor)
    api = cursor.get("api") or _mastodon_api(source, context)
    since = _as_int(cursor.get("since_id"))
    harvest = Harvest(cursor={**cursor, "api": api})

    def page(url: str) -> Page:
        items = _json(context, url)
        harvest.fetched += 1
        items = items if isinstance(items, list) else []
        older = _with(api, limit=40, max_id=items[-1]["id"]) if items else None
        return items, older

    statuses = list(
        _newest_first(context, _with(api, limit=40), page, lambda s: _as_int(s.get("id")) <= since)
    )
    harvest.records = [
        r for r in map(_mastodon_record, statuses) if r and not context.known(r.identity)
    ]
    if statuses:
        harvest.cursor["since_id"] = str(max(_as_int(s.get("id")) for s in statuses))
    return harvest


def _mastodon_record(status: dict[str, Any]) -> RawRecord | None:
    shown = status.get("reblog") or status
    text = html_to_text(str(shown.get("content") or ""))
    if shown.get("spoiler_text"):
        text = f"{shown['spoiler_text']}\n\n{text}"
    if not text.strip():
        return None
    account = status.get("account") or {}
    metadata = {
        "reply_to": status.get("in_reply_to_id"),
        "repost_of": (status.get("reblog") or {}).get("uri"),
        "replies": shown.get("replies_count"),
        "reposts": shown.get("reblogs_count"),
        "likes": shown.get("favourites_count"),
    }
    return RawRecord(
        identity=str(status.get("uri") or status.get("url")),
        text=text,
        url=status.get("url") or shown.get("url"),
        platform="mastodon",
        author=account.get("acct"),
        source=account.get("display_name") or account.get("acct"),
        published_at=status.get("created_at"),
        language=shown.get("language"),
        kind="social",
        metadata={k: v for k, v in metadata.items() if v is not None},
    )


# Bluesky -------------------------------------------------------------------------------

BLUESKY_APPVIEW = "https://public.api.bsky.app"


def _bluesky_api(url: str) -> str:
    match = re.match(r"^https?://bsky\.app/profile/([^/?#]+)", url)
    if match:
        return _with(f"{BLUESKY_APPVIEW}/xrpc/app.bsky.feed.getAuthorFeed", actor=match[1])
    return url


@reader("bluesky")
def read_bluesky(source: Source, context: Context) -> Harvest:
    """An author feed (or a search) from the public AppView, no account needed."""
    api = _bluesky_api(source.url)
    newest = str(source.cursor.get("newest") or "")
    harvest = Harvest(cursor=dict(source.cursor))

    def page(url: str) -> Page:
        data = _json(context, url)
        harvest.fetched += 1
        items = data.get("feed") or [{"post": p} for p in data.get("posts") or []]
        following = data.get("cursor")
        return items, (_with(api, limit=50, cursor=following) if following and items else None)

    def when(item: dict[str, Any]) -> str:
        post = item.get("post") or {}
        return str(post.get("indexedAt") or (post.get("record") or {}).get("createdAt") or "")

    items = list(
        _newest_first(
            context, _with(api, limit=50), page, lambda item: bool(newest) and when(item) <= newest
        )
    )
    harvest.records = [
        r for r in map(_bluesky_record, items) if r and not context.known(r.identity)
    ]
    if items:
        harvest.cursor["newest"] = max([newest, *map(when, items)])
    return harvest


def _bluesky_record(item: dict[str, Any]) -> RawRecord | None:
    post = item.get("post") or {}
    record = post.get("record") or {}
    text = str(record.get("text") or "")
    if not text.strip() or not post.get("uri"):
        return None
    author = post.get("author") or {}
    handle = author.get("handle") or author.get("did")
    reason = item.get("reason") or {}
    metadata = {
        "reply_to": ((record.get("reply") or {}).get("parent") or {}).get("uri"),
        "reposted_by": (reason.get("by") or {}).get("handle")
        if "Repost" in str(reason.get("$type"))
        else None,
        "replies": post.get("replyCount"),
        "reposts": post.get("repostCount"),
        "likes": post.get("likeCount"),
    }
    rkey = str(post["uri"]).rsplit("/", 1)[-1]
    return RawRecord(
        identity=str(post["uri"]),
        text=text,
        url=f"https://bsky.app/profile/{handle}/post/{rkey}",
        platform="bluesky",
        author=handle,
        source=author.get("displayName") or handle,
        published_at=record.get("createdAt"),
        language=(record.get("langs") or [None])[0],
        kind="social",
        metadata={k: v for k, v in metadata.items() if v is not None},
    )


# Telegram ------------------------------------------------------------------------------


def _telegram_preview(url: str) -> tuple[str, str]:
    match = re.match(r"^(https?://[^/]+)/(?:s/)?([\w]+)/?$", url)
    if not match:
        raise FetchError(f"not a public channel URL: {url}", fix="e.g. https://t.me/s/channel")
    return f"{match[1]}/s/{match[2]}", match[2]


@reader("telegram")
def read_telegram(source: Source, context: Context) -> Harvest:
    """A public channel through its web preview (no bot, no account)."""
    preview, channel = _telegram_preview(source.url)
    since = _as_int(source.cursor.get("since_id"))
    harvest = Harvest(cursor=dict(source.cursor))

    def page(url: str) -> Page:
        response = checked(context.get(url), url)
        harvest.fetched += 1
        items = sorted(_telegram_messages(response.text()), key=lambda m: -m["id"])
        return items, (_with(preview, before=items[-1]["id"]) if items else None)

    messages = list(_newest_first(context, preview, page, lambda m: m["id"] <= since))
    harvest.records = [
        RawRecord(
            identity=f"https://t.me/{channel}/{m['id']}",
            text=m["text"],
            url=f"https://t.me/{channel}/{m['id']}",
            platform="telegram",
            author=channel,
            source=channel,
            published_at=m["date"],
            kind="social",
            metadata={"message_id": m["id"], "views": m["views"]},
        )
        for m in messages
        if m["text"].strip() and not context.known(f"https://t.me/{channel}/{m['id']}")
    ]
    if messages:
        harvest.cursor["since_id"] = str(max(m["id"] for m in messages))
    return harvest


def _telegram_messages(html: str) -> list[dict[str, Any]]:
    import lxml.html

    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    messages = []
    for node in tree.xpath("//div[@data-post]"):
        post_id = str(node.get("data-post")).rsplit("/", 1)[-1]
        if not post_id.isdigit():
            continue
        texts = node.xpath(".//div[contains(@class, 'tgme_widget_message_text')]")
        dates = node.xpath(".//time/@datetime")
        views = node.xpath(".//span[contains(@class, 'tgme_widget_message_views')]/text()")
        messages.append(
            {
                "id": int(post_id),
                "text": texts[0].text_content() if texts else "",
                "date": str(dates[0]) if dates else None,
                "views": str(views[0]) if views else None,
            }
        )
    return messages


# X (API v2) ----------------------------------------------------------------------------

X_FIELDS = "created_at,lang,public_metrics,referenced_tweets,author_id,conversation_id"


@reader("x")
def read_x(source: Source, context: Context) -> Harvest:
    """A user's timeline or a recent search through API v2, with the user's bearer token."""
    if context.credential is None:
        raise FetchError(
            "an X source needs an API bearer token", fix="set DRAGOMAN_COLLECT_X_BEARER_TOKEN"
        )
    since = str(source.cursor.get("since_id") or "")
    harvest = Harvest(cursor=dict(source.cursor))
    first = _with(source.url, max_results=100, since_id=since, **{"tweet.fields": X_FIELDS})

    def page(url: str) -> Page:
        data = _json(context, url)
        harvest.fetched += 1
        token = (data.get("meta") or {}).get("next_token")
        return list(data.get("data") or []), (
            _with(first, pagination_token=token) if token else None
        )

    tweets = list(
        _newest_first(context, first, page, lambda t: _as_int(t.get("id")) <= _as_int(since))
    )
    harvest.records = [r for r in map(_x_record, tweets) if not context.known(r.identity)]
    if tweets:
        harvest.cursor["since_id"] = str(max(_as_int(t.get("id")) for t in tweets))
    return harvest


def _x_record(tweet: dict[str, Any]) -> RawRecord:
    references = {r.get("type"): r.get("id") for r in tweet.get("referenced_tweets") or []}
    metrics = tweet.get("public_metrics") or {}
    metadata = {
        "reply_to": references.get("replied_to"),
        "repost_of": references.get("retweeted"),
        "quote_of": references.get("quoted"),
        "replies": metrics.get("reply_count"),
        "reposts": metrics.get("retweet_count"),
        "likes": metrics.get("like_count"),
    }
    return RawRecord(
        identity=f"x:{tweet.get('id')}",
        text=str(tweet.get("text") or ""),
        url=f"https://x.com/i/web/status/{tweet.get('id')}",
        platform="x",
        author=tweet.get("author_id"),
        published_at=tweet.get("created_at"),
        language=tweet.get("lang") if re.fullmatch(r"[a-z]{2}", str(tweet.get("lang"))) else None,
        kind="social",
        metadata={k: v for k, v in metadata.items() if v is not None},
    )


# JSON APIs -----------------------------------------------------------------------------

JSON_FIELDS = ("text", "title", "url", "published_at", "author", "language", "id")


def dig(data: Any, path: str) -> Any:
    """``a.b.0.c`` into nested dicts and lists (None when absent)."""
    for part in path.split(".") if path else []:
        if isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        elif isinstance(data, dict):
            data = data.get(part)
        else:
            return None
    return data


@reader("json")
def read_json(source: Source, context: Context) -> Harvest:
    """Any JSON API: ``--map items=PATH`` to its list, ``--map text=PATH`` and the other
    fields (title, url, published_at, author, language, id) within each item."""
    mapping = dict(source.options.get("map") or {})
    data = _json(context, source.url)
    items = dig(data, mapping.get("items", ""))
    if not isinstance(items, list):
        raise FetchError(f"{source.url}: --map items={mapping.get('items', '')!r} is not a list")
    harvest = Harvest(cursor=dict(source.cursor), fetched=1)
    for item in items[: context.depth]:
        values = {name: dig(item, mapping[name]) for name in JSON_FIELDS if name in mapping}
        identity = values.get("id") or values.get("url")
        text = str(values.get("text") or "")
        if not identity or not text.strip():
            harvest.notes.append(f"an item without {'an id or url' if not identity else 'text'}")
            continue
        identity = f"{source.url}#{identity}" if values.get("id") else str(identity)
        if not context.known(identity):
            harvest.records.append(
                RawRecord(
                    identity=identity,
                    text=text,
                    title=_str(values.get("title")),
                    url=_str(values.get("url")),
                    author=_str(values.get("author")),
                    published_at=_str(values.get("published_at")),
                    language=_str(values.get("language")),
                )
            )
    return harvest


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
