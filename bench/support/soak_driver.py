"""One analyst's ordinary use of `dragoman serve`, repeated: the soak that checks memory
levels off (issue 20 §7).  Used by tests/reliability/test_serve_soak.py (scripted model,
minutes) and bench/serve_soak.py (the real model, longer).  Loopback only.

A cycle: six questions (two streamed, one follow-up in the same conversation), a search,
a source document, the monitoring JSON and dashboard, the briefings archive, the drafts
list, an upload (the same file each time), the history.  After each cycle the server process's
resident memory is sampled.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

QUESTIONS = [
    "Which city will the presidential delegation visit for the World Expo?",
    "Who leads the presidential delegation to the World Expo?",
    "What did the White House say about trade with Japan?",
    "When will the delegation arrive?",
    "What did the president announce about tariffs?",
    "Which countries were named in the statement?",
]


@dataclass
class SoakReport:
    cycles: int = 0
    seconds: float = 0.0
    rss_mb: list[float] = field(default_factory=list)  # after each cycle
    statuses: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"cycles": self.cycles, "seconds": round(self.seconds, 1),
                "rss_mb": [round(r, 1) for r in self.rss_mb], "statuses": self.statuses,
                "errors": self.errors[:20], **self.levels()}  # fmt: skip

    def levels(self) -> dict[str, float | None]:
        """Mean RSS over the second and the last quarter of the cycles, and the growth
        between them (the first quarter is warm-up: engines, caches, first use)."""
        n = len(self.rss_mb)
        if n < 8:
            return {"settled_mb": None, "final_mb": None, "growth_mb": None}
        quarter = n // 4
        settled = sum(self.rss_mb[quarter : 2 * quarter]) / quarter
        final = sum(self.rss_mb[n - quarter :]) / quarter
        return {"settled_mb": round(settled, 1), "final_mb": round(final, 1),
                "growth_mb": round(final - settled, 1)}  # fmt: skip


def _cycle(client: httpx.Client, n: int, record: Callable[[str, httpx.Response], None]) -> None:
    conversation: str | None = None
    for i, question in enumerate(QUESTIONS):
        body: dict[str, Any] = {"question": question, "stream": i % 3 == 0}
        if i == 3 and conversation:
            body["conversation_id"] = conversation  # a follow-up
        response = client.post("/api/ask", json=body)
        record("ask", response)
        if response.status_code == 200 and not body["stream"]:
            conversation = response.json().get("conversation_id") or conversation
    found = client.get("/api/search", params={"q": QUESTIONS[n % len(QUESTIONS)], "k": 5})
    record("search", found)
    results = found.json().get("results", []) if found.status_code == 200 else []
    if results:
        record("doc", client.get(f"/api/docs/{results[0]['doc_id']}"))
    record("monitor", client.get("/api/monitor", params={"since": "30d"}))
    record("dashboard", client.get("/monitor"))
    record("briefings", client.get("/api/briefings"))
    record("drafts", client.get("/api/drafts"))
    # the same upload each cycle (stored once, then "unchanged"): the upload path runs, the
    # corpus does not grow, so growing memory is held state, not data
    note = "Soak note: the embassy's cultural week opens on Monday with a reception."
    upload = [("files", ("soak-note.txt", note.encode(), "text/plain"))]
    record("ingest", client.post("/api/ingest", files=upload))
    record("history", client.get("/api/conversations"))


def soak(
    url: str, token: str, seconds: float, rss: Callable[[], float], *, max_cycles: int = 10_000
) -> SoakReport:
    """Repeat the cycle until ``seconds`` have passed (bounded in count and time)."""
    if urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("the soak only ever targets a loopback server")
    report = SoakReport()

    def record(op: str, response: httpx.Response) -> None:
        key = f"{op} {response.status_code}"
        report.statuses[key] = report.statuses.get(key, 0) + 1
        if response.status_code >= 500 or response.status_code in (401, 403, 404, 422):
            report.errors.append(f"{key}: {response.text[:200]}")

    started = time.monotonic()
    headers = {"authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=300) as client:
        while time.monotonic() - started < seconds and report.cycles < max_cycles:
            _cycle(client, report.cycles, record)
            report.cycles += 1
            report.rss_mb.append(rss())
    report.seconds = time.monotonic() - started
    return report
