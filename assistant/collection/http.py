"""The collector's HTTP client: polite, bounded, and refusing to be turned on the intranet.

- every address is resolved first and refused when private or loopback (unless
  ``DRAGOMAN_COLLECT_ALLOW_PRIVATE``) or link-local, reserved or multicast (always); the
  connection then goes to the address that was checked (the host name kept for ``Host``
  and TLS), so a DNS answer that changes between the check and the connection cannot
  slip through;
- redirects are followed by hand, at most ``max_redirects``, each target checked the same way;
- robots.txt is honoured (protego) for the configured user agent, unless a source opts out;
- one request at a time per host, at least ``host_delay_s`` apart;
- a timeout on every request and a cap on every body (a larger response is refused, not cut).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from assistant.core.areas import CollectSettings
from assistant.core.errors import DragomanError

Resolver = Callable[[str, int], list[str]]
REDIRECTS = {301, 302, 303, 307, 308}
ROBOTS_TTL_S = 86_400.0


class FetchError(DragomanError):
    """A request the collector refused or could not complete (reported per source)."""


@dataclass(frozen=True)
class Fetched:
    """A response: its status, final URL, headers (lower-case names) and body."""

    status: int
    url: str
    headers: dict[str, str]
    body: bytes

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def text(self) -> str:
        return self.body.decode(_charset(self.headers.get("content-type", "")), errors="replace")


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            try:
                "".encode(value.strip("\"'"))
                return value.strip("\"'")
            except LookupError:
                break
    return "utf-8"


def _public(headers: dict[str, str] | None) -> dict[str, str]:
    return {
        k: v for k, v in (headers or {}).items() if k.lower() not in ("authorization", "cookie")
    }


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system's resolver gives for ``host``."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve {host!r}: {exc.strerror}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refused_address(address: str, allow_private: bool = False) -> str | None:
    """Why an address may not be collected from. Private and loopback addresses are
    allowed by ``allow_private`` (intranet sources); link-local (cloud metadata at
    169.254.169.254), multicast, reserved and unspecified addresses never are."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    never = (("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
             ("reserved", ip.is_reserved or ip.is_unspecified))  # fmt: skip
    unless_allowed = (("loopback", ip.is_loopback), ("private", ip.is_private))
    for reason, test in never + (() if allow_private else unless_allowed):
        if test:
            return reason
    return None


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


class PoliteClient:
    """GET with the address policy, manual redirects, robots.txt, turn-taking and caps."""

    def __init__(
        self,
        settings: CollectSettings,
        *,
        resolver: Resolver = system_resolver,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.resolver = resolver
        self.politeness = Politeness(settings.host_delay_s)
        self.max_bytes = int(settings.max_mb * 1024 * 1024)
        self._robots: dict[str, tuple[float, object]] = {}  # site → (read at, rules)
        self._client = httpx.Client(
            timeout=settings.timeout_s,
            follow_redirects=False,
            transport=transport,
            headers={"User-Agent": settings.user_agent},
            trust_env=False,
        )

    def close(self) -> None:
        self._client.close()

    def get(
        self, url: str, headers: dict[str, str] | None = None, *, robots: bool = True
    ) -> Fetched:
        """The response at ``url`` after redirects (a 304 is returned, not raised)."""
        current = url
        for _ in range(self.settings.max_redirects + 1):
            if robots and not self.allowed(current):
                raise FetchError(
                    f"robots.txt disallows {current}",
                    fix="ask the site, or set the source's robots to ignore if you are entitled to",
                )
            response = self._once(current, headers or {})
            if response.status not in REDIRECTS:
                return response
            location = response.headers.get("location")
            if not location:
                raise FetchError(f"redirect without a Location from {current}")
            following = urljoin(current, location)
            if urlsplit(following).netloc != urlsplit(current).netloc:
                headers = _public(headers)  # a credential never follows to another host
            current = following
        raise FetchError(f"more than {self.settings.max_redirects} redirects from {url}")

    def allowed(self, url: str) -> bool:
        """Whether robots.txt of the URL's site lets our user agent fetch it (each site's
        rules read again after a day, as crawlers do)."""
        parts = urlsplit(url)
        site = f"{parts.scheme}://{parts.netloc}"
        read_at, rules = self._robots.get(site, (0.0, None))
        if site not in self._robots or time.monotonic() - read_at > ROBOTS_TTL_S:
            rules = self._read_robots(site)
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

    def _once(self, url: str, headers: dict[str, str]) -> Fetched:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"not an http(s) URL: {url!r}")
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = self._checked_address(host, port)
        with self.politeness.turn(host):
            self.politeness.wait(host)
            try:
                return self._send(url, parts.scheme, host, port, address, headers)
            finally:
                self.politeness.done(host)

    def _checked_address(self, host: str, port: int) -> str:
        addresses = self.resolver(host, port)
        if not addresses:
            raise FetchError(f"{host!r} resolves to no address")
        for address in addresses:
            reason = refused_address(address, self.settings.allow_private)
            if reason:
                fix = (
                    None
                    if reason not in ("loopback", "private")
                    else ("set DRAGOMAN_COLLECT_ALLOW_PRIVATE=true for intranet sources")
                )
                raise FetchError(f"{host} resolves to a {reason} address ({address}): refused",
                                 fix=fix)  # fmt: skip
        return addresses[0]

    def _send(
        self,
        url: str,
        scheme: str,
        host: str,
        port: int,
        address: str,
        headers: dict[str, str],
    ) -> Fetched:
        parts = urlsplit(url)
        literal = f"[{address}]" if ":" in address else address
        pinned = urlunsplit((scheme, f"{literal}:{port}", parts.path or "/", parts.query, ""))
        host_header = parts.netloc.rpartition("@")[2]
        request = self._client.build_request(
            "GET",
            pinned,
            headers={**headers, "Host": host_header},
            extensions={"sni_hostname": host} if scheme == "https" else {},
        )
        try:
            response = self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise FetchError(f"cannot fetch {url}: {type(exc).__name__}: {exc}") from exc
        try:
            body = self._capped_body(response, url)
        finally:
            response.close()
        lowered = {k.lower(): v for k, v in response.headers.items()}
        return Fetched(response.status_code, url, lowered, body)

    def _capped_body(self, response: httpx.Response, url: str) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchError(
                f"{url} declares {int(declared):,} bytes, over the "
                f"{self.max_bytes:,}-byte cap: refused"
            )
        chunks, size = [], 0
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchError(f"{url} is over the {self.max_bytes:,}-byte cap: refused")
                chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise FetchError(f"cannot read {url}: {type(exc).__name__}: {exc}") from exc
        return b"".join(chunks)
