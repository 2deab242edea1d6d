"""The ingest sequence, written once: register what came in (the corpus registry, crash-safe
and versioned), index what is pending (chunks, embeddings, BM25), then score the new
documents for monitoring (series, alerts, campaigns) when ``DRAGOMAN_MONITOR_ON_INGEST`` is on.

Each stage reports progress through a callback and is one key of the result (``index``,
``monitor``), the keys ``dragoman ingest --json`` and the upload API already return.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from assistant.core.fetch import FetchPolicy
from corpus.connectors import Options
from corpus.document import RawRecord
from corpus.ingest import Ingestor, IngestReport, ProgressFn, ingest
from corpus.registry import Registry

if TYPE_CHECKING:
    from assistant.monitoring.service import Monitoring
    from retrieval.indexer import IndexProgress, Retrieval

MonitorProgress = Callable[[int, int], None]


def _quiet(*_: object) -> None:
    return None


@dataclass
class Ingestion:
    """One home's ingest sequence; the retrieval and monitoring engines open on first use."""

    registry: Registry
    retrieval: Callable[[], Retrieval]
    monitoring: Callable[[], Monitoring]
    monitor_on_ingest: bool
    fetch: FetchPolicy = field(default_factory=FetchPolicy)  # for URLs given to ingest

    def register(
        self,
        inputs: list[str],
        options: Options,
        templates: dict[str, str] | None = None,
        progress: ProgressFn | None = None,
    ) -> IngestReport:
        """Stage 1: parse, normalise, de-duplicate and store (nothing indexed yet); a URL is
        fetched through the checked client under the collection's address policy."""
        options = replace(options, limits=replace(options.limits, fetch=self.fetch))
        return ingest(self.registry, inputs, options, templates, progress)

    def register_records(
        self, label: str, records: list[RawRecord], options: Options, fmt: str
    ) -> IngestReport:
        """Stage 1 for records a collector read: the same normalise → de-duplicate → store."""
        return Ingestor(self.registry, options, {}).run_records(label, records, fmt)

    def pending(self) -> bool:
        """Whether anything stored is not yet indexed (or, when on, not yet monitored): what
        a run killed between its stages left for the next one."""
        if self.registry.pending_index(1):
            return True
        return self.monitor_on_ingest and self.monitoring().store.pending_count() > 0

    def finish(
        self,
        *,
        monitor: bool = True,
        index_progress: IndexProgress = _quiet,
        monitor_progress: MonitorProgress = _quiet,
    ) -> dict[str, Any]:
        """Stages 2 and 3: index every pending document, then (when on) monitor them."""
        from retrieval.indexer import index_pending  # the embedder and indexes: when needed

        result: dict[str, Any] = {
            "index": index_pending(self.retrieval(), self.registry, index_progress).to_dict()
        }
        if monitor and self.monitor_on_ingest:
            result["monitor"] = self.monitoring().update(monitor_progress)
        return result
