"""`dragoman eval`: run the factuality suites, report on a run, compare two runs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperGroup

from assistant.cli.common import BackendOpt, JsonFlag, emit_json, err, out
from assistant.core.errors import InputError
from assistant.core.settings import Settings, load_settings

if TYPE_CHECKING:
    from evals.harness import SavedRun

SUBCOMMANDS = ("run", "list", "report", "compare", "gate", "baseline")
JUDGES = ("auto", "heuristic", "llm", "cascade")


class _RunByDefault(TyperGroup):
    """`dragoman eval SUITE...` is `dragoman eval run SUITE...`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in SUBCOMMANDS and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


eval_app = typer.Typer(
    cls=_RunByDefault,
    no_args_is_help=True,
    help="Factuality evaluation: dragoman eval SUITE... | list | report RUN | compare A B | gate",
)
LimitOpt = Annotated[
    int | None,
    typer.Option("--limit", min=1, help="At most N items per group (language, pair, condition)"),
]
JudgeOpt = Annotated[
    str | None,
    typer.Option("--judge", help="Support judge for the suites: auto|heuristic|llm|cascade"),
]


def _suite_names(names: list[str]) -> list[str]:
    from evals.harness import all_suites, get_suite

    if names == ["all"]:
        return list(all_suites())
    for name in names:
        get_suite(name)
    return names


def _execute(
    settings: Settings, names: list[str], limit: int | None, backend: str | None,
    judge: str | None,
) -> dict[str, Any]:  # fmt: skip
    from assistant.cli.common import prepare_local_model
    from evals.harness import run_suites

    if judge is not None and judge not in JUDGES:
        raise InputError(f"--judge must be one of {', '.join(JUDGES)}, not {judge!r}")
    prepare_local_model(settings, backend or settings.llm.backend)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=err, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def progress(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=total)
            bar.update(tasks[label], completed=done, total=total)

        return run_suites(settings, names, limit=limit, backend=backend, judge=judge,
                          progress=progress)  # fmt: skip


@eval_app.command("run")
def run_command(
    suites: Annotated[list[str], typer.Argument(help="Suite names, or `all`")],
    limit: LimitOpt = None,
    backend: BackendOpt = None,
    judge: JudgeOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Run suites; everything is recorded under DRAGOMAN_HOME/evals/<run_id>/."""
    settings = load_settings()
    record = _execute(settings, _suite_names(suites), limit, backend, judge)
    if as_json:
        emit_json(record)
        return
    _print_metrics(record["metrics"])
    out.print(f"run [bold]{record['run_id']}[/] → {settings.home / 'evals' / record['run_id']}")


def _print_metrics(
    metrics: dict[str, dict[str, float | None]],
    intervals: dict[str, dict[str, list[float]]] | None = None,
) -> None:
    for suite, values in metrics.items():
        shown = (intervals or {}).get(suite, {})
        table = Table(title=suite, show_header=True)
        table.add_column("metric")
        table.add_column("value", justify="right")
        if intervals is not None:
            table.add_column("95 % interval", justify="right")
        for name, value in values.items():
            row = [escape(name), "—" if value is None else f"{value:.3f}"]
            if intervals is not None:
                low_high = shown.get(name)
                row.append(f"[{low_high[0]:.3f}, {low_high[1]:.3f}]" if low_high else "")
            table.add_row(*row)
        out.print(table)


@eval_app.command("list")
def list_command(as_json: JsonFlag = False) -> None:
    """The suites and the recorded runs."""
    from evals.harness import all_suites, list_runs

    suites = {name: s.description for name, s in all_suites().items()}
    runs = list_runs(load_settings())
    if as_json:
        emit_json({"suites": suites, "runs": runs})
        return
    for name, description in suites.items():
        out.print(f"[bold]{name}[/]: {description}")
    for run in runs:
        out.print(f"{run['run_id']}  {run['status']}  {','.join(run['suites'])}  "
                  f"limit={run['limit']}  backend={run['backend']}")  # fmt: skip


def _load(ref: str) -> SavedRun:
    from evals.harness import load_run

    return load_run(load_settings(), ref)


@eval_app.command("report")
def report_command(
    run: Annotated[str, typer.Argument(help="Run id or run directory")],
    html: Annotated[bool, typer.Option("--html", help="Write report.html with charts")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Summarise a run (metrics recomputed from its items); --html renders the report."""
    from evals.report import render_html, summary

    saved = _load(run)
    data = summary(saved, resamples=load_settings().eval_bootstrap)
    if html:
        data["html"] = str(render_html(saved, data))
    if as_json:
        emit_json(data)
        return
    _print_metrics({s["name"]: s["metrics"] for s in data["suites"]},
                   {s["name"]: s["intervals"] for s in data["suites"]})  # fmt: skip
    if html:
        out.print(f"report: {data['html']}")


@eval_app.command("compare")
def compare_command(
    run_a: Annotated[str, typer.Argument(help="The earlier (baseline) run")],
    run_b: Annotated[str, typer.Argument(help="The later run")],
    gate: Annotated[bool, typer.Option("--gate", help="Exit 1 on a real regression")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Per-metric deltas (B − A) with 95% paired-bootstrap intervals; regressed items."""
    from evals.compare import compare_runs

    result = compare_runs(_load(run_a), _load(run_b), resamples=load_settings().eval_bootstrap)
    _show_comparison(result, as_json)
    if gate and result["regressions"]:
        raise typer.Exit(1)


def _show_comparison(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(result)
        return
    for suite in result["suites"]:
        table = Table(title=f"{suite['suite']} ({suite['paired_items']} paired items)")
        for column in ("metric", "A", "B", "Δ", "95% CI", "verdict"):
            table.add_column(column)
        for m in suite["metrics"]:
            ci = "—" if m["ci_low"] is None else f"[{m['ci_low']:+.3f}, {m['ci_high']:+.3f}]"
            cells = [_fmt(m["before"]), _fmt(m["after"]), _fmt(m["delta"], signed=True)]
            table.add_row(m["metric"], *cells, ci, m["verdict"])
        out.print(table)
        for item in suite["regressed_items"][:10]:
            out.print(f"  worse: {item['id']} {item['before']} → {item['after']}")
    out.print("regressions: " + (", ".join(result["regressions"]) or "none"))


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


@eval_app.command("gate")
def gate_command(
    baseline: Annotated[str, typer.Option("--baseline", help="Baseline run directory or id")],
    as_json: JsonFlag = False,
) -> None:
    """Re-run the baseline's suites with its limit, backend and judge; exit 1 on a
    regression beyond the bootstrap interval (CI's factuality gate)."""
    from evals.compare import compare_runs

    settings = load_settings()
    before = _load(baseline)
    record = before.record
    after = _execute(settings, record["suites"], record["limit"], record["backend"],
                     record["judge"])  # fmt: skip
    result = compare_runs(before, _load(after["run_id"]), resamples=settings.eval_bootstrap)
    _show_comparison(result, as_json)
    if result["regressions"]:
        raise typer.Exit(1)


@eval_app.command("baseline")
def baseline_command(
    run: Annotated[str, typer.Argument(help="Run id or run directory")],
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write the baseline")],
    as_json: JsonFlag = False,
) -> None:
    """Save a run as a gate baseline: ids, groups and numbers only (no dataset text)."""
    from evals.harness import save_baseline

    path = save_baseline(_load(run), out_dir)
    if as_json:
        emit_json({"baseline": str(path)})
    else:
        out.print(f"baseline written to {path}")


class _CalibrateByDefault(TyperGroup):
    """`dragoman calibrate [options]` is `dragoman calibrate run [options]`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or (
            args[0] not in ("run", "list", "export") and args[0] not in ("--help", "-h")
        ):
            args = ["run", *args]
        return super().parse_args(ctx, args)


calibrate_app = typer.Typer(
    cls=_CalibrateByDefault,
    help="Measure each label on a backend, per language, and licence what holds: "
    "dragoman calibrate [--backend B] [--labels …] [--languages …] | list",
)


def _names(text: str | None) -> list[str] | None:
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


@calibrate_app.command("run")
def calibrate_command(
    backend: BackendOpt = None,
    labels: Annotated[
        str | None,
        typer.Option("--labels", help="Label kinds or families, comma-separated (default: all)"),
    ] = None,
    languages: Annotated[
        str | None,
        typer.Option("--languages", help="Record only these languages (ISO 639-1, commas)"),
    ] = None,
    limit: LimitOpt = None,
    judge: JudgeOpt = None,
    from_run: Annotated[
        str | None,
        typer.Option("--from-run", help="Read an earlier eval run instead of running suites"),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Run the suites that measure the labels (progress shown) and write one record per
    label kind and language: precision with its 95 % interval, n, data set, run."""
    from assistant.components import Components
    from assistant.licensing import kinds_named
    from assistant.monitoring.sentiment import sentiment_subject
    from evals.calibrate import check_measured, describe, records_from_run, suites_for

    settings = load_settings()
    kinds = kinds_named(_names(labels))
    check_measured(kinds)
    if from_run:
        saved = _load(from_run)
    else:
        record = _execute(settings, suites_for(kinds), limit, backend, judge)
        saved = _load(record["run_id"])
    records = records_from_run(saved, kinds, sentiment_subject(), _names(languages))
    Components(settings, backend).calibration.add(records)
    shown = describe(records, settings)
    if as_json:
        emit_json({"run_id": saved.record["run_id"], "records": shown})
        return
    _print_records(shown)
    out.print(f"{len(records)} records from run [bold]{saved.record['run_id']}[/]")


@calibrate_app.command("list")
def calibrate_list_command(as_json: JsonFlag = False) -> None:
    """Every calibration record (the newest of each subject, label kind and language)."""
    from assistant.components import Components
    from evals.calibrate import describe

    settings = load_settings()
    records = list(Components(settings).calibration.latest().values())
    shown = describe(sorted(records, key=lambda r: r.key), settings)
    if as_json:
        emit_json({"records": shown})
        return
    _print_records(shown)


@calibrate_app.command("export")
def calibrate_export_command(
    out_file: Annotated[Path, typer.Option("--out", help="The JSONL file to write")],
    as_json: JsonFlag = False,
) -> None:
    """The newest record of each subject, label kind and language as JSON lines (how the
    embedded models' records ship: assistant/licensing/shipped.jsonl)."""
    import json

    from assistant.components import Components

    records = sorted(Components(load_settings()).calibration.latest().values(), key=lambda r: r.key)
    lines = [json.dumps(r.to_dict(), ensure_ascii=False, sort_keys=True) for r in records]
    out_file.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    if as_json:
        emit_json({"records": len(records), "out": str(out_file)})
    else:
        out.print(f"{len(records)} records written to {out_file}")


def _print_records(records: list[dict[str, Any]]) -> None:
    """One table per subject (model, judge, sentiment head, rules)."""
    for subject in dict.fromkeys(r["subject"] for r in records):
        table = Table(title=escape(subject), show_header=True)
        for column in ("label", "lang", "precision", "95 % interval", "n", "bar", "", "run"):
            table.add_column(column)
        for r in (r for r in records if r["subject"] == subject):
            verdict = "[green]licensed[/]" if r["licensed"] else "[yellow]below the bar[/]"
            interval = f"[{r['low']:.3f}, {r['high']:.3f}]"
            cells = [r["kind"], r["language"], f"{r['precision']:.3f}", escape(interval)]
            cells += [str(r["n"]), f"{r['threshold']:.2f}", verdict, r["run_id"]]
            table.add_row(*cells)
        out.print(table)
