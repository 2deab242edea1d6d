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
