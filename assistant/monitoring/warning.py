"""Early warning: spikes in volume and in negative share against a robust baseline.

As media-monitoring tools do, social posts are compared hour by hour (the last hour vs.
the prior 12 hours) and news and policy texts day by day (a day vs. the prior 14 days).

- Volume: robust z = (x − median) / max(1.4826·MAD, √median, 1) over the baseline windows;
  an alert needs z ≥ ``alert_z``, x ≥ ``alert_min_volume`` and x ≥ 2 × median.
- Negative share: p = negatives / volume in the window vs. p0 = the median share of the
  baseline windows that had posts; binomial z = (p − p0) / √(p0(1 − p0)/n) with p0 kept in
  [0.05, 0.95]; an alert needs z ≥ ``alert_z``, n ≥ ``alert_min_volume`` and
  p − p0 ≥ ``alert_min_negative_delta``.

Thresholds are per watchlist (its ``alert_*`` fields).  Each alert cites the posts behind
it: the window's most negative mentions (negative share) or its first posts (volume).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from statistics import median
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.monitoring.delivery import shown_delivery
from assistant.monitoring.series import Point, SeriesStore
from assistant.monitoring.store import ANY, GRANULARITIES, AlertRow, bucket_of
from assistant.monitoring.watchlists import Watchlist
from corpus.document import CLEARANCES
from corpus.registry import Registry

CADENCE = {"social": ("hour", 12), "news": ("day", 14), "policy": ("day", 14)}
CITED = 5


@dataclass(frozen=True)
class Spike:
    signal: str  # volume | negative_share
    index: int  # of the window in the points given
    observed: float
    baseline: float
    z: float
    volume: int


def volume_spike(window: Point, baseline: list[Point], watchlist: Watchlist) -> Spike | None:
    volumes = [p.volume for p in baseline]
    middle = median(volumes)
    mad = median(abs(v - middle) for v in volumes)
    scale = max(1.4826 * mad, math.sqrt(middle), 1.0)
    z = (window.volume - middle) / scale
    if (
        z >= watchlist.alert_z
        and window.volume >= watchlist.alert_min_volume
        and window.volume >= 2 * middle
    ):
        return Spike("volume", 0, window.volume, middle, round(z, 2), window.volume)
    return None


def negative_spike(window: Point, baseline: list[Point], watchlist: Watchlist) -> Spike | None:
    shares = [p.negative_share for p in baseline if p.negative_share is not None]
    if not shares or window.negative_share is None or window.volume < watchlist.alert_min_volume:
        return None
    p0 = min(max(median(shares), 0.05), 0.95)
    share = window.negative_share
    z = (share - p0) / math.sqrt(p0 * (1 - p0) / window.volume)
    if z >= watchlist.alert_z and share - p0 >= watchlist.alert_min_negative_delta:
        return Spike("negative_share", 0, round(share, 4), round(p0, 4), round(z, 2), window.volume)
    return None


def spikes(points: list[Point], history: int, watchlist: Watchlist, first: int = 0) -> list[Spike]:
    """Spikes of every window from index ``max(first, history)`` on, each against the
    ``history`` windows before it."""
    found = []
    for i in range(max(first, history), len(points)):
        baseline = points[i - history : i]
        for test in (volume_spike, negative_spike):
            spike = test(points[i], baseline, watchlist)
            if spike is not None:
                found.append(
                    Spike(spike.signal, i, spike.observed, spike.baseline, spike.z, spike.volume)
                )
    return found


@dataclass(frozen=True)
class SeriesSpec:
    country: str
    topic: str
    kind: str

    @property
    def key(self) -> str:
        return f"country={self.country}|topic={self.topic}|kind={self.kind}"


def specs_for(watchlist: Watchlist, known: Iterable[tuple[str, str, str]]) -> list[SeriesSpec]:
    """The series a watchlist watches: its countries, its topic (when it has keywords),
    or, when it names neither, every country series and the whole stream."""
    kinds: set[str] = set(watchlist.kinds) or set(CADENCE)
    wanted = []
    for country, topic, kind in known:
        if kind not in kinds:
            continue
        if watchlist.countries:
            ok = topic == ANY and country in watchlist.countries
        elif watchlist.keywords:
            ok = topic == watchlist.name and country == ANY
        else:
            ok = topic == ANY  # every country, and everything together
        if ok:
            wanted.append(SeriesSpec(country, topic, kind))
    return sorted(set(wanted), key=lambda s: s.key)


class EarlyWarning:
    """Scans series for spikes and stores one alert per signal, series and window."""

    def __init__(self, store: SeriesStore, watchlists: list[Watchlist]) -> None:
        self.store = store
        self.watchlists = watchlists

    def scan(self, since_ts: int, until_ts: int) -> list[dict[str, Any]]:
        """Alerts for the windows from the one holding ``since_ts`` to the one holding
        ``until_ts``; each clearance level on its own, so no alert mixes what some readers
        may not see (a spike only visible in levels combined is not raised).  Returns the
        new alerts."""
        new = []
        known = self.store.keys()
        for watchlist in self.watchlists:
            for spec in specs_for(watchlist, known):
                for level in CLEARANCES:
                    new += self._scan_one(watchlist, spec, level, since_ts, until_ts)
        return new

    def _scan_one(
        self, watchlist: Watchlist, spec: SeriesSpec, level: str, since_ts: int, until_ts: int
    ) -> list[dict[str, Any]]:
        granularity, history = CADENCE[spec.kind]
        step = GRANULARITIES[granularity]
        first_window = bucket_of(since_ts, granularity)
        start = first_window - history * step
        end = bucket_of(until_ts, granularity) + step
        points = self.store.points(
            granularity, start, end, spec.country, spec.topic, spec.kind, clearances=[level]
        )
        coverage = self.store.coverage_start(spec.kind, level)
        if coverage is None:
            return []
        # a window is judged only on a baseline the corpus covers: before its first item,
        # empty windows are missing data, not quiet days
        first = max(0, (bucket_of(coverage, granularity) - start) // step + history)
        stored = []
        for spike in spikes(points, history, watchlist, first):
            window = points[spike.index]
            alert = self._alert(watchlist, spec, level, spike, window.bucket_ts, step)
            saved = self._store(alert)
            if saved is not None:
                stored.append(saved)
        return stored

    def _alert(
        self,
        watchlist: Watchlist,
        spec: SeriesSpec,
        level: str,
        spike: Spike,
        start: int,
        step: int,
    ) -> dict[str, Any]:
        mentions = self.store.mentions(
            start, start + step, spec.country, spec.topic, spec.kind, clearances=[level]
        )
        if spike.signal == "negative_share":
            mentions.sort(key=lambda m: (m.score, m.published_ts, m.doc_id))
        else:
            mentions.sort(key=lambda m: (m.published_ts, m.doc_id))
        return {
            "signal": spike.signal,
            "series": {"country": spec.country, "topic": spec.topic, "kind": spec.kind},
            "series_key": spec.key,
            "watchlist": watchlist.name,
            "clearance": level,
            "window_start": start,
            "window_end": start + step,
            "observed": spike.observed,
            "baseline": spike.baseline,
            "z": spike.z,
            "volume": spike.volume,
            "doc_ids": [m.doc_id for m in mentions[:CITED]],
        }

    def _store(self, alert: dict[str, Any]) -> dict[str, Any] | None:
        """The alert as :func:`list_alerts` gives it; None if it was already stored."""
        detail = {k: v for k, v in alert.items() if k not in ("series_key", "clearance")}
        row = AlertRow(
            created_at=datetime.now(UTC),
            signal=alert["signal"],
            series_key=f"{alert['series_key']}|watchlist={alert['watchlist']}|{alert['clearance']}",
            watchlist=alert["watchlist"],
            clearance=alert["clearance"],
            window_start=alert["window_start"],
            window_end=alert["window_end"],
            detail_json=json.dumps(detail, ensure_ascii=False),
        )
        try:
            with Session(self.store.engine) as db, db.begin():
                db.add(row)
                db.flush()
                return alert_dict(row)
        except IntegrityError:
            return None  # already raised for this window


def list_alerts(
    store: SeriesStore,
    clearances: list[str],
    since_ts: int | None = None,
    country: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Stored alerts within the reader's clearance, newest window first."""
    query = select(AlertRow).where(AlertRow.clearance.in_(clearances))
    if since_ts is not None:
        query = query.where(AlertRow.window_end > since_ts)
    query = query.order_by(AlertRow.window_end.desc(), AlertRow.id.desc()).limit(limit)
    with Session(store.engine) as db:
        rows = list(db.scalars(query))
    alerts = _still_readable([alert_dict(r) for r in rows], store.registry, clearances)
    if country:
        alerts = [a for a in alerts if a["series"]["country"] == country]
    return alerts


def _still_readable(
    items: list[dict[str, Any]], registry: Registry, clearances: list[str]
) -> list[dict[str, Any]]:
    """Drop what cites a document since reclassified above the reader or deleted: the
    item was computed from documents the reader may no longer see."""
    cited = sorted({d for item in items for d in item["doc_ids"]})
    visible = registry.readable(cited, clearances)
    return [item for item in items if set(item["doc_ids"]) <= visible]


def _shown_delivered(delivered: dict[str, Any]) -> dict[str, Any]:
    """Delivery records without webhook URLs or receivers' replies (older rows had them)."""
    return {name: shown_delivery(entry) if isinstance(entry, dict) else entry
            for name, entry in delivered.items()}  # fmt: skip


def alert_dict(row: AlertRow) -> dict[str, Any]:
    detail = json.loads(row.detail_json)
    return {
        "id": row.id,
        **detail,
        "clearance": row.clearance,
        "window": {
            "start": datetime.fromtimestamp(row.window_start, UTC).isoformat(),
            "end": datetime.fromtimestamp(row.window_end, UTC).isoformat(),
        },
        "delivered": _shown_delivered(json.loads(row.delivered_json)),
        "created_at": row.created_at.isoformat(),
        "fingerprint": hashlib.sha256(
            row.series_key.encode() + str(row.window_end).encode()
        ).hexdigest()[:16],
    }
