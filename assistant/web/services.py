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
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from assistant.components import Components
from assistant.core.clearance import readable_levels
from assistant.core.database import storage_failures, where_of
from assistant.core.errors import StoreError
from assistant.core.home import low_disk
from assistant.core.settings import Settings
from assistant.drafting.platforms import Platform, platform
from assistant.web.guards import GenerationGate, RateLimiter
from assistant.web.health import ServerHealth
from assistant.web.shared_guards import (
    Lease,
    SharedGate,
    SharedLock,
    SharedRateLimiter,
    check_shareable,
)

EXAMPLES_KEPT_S = 600
CLAIM_KEPT_S = 2 * 86400.0  # a scheduled run claimed by one worker stays its own

if TYPE_CHECKING:
    from assistant.briefing.on_demand import BriefingQueue
    from assistant.briefing.pipeline import Briefer


class Services(Components):
    """One per app: created by :func:`assistant.web.app.create_app`."""

    def __init__(self, settings: Settings, backend: str | None = None) -> None:
        super().__init__(settings, backend)
        self.open_stores()
        self.shared = settings.web_workers > 1  # state in the users' database, not here
        if self.shared:
            check_shareable(settings)
        self.gate = self._gate()
        limiter = self._limiter
        self.ask_limit = limiter(settings.rate.asks_per_minute, "questions")
        self.request_limit = limiter(settings.rate.requests_per_minute, "requests")
        # failed sign-ins per (account, client address): a burst, then one a minute, so a
        # stranger elsewhere cannot use up the owner's attempts; the account's own ceiling
        # (settings.rate.login_ceiling, in the users' table) locks it until an admin lifts it
        self.login_limit = limiter(
            settings.rate.logins_per_minute, "sign-in attempts for this account from here", 1.0
        )
        # one address may try a few names (an office behind one NAT), not a dictionary
        self.login_address_limit = limiter(
            3 * settings.rate.logins_per_minute, "login attempts from this address"
        )
        self.ingest_lock: Any = (
            SharedLock(self.store.engine, "ingest") if self.shared
            else threading.Lock()
        )  # fmt: skip
        self._search_limiter: anyio.CapacityLimiter | None = None
        self._briefing_queue: BriefingQueue | None = None
        self._queue_lock = threading.Lock()
        self._examples: dict[str, tuple[float, list[str], list[str]]] = {}
        self.server_health = ServerHealth(settings, self.backend)

    def _gate(self) -> GenerationGate:
        queue, timeout_s = self.settings.generation_queue, self.settings.generation_queue_timeout_s
        if not self.shared:
            return GenerationGate(queue, timeout_s)
        slot = SharedLock(self.store.engine, "generation")
        return SharedGate(self.store.engine, slot, queue, timeout_s)

    def _limiter(
        self, per_minute: int, what: str, refill_per_minute: float | None = None
    ) -> RateLimiter:
        if self.shared:
            return SharedRateLimiter(self.store.engine, per_minute, what, refill_per_minute)
        return RateLimiter(per_minute, what, refill_per_minute)

    def health_of_parts(self) -> dict[str, str]:
        """Each part's state, "ok" or what is wrong: the two databases (one query each),
        the Chroma and inference servers when configured (:mod:`assistant.web.health`), and
        whether the model is loaded."""
        states = {}
        for part, engine in (("registry", self.registry.engine), ("users", self.store.engine)):
            try:
                with engine.connect() as db:
                    db.execute(text("SELECT 1"))
                states[part] = "ok"
            except SQLAlchemyError as exc:
                states[part] = f"unreachable ({type(exc).__name__})"
            except StoreError as exc:
                states[part] = f"degraded ({exc.message})"
        parts = {
            where_of(self.settings.registry_url): "registry",
            where_of(self.settings.web_url): "users",
        }
        for where, what in storage_failures().items():  # a write failed lately: a full disk
            states[parts.get(where, "store")] = f"degraded ({what})"
        low = low_disk(self.settings.home)
        if low:
            states["disk"] = f"degraded ({low})"
        states.update(self.server_health.states())
        states["model"] = "ok" if self.engine_loaded() else "loading"
        return states

    def claim_run(self, name: str) -> bool:
        """Whether this worker is the one to do the scheduled run ``name`` (always, alone)."""
        return not self.shared or Lease(self.store.engine, name, ttl_s=CLAIM_KEPT_S).held()

    def leads_collection(self) -> bool:
        """Whether this worker collects now: the one holding collection's lease, renewed at
        each tick and taken over by another worker three ticks after its holder died."""
        if not self.shared:
            return True
        ttl_s = 3.0 * self.settings.collect.tick_s
        return Lease(self.store.engine, "collect", ttl_s=ttl_s).held()

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
                from assistant.briefing.job_store import JobStore
                from assistant.briefing.on_demand import BriefingQueue

                self._briefing_queue = BriefingQueue(
                    self.briefer, self._record_as, JobStore(self.store)
                )
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
        """Open the embedders, indexes and model before the first request needs them (the
        re-ranking embedder first: the background fill would load it within a tick)."""
        rerank = self.retrieval().rerank
        if rerank is not None:
            rerank.embedder.embed_query("warm-up")
        self.engine()
