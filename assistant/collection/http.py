"""The collector's HTTP client: the checked client of :mod:`assistant.core.fetch` (address
policy after DNS and on every redirect, pinned credentials, a total deadline, body caps),
made polite:

- robots.txt is honoured (protego) for the configured user agent, unless a source opts out;
- one request at a time per server (host and port), at least ``host_delay_s`` apart
  (sources on different servers are collected side by side).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from assistant.core.areas import CollectSettings
from assistant.core.fetch import (
    Credential,
    Deadline,
    Fetched,
    FetchError,
    GuardedClient,
    Resolver,
    fetch_policy,
    refused_address,
    system_resolver,
)

__all__ = [
    "Credential",
    "FetchError",
    "Fetched",
    "PoliteClient",
    "Politeness",
    "refused_address",
    "system_resolver",
]
ROBOTS_TTL_S = 86_400.0


@dataclass
class Politeness:
    """Per-host turn-taking: one request at a time, ``delay_s`` apart."""

    delay_s: float
    _last: dict[str, float] = field(default_factory=dict)
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def turn(self, host: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(host, threading.Lock())

    def wait(self, host: str) -> None:
        """Sleep until ``host`` may be asked again (call holding its turn)."""
        last = self._last.get(host)
        if last is not None:
            remaining = self.delay_s - (time.monotonic() - last)
            if remaining > 0:
                time.sleep(remaining)

    def done(self, host: str) -> None:
        self._last[host] = time.monotonic()


class PoliteClient(GuardedClient):
    """The checked client with robots.txt and per-host turn-taking."""

    def __init__(
        self,
        settings: CollectSettings,
        *,
        resolver: Resolver = system_resolver,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(fetch_policy(settings), resolver=resolver, transport=transport)
        self.settings = settings
        self.politeness = Politeness(settings.host_delay_s)
        self._robots: dict[str, tuple[float, object]] = {}  # site → (read at, rules)
        self._robots_guard = threading.Lock()
        self._local = threading.local()  # whether this thread's fetch obeys robots.txt

    def get(
        self,
        url: str,
        headers: dict[str, str] | None = None,
        *,
        robots: bool = True,
        credential: Credential | None = None,
        deadline: float | None = None,
    ) -> Fetched:
        """The response at ``url`` after redirects (a 304 is returned, not raised)."""
        previous = getattr(self._local, "robots", True)
        self._local.robots = robots
        try:
            return super().get(url, headers, credential=credential, deadline=deadline)
        finally:
            self._local.robots = previous

    def _hop(self, url: str, headers: dict[str, str], clock: Deadline) -> Fetched:
        if getattr(self._local, "robots", True) and not self.allowed(url):
            raise FetchError(
                f"robots.txt disallows {url}",
                fix="ask the site, or set the source's robots to ignore if you are entitled to",
            )
        host = urlsplit(url).netloc.rpartition("@")[2].lower()  # a server: host and port
        with self.politeness.turn(host):
            self.politeness.wait(host)
            try:
                return super()._hop(url, headers, clock)
            finally:
                self.politeness.done(host)

    def allowed(self, url: str) -> bool:
        """Whether robots.txt of the URL's site lets our user agent fetch it (each site's
        rules read again after a day, as crawlers do)."""
        parts = urlsplit(url)
        site = f"{parts.scheme}://{parts.netloc}"
        with self._robots_guard:
            read_at, rules = self._robots.get(site, (0.0, None))
            fresh = site in self._robots and time.monotonic() - read_at <= ROBOTS_TTL_S
        if not fresh:
            rules = self._read_robots(site)
            with self._robots_guard:
                self._robots[site] = (time.monotonic(), rules)
        if rules is None:
            return True
        return bool(rules.can_fetch(url, self.settings.user_agent))  # type: ignore[attr-defined]

    def _read_robots(self, site: str) -> object | None:
        from protego import Protego

        try:
            response = self.get(f"{site}/robots.txt", robots=False)
        except FetchError:
            return None  # no robots.txt reachable: the site states no rule
        if response.status >= 400 or not response.body:
            return None
        return Protego.parse(response.text())
