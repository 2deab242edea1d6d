"""What the web app's routes share: settings, stores, the answering engine and the guards.

The engine (model, embedder, indexes) opens lazily on first use, once, so the server
answers ``/healthz`` and the login page at once.  Retrieval is shared between questions,
searches and uploads, so an ingest through the API is searchable immediately.
"""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from assistant.accounts.accounts import Accounts
from assistant.accounts.audit import AuditLog
from assistant.accounts.store import WebStore
from assistant.answering.history import History
from assistant.briefing.archive import Archive
from assistant.collection import Ingestion
from assistant.core.settings import Settings
from assistant.drafting.platforms import Platform, platform
from assistant.drafting.workflow import DraftDesk
from assistant.web.guards import GenerationGate, RateLimiter
from corpus.registry import Registry

if TYPE_CHECKING:
    from assistant.answering.pipeline import AskEngine
    from assistant.briefing.pipeline import Briefer
    from assistant.drafting.pipeline import Drafter
    from assistant.monitoring.service import Monitoring
    from retrieval.indexer import Retrieval
    from retrieval.search import HybridSearch


class Services:
    """One per app: created by :func:`assistant.web.app.create_app`."""

    def __init__(self, settings: Settings, backend: str | None = None) -> None:
        self.settings = settings
        self.backend = backend or settings.llm_backend
        self.store = WebStore(settings.web_url)
        self.accounts = Accounts(self.store)
        self.audit = AuditLog(self.store, settings)
        self.history = History(self.store)
        self.registry = Registry(settings.registry_url)
        self.gate = GenerationGate(settings.generation_queue, settings.generation_queue_timeout_s)
        self.ask_limit = RateLimiter(settings.rate_asks_per_minute, "questions")
        self.request_limit = RateLimiter(settings.rate_requests_per_minute, "requests")
        self.login_limit = RateLimiter(settings.rate_logins_per_minute, "login attempts")
        # one address may try a few names (an office behind one NAT), not a dictionary
        self.login_address_limit = RateLimiter(
            3 * settings.rate_logins_per_minute, "login attempts from this address"
        )
        self.ingest_lock = threading.Lock()
        self._search_limiter: anyio.CapacityLimiter | None = None
        self._open_lock = threading.Lock()
        self._retrieval: Retrieval | None = None
        self._engine: AskEngine | None = None
        self._briefer: Briefer | None = None
        self._drafter: Drafter | None = None

    @cached_property
    def ingestion(self) -> Ingestion:
        """The ingest sequence uploads run (the same as `dragoman ingest`)."""
        return Ingestion(self.registry, self.retrieval, lambda: self.monitoring,
                         self.settings.monitor_on_ingest)  # fmt: skip

    @cached_property
    def monitoring(self) -> Monitoring:
        from assistant.monitoring.service import Monitoring

        return Monitoring(self.settings, self.registry)

    @property
    def uploads_dir(self) -> Path:
        return self.settings.home / "uploads"

    def retrieval(self) -> Retrieval:
        with self._open_lock:
            if self._retrieval is None:
                from retrieval.indexer import Retrieval

                self._retrieval = Retrieval(self.settings)
            return self._retrieval

    def search(self) -> HybridSearch:
        from retrieval.search import HybridSearch

        return HybridSearch(self.retrieval(), self.registry)

    def engine(self) -> AskEngine:
        retrieval = self.retrieval()
        with self._open_lock:
            if self._engine is None:
                from assistant.answering.pipeline import AskEngine

                self._engine = AskEngine(
                    self.settings, backend=self.backend, retrieval=retrieval,
                    registry=self.registry,
                )  # fmt: skip
            return self._engine

    def briefer(self) -> Briefer:
        """The briefing builder on the server's model, embedder and indexes; its model calls
        take turns with analysts' questions in the generation queue."""
        engine = self.engine()
        with self._open_lock:
            if self._briefer is None:
                from assistant.briefing.pipeline import Briefer

                self._briefer = Briefer(
                    self.settings, llm=engine.llm, retrieval=engine.retrieval,
                    registry=self.registry, turn=self.gate.exclusive,
                )  # fmt: skip
            return self._briefer

    def drafter(self) -> Drafter:
        """Drafts posts on the server's engine; the caller holds the generation queue's turn
        for the whole draft (message and translations)."""
        engine = self.engine()
        with self._open_lock:
            if self._drafter is None:
                from assistant.drafting.pipeline import Drafter

                self._drafter = Drafter(engine)
            return self._drafter

    def drafter_platform(self, name: str) -> Platform:
        return platform(name, self.settings.draft_mastodon_limit)

    @cached_property
    def drafts(self) -> DraftDesk:  # opened once: opening checks the drafts' schema
        return DraftDesk(self.store, self.audit)

    def record_system(self, action: str, detail: dict[str, Any]) -> None:
        """Audit an action the server took by itself (scheduled briefings)."""
        self.audit.record("system", action, detail=detail)

    @property
    def briefings(self) -> Archive:
        return Archive(self.settings.home / "briefings")

    def search_limiter(self) -> anyio.CapacityLimiter:
        """Searches embed on the CPU the model also needs: a few run at once, the rest wait
        without holding a worker thread (so sign-in, health and 503s stay immediate)."""
        if self._search_limiter is None:
            self._search_limiter = anyio.CapacityLimiter(self.settings.search_concurrency)
        return self._search_limiter

    def engine_loaded(self) -> bool:
        return self._engine is not None

    def warm_up(self) -> None:
        """Open the embedder, indexes and model before the first request needs them."""
        self.engine()
