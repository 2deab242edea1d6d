"""Load guards: per-user rate limits, the bounded generation queue, request size limits."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.core.errors import RateLimitedError, ServerBusyError
from assistant.core.memory import release_free_memory

T = TypeVar("T")


class RateLimiter:
    """Token buckets per key: ``per_minute`` requests, refilled continuously."""

    def __init__(self, per_minute: int, what: str, refill_per_minute: float | None = None) -> None:
        """``per_minute`` at once; refilled at ``refill_per_minute`` (default the same): a
        slower refill is a back-off once the burst is spent."""
        self.capacity = float(per_minute)
        self.rate = (per_minute if refill_per_minute is None else refill_per_minute) / 60.0
        self.what = what
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        """Take one request from the key's bucket, or raise RateLimitedError."""
        self._take(key)

    def refund(self, key: str) -> None:
        """Give one back (a sign-in that succeeded was charged before it was checked)."""
        with self._lock:
            tokens, now = self._refill(key, time.monotonic())
            self._buckets[key] = (min(self.capacity, tokens + 1.0), now)

    def refusal(self) -> str:
        """What the caller is told once the bucket is empty."""
        per_minute = self.rate * 60.0
        if abs(per_minute - self.capacity) < 1e-9:
            return f"too many {self.what}: the limit is {int(self.capacity)} a minute"
        return f"too many {self.what}: {int(self.capacity)} at once, then {per_minute:g} a minute"

    def _refill(self, key: str, now: float) -> tuple[float, float]:
        tokens, stamp = self._buckets.get(key, (self.capacity, now))
        return min(self.capacity, tokens + (now - stamp) * self.rate), now

    def _take(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            tokens, _ = self._refill(key, now)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                wait = math.ceil((1.0 - tokens) / self.rate)
                raise RateLimitedError(self.refusal(), retry_after_s=wait)
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > 10_000:  # forget idle keys
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 120}


class Slot(Protocol):
    """The one generation slot: a semaphore in one process, a shared lock across workers."""

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool: ...

    def release(self) -> None: ...

    def __enter__(self) -> Any: ...

    def __exit__(self, kind: Any, value: Any, traceback: Any, /) -> Any: ...


class GenerationGate:
    """One generation at a time; at most ``queue`` more may wait, the rest get 503 at once.

    :meth:`admit` is called when the request arrives (so a full queue answers 503 +
    Retry-After before any response starts); the returned ticket's :meth:`Ticket.run`
    waits for the model in a worker thread and releases it when generation really ends,
    even if the client has gone away.
    """

    def __init__(self, queue: int, timeout_s: float, slot: Slot | None = None) -> None:
        self.queue = queue
        self.timeout_s = timeout_s
        self._slot: Slot = slot or threading.Semaphore(1)
        self._lock = threading.Lock()
        self._admitted = 0
        self._mean_s = 15.0  # until measured
        self.served = 0
        self.refused = 0

    def retry_after(self) -> int:
        return max(1, math.ceil(self._mean_s * max(1, self._admitted)))

    def admit(self) -> Ticket:
        with self._lock:
            if self._admitted > self.queue:
                self.refused += 1
                raise ServerBusyError(
                    f"the model is busy ({self._admitted} requests admitted, "
                    f"{self.queue} may wait)",
                    retry_after_s=self.retry_after(),
                    fix="retry after the Retry-After interval",
                )
            self._admitted += 1
            return Ticket(self, waiting=self._admitted - 1)

    def _finish(self, seconds: float | None, ticket: Ticket | None = None) -> None:
        with self._lock:
            self._admitted -= 1
            if seconds is not None:
                self.served += 1
                self._mean_s = 0.8 * self._mean_s + 0.2 * seconds
        release_free_memory()  # a generation frees hundreds of MB: give them back

    def exclusive(self, work: Callable[[], T]) -> T:
        """Run ``work`` holding the model, waiting as long as it takes (background jobs:
        no queue place, so analysts' questions are never refused on their account)."""
        with self._slot:
            try:
                return work()
            finally:
                release_free_memory()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "admitted": self._admitted, "queue_limit": self.queue,
                "served": self.served, "refused": self.refused,
                "mean_generation_s": round(self._mean_s, 2),
            }  # fmt: skip


class Ticket:
    """A place in the generation queue; run exactly once, or cancel."""

    def __init__(self, gate: GenerationGate, waiting: int, key: Any = None) -> None:
        self.gate = gate
        self.waiting = waiting
        self.key = key  # the shared queue's row
        self._done = False

    def run(self, work: Callable[[], T]) -> T:
        """Wait for the model (bounded), run ``work``, release.  Call from a worker thread."""
        if not self.gate._slot.acquire(timeout=self.gate.timeout_s):
            self._release(None)
            raise ServerBusyError(
                f"waited {self.gate.timeout_s:g} s for the model without a turn",
                retry_after_s=self.gate.retry_after(),
            )
        started = time.monotonic()
        try:
            return work()
        finally:
            self.gate._slot.release()
            self._release(time.monotonic() - started)

    def cancel(self) -> None:
        self._release(None)

    def _release(self, seconds: float | None) -> None:
        if not self._done:
            self._done = True
            self.gate._finish(seconds, self)


class BodyLimitMiddleware:
    """Refuses request bodies over their limit with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await _too_large(send, limit)


class _BodyTooLarge(HTTPException):
    """Raised from ``receive``; an HTTPException so that FastAPI's body parsing passes it on."""

    def __init__(self) -> None:
        super().__init__(413, "the request body is over its size limit")


async def _too_large(send: Send, limit: int) -> None:
    import json

    body = json.dumps({
        "error": "RequestTooLargeError",
        "message": f"the request body is over the limit of {limit} bytes",
        "fix": "send less, or raise DRAGOMAN_MAX_REQUEST_KB / DRAGOMAN_MAX_UPLOAD_MB",
    }).encode()  # fmt: skip
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
