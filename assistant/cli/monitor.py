"""`dragoman monitor` and `dragoman alerts`: attitudes of foreign publics over time."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from assistant.cli.common import (
    CountryOpt,
    DocKindOpt,
    JsonFlag,
    components,
    emit_json,
    out,
    progress_line,
)
from assistant.core.errors import InputError
from assistant.monitoring.contracts import MonitorOut
from corpus.document import CLEARANCES, KINDS

Clearance = Annotated[str, typer.Option(help="The reader's clearance")]


def _monitoring() -> Any:
    return components().monitoring


def catch_up(monitoring: Any, quiet: bool) -> dict[str, Any]:
    """Score what is pending, with a progress line (ingest's monitoring stage too)."""
    from assistant.cli.corpus import scoring_progress

    with progress_line("monitoring", quiet) as show:
        result: dict[str, Any] = monitoring.update(scoring_progress(show))
        return result


def _check(value: str | None, allowed: tuple[str, ...], flag: str) -> None:
    if value is not None and value not in allowed:
        raise InputError(f"{flag} must be one of {', '.join(allowed)}, got {value!r}")


def monitor_command(
    country: CountryOpt = None,
    topic: Annotated[str | None, typer.Option(help="A watchlist with keywords")] = None,
    since: Annotated[str, typer.Option(help="30d, 12h, 2w or a date")] = "30d",
    until: Annotated[str | None, typer.Option(help="End date (default: now)")] = None,
    kind: DocKindOpt = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Language of the sources")] = None,
    granularity: Annotated[str, typer.Option(help="day | hour")] = "day",
    clearance: Clearance = "public",
    update: Annotated[
        bool, typer.Option("--update", help="First score documents not yet in the series")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Volume, sentiment and negative share of a country or topic over time, with a
    forecast, early-warning alerts and coordinated campaigns."""
    _check(kind, KINDS, "--kind")
    _check(clearance, CLEARANCES, "--clearance")
    monitoring = _monitoring()
    if topic is not None and topic not in {w.name for w in monitoring.watchlists() if w.keywords}:
        raise InputError(
            f"no topic {topic!r}", fix="topics are watchlists with keywords (DRAGOMAN_WATCHLISTS)"
        )
    caught_up = catch_up(monitoring, as_json) if update else None
    view = monitoring.overview(
        country=country, topic=topic, kind=kind, language=lang, since=since, until=until,
        granularity=granularity, clearance=clearance,
    )  # fmt: skip
    if caught_up is not None:
        view = MonitorOut.shape({**view, "update": caught_up})
    if as_json:
        emit_json(view)
        return
    _print_overview(view)


def _print_overview(view: dict[str, Any]) -> None:
    series, totals = view["series"], view["totals"]
    out.print(
        f"[bold]{series['country']} / topic {series['topic']}[/bold] "
        f"{series['since'][:10]} → {series['until'][:10]}: {totals['volume']} items, "
        f"sentiment {totals['sentiment']}, negative share {totals['negative_share']}"
    )
    table = Table("when", "volume", "sentiment", "negative")
    for p in view["points"][-31:]:
        table.add_row(
            p["at"][:16], str(p["volume"]), _num(p["sentiment"]), _num(p["negative_share"])
        )
    out.print(table)
    fc = view["forecast"]
    if fc["available"]:
        out.print(
            "forecast (80 % interval): "
            + ", ".join(
                f"{a[:10]} {v:.0f} [{lo:.0f}–{hi:.0f}]"
                for a, v, lo, hi in zip(
                    fc["at"], fc["values"], fc["lower"], fc["upper"], strict=True
                )
            )
        )
    else:
        out.print(f"forecast: {fc['reason']}")
    for c in view["countries"]:
        out.print(f"  {c['country']} {c['name']}: {c['volume']} items, sentiment {c['sentiment']}")
    for lang in view.get("languages", []):
        said = f"  {lang['language']}: {lang['volume']} items, sentiment {_num(lang['sentiment'])}"
        if lang["licensed"]:
            out.print(said + " [green](licensed)[/green]", highlight=False)
        else:
            why = lang["licence"]["message"] if lang["licence"] else "not measured"
            out.print(f"[dim]{said} (not licensed: {escape(why)})[/dim]", highlight=False)
    _print_alerts(view["alerts"], view["campaigns"])


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:+.2f}"


def _print_alerts(alerts: list[dict[str, Any]], campaigns: list[dict[str, Any]]) -> None:
    for a in alerts:
        s = a["series"]
        out.print(
            f"[red]alert[/red] {a['window']['start'][:16]} {a['signal']} "
            f"{s['country']}/{s['topic']}/{s['kind']}: {a['observed']} vs {a['baseline']} "
            f"(z {a['z']}); cites {', '.join(a['doc_ids'])}",
            highlight=False,
        )
        for licence in a.get("licences", []):
            if licence["status"] != "licensed":
                out.print(f"  [dim]{escape(licence['message'])}[/dim]", highlight=False)
    for c in campaigns:
        out.print(
            f"[yellow]campaign[/yellow] {c['first'][:16]}–{c['last'][11:16]}: "
            f"{c['posts']} posts from {c['account_count']} accounts: {c['text'][:80]!r}",
            highlight=False,
        )


def alerts_command(
    since: Annotated[str | None, typer.Option(help="Only alerts since: 30d, 12h or a date")] = None,
    country: CountryOpt = None,
    clearance: Clearance = "public",
    scan: Annotated[
        bool, typer.Option("--scan", help="Re-scan the series over --since … --until first")
    ] = False,
    until: Annotated[str | None, typer.Option(help="End of a --scan (default: now)")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Early-warning alerts (spikes in volume or negative share) and campaigns."""
    from assistant.monitoring.service import MAX_SCAN_SPAN, end_of_day, parse_since
    from assistant.monitoring.warning import EarlyWarning

    _check(clearance, CLEARANCES, "--clearance")
    monitoring = _monitoring()
    now = int(time.time())
    if scan:
        until_ts = end_of_day(until) if until else now
        start = parse_since(since or "30d", until_ts, MAX_SCAN_SPAN)
        EarlyWarning(monitoring.store, monitoring.watchlists()).scan(start, until_ts)
        monitoring.detector().detect(start, until_ts)
    view = monitoring.alerts_view(clearance, since, country)
    alerts, campaigns = view["alerts"], view["campaigns"]
    if as_json:
        emit_json(view)
        return
    if not alerts and not campaigns:
        out.print("no alerts")
    _print_alerts(alerts, campaigns)
