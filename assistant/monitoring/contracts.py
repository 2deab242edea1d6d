"""What `dragoman monitor --json` / `GET /api/monitor` and `dragoman alerts --json` /
`GET /api/alerts` give: series, forecasts, alerts and campaigns."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from assistant.core.contracts import Contract
from assistant.licensing.contracts import LicenceOut


class SeriesOut(Contract):
    """Which series the view is: its filters, its period and the reader's clearance."""

    country: str
    topic: str
    kind: str | None
    language: str | None
    granularity: Literal["day", "hour"]
    clearance: str
    since: str
    until: str


class PointOut(Contract):
    """One bucket: items, their mean sentiment in [-1, 1] and share judged negative."""

    at: str
    ts: int
    volume: int
    sentiment: float | None
    negative_share: float | None


class TotalsOut(Contract):
    volume: int
    sentiment: float | None
    negative_share: float | None


class ForecastValues(Contract):
    """A forecast with its 80 % interval and the method that made it."""

    values: list[float]
    lower: list[float]
    upper: list[float]
    level: float
    method: str
    alpha: float
    gamma: float
    interval: Literal["empirical", "gaussian"]


class ForecastOut(Contract):
    """Volume ahead (``available``), or why there is none (``reason``)."""

    available: bool
    reason: str | None = None
    metric: Literal["volume"] | None = None
    values: list[float] | None = None
    lower: list[float] | None = None
    upper: list[float] | None = None
    level: float | None = None
    method: str | None = None
    alpha: float | None = None
    gamma: float | None = None
    interval: Literal["empirical", "gaussian"] | None = None
    at: list[str] | None = None
    sentiment: ForecastValues | None = None


class SeriesKeyOut(Contract):
    country: str
    topic: str
    kind: str


class WindowOut(Contract):
    start: str
    end: str


class AlertOut(Contract):
    """A spike in a series' volume or negative share, with the documents behind it."""

    id: int
    signal: Literal["volume", "negative_share"]
    series: SeriesKeyOut
    watchlist: str
    window_start: int
    window_end: int
    observed: float
    baseline: float
    z: float
    volume: int
    doc_ids: list[str]
    clearance: str
    window: WindowOut
    delivered: dict[str, Any]
    created_at: str
    fingerprint: str
    # a negative-share spike rests on the sentiment head: its licence in each language of
    # the documents behind it (absent from volume spikes)
    licences: list[LicenceOut] = Field(default_factory=list)


class AccountPostsOut(Contract):
    account: str
    posts: int


class CampaignOut(Contract):
    """Near-identical posts from several accounts in a short burst."""

    id: int
    fingerprint: str
    clearance: str
    first: str
    last: str
    first_ts: int
    last_ts: int
    posts: int
    posts_per_minute: float
    accounts: list[AccountPostsOut]
    account_count: int
    text: str
    variants: int
    similar_posts_in_period: int
    language: str
    countries: list[str]
    doc_ids: list[str]


class CountryVolumeOut(Contract):
    """A country among the most talked about in the period."""

    country: str
    name: str
    volume: int
    sentiment: float
    negative_share: float


class LanguageSentimentOut(Contract):
    """The series' items in one language: their sentiment, shown as measured only where the
    sentiment head's records for that language license it (``licensed``); otherwise drawn
    greyed, with ``licence`` saying why."""

    language: str
    volume: int
    sentiment: float | None
    negative_share: float | None
    points: list[float | None]  # mean sentiment per bucket, aligned with the series' points
    licensed: bool
    licence: LicenceOut | None


class MonitorOut(Contract):
    """A country's or topic's series with totals, forecast, alerts and campaigns."""

    series: SeriesOut
    points: list[PointOut]
    totals: TotalsOut
    forecast: ForecastOut
    alerts: list[AlertOut]
    campaigns: list[CampaignOut]
    countries: list[CountryVolumeOut]
    languages: list[LanguageSentimentOut] = Field(default_factory=list)
    update: dict[str, Any] | None = None  # `monitor --update`: what scoring first did


class AlertsOut(Contract):
    """Early-warning alerts and coordinated campaigns, newest first."""

    alerts: list[AlertOut]
    campaigns: list[CampaignOut]


class DeliveryOut(Contract):
    """Where an alert or briefing went: a webhook by host and fingerprint, never its URL."""

    channel: str  # email | webhook
    target: str
    ok: bool
    error: str | None
    target_sha256: str | None
