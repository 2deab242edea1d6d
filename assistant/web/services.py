"""What the web app's routes share: the process's components and the web's guards.

The engine (model, embedder, indexes) opens lazily on first use, once, so the server
answers ``/healthz`` and the login page at once.  Retrieval is shared between questions,
searches and uploads, so an ingest through the API is searchable immediately.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from assistant.components import Components
from assistant.core.clearance import readable_levels
from assistant.core.settings import Settings
from assistant.drafting.platforms import Platform, platform
from assistant.web.guards import GenerationGate, RateLimiter

EXAMPLES_KEPT_S = 600

if TYPE_CHECKING:
    from assistant.briefing.on_demand import BriefingQueue
    from assistant.briefing.pipeline import Briefer


class Services(Components):
    """One per app: created by :func:`assistant.web.app.create_app`."""

    def __init__(self, settings: Settings, backend: str | None = None) -> None:
        super().__init__(settings, backend)
        self.open_stores()
        self.gate = GenerationGate(settings.generation_queue, settings.generation_queue_timeout_s)
        self.ask_limit = RateLimiter(settings.rate.asks_per_minute, "questions")
        self.request_limit = RateLimiter(settings.rate.requests_per_minute, "requests")
        self.login_limit = RateLimiter(settings.rate.logins_per_minute, "login attempts")
        # one address may try a few names (an office behind one NAT), not a dictionary
        self.login_address_limit = RateLimiter(
            3 * settings.rate.logins_per_minute, "login attempts from this address"
        )
        self.ingest_lock = threading.Lock()
        self._search_limiter: anyio.CapacityLimiter | None = None
        self._briefing_queue: BriefingQueue | None = None
        self._queue_lock = threading.Lock()
        self._examples: dict[str, tuple[float, list[str], list[str]]] = {}

    @property
    def uploads_dir(self) -> Path:
        return self.settings.home / "uploads"

    def briefer(self, turn: Any = None) -> Briefer:
        """Briefings on the server's engine; their model calls take turns with analysts'
        questions in the generation queue."""
        return super().briefer(turn or self.gate.exclusive)

    @property
    def briefing_queue(self) -> BriefingQueue:
        """Briefings asked for from the web, written one at a time in the background."""
        with self._queue_lock:
            if self._briefing_queue is None:
                from assistant.briefing.on_demand import BriefingQueue

                self._briefing_queue = BriefingQueue(self.briefer, self._record_as)
            return self._briefing_queue

    def _record_as(self, who: str, action: str, detail: dict[str, Any]) -> None:
        self.audit.record(who, action, detail=detail)

    def example_questions(self, clearance: str) -> list[str]:
        """Questions for an empty chat, drawn from the corpus within ``clearance``: kept ten
        minutes (the chat page must not read 300 documents on every visit), and drawn
        again at once when one of their documents is no longer readable at it."""
        from assistant.answering.examples import example_questions

        levels = readable_levels(clearance)
        kept = self._examples.get(clearance)
        if kept is not None:
            made, questions, drawn_from = kept
            fresh = time.monotonic() - made <= EXAMPLES_KEPT_S
            if fresh and len(self.registry.readable(drawn_from, levels)) == len(drawn_from):
                return questions
        questions, drawn_from = example_questions(self.registry, levels)
        self._examples[clearance] = (time.monotonic(), questions, drawn_from)
        return questions

    def drafter_platform(self, name: str) -> Platform:
        return platform(name, self.settings.draft.mastodon_limit)

    def record_system(self, action: str, detail: dict[str, Any]) -> None:
        """Audit an action the server took by itself (scheduled briefings)."""
        self.audit.record("system", action, detail=detail)

    def search_limiter(self) -> anyio.CapacityLimiter:
        """Searches embed on the CPU the model also needs: a few run at once, the rest wait
        without holding a worker thread (so sign-in, health and 503s stay immediate)."""
        if self._search_limiter is None:
            self._search_limiter = anyio.CapacityLimiter(self.settings.search_concurrency)
        return self._search_limiter

    def warm_up(self) -> None:
        """Open the embedder, indexes and model before the first request needs them."""
        self.engine()
