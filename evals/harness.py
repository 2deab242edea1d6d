"""The evaluation harness: suites, their metrics, and runs recorded on disk.

A suite is a dataset adapter plus metrics: ``items`` yields one JSON-able record per
evaluated item (its outputs, its per-item metric values, its timing) and every metric is
an aggregate over those records, so any metric can be recomputed, grouped and
bootstrapped from a saved run.  Suites register through ``register_suite`` exactly as a
plugin would.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from assistant.core.errors import DragomanError, InputError
from assistant.core.settings import Settings
from assistant.grounding.runs import new_run_id
from evals.datasets import corpora_dir, dataset_hash
from evals.metrics import Aggregate, bootstrap_interval, mean_interval

if TYPE_CHECKING:
    from assistant.answering.pipeline import AskEngine
    from assistant.grounding.verify import SupportJudge
    from evals.xquad_index import XQuADIndex

Item = dict[str, Any]
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Metric:
    """An aggregate over a suite's items: the mean of ``field`` (items where it is set and,
    with ``within``, where that field is true: a share of some items) or any function
    ``fn`` of the items."""

    name: str
    description: str
    higher_is_better: bool = True
    field: str | None = None
    fn: Aggregate | None = None
    bootstrap: bool = True
    gate: bool = True  # timings are machine-dependent: reported, never gated
    within: str | tuple[str, object] | None = None  # a field that is true, or (field, value)

    def value(self, items: list[Item]) -> float | None:
        if self.fn is not None:
            return self.fn(items)
        values = [float(v) for v in self._values(items) if v is not None]
        return sum(values) / len(values) if values else None

    def _values(self, items: list[Item]) -> list[Any]:
        key = self.field or self.name
        return [i.get(key) for i in items if self._chosen(i)]

    def _chosen(self, item: Item) -> bool:
        if self.within is None:
            return True
        if isinstance(self.within, tuple):
            return bool(item.get(self.within[0]) == self.within[1])
        return bool(item.get(self.within))

    def interval(self, items: list[Item], *, resamples: int) -> tuple[float | None, float | None]:
        """95 % interval over the items (None where not bootstrapped): Wilson's for a
        proportion, else a percentile bootstrap. A function of the items is resampled at
        most ``FUNCTION_RESAMPLES`` times: some are quadratic in the items (Kendall's τ)."""
        if not self.bootstrap or not items:
            return None, None
        if self.fn is not None:
            fn_resamples = min(resamples, FUNCTION_RESAMPLES)
            return bootstrap_interval(items, self.fn, resamples=fn_resamples)
        return mean_interval(self._values(items), resamples=resamples)


FUNCTION_RESAMPLES = 300


def timing(name: str, description: str) -> Metric:
    """A time per item (``name`` is its field): machine-dependent, so reported, never gated."""
    return Metric(name, description, higher_is_better=False, gate=False)


class Suite(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def metrics(self) -> tuple[Metric, ...]: ...
    @property
    def group_by(self) -> str | None:
        """The item key whose values get metrics of their own."""

    def items(self, ctx: EvalContext, limit: int | None) -> Iterator[Item]:
        """Evaluate and yield one record per item (``id`` and ``score`` required)."""


SUITES: dict[str, Suite] = {}


def register_suite(suite: Suite) -> Suite:
    SUITES[suite.name] = suite
    return suite


def all_suites() -> dict[str, Suite]:
    """Every registered suite, the built-ins included."""
    from evals import suites  # noqa: F401  (importing registers the built-in suites)

    return SUITES


def get_suite(name: str) -> Suite:
    if name not in all_suites():
        raise InputError(f"unknown suite {name!r}", fix=f"one of: {', '.join(sorted(SUITES))}")
    return SUITES[name]


def aggregate(suite: Suite, items: list[Item]) -> dict[str, float | None]:
    """Every metric overall, and per group as ``metric[group]``."""
    values = {m.name: _rounded(m.value(items)) for m in suite.metrics}
    if suite.group_by:
        groups = sorted({str(i[suite.group_by]) for i in items if i.get(suite.group_by)})
        for group in groups:
            members = [i for i in items if str(i.get(suite.group_by)) == group]
            for m in suite.metrics:
                value = m.value(members)
                if value is not None:
                    values[f"{m.name}[{group}]"] = _rounded(value)
    return values


def intervals(suite: Suite, items: list[Item], *, resamples: int) -> dict[str, list[float]]:
    """The 95 % interval of every gated metric, overall and per group, keyed like
    ``aggregate`` (timings are machine-dependent and get none)."""
    groups: dict[str, list[Item]] = {"": items}
    if suite.group_by:
        for group in sorted({str(i[suite.group_by]) for i in items if i.get(suite.group_by)}):
            groups[f"[{group}]"] = [i for i in items if str(i.get(suite.group_by)) == group]
    found: dict[str, list[float]] = {}
    for suffix, members in groups.items():
        for metric in suite.metrics:
            if not metric.gate:
                continue
            low, high = metric.interval(members, resamples=resamples)
            if low is not None and high is not None:
                found[f"{metric.name}{suffix}"] = [round(low, 4), round(high, 4)]
    return found


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


@dataclass
class EvalContext:
    """What suites share in one run: settings, backend, judge, datasets, progress."""

    settings: Settings  # the run's scratch settings (home = the run's work directory)
    backend: str
    judge_kind: str
    corpora: Path
    progress: Progress = field(default=lambda suite, done, total: None)
    datasets: dict[str, dict[str, str]] = field(default_factory=dict)

    def use_dataset(self, name: str, path: Path) -> None:
        self.datasets[name] = {"path": str(path), "sha256": dataset_hash(path)}

    @cached_property
    def engine(self) -> AskEngine:
        from assistant.components import Components

        return Components(self.settings, self.backend).engine()

    @cached_property
    def judge(self) -> SupportJudge:
        from assistant.grounding.verify import make_judge

        engine = self.engine
        embedded = engine.llm.embedded
        return make_judge(self.judge_kind, engine.llm, engine.retrieval.embedder, embedded)

    @cached_property
    def xquad(self) -> XQuADIndex:
        from evals.xquad_index import build_xquad_index

        return build_xquad_index(self)


def runs_root(settings: Settings) -> Path:
    return settings.home / "evals"


def scratch_settings(settings: Settings, work: Path) -> Settings:
    """The user's settings on a scratch home whose models/ is the user's (no re-assembly)."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "models").symlink_to(settings.models_dir.resolve(), target_is_directory=True)
    tiktoken = settings.home / "tiktoken"
    if tiktoken.is_dir():
        (work / "tiktoken").symlink_to(tiktoken.resolve(), target_is_directory=True)
    return settings.model_copy(
        update={"home": work, "database_url": None, "chroma_url": None, "ask_save_runs": False}
    )


def run_suites(
    settings: Settings,
    names: list[str],
    *,
    limit: int | None,
    backend: str | None,
    judge: str | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run the suites, recording everything under ``DRAGOMAN_HOME/evals/<run_id>/``."""
    suites = [get_suite(n) for n in dict.fromkeys(names)]
    run_id = new_run_id()
    run_dir = runs_root(settings) / run_id
    (run_dir / "items").mkdir(parents=True)
    judge_kind = judge or settings.verify_judge
    ctx = EvalContext(
        settings=scratch_settings(settings, run_dir / "work"),
        backend=backend or settings.llm.backend,
        judge_kind=judge_kind,
        corpora=corpora_dir(settings.corpora_dir),
        progress=progress or (lambda suite, done, total: None),
    )
    record = _run_record(run_id, ctx, [s.name for s in suites], limit)
    try:
        for suite in suites:
            started = time.perf_counter()
            items = []
            with (run_dir / "items" / f"{suite.name}.jsonl").open("w", encoding="utf-8") as sink:
                for item in suite.items(ctx, limit):
                    sink.write(json.dumps(item, ensure_ascii=False) + "\n")
                    sink.flush()
                    items.append(item)
            record["timings_s"][suite.name] = round(time.perf_counter() - started, 2)
            record["items"][suite.name] = len(items)
            record["metrics"][suite.name] = aggregate(suite, items)
            record["datasets"] = ctx.datasets
            if "engine" in ctx.__dict__:  # the backend was set up (if not necessarily used)
                record["model"] = _model_record(ctx)
                record["judge_resolved"] = ctx.judge.name
            _write_json(run_dir / "run.json", record)
    except DragomanError as exc:  # recorded with what was measured so far, then re-raised
        record["status"] = "failed"
        record["error"] = exc.to_dict()
        _write_json(run_dir / "run.json", record)
        raise
    finally:
        shutil.rmtree(run_dir / "work", ignore_errors=True)
    record["status"] = "complete"
    _write_json(run_dir / "run.json", record)
    return record


def _run_record(run_id: str, ctx: EvalContext, suites: list[str], limit: int | None) -> Item:
    from assistant import __version__

    return {
        "run_id": run_id,
        "status": "running",
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "suites": suites,
        "limit": limit,
        "backend": ctx.backend,
        "judge": ctx.judge_kind,
        "model": None,
        "config": {
            k: v
            for k, v in ctx.settings.masked().items()
            if k.startswith(("ask_", "fusion_", "llm_", "verify_", "chunk_", "embedder"))
        },
        "dragoman": {"version": __version__, "commit": _git_commit()},
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "datasets": {},
        "timings_s": {},
        "items": {},
        "metrics": {},
    }


def _model_record(ctx: EvalContext) -> dict[str, str | None]:
    from assistant.llm.weights import MODEL_SPECS

    llm = ctx.engine.llm
    spec = MODEL_SPECS.get(ctx.backend)
    record = {"backend": llm.backend, "model": llm.model, "sha256": spec.sha256 if spec else None}
    if llm.embedded:  # greedy outputs differ between builds for different instruction sets
        from assistant.llm.cpu_build import installed_build

        record["llama_cpp"] = installed_build()
    return record


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
            cwd=Path(__file__).resolve().parent,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _write_json(path: Path, data: Item) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)


@dataclass
class SavedRun:
    path: Path
    record: Item
    items: dict[str, list[Item]]


def load_run(settings: Settings, ref: str) -> SavedRun:
    """A run by id (under DRAGOMAN_HOME/evals) or by directory path."""
    candidates = [Path(ref), runs_root(settings) / ref]
    for path in candidates:
        if (path / "run.json").is_file():
            record = json.loads((path / "run.json").read_text("utf-8"))
            items = {
                name: [json.loads(line) for line in f.read_text("utf-8").splitlines() if line]
                for name in record["suites"]
                if (f := path / "items" / f"{name}.jsonl").is_file()
            }
            return SavedRun(path, record, items)
    raise InputError(
        f"no evaluation run {ref!r} (looked in {runs_root(settings)})",
        fix="list runs with `dragoman eval list`",
    )


def list_runs(settings: Settings) -> list[Item]:
    root = runs_root(settings)
    if not root.is_dir():
        return []
    runs = []
    for path in sorted(root.iterdir()):
        if (path / "run.json").is_file():
            record = json.loads((path / "run.json").read_text("utf-8"))
            runs.append({k: record.get(k) for k in ("run_id", "status", "created_at", "suites",
                                                     "limit", "backend", "judge")})  # fmt: skip
    return runs


def save_baseline(run: SavedRun, destination: Path) -> Path:
    """A copy of ``run`` reduced to ids, groups and numbers: enough to compare against,
    with no dataset text (the datasets' licences keep their text out of the repository)."""
    destination.mkdir(parents=True, exist_ok=True)
    (destination / "items").mkdir(exist_ok=True)
    for name, items in run.items.items():
        group = get_suite(name).group_by
        kept = [
            {k: v for k, v in item.items()
             if k in ("id", group) or isinstance(v, int | float | bool) or v is None}
            for item in items
        ]  # fmt: skip
        lines = "\n".join(json.dumps(i, ensure_ascii=False) for i in kept)
        (destination / "items" / f"{name}.jsonl").write_text(lines + "\n", encoding="utf-8")
    record = {**run.record, "baseline_of": run.record["run_id"]}
    _write_json(destination / "run.json", record)
    return destination
