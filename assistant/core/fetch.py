"""The one checked HTTP client: every fetch the product makes from a URL someone named
(collection, `dragoman ingest URL`) goes through it.

- one address rule: an address is allowed when it is globally routable, or, when the
  operator allows private sources, private or loopback; link-local (cloud metadata at
  169.254.169.254), shared (100.64.0.0/10), 6to4 and Teredo tunnels to a private address,
  reserved, multicast and unspecified addresses never are;
- every host is resolved first and every address it gives is checked; the connection then
  goes to the address that was checked (the host name kept for ``Host`` and TLS), so a DNS
  answer that changes between the check and the connection cannot slip through;
- redirects are followed by hand, at most ``max_redirects``, each target checked the same
  way; a credential never follows a redirect to another origin;
- a credential is pinned to its service's origin: a request carrying it to any other
  origin is refused before it is sent;
- a per-read timeout, a total deadline for the whole fetch (a server that drips one byte
  at a time is cut off), and a cap on every body (a larger response is refused, not cut).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from assistant.core.areas import CollectSettings
from assistant.core.errors import DragomanError

Resolver = Callable[[str, int], list[str]]
REDIRECTS = {301, 302, 303, 307, 308}
_DEFAULT_PORTS = {"http": 80, "https": 443}


class FetchError(DragomanError):
    """A request refused by the policy, or one that could not be completed."""


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


@dataclass(frozen=True)
class FetchPolicy:
    """What one fetch may do: which addresses, how long, how large, how many hops."""

    allow_private: bool = False
    user_agent: str = "Dragoman/0.1 (diplomatic briefing assistant)"
    timeout_s: float = 20.0  # each connect and each read
    deadline_s: float = 60.0  # the whole fetch, redirects included
    max_bytes: int = 64 * 1024 * 1024
    max_redirects: int = 5


def fetch_policy(settings: CollectSettings) -> FetchPolicy:
    """The collection settings as the checked client's policy (collection and ingest)."""
    return FetchPolicy(
        allow_private=settings.allow_private,
        user_agent=settings.user_agent,
        timeout_s=settings.timeout_s,
        deadline_s=settings.deadline_s,
        max_bytes=int(settings.max_mb * 1024 * 1024),
        max_redirects=settings.max_redirects,
    )


@dataclass(frozen=True)
class Credential:
    """Headers that belong to one service, sent only to its origin (``https://api.x.com``)."""

    origin: str
    headers: dict[str, str]
    service: str


def origin_of(url: str) -> str:
    """``scheme://host:port`` with the default port written out, for exact comparison."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system's resolver gives for ``host``."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve {host!r}: {exc.strerror}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo, NAT64), if any."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    if ip in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refused_address(address: str, allow_private: bool = False) -> str | None:
    """Why an address may not be fetched from, or None when it may.

    One rule: globally routable addresses are allowed; private and loopback ones only with
    ``allow_private`` (intranet sources); everything else never (link-local, shared
    100.64.0.0/10, reserved, multicast, unspecified, documentation ranges). An IPv6
    address that carries an IPv4 one (mapped, 6to4, Teredo, NAT64) is judged by both."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "malformed"
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            reason = refused_address(str(inner), allow_private)
            if reason or ip.ipv4_mapped:
                return reason
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_loopback:
        return None if allow_private else "loopback"
    if ip.is_global:
        return None
    if isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10"):
        return "shared (carrier-grade NAT)"
    if _private_range(ip):
        return None if allow_private else "private"
    return "reserved"


_PRIVATE_RANGES = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)


def _private_range(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether ``ip`` is in a range an intranet uses (RFC 1918, unique local)."""
    return any(ip in net for net in _PRIVATE_RANGES if net.version == ip.version)


def literal_address_refusal(url: str, allow_private: bool) -> str | None:
    """Why a URL whose host is a literal address is refused (None: a name, or allowed)."""
    host = urlsplit(url).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None
    reason = refused_address(host, allow_private)
    return f"{host} is a {reason} address" if reason else None


class Deadline:
    """A fetch's total deadline, started by its first request (not by a wait for its turn),
    and held across its redirects."""

    def __init__(self, seconds: float, at: float | None = None) -> None:
        self.seconds = seconds
        self._at = at

    def at(self) -> float:
        """The moment (``time.monotonic()``) the fetch must be over by."""
        if self._at is None:
            self._at = time.monotonic() + self.seconds
        return self._at


class GuardedClient:
    """GET with the address policy, manual redirects, pinned credentials, a deadline and a
    body cap. :meth:`_hop` sends one request; a subclass may wrap it (turn-taking)."""

    def __init__(
        self,
        policy: FetchPolicy,
        *,
        resolver: Resolver = system_resolver,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.policy = policy
        self.resolver = resolver
        self.max_bytes = policy.max_bytes
        self._client = httpx.Client(
            timeout=policy.timeout_s,
            follow_redirects=False,
            transport=transport,
            headers={"User-Agent": policy.user_agent},
            trust_env=False,
        )

    def close(self) -> None:
        self._client.close()

    def get(
        self,
        url: str,
        headers: dict[str, str] | None = None,
        *,
        credential: Credential | None = None,
        deadline: float | None = None,
    ) -> Fetched:
        """The response at ``url`` after redirects (a 304 is returned, not raised);
        ``credential`` is sent only to its own origin (scheme, host and port); ``deadline``
        (``time.monotonic()``) defaults to the policy's, counted from the first request."""
        clock = Deadline(self.policy.deadline_s, deadline)
        current = url
        sent: dict[str, str] = dict(headers or {})
        for _ in range(self.policy.max_redirects + 1):
            extra = dict(sent)
            if credential is not None:
                if origin_of(current) != credential.origin:
                    raise FetchError(
                        f"the {credential.service} credential belongs to {credential.origin}, "
                        f"not {origin_of(current)}: refused",
                        fix=f"a {credential.service} source is a URL on {credential.origin}",
                    )
                extra.update(credential.headers)
            response = self._hop(current, extra, clock)
            if response.status not in REDIRECTS:
                return response
            location = response.headers.get("location")
            if not location:
                raise FetchError(f"redirect without a Location from {current}")
            following = urljoin(current, location)
            if origin_of(following) != origin_of(current):
                sent = {
                    k: v for k, v in sent.items() if k.lower() not in ("authorization", "cookie")
                }
            current = following
        raise FetchError(f"more than {self.policy.max_redirects} redirects from {url}")

    def _hop(self, url: str, headers: dict[str, str], clock: Deadline) -> Fetched:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"not an http(s) URL: {url!r}")
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
        address = self.checked_address(parts.hostname, port)
        return self._send(url, address, port, headers, clock.at())

    def checked_address(self, host: str, port: int) -> str:
        """The address to connect to, once every address ``host`` resolves to passed."""
        addresses = self.resolver(host, port)
        if not addresses:
            raise FetchError(f"{host!r} resolves to no address")
        for address in addresses:
            reason = refused_address(address, self.policy.allow_private)
            if reason:
                fix = (
                    "set DRAGOMAN_COLLECT_ALLOW_PRIVATE=true for intranet sources"
                    if reason in ("loopback", "private")
                    else None
                )
                raise FetchError(
                    f"{host} resolves to a {reason} address ({address}): refused", fix=fix
                )
        return addresses[0]

    def _send(
        self, url: str, address: str, port: int, headers: dict[str, str], deadline: float
    ) -> Fetched:
        parts = urlsplit(url)
        if time.monotonic() >= deadline:
            raise FetchError(f"{url}: over the {self.policy.deadline_s:g} s deadline: refused")
        literal = f"[{address}]" if ":" in address else address
        pinned = urlunsplit((parts.scheme, f"{literal}:{port}", parts.path or "/", parts.query, ""))
        request = self._client.build_request(
            "GET",
            pinned,
            headers={**headers, "Host": parts.netloc.rpartition("@")[2]},
            extensions={"sni_hostname": parts.hostname} if parts.scheme == "https" else {},
        )
        try:
            response = self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise FetchError(f"cannot fetch {url}: {type(exc).__name__}: {exc}") from exc
        # The deadline holds even while a read waits: the stream is closed under it.
        watchdog = threading.Timer(max(deadline - time.monotonic(), 0.0), response.close)
        watchdog.daemon = True
        watchdog.start()
        try:
            body = self._capped_body(response, url, deadline)
        finally:
            watchdog.cancel()
            response.close()
        lowered = {k.lower(): v for k, v in response.headers.items()}
        return Fetched(response.status_code, url, lowered, body)

    def _capped_body(self, response: httpx.Response, url: str, deadline: float) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchError(
                f"{url} declares {int(declared):,} bytes, over the "
                f"{self.max_bytes:,}-byte cap: refused"
            )
        chunks, size = [], 0
        late = FetchError(f"{url}: over the {self.policy.deadline_s:g} s deadline: refused")
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchError(f"{url} is over the {self.max_bytes:,}-byte cap: refused")
                if time.monotonic() >= deadline:
                    raise late
                chunks.append(chunk)
        except (httpx.HTTPError, httpx.StreamClosed, RuntimeError) as exc:
            if time.monotonic() >= deadline:
                raise late from exc
            raise FetchError(f"cannot read {url}: {type(exc).__name__}: {exc}") from exc
        return b"".join(chunks)
