"""`dragoman sources …` (what to collect) and `dragoman collect` (one pass, cron-friendly)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from assistant.cli.common import (
    DocKindOpt,
    DocLangOpt,
    JsonFlag,
    LevelOpt,
    choice,
    components,
    emit_json,
    out,
    progress_line,
)
from assistant.cli.corpus import pairs
from assistant.cli.web import cli_actor
from assistant.collection import NewSource, Source, add_source, describe
from assistant.collection.readers import TYPES
from assistant.core.redact import mask_url_secrets
from corpus.document import CLEARANCES, KINDS

if TYPE_CHECKING:
    from assistant.components import Components

sources_app = typer.Typer(help="Sources collected on a schedule.", no_args_is_help=True)
IdArg = Annotated[int, typer.Argument(help="The source's id (dragoman sources list).")]


def _shown(source_id: int | None = None, reveal: bool = False) -> Any:
    parts = components()
    settings = parts.settings.collect
    if source_id is not None:
        if reveal:
            parts.audit.record(cli_actor(), "source_reveal", str(source_id), {})
        return describe(parts.sources.get(source_id), settings, reveal=reveal)
    return {"sources": [describe(s, settings) for s in parts.sources.all()]}


@sources_app.command("add")
def add_command(
    url: Annotated[str, typer.Argument(help="Feed, page, profile, channel or API URL.")],
    kind_of_source: Annotated[
        str | None, typer.Option("--type", help=f"{' | '.join(TYPES)} (detected if omitted)")
    ] = None,
    name: Annotated[str | None, typer.Option(help="A name to show")] = None,
    kind: DocKindOpt = None,
    every: Annotated[str, typer.Option(help="How often: 10m, 2h, 1d")] = "30m",
    clearance: LevelOpt = "public",
    lang: DocLangOpt = None,
    source: Annotated[str | None, typer.Option(help="Source name on its documents")] = None,
    mapping: Annotated[
        list[str], typer.Option("--map", help="FIELD=PATH for JSON APIs (repeatable)")
    ] = [],  # noqa: B006
    prefix: Annotated[
        str | None, typer.Option(help="A listing page: follow links under this path")
    ] = None,
    ignore_robots: Annotated[
        bool, typer.Option("--ignore-robots", help="Only where you are entitled to")
    ] = False,
    exist_ok: Annotated[
        bool, typer.Option("--exist-ok", help="A source with this URL already: show it")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Add a source; the next `collect` (or `serve`'s schedule) reads it."""
    new = NewSource(
        url=url, type=choice(kind_of_source, TYPES, "--type"), name=name,
        kind=choice(kind, KINDS, "--kind"), every=every,
        clearance=choice(clearance, CLEARANCES, "--clearance"), language=lang, label=source,
        mapping=pairs(mapping, "--map"), robots=not ignore_robots, prefix=prefix,
    )  # fmt: skip
    parts = components()
    known = [s for s in parts.sources.all() if s.url == url.strip()] if exist_ok else []
    if known:
        _show(parts, known[0], as_json, "source #{id} {name} ({type}, every {every}): exists")
        return
    added = add_source(parts.sources, new, parts.settings.collect)
    parts.audit.record(
        cli_actor(), "source_add", str(added.id), {"url": mask_url_secrets(added.url)}
    )
    _show(parts, added, as_json, "source #{id} {name} ({type}, every {every})")


def _show(parts: Components, source: Source, as_json: bool, line: str) -> None:
    """A source as JSON, or one line filled from its fields."""
    shown = describe(source, parts.settings.collect)
    if as_json:
        emit_json(shown)
    else:
        out.print(line.format(**shown))


@sources_app.command("list")
def list_command(as_json: JsonFlag = False) -> None:
    """Every source with its health, last success, next run and last error."""
    shown = _shown()
    if as_json:
        emit_json(shown)
        return
    table = Table("id", "name", "type", "every", "health", "last success", "next", "added",
                  "last error")  # fmt: skip
    for s in shown["sources"]:
        table.add_row(str(s["id"]), s["name"], s["type"], s["every"], s["health"],
                      s["last_success_at"] or "—", s["next_due"] or "—", str(s["added_total"]),
                      (s["last_error"] or "")[:80])  # fmt: skip
    out.print(table)


@sources_app.command("show")
def show_command(
    source_id: IdArg,
    reveal: Annotated[
        bool, typer.Option("--reveal", help="Show the URL's secrets (query values, tokens)")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """One source, with its cursor (where the next collection resumes); the URL's secrets
    masked unless --reveal (audited)."""
    shown = _shown(source_id, reveal)
    if as_json:
        emit_json(shown)
        return
    for key, value in shown.items():
        out.print(f"[bold]{key}[/]: {value}")


def _set_status(source_id: int, status: str, as_json: bool) -> None:
    parts = components()
    updated = parts.sources.update(source_id, status=status)
    parts.audit.record(
        cli_actor(), f"source_{status}", str(source_id), {"url": mask_url_secrets(updated.url)}
    )
    _show(parts, updated, as_json, "source #{id} {name}: {status}")


@sources_app.command("pause")
def pause_command(source_id: IdArg, as_json: JsonFlag = False) -> None:
    """Stop collecting a source (it keeps its cursor)."""
    _set_status(source_id, "paused", as_json)


@sources_app.command("resume")
def resume_command(source_id: IdArg, as_json: JsonFlag = False) -> None:
    """Collect a paused source again."""
    _set_status(source_id, "active", as_json)


@sources_app.command("remove")
def remove_command(source_id: IdArg, as_json: JsonFlag = False) -> None:
    """Forget a source; the documents collected from it stay in the corpus."""
    parts = components()
    removed = parts.sources.remove(source_id)
    parts.audit.record(
        cli_actor(), "source_remove", str(source_id), {"url": mask_url_secrets(removed.url)}
    )
    if as_json:
        emit_json({"removed": source_id, "name": removed.name})
    else:
        out.print(f"source #{source_id} {removed.name} removed (its documents stay)")


def collect_command(
    source_ids: Annotated[
        list[int], typer.Option("--source", help="Only this source id (repeatable)")
    ] = [],  # noqa: B006
    due: Annotated[
        bool, typer.Option("--due", help="Only the sources whose time has come")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Collect every active source once (or the chosen ones), then index what is new."""
    parts = components()
    collector = parts.collector(record=lambda action, detail: parts.audit.record(
        cli_actor(), action, str(detail.get("id")), detail))  # fmt: skip
    with progress_line("collecting", as_json) as show:
        report = collector.collect(
            source_ids or None, due=due,
            progress=lambda done, total, name: show(f"{done}/{total} sources — {name}"),
        )  # fmt: skip
    summary = report.to_dict()
    if as_json:
        emit_json(summary)
        return
    for run in summary["sources"]:
        detail = run["error"] or f"{run['added']} added, {run['updated']} updated"
        out.print(f"#{run['id']} {run['name']}: {run['status']} — {detail}")
    out.print(f"{summary['added']} added in {summary['seconds']:.1f}s")
