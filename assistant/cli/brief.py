"""`dragoman brief`: the morning briefing, cron-friendly (exit 0 only when every delivery
succeeded; 1 when the briefing was archived but a delivery failed)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.common import BackendOpt, JsonFlag, components, emit_json, model_work, out
from assistant.core.errors import InputError


def brief_command(
    day: Annotated[
        str | None, typer.Option("--date", help="YYYY-MM-DD (default: today, UTC)")
    ] = None,
    window: Annotated[str, typer.Option(help="Period covered: 24h, 3d, 1w…")] = "24h",
    watchlist: Annotated[str, typer.Option(help="A saved watchlist (DRAGOMAN_WATCHLISTS)")] = "all",
    lang: Annotated[str, typer.Option("--lang", help="Output languages: en,zh,fr,es,ru,ar")] = "en",
    formats: Annotated[str, typer.Option("--format", help="md,html,pdf,docx")] = "md,html",
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Also copy the briefing files here")
    ] = None,
    clearance: Annotated[
        str | None, typer.Option(help="Audience clearance (default DRAGOMAN_BRIEF_CLEARANCE)")
    ] = None,
    email: Annotated[
        list[str] | None, typer.Option("--email", help="Send to this address (repeatable)")
    ] = None,
    webhook: Annotated[str | None, typer.Option(help="POST the briefing's summary here")] = None,
    slack: Annotated[str | None, typer.Option(help="Slack incoming-webhook URL")] = None,
    teams: Annotated[str | None, typer.Option(help="Teams incoming-webhook URL")] = None,
    telegram: Annotated[
        str | None, typer.Option(help="Telegram chat id (DRAGOMAN_TELEGRAM_BOT_TOKEN)")
    ] = None,
    backend: BackendOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Write the briefing for a day's window, archive it, and deliver it."""
    from assistant.briefing.jobs import Targets, run_job
    from assistant.briefing.pipeline import BriefRequest
    from assistant.briefing.render import parse_formats

    parts = components(backend)
    request = BriefRequest(
        day=_day(day), window=window, watchlist=watchlist,
        languages=[x.strip().lower() for x in lang.split(",") if x.strip()],
        formats=parse_formats(formats), clearance=clearance or parts.settings.brief.clearance,
    )  # fmt: skip
    request.check()
    with model_work(parts, as_json) as show:
        chats = {k: v for k, v in (("slack", slack), ("teams", teams), ("telegram", telegram)) if v}
        targets = Targets(email or [], webhook, out_dir, chats)
        outcome = run_job(parts.briefer(), request, targets, show)
    if as_json:
        emit_json(outcome.to_dict())
    else:
        _print(outcome.to_dict())
    if not outcome.ok:
        raise typer.Exit(1)


def _day(text: str | None) -> date:
    if text is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"invalid --date {text!r}", fix="YYYY-MM-DD") from exc


def _print(result: dict[str, object]) -> None:
    out.print(
        f"[bold]Briefing {result['date']} — {result['watchlist']}[/bold]  ({result['folder']})"
    )
    if result["empty"]:
        out.print("No new items in this window.")
    for line in result["headlines"]:  # type: ignore[attr-defined]
        out.print(f" • {line}", highlight=False)
    out.print(f"files: {', '.join(result['files'])}")  # type: ignore[arg-type]
    for d in result["deliveries"]:  # type: ignore[attr-defined]
        status = "[green]ok[/green]" if d["ok"] else f"[red]FAILED[/red] {d['error']}"
        out.print(f"{d['channel']} → {d['target']}: {status}", highlight=False)
