"""`dragoman positions`: where each speaker stands on a topic, in its own words."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from assistant.cli.common import (
    BackendOpt,
    DateOpt,
    JsonFlag,
    choice,
    components,
    date_flag,
    emit_json,
    model_work,
    out,
)
from assistant.core.errors import InputError
from corpus.document import CLEARANCES, KINDS
from corpus.registry import DocFilters

LABELS = {"supports": "[green]supports[/green]", "opposes": "[red]opposes[/red]",
          "mixed": "[yellow]mixed[/yellow]", "neutral": "neutral",
          "undetermined": "[dim]undetermined[/dim]",
          "no_statement": "[dim]no statement found[/dim]"}  # fmt: skip


SpeakersOpt = Annotated[
    str | None, typer.Option(help="Comma-separated alpha-3 codes or @handles (USA,CHN,RUS)")
]
EveryOpt = Annotated[bool, typer.Option("--all", help="Every speaker of the period (default)")]
YourLangOpt = Annotated[str, typer.Option("--lang", help="Your language: summaries, translations")]
SourceLangOpt = Annotated[
    str | None, typer.Option("--source-lang", help="Only documents in this language")
]
CompareOpt = Annotated[
    tuple[str, str] | None,
    typer.Option(help="Two periods side by side: 2021 2022, or 2022-01..2022-06 2022-07..2022-12"),
]
ExportOpt = Annotated[
    Path | None, typer.Option(help="Also write the positions to this .md or .csv file")
]


def positions_command(
    topic: Annotated[str, typer.Argument(help='What the positions are on, e.g. "Ukraine"')],
    speakers: SpeakersOpt = None,
    every: EveryOpt = False,
    since: DateOpt = None,
    until: DateOpt = None,
    kind: Annotated[str | None, typer.Option(help="news | social | policy")] = None,
    lang: YourLangOpt = "en",
    source_lang: SourceLangOpt = None,
    quotes: Annotated[int, typer.Option(min=1, max=3, help="Quotes per speaker")] = 3,
    compare: CompareOpt = None,
    export: ExportOpt = None,
    clearance: Annotated[str, typer.Option(help="The reader's clearance")] = "public",
    backend: BackendOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Each speaker's stance on a topic, with a summary and verbatim, verified quotes."""
    from assistant.positions import PositionsRequest
    from assistant.positions.pipeline import parse_period

    _check_outputs(export, compare, bool(speakers) and every)
    filters = DocFilters(
        kind=choice(kind, KINDS, "--kind"), language=source_lang,
        since=date_flag(since, "--since"), until=date_flag(until, "--until"),
    )  # fmt: skip
    level = str(choice(clearance, CLEARANCES, "--clearance"))
    request = PositionsRequest(topic, _speakers(speakers), filters, lang.lower(), level, quotes)
    request = request.checked()
    periods = [parse_period(p) for p in compare] if compare else None
    parts = components(backend)
    with model_work(parts, as_json) as show:

        def progress(done: int, total: int, speaker: str) -> None:
            show(f"positions: {done}/{total} speakers {speaker}")

        engine = parts.positions()
        if periods:
            report = engine.compare(request, periods, progress)
        else:
            report = engine.run(request, progress)
    if export is not None:
        _export(report, export)
    if as_json:
        emit_json(report)
    elif periods:
        _print_shifts(report)
    else:
        _print_positions(report)


def _check_outputs(export: Path | None, compare: tuple[str, str] | None, both: bool) -> None:
    if both:
        raise InputError("--speakers and --all exclude each other", fix="use one of them")
    if export is not None and export.suffix.lower() not in (".md", ".csv"):
        raise InputError(f"--export {export} is not .md or .csv", fix="e.g. positions.md")
    if export is not None and compare:
        raise InputError("--export writes one period's positions", fix="drop --compare")


def _speakers(text: str | None) -> list[str] | None:
    from corpus.speakers import parse_speaker

    named = [parse_speaker(s.strip(), "--speakers") for s in (text or "").split(",")
             if s.strip()]  # fmt: skip
    return named or None


def _export(report: dict[str, Any], path: Path) -> None:
    from assistant.positions import to_csv, to_markdown

    text = to_csv(report) if path.suffix.lower() == ".csv" else to_markdown(report)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"cannot write {path}: {exc.strerror}", fix="choose a writable path"
        ) from exc


def _print_positions(report: dict[str, Any]) -> None:
    table = Table(title=f"Positions on {escape(report['topic'])}", show_lines=True)
    for column in ("speaker", "stance", "summary", "quotes"):
        table.add_column(column)
    for p in report["positions"]:
        summary = escape(p["summary"] or "")
        if p["summary"] and not p["summary_supported"]:
            summary += " [dim](not verified)[/dim]"
        quotes = "\n".join(f"[{q['n']}] “{escape(q['quote'][:160])}” — {escape(q['title'])}"
                           + ("" if q["verified"] else " (not found again)")
                           for q in p["quotes"])  # fmt: skip
        table.add_row(escape(p["name"]), LABELS[p["stance"]], summary, quotes)
    out.print(table)
    for disagreement in report.get("disagreements", []):
        sides = " vs ".join(
            f"{escape(side['value'])} ({', '.join(side['speakers'])}: "
            f"“{escape(side['sentence'][:120])}”)"
            for side in disagreement["sides"]
        )
        out.print(f"[yellow]The speakers' sources disagree:[/yellow] {sides}", highlight=False)
    for licence in report.get("licences", []):
        shade = "green" if licence["status"] == "licensed" else "dim"
        out.print(f"[{shade}]{escape(licence['message'])}[/{shade}]", highlight=False)


def _print_shifts(report: dict[str, Any]) -> None:
    before, after = report["periods"]
    table = Table(title=f"Positions on {escape(report['topic'])}: {before} → {after}")
    for column in ("speaker", before, after, "changed"):
        table.add_column(column)
    for s in report["shifts"]:
        changed = "[bold]yes[/bold]" if s["changed"] else ""
        before_label, after_label = LABELS[s["before"]["stance"]], LABELS[s["after"]["stance"]]
        table.add_row(escape(s["name"]), before_label, after_label, changed)
    out.print(table)
