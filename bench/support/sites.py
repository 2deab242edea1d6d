"""A loopback web site for collection tests, bench and the demo: RSS/Atom feeds built from
real texts whose items link to full article pages, a listing page, Mastodon- and
Bluesky-shaped APIs, an X-API-v2-shaped timeline (bearer token required) and a ``t.me/s/``
page serving real posts, plus hostile answers
(a redirect to a metadata address, an XXE feed, a 200 MB body).

Every request is recorded (path and headers) so a test can see what the collector sent.
ETag / Last-Modified are honoured: a conditional request for an unchanged page gets 304."""

from __future__ import annotations

import hashlib
import html
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

HUGE_BYTES = 200 * 1024 * 1024


@dataclass
class Article:
    slug: str
    title: str
    text: str
    published: datetime
    language: str = "en"


@dataclass
class Site:
    """What the server serves; change it while the server runs (new items, new posts)."""

    articles: list[Article] = field(default_factory=list)
    posts: list[dict[str, Any]] = field(default_factory=list)  # {"id", "text", "lang", "author"}
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    robots: str = "User-agent: *\nDisallow: /private/\n"
    base: str = ""
    x_token: str = "loopback-x-token"

    def summary_feed(self) -> bytes:
        """RSS 2.0 whose items carry a short summary and link to the full article."""
        items = "".join(
            f"<item><title>{html.escape(a.title)}</title>"
            f"<link>{self.base}/articles/{a.slug}.html?utm_source=rss</link>"
            f"<guid>{self.base}/articles/{a.slug}.html</guid>"
            f"<pubDate>{format_datetime(a.published)}</pubDate>"
            f"<description>{html.escape(a.text[:160])}…</description></item>"
            for a in sorted(self.articles, key=lambda a: a.published, reverse=True)
        )
        return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                f"<title>Loopback Wire</title><link>{self.base}/</link><language>en</language>"
                f"{items}</channel></rss>").encode()  # fmt: skip

    def atom_feed(self) -> bytes:
        """Atom with the full text in each entry (no article fetch needed)."""
        entries = "".join(
            f"<entry><title>{html.escape(a.title)}</title><id>{self.base}/full/{a.slug}</id>"
            f'<link href="{self.base}/full/{a.slug}"/><updated>{a.published.isoformat()}</updated>'
            f'<content type="html">{html.escape(_paragraphs(a.text))}</content></entry>'
            for a in self.articles
        )
        return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                f"<title>Loopback Atom</title><id>{self.base}/atom.xml</id>"
                f"<updated>{datetime.now(UTC).isoformat()}</updated>{entries}</feed>").encode()  # fmt: skip

    def article_page(self, slug: str) -> bytes | None:
        article = next((a for a in self.articles if a.slug == slug), None)
        if article is None:
            return None
        return (f'<!doctype html><html lang="{article.language}"><head><meta charset="utf-8">'
                f"<title>{html.escape(article.title)}</title>"
                f'<meta name="date" content="{article.published.date().isoformat()}"></head>'
                f"<body><nav><a href='/'>Home</a> | <a href='/press/'>Press</a></nav>"
                f"<article><h1>{html.escape(article.title)}</h1>{_paragraphs(article.text)}"
                f"</article><footer>Loopback Wire</footer></body></html>").encode()  # fmt: skip

    def listing_page(self) -> bytes:
        links = "".join(
            f'<li><a href="/articles/{a.slug}.html">{html.escape(a.title)}</a></li>'
            for a in self.articles
        )
        return (f"<!doctype html><html><body><h1>Press releases</h1><ul>{links}</ul>"
                f"<a href='/about.html'>About</a></body></html>").encode()  # fmt: skip

    def mastodon_statuses(self, query: dict[str, list[str]]) -> bytes:
        posts = _older_than(self.posts, query.get("max_id"), query.get("limit"))
        return json.dumps([{
            "id": str(p["id"]), "uri": f"{self.base}/users/{p['author']}/statuses/{p['id']}",
            "url": f"{self.base}/@{p['author']}/{p['id']}", "created_at": p["created_at"],
            "content": f"<p>{html.escape(p['text'])}</p>", "language": p.get("lang"),
            "in_reply_to_id": None, "reblog": None, "replies_count": 1, "reblogs_count": 2,
            "favourites_count": 3, "account": {"acct": p["author"], "display_name": p["author"]},
        } for p in posts]).encode()  # fmt: skip

    def bluesky_feed(self, query: dict[str, list[str]]) -> bytes:
        posts = _older_than(self.posts, query.get("cursor"), query.get("limit"))
        feed = [{"post": {
            "uri": f"at://did:plc:{p['author']}/app.bsky.feed.post/{p['id']}",
            "author": {"handle": f"{p['author']}.bsky.social", "displayName": p["author"]},
            "record": {"text": p["text"], "createdAt": p["created_at"], "langs": [p.get("lang")]},
            "indexedAt": p["created_at"], "replyCount": 0, "repostCount": 4, "likeCount": 5,
        }} for p in posts]  # fmt: skip
        cursor = str(posts[-1]["id"]) if posts else None
        return json.dumps({"feed": feed, **({"cursor": cursor} if cursor else {})}).encode()

    def x_tweets(self, query: dict[str, list[str]]) -> bytes:
        """API v2 ``/2/users/:id/tweets``: newest first, ``since_id`` and ``pagination_token``."""
        since = int(query.get("since_id", ["0"])[0] or 0)
        newer = [p for p in self.posts if int(p["id"]) > since]
        page = _older_than(newer, query.get("pagination_token"), query.get("max_results"))
        data = [{
            "id": str(p["id"]), "text": p["text"], "lang": p.get("lang"), "author_id": p["author"],
            "created_at": p["created_at"], "conversation_id": str(p["id"]),
            "public_metrics": {"reply_count": 1, "retweet_count": 6, "like_count": 7},
        } for p in page]  # fmt: skip
        older = [p for p in newer if page and int(p["id"]) < int(page[-1]["id"])]
        meta = {"result_count": len(data), **({"next_token": page[-1]["id"]} if older else {})}
        return json.dumps({"data": data, "meta": meta} if data else {"meta": meta}).encode()

    def telegram_page(self, query: dict[str, list[str]]) -> bytes:
        posts = _older_than(self.posts, query.get("before"), ["20"])
        blocks = "".join(
            f'<div class="tgme_widget_message" data-post="loopchannel/{p["id"]}">'
            f'<div class="tgme_widget_message_text">{html.escape(p["text"])}</div>'
            f'<span class="tgme_widget_message_views">1.2K</span>'
            f'<time datetime="{p["created_at"]}">x</time></div>'
            for p in reversed(posts)  # the preview lists oldest first
        )
        return f"<!doctype html><html><body>{blocks}</body></html>".encode()


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n") if p.strip())


def _older_than(
    posts: list[dict[str, Any]], before: list[str] | None, limit: list[str] | None
) -> list[dict[str, Any]]:
    """Newest first, ids below ``before``, at most ``limit``."""
    ordered = sorted(posts, key=lambda p: -int(p["id"]))
    if before:
        ordered = [p for p in ordered if int(p["id"]) < int(before[0])]
    return ordered[: min(int(limit[0]), 20) if limit else 20]  # pages of 20 at most


XXE_FEED = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            b"<rss><channel><title>&xxe;</title></channel></rss>")  # fmt: skip


def _validator(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


class _Handler(BaseHTTPRequestHandler):
    site: Site

    def log_message(self, *args: Any) -> None:
        return None

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.site.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        if parts.path == "/huge":
            return self._huge()
        if parts.path == "/drip":
            return self._drip()
        if parts.path.startswith("/2/") and (
            self.headers.get("Authorization") != f"Bearer {self.site.x_token}"
        ):
            return self._send(401, "application/json", b'{"title": "Unauthorized"}')
        routed = self._route(parts.path, parse_qs(parts.query))
        if routed is None:
            return self._send(404, "text/plain", b"not found")
        status, content_type, body = routed
        if status in (301, 302):
            self.send_response(status)
            self.send_header("Location", body.decode())
            self.end_headers()
            return None
        etag = _validator(body)
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return None
        return self._send(status, content_type, body, etag)

    def _route(self, path: str, query: dict[str, list[str]]) -> tuple[int, str, bytes] | None:
        site = self.site
        if path.startswith("/articles/") and path.endswith(".html"):
            page = site.article_page(path[len("/articles/") : -len(".html")])
            return (200, "text/html; charset=utf-8", page) if page else None
        fixed: dict[str, tuple[int, str, bytes]] = {
            "/feed.xml": (200, "application/rss+xml", site.summary_feed()),
            "/atom.xml": (200, "application/atom+xml", site.atom_feed()),
            "/press/": (200, "text/html; charset=utf-8", site.listing_page()),
            "/robots.txt": (200, "text/plain", site.robots.encode()),
            "/xxe.xml": (200, "application/rss+xml", XXE_FEED),
            "/to-metadata": (302, "", b"http://169.254.169.254/latest/meta-data/"),
            "/to-loopback": (302, "", b"http://127.0.0.1:9/feed.xml"),
            "/private/feed.xml": (200, "application/rss+xml", site.summary_feed()),
            "/broken.xml": (500, "text/plain", b"server error"),
        }  # fmt: skip
        if path in fixed:
            return fixed[path]
        if path.startswith("/2/users/") and path.endswith("/tweets"):
            return 200, "application/json", site.x_tweets(query)
        if path.startswith("/api/v1/accounts/") and path.endswith("/statuses"):
            return 200, "application/json", site.mastodon_statuses(query)
        if path == "/xrpc/app.bsky.feed.getAuthorFeed":
            return 200, "application/json", site.bluesky_feed(query)
        if path == "/s/loopchannel":
            return 200, "text/html; charset=utf-8", site.telegram_page(query)
        return None

    def _send(self, status: int, content_type: str, body: bytes, etag: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if etag:
            self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def _drip(self) -> None:
        """A feed that drips one byte every two seconds for two minutes (a slow source: only
        a total deadline stops it, never the per-read timeout)."""
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.end_headers()
        try:
            for byte in b"<rss><channel>" * 5:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(2.0)
        except (BrokenPipeError, ConnectionResetError):
            return

    def _huge(self) -> None:
        """200 MB of feed-looking bytes, streamed without a length (the cap must stop it)."""
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.end_headers()
        chunk = b"<item>" + b"x" * 65536 + b"</item>"
        try:
            self.wfile.write(b"<rss><channel>")
            for _ in range(HUGE_BYTES // len(chunk)):
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            return


@contextmanager
def serving_site(site: Site, port: int = 0) -> Iterator[Site]:
    """Serve ``site`` on a loopback port (default: a free one) until the block ends;
    ``site.base`` is its URL."""
    handler = type("SiteHandler", (_Handler,), {"site": site})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


def whitehouse_articles(files: Path, n: int) -> list[Article]:
    """Real White House releases (markdown with front matter) as articles."""
    import yaml

    articles = []
    for path in sorted(files.glob("*.md"))[:n]:
        raw = path.read_text(encoding="utf-8")
        _, front, body = raw.split("---", 2)
        meta = yaml.safe_load(front)
        published = datetime.fromisoformat(str(meta.get("published_time") or meta["date"]))
        if published.tzinfo is None:
            published = published.replace(tzinfo=UTC)
        articles.append(Article(path.stem, str(meta["title"]), body.strip(), published))
    return articles


def posts_from(
    texts: list[tuple[str, str]], start: datetime, every: timedelta = timedelta(minutes=1)
) -> list[dict[str, Any]]:
    """Real posts (text, language) as numbered posts, one ``every`` from ``start``."""
    return [
        {"id": 1000 + i, "text": text, "lang": lang, "author": f"user{i % 7}",
         "created_at": (start + i * every).isoformat().replace("+00:00", "Z")}
        for i, (text, lang) in enumerate(texts)
    ]  # fmt: skip
