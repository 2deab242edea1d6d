"""The composition root: every part a process needs, built once from settings, lazily.

The CLI, the web app (:class:`assistant.web.services.Services` extends this), the eval
harness and bench all get their engines here, so a part is made one way everywhere: the
registry, the users' stores, retrieval (embedder and indexes), the model, the answering
engine and what rests on it (briefings, drafts), monitoring and the ingest sequence.
Nothing heavy opens before it is asked for; opening is thread-safe."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from assistant.accounts.accounts import Accounts
from assistant.accounts.audit import AuditLog
from assistant.accounts.store import WebStore
from assistant.answering.history import History
from assistant.briefing.archive import Archive
from assistant.briefing.model import StaleSource
from assistant.collection import Ingestion
from assistant.collection.collector import Collector, Record
from assistant.collection.store import SourceStore
from assistant.core.clearance import readable_levels
from assistant.core.fetch import fetch_policy
from assistant.core.home import private_files
from assistant.core.settings import Settings
from assistant.drafting.workflow import DraftDesk
from assistant.grounding.turns import run_now
from assistant.licensing import Licences, RecordStore, model_subject
from assistant.licensing.background import BackgroundCalibration
from corpus.registry import Registry

if TYPE_CHECKING:
    from assistant.answering.pipeline import AskEngine
    from assistant.briefing.pipeline import Briefer
    from assistant.drafting.pipeline import Drafter
    from assistant.monitoring.service import Monitoring
    from assistant.positions import PositionsEngine
    from retrieval.indexer import Retrieval
    from retrieval.search import HybridSearch

Turn = Callable[[Callable[[], Any]], Any]  # runs a model call when its turn comes


class Components:
    """One per process; ``backend`` overrides ``settings.llm.backend``."""

    def __init__(self, settings: Settings, backend: str | None = None) -> None:
        self.settings = settings
        self.backend = backend or settings.llm.backend
        private_files(settings.home)  # whatever the umask: the home is the owner's alone
        self._open_lock = threading.RLock()
        self._retrieval: Retrieval | None = None
        self._engine: AskEngine | None = None
        self._briefer: Briefer | None = None
        self._drafter: Drafter | None = None
        self._positions: PositionsEngine | None = None

    # stores: cheap to open, opened on first use or by open_stores

    def open_stores(self) -> None:
        """Open (and migrate) the databases now, so a wrong URL fails at start."""
        _ = (self.registry, self.accounts, self.audit, self.history)

    @cached_property
    def registry(self) -> Registry:
        return Registry(self.settings.registry_url)

    @cached_property
    def store(self) -> WebStore:
        """The users' database: accounts, audit log, conversations, drafts."""
        return WebStore(self.settings.web_url)

    @cached_property
    def accounts(self) -> Accounts:
        return Accounts(self.store)

    @cached_property
    def audit(self) -> AuditLog:
        return AuditLog(self.store, self.settings)

    @cached_property
    def history(self) -> History:
        return History(self.store)

    @cached_property
    def drafts(self) -> DraftDesk:  # opened once: opening checks the drafts' schema
        return DraftDesk(self.store, self.audit)

    @cached_property
    def calibration(self) -> RecordStore:
        """Calibration records: the team's database, the home's copy, the shipped ones."""
        return RecordStore(self.settings.home, self.store)

    @cached_property
    def licences(self) -> Licences:
        """Whether each label may be shown, for this process's model, judge and head."""
        from assistant.monitoring.sentiment import sentiment_subject

        subjects: dict[str, Callable[[], str]] = {
            "model": self.model_subject,
            "judge": self.judge_subject,
            "sentiment": sentiment_subject,
        }
        return Licences(self.calibration, self.settings.licence_thresholds, subjects)

    @cached_property
    def background_calibration(self) -> BackgroundCalibration:
        return BackgroundCalibration(self.settings.home)

    def calibrate_if_unmeasured(self) -> bool:
        """Start ``dragoman calibrate`` in the background for a backend that has no record
        (the embedded models' records ship with Dragoman); True when one started."""
        from assistant.llm.weights import MODEL_SPECS

        if not self.settings.calibrate_on_first_use or self.backend in MODEL_SPECS:
            return False
        if self.model_subject() in self.calibration.subjects():
            return False
        return self.background_calibration.start(self.backend, self.settings.calibrate_limit)

    def licences_view(self, admin: bool = False) -> dict[str, Any]:
        """``LicencesOut``: the subjects, every licence, the background calibration (its
        error only for administrators)."""
        from assistant.licensing.contracts import LicencesOut

        licences = self.licences
        subjects = {kind: licences.subjects[kind]() for kind in ("model", "judge", "sentiment")}
        state = self.background_calibration.state()
        if not admin:
            state.pop("error", None)
        return LicencesOut.shape(
            {
                "subjects": {**subjects, "rules": "rules"},
                "licences": [lic.to_dict() for lic in licences.table()],
                "calibration": state,
            }
        )

    def licence_counts(self) -> tuple[dict[str, int], str]:
        """Label kinds by licence status, and the background calibration's status, for
        ``/healthz``: cheap (no model loaded for it: an unpinned backend's licences are
        counted once its engine is up)."""
        from assistant.llm.weights import MODEL_SPECS

        status = str(self.background_calibration.state().get("status", "idle"))
        if self.backend not in MODEL_SPECS and not self.engine_loaded():
            return {}, status
        counts: dict[str, int] = {}
        for licence in self.licences.table():
            counts[licence.status] = counts.get(licence.status, 0) + 1
        return counts, status

    def model_subject(self) -> str:
        """The model's identity, without loading it when its weights are pinned."""
        from types import SimpleNamespace

        from assistant.llm.weights import MODEL_SPECS

        if self.backend in MODEL_SPECS:
            return model_subject(SimpleNamespace(backend=self.backend, model=""))
        return model_subject(self.engine().llm)

    def judge_subject(self) -> str:
        """The support judge's identity (``auto``: the heuristic judge on embedded models)."""
        from assistant.licensing import judge_subject
        from assistant.llm.weights import MODEL_SPECS

        if self.engine_loaded():  # the judge the engine resolved
            engine = self.engine()
            return judge_subject(engine.judge.name, engine.llm)
        judge = self.settings.verify_judge
        if judge == "auto":
            judge = "heuristic" if self.backend in MODEL_SPECS else "llm"
        if judge == "heuristic":
            return judge_subject(judge, None)
        return judge_subject(judge, self.engine().llm)

    @property
    def briefings(self) -> Archive:
        return Archive(self.settings.home / "briefings")

    @cached_property
    def monitoring(self) -> Monitoring:
        from assistant.monitoring.service import Monitoring

        return Monitoring(self.settings, self.registry, self.licences)

    @cached_property
    def ingestion(self) -> Ingestion:
        """The one ingest sequence (register → index → monitor) of CLI and uploads."""
        return Ingestion(
            self.registry,
            self.retrieval,
            lambda: self.monitoring,
            self.settings.monitor.on_ingest,
            fetch=fetch_policy(self.settings.collect),
        )

    @cached_property
    def sources(self) -> SourceStore:
        """The sources to collect (in the registry's database)."""
        return SourceStore(self.registry.engine)

    def stale_sources(self, clearance: str) -> list[StaleSource]:
        """Unhealthy sources a reader of ``clearance`` may know of (the briefing names them)."""
        from datetime import UTC, datetime, timedelta

        now = datetime.now(UTC)
        after = timedelta(hours=self.settings.collect.unhealthy_hours)
        levels = readable_levels(clearance)
        return [
            StaleSource(
                s.name, s.type, s.last_success_at.isoformat() if s.last_success_at else None
            )
            for s in self.sources.all()
            if s.clearance in levels and s.health(now, after) == "unhealthy"
        ]

    def collector(self, record: Record | None = None) -> Collector:
        """A collection pass's runner: the sources, the ingest sequence, the polite client;
        ``record`` audits each source's run."""
        return Collector(
            self.sources,
            self.ingestion,
            self.settings.collect,
            self.settings.home / "collect.lock",
            batch_size=self.settings.ingest_batch_size,
            record=record,
        )

    # engines: heavy (embedder, indexes, model), opened once when first needed

    def retrieval(self) -> Retrieval:
        with self._open_lock:
            if self._retrieval is None:
                from retrieval.indexer import Retrieval

                self._retrieval = Retrieval(self.settings)
            return self._retrieval

    def fill_rerank(
        self, limit: int | None = None, stop: Callable[[], bool] | None = None
    ) -> dict[str, Any]:
        """Re-ranking vectors for up to ``limit`` chunks that lack one, until ``stop`` says
        so (none configured: {})."""
        retrieval = self.retrieval()
        if retrieval.rerank is None:
            return {}
        return retrieval.rerank.fill(retrieval.index, limit, stop=stop).to_dict()

    def search(self) -> HybridSearch:
        from retrieval.search import HybridSearch

        return HybridSearch(self.retrieval(), self.registry)

    def engine(self) -> AskEngine:
        """The answering engine; its model, embedder and indexes serve every feature."""
        with self._open_lock:
            if self._engine is None:
                from assistant.answering.pipeline import AskEngine

                engine = AskEngine(
                    self.settings, backend=self.backend, retrieval=self.retrieval(),
                    registry=self.registry,
                )  # fmt: skip
                engine.licences = self.licences
                self._engine = engine
            return self._engine

    def engine_loaded(self) -> bool:
        return self._engine is not None

    def briefer(self, turn: Turn = run_now) -> Briefer:
        """The briefing builder on the engine's model, embedder and indexes; ``turn`` is how
        its model calls wait their turn (the web app's generation queue)."""
        with self._open_lock:
            if self._briefer is None:
                from assistant.briefing.pipeline import Briefer

                self._briefer = Briefer(self.engine(), turn=turn, stale_sources=self.stale_sources)
            return self._briefer

    def drafter(self) -> Drafter:
        """Drafts official posts on the engine."""
        with self._open_lock:
            if self._drafter is None:
                from assistant.drafting.pipeline import Drafter

                self._drafter = Drafter(self.engine())
            return self._drafter

    def positions(self, turn: Turn = run_now) -> PositionsEngine:
        """Positions on a topic, on the engine; ``turn`` as for :meth:`briefer`."""
        with self._open_lock:
            if self._positions is None:
                from assistant.positions import PositionsEngine

                self._positions = PositionsEngine(self.engine(), turn=turn, licences=self.licences)
            return self._positions


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment else None
