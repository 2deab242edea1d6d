"""The monitoring dashboard and its JSON: series, forecast, alerts and campaigns, always
within the user's clearance."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from assistant.core.clearance import readable_levels
from assistant.monitoring.contracts import AlertsOut, MonitorOut
from assistant.web.auth import Reader, ServicesDep
from assistant.web.contracts import (
    API_ERRORS,
    ContractRoute,
    Country,
    Granularity,
    Kind,
    Language,
    Since,
    Until,
)
from assistant.web.pages import page
from assistant.web.services import Services

router = APIRouter(responses=API_ERRORS, route_class=ContractRoute)
Text = Annotated[str | None, Query(max_length=64)]


def _overview(services: Services, clearance: str, **params: Any) -> dict[str, Any]:
    chosen = {k: v for k, v in params.items() if v not in (None, "")}  # blank: not set
    return services.monitoring.overview(clearance=clearance, **chosen)


def latest_day(services: Services, clearance: str) -> str | None:
    """The day of the newest document this reader may see, when it is before today."""
    now = datetime.now(UTC)
    latest = services.registry.latest_published(readable_levels(clearance), int(now.timestamp()))
    return latest.date().isoformat() if latest and latest.date() < now.date() else None


@router.get("/api/monitor", response_model=MonitorOut)
async def monitor_api(
    principal: Reader, services: ServicesDep, country: Country = None, topic: Text = None,
    kind: Kind = None, lang: Language = None, since: Since = "30d", until: Until = None,
    granularity: Granularity = "day",
) -> dict[str, Any]:  # fmt: skip
    """A country's or topic's series (volume, sentiment, negative share), forecast, alerts,
    campaigns — the JSON of `dragoman monitor`."""
    return await run_in_threadpool(
        _overview, services, principal.user.clearance, country=country, topic=topic, kind=kind,
        language=lang, since=since, until=until, granularity=granularity,
    )  # fmt: skip


@router.get("/api/alerts", response_model=AlertsOut)
async def alerts_api(
    principal: Reader, services: ServicesDep, since: Since = None, country: Country = None
) -> dict[str, Any]:
    """Early-warning alerts and coordinated campaigns — the JSON of `dragoman alerts`."""
    return await run_in_threadpool(
        services.monitoring.alerts_view, principal.user.clearance, since or None, country or None
    )


@router.get("/monitor", response_class=HTMLResponse)
async def monitor_page(
    request: Request, principal: Reader, services: ServicesDep, country: Country = None,
    topic: Text = None, kind: Kind = None, lang: Language = None, since: Since = "30d",
    until: Until = None, granularity: Granularity = "day",
) -> Response:  # fmt: skip
    """The dashboard: the chart, the countries most talked about, alerts and campaigns."""
    from assistant.monitoring.charts import series_chart

    params = {"country": country, "topic": topic, "kind": kind, "language": lang,
              "since": since, "until": until, "granularity": granularity}  # fmt: skip
    clearance = principal.user.clearance
    view = await run_in_threadpool(_overview, services, clearance, **params)
    notice = None
    chose_period = {"since", "until"} & set(request.query_params)
    if not chose_period and not view["totals"]["volume"]:
        latest = await run_in_threadpool(latest_day, services, clearance)
        if latest is not None:  # the corpus ends before the default window: open on its end
            params["until"] = latest
            view = await run_in_threadpool(_overview, services, clearance, **params)
            notice = (f"Nothing in the last 30 days: the newest item you may read is from "
                      f"{latest}, so this shows the 30 days up to that day.")  # fmt: skip
    chart = await run_in_threadpool(series_chart, view)
    topics = [w.name for w in services.monitoring.watchlists() if w.keywords]
    context = {"user": principal.user, "view": view, "chart": chart, "params": params,
               "topics": topics, "notice": notice}  # fmt: skip
    return page(request, "monitor.html.j2", context)
