"""A bounded loopback load driver for `dragoman serve`: N clients for S seconds, then stop.

Each client loops over questions (half of them streamed), searches and health checks with
an API token, honours Retry-After on 503 (at most 2 s), and records every outcome.  Only
loopback URLs are accepted.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

QUESTIONS = [
    "Which city will the presidential delegation visit for the World Expo?",
    "Who leads the presidential delegation to the World Expo?",
]


@dataclass
class LoadReport:
    clients: int
    seconds: float
    outcomes: Counter[str] = field(default_factory=Counter)  # "ask 200", "search 503", …
    errors: list[str] = field(default_factory=list)  # transport errors, unexpected statuses
    latencies: dict[str, list[float]] = field(default_factory=dict)
    busy_without_retry_after: int = 0

    def to_dict(self) -> dict[str, Any]:
        def p(values: list[float], q: float) -> float | None:
            ordered = sorted(values)
            return round(ordered[int(q * (len(ordered) - 1))], 3) if ordered else None

        return {
            "clients": self.clients, "seconds": self.seconds,
            "outcomes": dict(sorted(self.outcomes.items())), "errors": self.errors[:20],
            "error_count": len(self.errors),
            "busy_without_retry_after": self.busy_without_retry_after,
            "latency_s": {op: {"p50": p(v, 0.5), "p95": p(v, 0.95), "n": len(v)}
                          for op, v in sorted(self.latencies.items())},
        }  # fmt: skip


async def _one(client: httpx.AsyncClient, op: str, n: int) -> httpx.Response:
    if op == "ask":
        body = {"question": QUESTIONS[n % len(QUESTIONS)], "stream": n % 2 == 0}
        return await client.post("/api/ask", json=body)  # a stream is read to its end
    if op == "search":
        return await client.get("/api/search", params={"q": QUESTIONS[n % 2], "k": 5})
    return await client.get("/healthz")


async def _client(
    index: int, url: str, token: str, deadline: float, report: LoadReport, timeout: float
) -> None:
    headers = {"authorization": f"Bearer {token}"}
    ops = ("ask", "search", "health")
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=timeout) as client:
        n = index
        while time.monotonic() < deadline:
            op = ops[n % len(ops)]
            started = time.monotonic()
            try:
                response = await _one(client, op, n)
            except httpx.HTTPError as exc:
                report.errors.append(f"{op}: {type(exc).__name__}: {exc}")
                n += 1
                continue
            report.outcomes[f"{op} {response.status_code}"] += 1
            report.latencies.setdefault(f"{op} {response.status_code}", []).append(
                time.monotonic() - started
            )
            if response.status_code in (429, 503):
                retry = response.headers.get("retry-after")
                report.busy_without_retry_after += retry is None
                await asyncio.sleep(min(float(retry or 1), 2.0))
            elif response.status_code != 200:
                report.errors.append(f"{op}: HTTP {response.status_code}: {response.text[:200]}")
            elif op == "ask" and "event: error" in response.text:
                report.errors.append(f"ask: stream error: {response.text[-300:]}")
            n += 1


def run_load(
    url: str, token: str, clients: int = 50, seconds: float = 60, timeout: float = 120
) -> LoadReport:
    """Drive the server at ``url`` (loopback only) and return what happened."""
    host = httpx.URL(url).host
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"load tests target loopback only, not {host}")
    report = LoadReport(clients, seconds)
    deadline = time.monotonic() + seconds

    async def main() -> None:
        await asyncio.gather(
            *(_client(i, url, token, deadline, report, timeout) for i in range(clients))
        )

    asyncio.run(main())
    return report
