"""Platform profiles: limits, how each platform counts a post, hashtag and mention rules.

Counting follows each platform's own rule, and where a rule is not published exactly it
over-counts, never under-counts (a post Dragoman calls within the limit is within it):

- X: twitter-text v3 weighted length (the ``twitter-text-parser`` port of the official
  library): most Latin, Cyrillic and Arabic characters weigh 1, CJK and other characters 2,
  an emoji sequence 2, every URL 23.
- Weibo: 2,000 characters, a half-width (ASCII) character counting half (the platform's
  rule); a URL counts as written (Weibo shortens links, so this over-counts).
- Telegram: 4,096 UTF-16 code units (how its API measures messages).
- Facebook, LinkedIn, Threads: Unicode code points (an emoji sequence counts each point).
- Mastodon: 500 by default (configurable: instances differ), a URL counts 23 and a remote
  mention ``@user@domain`` counts as ``@user``.
"""

from __future__ import annotations

import math
import re
import sys
import types
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from assistant.core.errors import InputError
from assistant.drafting.contracts import LengthOut, PlatformOut

URL_WEIGHT = 23
_CJK_LANGUAGES = ("zh", "ja")


@dataclass(frozen=True)
class Platform:
    """One platform's rules."""

    name: str
    label: str
    limit: int
    counting: str  # twitter-text | weibo | utf16 | codepoints | mastodon
    target: int  # a good length for a generated post (never above the limit)
    max_hashtags: int
    hashtag_style: str  # "#tag" or "#tag#" (Weibo topics)
    mention: re.Pattern[str]
    threads: bool  # whether a long message may become numbered posts
    max_posts: int
    rule: str  # the counting rule in words (shown to press officers)

    def count(self, text: str) -> int:
        return _COUNTERS[self.counting](text)

    def fits(self, text: str) -> bool:
        return self.count(text) <= self.limit

    def to_dict(self) -> dict[str, Any]:
        """The profile as press officers see it (`dragoman drafts platforms --json`)."""
        return PlatformOut.model_validate(self, from_attributes=True).model_dump(mode="json")


def _twitter_parse() -> Callable[[str], Any]:
    """``twitter_text.parse_tweet``; the package reads its emoji table through
    ``pkg_resources``, which current setuptools no longer ships: a stand-in serves that one
    call during the import and is removed afterwards."""
    if "twitter_text" not in sys.modules and "pkg_resources" not in sys.modules:
        shim = types.ModuleType("pkg_resources")

        def resource_string(module: str, name: str) -> bytes:
            return (Path(str(sys.modules[module].__file__)).parent / name).read_bytes()

        shim.resource_string = resource_string  # type: ignore[attr-defined]
        sys.modules["pkg_resources"] = shim
        try:
            import twitter_text
        finally:
            if sys.modules.get("pkg_resources") is shim:
                del sys.modules["pkg_resources"]
    import twitter_text

    parse: Callable[[str], Any] = twitter_text.parse_tweet
    return parse


@cache
def _parser() -> Callable[[str], Any]:
    return _twitter_parse()


def x_length(text: str) -> int:
    """The weighted length X gives ``text`` (twitter-text v3)."""
    return int(_parser()(text).weightedLength)


def url_spans(text: str) -> list[tuple[int, int]]:
    """Where twitter-text finds URLs (with or without a scheme)."""
    _parser()
    from twitter_text import extract_urls_with_indices

    return [(int(u["indices"][0]), int(u["indices"][1])) for u in extract_urls_with_indices(text)]


def _without_urls(text: str) -> tuple[str, int]:
    pieces, last, count = [], 0, 0
    for start, end in url_spans(text):
        pieces.append(text[last:start])
        last, count = end, count + 1
    pieces.append(text[last:])
    return "".join(pieces), count


def weibo_length(text: str) -> int:
    """Characters as Weibo counts them: half-width characters count one half."""
    halves = sum(1 if ord(ch) < 128 or _half_width(ch) else 2 for ch in _nfc(text))
    return math.ceil(halves / 2)


def _half_width(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("H", "Na")


_REMOTE_MENTION = re.compile(r"(@[A-Za-z0-9_]+)@[A-Za-z0-9.\-]+\w")


def mastodon_length(text: str) -> int:
    """Code points, each URL counting 23 and a remote mention only its local part."""
    rest, urls = _without_urls(_REMOTE_MENTION.sub(r"\1", _nfc(text)))
    return len(rest) + URL_WEIGHT * urls


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n"))


_COUNTERS: dict[str, Callable[[str], int]] = {
    "twitter-text": x_length,
    "weibo": weibo_length,
    "utf16": lambda text: len(_nfc(text).encode("utf-16-le")) // 2,
    "codepoints": lambda text: len(_nfc(text)),
    "mastodon": mastodon_length,
}

_LATIN_HANDLE = re.compile(r"^@[A-Za-z0-9_]{1,15}$")


def _profiles(mastodon_limit: int) -> dict[str, Platform]:
    return {
        p.name: p
        for p in (
            Platform(
                "x",
                "X (Twitter)",
                280,
                "twitter-text",
                280,
                2,
                "#tag",
                _LATIN_HANDLE,
                True,
                25,
                "twitter-text v3 weighted: CJK and emoji count 2, every URL 23",
            ),
            Platform(
                "weibo",
                "Weibo",
                2000,
                "weibo",
                300,
                3,
                "#tag#",
                re.compile(r"^@[\w\-]{2,30}$"),
                False,
                1,
                "characters; half-width (ASCII) characters count half; topics are #话题#",
            ),
            Platform(
                "facebook",
                "Facebook",
                63206,
                "codepoints",
                600,
                3,
                "#tag",
                re.compile(r"^@[\w.\-]{2,50}$"),
                False,
                1,
                "Unicode code points",
            ),
            Platform(
                "linkedin",
                "LinkedIn",
                3000,
                "codepoints",
                1200,
                5,
                "#tag",
                re.compile(r"^@[\w.\-]{2,100}$"),
                False,
                1,
                "Unicode code points",
            ),
            Platform(
                "telegram",
                "Telegram",
                4096,
                "utf16",
                800,
                3,
                "#tag",
                re.compile(r"^@[A-Za-z][A-Za-z0-9_]{4,31}$"),
                False,
                1,
                "UTF-16 code units",
            ),
            Platform(
                "threads",
                "Threads",
                500,
                "codepoints",
                500,
                1,
                "#tag",
                re.compile(r"^@[A-Za-z0-9_.]{1,30}$"),
                True,
                10,
                "Unicode code points; one topic tag per post",
            ),
            Platform(
                "mastodon",
                "Mastodon",
                mastodon_limit,
                "mastodon",
                min(mastodon_limit, 500),
                4,
                "#tag",
                re.compile(r"^@[A-Za-z0-9_]{1,30}(@[A-Za-z0-9.\-]+\.[A-Za-z]{2,})?$"),
                True,
                10,
                "code points; every URL 23; @user@domain counts as @user",
            ),
        )
    }


PLATFORM_NAMES = tuple(_profiles(500))


def platform(name: str, mastodon_limit: int = 500) -> Platform:
    """The profile called ``name`` (x, weibo, facebook, linkedin, telegram, threads,
    mastodon)."""
    profiles = _profiles(mastodon_limit)
    key = name.strip().lower()
    if key == "twitter":
        key = "x"
    if key not in profiles:
        raise InputError(
            f"unknown platform {name!r}", fix=f"use one of: {', '.join(PLATFORM_NAMES)}"
        )
    return profiles[key]


def length_report(profile: Platform, text: str) -> dict[str, Any]:
    """What the web editor shows beside a text: its length, the limit, what is left."""
    length = profile.count(text)
    return LengthOut.shape(
        {"platform": profile.name, "length": length, "limit": profile.limit,
         "remaining": profile.limit - length, "within_limit": length <= profile.limit,
         "rule": profile.rule}
    )  # fmt: skip


_TAG_CHARS = re.compile(r"[^\w]", re.UNICODE)


def format_hashtag(tag: str, profile: Platform) -> str | None:
    """``tag`` written as the platform expects (``#ClimateAction``, Weibo ``#气候行动#``);
    None when nothing usable remains (empty, or digits only)."""
    words = [w for w in re.split(r"[\s_\-]+", tag.strip().strip("#")) if w]
    if not words:
        return None
    joined = "".join(w if _is_cjk(w) or w[:1].isupper() else w[:1].upper() + w[1:] for w in words)
    if len(words) == 1:
        joined = words[0]
    body = _TAG_CHARS.sub("", joined)
    if not body or body.isdigit() or len(body) > 60:
        return None
    return f"#{body}#" if profile.hashtag_style == "#tag#" else f"#{body}"


def _is_cjk(word: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in word)


_MENTION = re.compile(r"(?<![\w@])@[\w.\-]+(?:@[\w.\-]+)?")


def invalid_mentions(text: str, profile: Platform) -> list[str]:
    """Mentions in ``text`` that are not valid handles on the platform."""
    found = [m.rstrip(".-") for m in _MENTION.findall(text)]
    return [m for m in found if not profile.mention.match(m)]


def joiner(language: str) -> str:
    """What separates sentences in ``language`` (nothing in Chinese and Japanese)."""
    return "" if language in _CJK_LANGUAGES else " "
