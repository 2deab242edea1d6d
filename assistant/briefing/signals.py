"""Stage 2b of a briefing: volume over time, country alerts and what to watch.

Alerts compare, for every country the window's documents mention, the window's count
with the same-length windows before it (``BASELINE_WINDOWS``), by a robust score:
``(count − median) / (1.4826 · MAD + 1)``, as media-monitoring tools do.  Without any
document in the baseline period there is no baseline, and no alert is raised.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass

from assistant.briefing.model import Alert, PublicAlert, WatchItem
from assistant.briefing.selection import (
    BriefingWindow,
    select_documents,
)
from assistant.briefing.stories import authority as _authority
from assistant.core.clearance import readable_levels
from assistant.grounding.passages import PassageBook, clean, forthcoming, lead_spans
from assistant.monitoring.watchlists import Watchlist
from corpus.document import Document
from corpus.registry import Registry

BASELINE_WINDOWS = 7
ALERT_MIN_COUNT = 5
ALERT_SCORE = 3.0
MAX_WATCH = 5
ALERT_CITATIONS = 3


@dataclass
class Baseline:
    """The documents of the windows before the briefing's, in buckets of the same length."""

    window: BriefingWindow
    buckets: list[list[Document]]

    @property
    def empty(self) -> bool:
        return not any(self.buckets)


def load_baseline(
    registry: Registry, window: BriefingWindow, watchlist: Watchlist, clearance: str
) -> Baseline:
    length = window.end - window.start
    period = BriefingWindow(window.start - BASELINE_WINDOWS * length, window.start)
    docs = select_documents(registry, period, watchlist, clearance).documents
    buckets: list[list[Document]] = [[] for _ in range(BASELINE_WINDOWS)]
    for doc in docs:
        if doc.published_at is not None:
            index = int((doc.published_at - period.start) / length)
            buckets[min(index, BASELINE_WINDOWS - 1)].append(doc)
    return Baseline(period, buckets)


def volume_by_day(documents: list[Document], baseline: Baseline) -> dict[str, dict[str, int]]:
    """Documents per UTC day and kind, the baseline period and the window together."""
    days: dict[str, Counter[str]] = {}
    for doc in [*(d for b in baseline.buckets for d in b), *documents]:
        if doc.published_at is not None:
            days.setdefault(doc.published_at.date().isoformat(), Counter())[doc.kind] += 1
    return {day: dict(sorted(days[day].items())) for day in sorted(days)}


def country_alerts(documents: list[Document], baseline: Baseline, book: PassageBook) -> list[Alert]:
    if baseline.empty:
        return []
    counts = Counter(c for d in documents for c in d.countries_mentioned)
    alerts = []
    for country, count in sorted(counts.items()):
        history = [sum(country in d.countries_mentioned for d in b) for b in baseline.buckets]
        median = statistics.median(history)
        mad = statistics.median(abs(h - median) for h in history)
        score = (count - median) / (1.4826 * mad + 1.0)
        if count >= ALERT_MIN_COUNT and score >= ALERT_SCORE:
            mentioning = sorted(
                (
                    d
                    for d in documents
                    if country in d.countries_mentioned and d.duplicate_of is None
                ),
                key=_authority,
            )
            citations = [book.add(d, spans) for d in mentioning if (spans := lead_spans(d))]
            alerts.append(
                Alert(
                    "country_volume_spike",
                    country,
                    count,
                    history,
                    round(score, 2),
                    citations[:ALERT_CITATIONS],
                )
            )
    return sorted(alerts, key=lambda a: (-a.score, a.country))


def public_alerts(
    registry: Registry, window: BriefingWindow, clearance: str, book: PassageBook
) -> list[PublicAlert]:
    """Monitoring's alerts whose window ended within the briefing's, within its clearance,
    each citing the posts behind it."""
    from assistant.monitoring.series import SeriesStore
    from assistant.monitoring.warning import list_alerts

    start, end = int(window.start.timestamp()), int(window.end.timestamp())
    levels = readable_levels(clearance)
    stored = list_alerts(SeriesStore(registry), levels, since_ts=start)
    found = []
    for alert in sorted(stored, key=lambda a: (a["window_end"], a["id"])):
        if alert["window_end"] > end:
            continue
        documents = registry.existing(alert["doc_ids"], clearance_levels=levels)
        cited = [documents[d] for d in alert["doc_ids"] if d in documents]
        citations = [book.add(d, spans) for d in cited if (spans := lead_spans(d))]
        series = alert["series"]
        found.append(PublicAlert(alert["signal"], series["country"], series["topic"],
                                 series["kind"], alert["observed"], alert["baseline"],
                                 alert["z"], alert["window"]["start"],
                                 citations[:ALERT_CITATIONS]))  # fmt: skip
    return found


def what_to_watch(documents: list[Document], book: PassageBook) -> list[WatchItem]:
    """Forthcoming events the window's sources announce, most authoritative first."""
    items: list[WatchItem] = []
    for doc in sorted((d for d in documents if d.duplicate_of is None), key=_authority):
        spans = forthcoming(doc)
        if spans and len(items) < MAX_WATCH:
            start, end = spans[0]
            text = clean(doc.text[start:end])
            items.append(WatchItem(text, doc.language, book.add(doc, [spans[0]])))
    return items
