"""Social-media exports: X/Twitter tweets.js, Telegram result.json, Mastodon outbox, Weibo."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from assistant.core.errors import InputError
from corpus.connectors import Options, connector, decode_text
from corpus.connectors.tabular import csv_rows, json_or_jsonl_rows, records_from_rows
from corpus.connectors.web import html_to_text
from corpus.document import RawRecord
from corpus.sources import SourceFile

_YTD_PREFIX = re.compile(r"^\s*window\.YTD\.\w+\.part\d+\s*=\s*")


def _load_json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid {what} JSON at line {exc.lineno}: {exc.msg}") from exc


@connector("tweets-js")
def read_tweets_js(source: SourceFile, fmt: str, options: Options) -> Iterator[RawRecord]:
    text = _YTD_PREFIX.sub("", decode_text(source, options.limits), count=1)
    items = _load_json(text, "tweets.js")
    if not isinstance(items, list):
        raise InputError("tweets.js does not hold a list of tweets")
    for item in items:
        tweet = item.get("tweet", item) if isinstance(item, dict) else None
        if not isinstance(tweet, dict) or not tweet.get("full_text", tweet.get("text")):
            continue
        tweet_id = str(tweet.get("id_str") or tweet.get("id"))
        yield RawRecord(
            identity=f"x:{tweet_id}",
            text=str(tweet.get("full_text") or tweet.get("text")),
            url=f"https://x.com/i/web/status/{tweet_id}",
            platform="x",
            author=options.source,
            published_at=tweet.get("created_at"),
            language=_tweet_lang(tweet.get("lang")),
            kind="social",
            metadata={k: tweet[k] for k in ("retweet_count", "favorite_count") if k in tweet},
        )


def _tweet_lang(code: Any) -> str | None:
    return str(code) if isinstance(code, str) and re.fullmatch(r"[a-z]{2}", code) else None


def _telegram_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(
            part if isinstance(part, str) else str(part.get("text", "")) for part in value
        )
    return ""


@connector("telegram")
def read_telegram(source: SourceFile, fmt: str, options: Options) -> Iterator[RawRecord]:
    export = _load_json(decode_text(source, options.limits), "Telegram export")
    if not isinstance(export, dict) or not isinstance(export.get("messages"), list):
        raise InputError("not a Telegram result.json (no messages list)")
    channel = str(export.get("name") or "telegram")
    chat_id = export.get("id", channel)
    for message in export["messages"]:
        if not isinstance(message, dict) or message.get("type") != "message":
            continue
        text = _telegram_text(message.get("text"))
        if not text.strip():
            continue
        yield RawRecord(
            identity=f"telegram:{chat_id}:{message.get('id')}",
            text=text,
            platform="telegram",
            source=channel,
            author=message.get("from") or channel,
            published_at=message.get("date_unixtime") or message.get("date"),
            kind="social",
            metadata={"message_id": message.get("id")},
        )


@connector("mastodon")
def read_mastodon(source: SourceFile, fmt: str, options: Options) -> Iterator[RawRecord]:
    outbox = _load_json(decode_text(source, options.limits), "Mastodon outbox")
    items = outbox.get("orderedItems") if isinstance(outbox, dict) else None
    if not isinstance(items, list):
        raise InputError("not a Mastodon outbox (no orderedItems)")
    for activity in items:
        note = activity.get("object") if isinstance(activity, dict) else None
        if activity.get("type") != "Create" or not isinstance(note, dict):
            continue  # boosts (Announce) point at others' posts
        content_map = note.get("contentMap") or {}
        html = note.get("content") or next(iter(content_map.values()), "")
        text = html_to_text(html) if html else ""
        if not text.strip():
            continue
        yield RawRecord(
            identity=str(note.get("id")),
            text=text,
            url=note.get("url") or note.get("id"),
            platform="mastodon",
            author=activity.get("actor"),
            published_at=note.get("published"),
            language=next(iter(content_map), None),
            kind="social",
        )


WEIBO_MAPPING = {
    "id": ("mblogid", "mid", "id", "微博id"),
    "text": ("text_raw", "text", "微博正文", "content", "review"),
    "published_at": ("created_at", "发布时间", "date"),
    "author": ("screen_name", "用户昵称", "user.screen_name", "author"),
    "url": ("url", "微博链接", "link"),
}


def _weibo_mapping(columns: set[str], explicit: dict[str, str]) -> dict[str, str]:
    mapping = dict(explicit)
    for target, names in WEIBO_MAPPING.items():
        if target not in mapping:
            found = next((n for n in names if n.split(".")[0] in columns), None)
            if found:
                mapping[target] = found
    return mapping


@connector("weibo")
def read_weibo(source: SourceFile, fmt: str, options: Options) -> Iterator[RawRecord]:
    is_json = source.data.lstrip()[:1] in (b"[", b"{")
    rows = json_or_jsonl_rows(source, options) if is_json else csv_rows(source, options)
    columns = set().union(*(row.keys() for row in rows[:50])) if rows else set()
    weibo_options = replace(options, mapping=_weibo_mapping(columns, options.mapping))
    for record in records_from_rows(rows, source, weibo_options, platform="weibo"):
        record.kind = "social"
        yield record
