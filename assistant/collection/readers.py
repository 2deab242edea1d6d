"""Source types: a reader per protocol, registered by name like the corpus connectors.

A reader takes a stored source, the polite client and what the corpus already holds, and
returns a :class:`Harvest`: the new records, the cursor to resume from, and what the pass
cost. Readers never store anything: the collector does, in one place."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from assistant.collection.http import Credential, Fetched, FetchError, PoliteClient
from assistant.collection.store import Source
from assistant.core.errors import InputError
from assistant.core.registrar import registrar
from corpus.document import RawRecord

TYPES = ("rss", "web", "mastodon", "bluesky", "telegram", "x", "json")


@dataclass
class Context:
    """What a reader may use: the client, how far back a first run reads, and whether an
    identity is already stored (so an article is not fetched twice)."""

    client: PoliteClient
    depth: int
    known: Callable[[str], bool]
    robots: bool = True  # a source may opt out, when its owner entitles us to
    # the service's credential (the X API's token, for X sources only), sent with every
    # request and only to its own origin: a URL elsewhere is refused before it is sent
    credential: Credential | None = None

    def get(self, url: str, headers: dict[str, str] | None = None) -> Fetched:
        return self.client.get(url, headers, robots=self.robots, credential=self.credential)


@dataclass
class Harvest:
    """One pass over one source."""

    records: list[RawRecord] = field(default_factory=list)
    cursor: dict[str, Any] = field(default_factory=dict)
    fetched: int = 0  # responses with content
    not_modified: int = 0  # 304 answers (nothing parsed)
    notes: list[str] = field(default_factory=list)  # items that failed alone


Reader = Callable[[Source, Context], Harvest]
READERS: dict[str, Reader] = {}


reader = registrar(READERS)  # @reader("rss") registers a source type's reader


def read(source: Source, context: Context) -> Harvest:
    """One pass of the source's reader."""
    from assistant.collection import feeds, social  # noqa: F401 - registers the readers

    return READERS[source.type](source, context)


_PATTERNS = (
    ("telegram", re.compile(r"^https?://t\.me/(s/)?[\w]+/?$")),
    ("bluesky", re.compile(r"/xrpc/app\.bsky\.|^https?://bsky\.app/profile/")),
    (
        "mastodon",
        re.compile(r"/api/v1/(accounts|timelines)/|^https?://[^/]+/(@[\w.]+|tags/\w+)/?$"),
    ),
    ("x", re.compile(r"^https?://(api\.)?(x|twitter)\.com/")),
)


def detect_type(url: str, fetch: Callable[[str], Fetched] | None = None) -> str:
    """The type a URL names: by its form, else by what it serves (a feed, JSON or a page)."""
    if not url.startswith(("http://", "https://")):
        raise InputError(
            f"a source is an http(s) URL, got {url!r}", fix="e.g. https://example.org/feed.xml"
        )
    for name, pattern in _PATTERNS:
        if pattern.search(url):
            return name
    path = urlsplit(url).path.lower()
    if path.endswith((".rss", ".atom", ".xml", "/feed", "/rss", "/feed/", "/rss/")):
        return "rss"
    if path.endswith(".json") or fetch is None:
        return "json" if path.endswith(".json") else "web"
    return _type_by_content(fetch, url)


def _type_by_content(fetch: Callable[[str], Fetched], url: str) -> str:
    try:
        response = fetch(url)
    except FetchError:
        return "web"  # the first collection reports what is wrong with the URL
    content_type = response.headers.get("content-type", "")
    head = response.body[:2048].lstrip()
    if "json" in content_type or head[:1] in (b"{", b"["):
        return "json"
    if re.match(rb"(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(rss|feed|rdf:RDF)\b", head, re.S):
        return "rss"
    return "web"


def checked(response: Fetched, what: str) -> Fetched:
    """The response, or a FetchError naming the HTTP status."""
    if response.status >= 400:
        raise FetchError(f"{what} answered HTTP {response.status}")
    return response


def conditional_headers(cursor: dict[str, Any]) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from what the last pass was told."""
    headers = {}
    if cursor.get("etag"):
        headers["If-None-Match"] = str(cursor["etag"])
    if cursor.get("last_modified"):
        headers["If-Modified-Since"] = str(cursor["last_modified"])
    return headers


def validators(response: Fetched) -> dict[str, str]:
    """The ETag and Last-Modified to send next time."""
    out = {}
    if response.headers.get("etag"):
        out["etag"] = response.headers["etag"]
    if response.headers.get("last-modified"):
        out["last_modified"] = response.headers["last-modified"]
    return out
