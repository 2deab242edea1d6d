"""`dragoman ingest` and `dragoman docs`: the corpus commands of the CLI."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from assistant.cli.common import (
    CountryOpt,
    DateOpt,
    DocLangOpt,
    JsonFlag,
    LevelOpt,
    SpeakerOpt,
    choice,
    components,
    date_flag,
    emit_json,
    err,
    out,
    progress_line,
    speaker_flag,
)
from assistant.collection import Ingestion
from assistant.core.errors import InputError
from assistant.core.settings import load_settings
from corpus.connectors import Options, known_formats
from corpus.document import CLEARANCES, KINDS, Document
from corpus.ingest import IngestReport
from corpus.registry import DocFilters, Registry

if TYPE_CHECKING:
    from assistant.components import Components

docs_app = typer.Typer(help="List and show stored documents.", no_args_is_help=True)


def pairs(values: list[str], flag: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, target = value.partition("=")
        if not sep or not key or not target:
            raise InputError(f"{flag} expects FIELD=VALUE, got {value!r}")
        pairs[key.strip()] = target.strip()
    return pairs


def registry() -> Registry:
    return components().registry


_NO_MONITOR_HELP = "Skip the monitoring series (dragoman monitor --update catches up)"
NoMonitorOpt = Annotated[bool, typer.Option("--no-monitor", help=_NO_MONITOR_HELP)]


def ingest_command(
    paths: Annotated[list[str], typer.Argument(help="Files, directories, archives or URLs.")],
    kind: Annotated[
        str | None, typer.Option(help="news | social | policy (default by format)")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="auto or a connector name")] = "auto",
    mapping: Annotated[list[str], typer.Option("--map", help="FIELD=COLUMN (repeatable)")] = [],  # noqa: B006
    source: Annotated[str | None, typer.Option(help="Source (outlet, account, ministry)")] = None,
    clearance: LevelOpt = "public",
    lang: DocLangOpt = None,
    filename_pattern: Annotated[
        str | None, typer.Option(help="Regex with named groups over each file name")
    ] = None,
    assign: Annotated[
        list[str], typer.Option("--set", help="FIELD=TEMPLATE using filename groups")
    ] = [],  # noqa: B006
    line_pattern: Annotated[
        str | None, typer.Option(help="Regex with named groups: one record per line")
    ] = None,
    date_default: Annotated[
        str | None, typer.Option(help="Fills what dates lack, e.g. the year: 2023-01-01")
    ] = None,
    timezone: Annotated[str, typer.Option(help="IANA zone of dates without offset")] = "UTC",
    near_dup_threshold: Annotated[float, typer.Option(min=0.3, max=0.95)] = 0.8,
    no_index: Annotated[
        bool, typer.Option("--no-index", help="Only register; index on a later run")
    ] = False,
    no_monitor: NoMonitorOpt = False,
    as_json: JsonFlag = False,
) -> None:
    """Ingest sources into the registry, then chunk, embed and index them (crash-safe)."""

    if fmt != "auto" and fmt not in known_formats():
        raise InputError(f"unknown --format {fmt!r}", fix=f"auto or one of {known_formats()}")
    settings = load_settings()
    options = Options(
        format=fmt,
        kind=choice(kind, KINDS, "--kind"),
        mapping=pairs(mapping, "--map"),
        source=source,
        clearance=choice(clearance, CLEARANCES, "--clearance"),
        language=lang,
        filename_pattern=filename_pattern,
        line_pattern=line_pattern,
        date_default=date_default,
        timezone=timezone,
        near_dup_threshold=near_dup_threshold,
        batch_size=settings.ingest_batch_size,
        actor=f"cli:{getpass.getuser()}",
    )
    pipeline = components().ingestion
    report = register_with_progress(pipeline, paths, options, pairs(assign, "--set"), as_json)
    summary = report.to_dict()
    if not no_index:
        summary |= finish_ingest(pipeline, monitor=not no_monitor, quiet=as_json)
    if as_json:
        emit_json(summary)
    else:
        _print_ingest(report, summary)


def register_with_progress(
    pipeline: Ingestion, paths: list[str], options: Options, templates: dict[str, str],
    quiet: bool,
) -> IngestReport:  # fmt: skip
    """Stage 1 of ingest, with a progress line."""
    with progress_line("ingesting", quiet) as show:
        return pipeline.register(
            paths, options, templates, lambda files, documents, name: show(
                f"{files} files, {documents} documents — {name}"
            ),
        )  # fmt: skip


def _print_ingest(report: IngestReport, summary: dict[str, Any]) -> None:
    out.print(
        f"run {report.run_id}: {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.near_duplicates} near-duplicates, "
        f"{report.exact_duplicates} exact duplicates, {len(report.failed)} failed; "
        f"{report.documents_total} documents in store ({report.seconds:.1f}s)"
    )
    if "index" in summary:
        index = summary["index"]
        out.print(
            f"indexed {index['documents_indexed']} documents as {index['chunks']} chunks "
            f"({index['seconds']:.1f}s)"
        )
    if "monitor" in summary:
        found = summary["monitor"]
        out.print(
            f"monitoring: {found['scored']} documents scored, {len(found['alerts'])} new alerts, "
            f"{len(found['campaigns'])} new campaigns"
        )
    for failure in report.failed:
        err.print(f"[red]failed[/red] {failure['path']}: {failure['error']}", highlight=False)


def run_indexing(parts: Components, quiet: bool) -> dict[str, Any]:
    """The retrieval stage of ingest, with its own progress line."""
    from retrieval.indexer import index_pending

    with progress_line("indexing", quiet) as show:
        indexed = indexing_progress(show)
        return index_pending(parts.retrieval(), parts.registry, indexed).to_dict()


def finish_ingest(pipeline: Ingestion, *, monitor: bool, quiet: bool) -> dict[str, Any]:
    """Index what is pending, then monitor it, with a progress line."""
    with progress_line("indexing", quiet) as show:
        return pipeline.finish(
            monitor=monitor, index_progress=indexing_progress(show),
            monitor_progress=scoring_progress(show),
        )  # fmt: skip


def indexing_progress(show: Callable[[str], None]) -> Callable[[int, int], None]:
    return lambda documents, chunks: show(f"indexing: {documents} documents, {chunks} chunks")


def scoring_progress(show: Callable[[str], None]) -> Callable[[int, int], None]:
    return lambda done, total: show(f"monitoring: {done}/{total} documents scored")


def _show_versions(store: Registry, document: Document, as_json: bool) -> None:
    earlier = store.versions(document.doc_id)
    if as_json:
        emit_json({"doc_id": document.doc_id, "current": document.model_dump(mode="json"),
                   "versions": earlier})  # fmt: skip
        return
    out.print(f"[bold]{document.title}[/bold] ({document.doc_id})", highlight=False)
    if not earlier:
        out.print("no earlier version: the document has not been changed since it was added")
    for v in earlier:
        out.print(
            f"v{v['version']} · {v['clearance']} · written {v['written_at'] or '?'} by "
            f"{v['written_by'] or '?'} · replaced {v['superseded_at']} by "
            f"{v['superseded_by'] or '?'} · {len(v['text'])} chars · {v['title']}",
            highlight=False, markup=False,
        )  # fmt: skip
    out.print(f"current: {document.clearance} · {len(document.text)} chars", highlight=False)


@docs_app.command("list")
def docs_list(
    kind: Annotated[str | None, typer.Option()] = None,
    lang: Annotated[str | None, typer.Option("--lang")] = None,
    country: CountryOpt = None,
    since: DateOpt = None,
    until: DateOpt = None,
    source: Annotated[str | None, typer.Option()] = None,
    speaker: SpeakerOpt = None,
    duplicates: Annotated[bool, typer.Option(help="Include duplicates")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: JsonFlag = False,
) -> None:
    """List documents, newest first."""
    filters = DocFilters(
        kind=choice(kind, KINDS, "--kind"), language=lang, country=country, source=source,
        since=date_flag(since, "--since"), until=date_flag(until, "--until"),
        include_duplicates=duplicates, speaker=speaker_flag(speaker),
    )  # fmt: skip
    documents = registry().documents(filters, limit=limit)
    if as_json:
        emit_json([d.model_dump(mode="json", exclude={"text"}) for d in documents])
        return
    table = Table("doc_id", "date", "kind", "lang", "countries", "source", "title")
    for d in documents:
        date = d.published_at.date().isoformat() if d.published_at else ""
        countries = ",".join(d.countries_mentioned[:4])
        table.add_row(d.doc_id, date, d.kind, d.language, countries, d.source or "", d.title[:60])
    out.print(table)


@docs_app.command("reclassify")
def docs_reclassify(
    doc_ids: Annotated[list[str], typer.Argument(help="Documents to re-file")],
    clearance: LevelOpt,
    as_json: JsonFlag = False,
) -> None:
    """File documents at another clearance level (each keeps its previous version), then
    move their chunks and rescore them. Re-ingesting never reclassifies: a file ingested at
    another level is another document."""
    parts = components()
    level = choice(clearance, CLEARANCES, "--clearance")
    changed = parts.registry.reclassify(doc_ids, level, f"cli:{getpass.getuser()}")
    summary: dict[str, Any] = {"reclassified": changed, "clearance": level}
    summary |= finish_ingest(parts.ingestion, monitor=True, quiet=as_json)
    if as_json:
        emit_json(summary)
        return
    out.print(f"{len(changed)} document(s) now {level}: {', '.join(changed) or '—'}")


@docs_app.command("show")
def docs_show(
    doc_id: Annotated[str, typer.Argument()],
    versions: Annotated[
        bool, typer.Option("--versions", help="List its earlier versions (who, when, what)")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Show one document, with the documents that duplicate it ("also reported by")."""
    store = registry()
    document = store.get(doc_id)
    if document is None:
        raise InputError(f"no document {doc_id!r}", fix="see `dragoman docs list`")
    if versions:
        _show_versions(store, document, as_json)
        return
    also = [
        {"doc_id": d.doc_id, "source": d.source, "url": d.url, "kind": d.duplicate_kind}
        for d in store.duplicates_of(doc_id)
    ]
    if as_json:
        emit_json({**document.model_dump(mode="json"), "also_reported_by": also})
        return
    out.print(f"[bold]{document.title}[/bold]", highlight=False)
    meta = f"{document.doc_id} · {document.kind} · {document.language} · {document.published_at}"
    out.print(f"{meta} · {document.source or ''} · {document.url or ''}", highlight=False)
    out.print(f"countries: {', '.join(document.countries_mentioned)}", highlight=False)
    if document.duplicate_of:
        out.print(f"{document.duplicate_kind} duplicate of {document.duplicate_of}")
    for item in also:
        out.print(f"also reported by: {item['doc_id']} {item['source'] or ''} {item['url'] or ''}")
    out.print()
    out.print(document.text, highlight=False, markup=False)
