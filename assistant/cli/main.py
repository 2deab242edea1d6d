"""The `dragoman` command line.  Errors become messages and exit codes here, and only here."""

from __future__ import annotations

import errno
import json
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from assistant.cli.ask import ask_command, chat_command
from assistant.cli.brief import brief_command
from assistant.cli.collect import collect_command, sources_app
from assistant.cli.common import BackendOpt, JsonFlag, emit_json, err, out, prepare_local_model
from assistant.cli.corpus import docs_app, ingest_command
from assistant.cli.draft import draft_command, drafts_app
from assistant.cli.monitor import alerts_command, monitor_command
from assistant.cli.positions import positions_command
from assistant.cli.search import reindex_command, rerank_vectors_command, search_command
from assistant.cli.web import audit_command, serve_command, users_app
from assistant.core.errors import DragomanError, InputError, StoreError
from assistant.core.home import private_files
from assistant.core.redact import install_log_scrubber, scrub
from assistant.core.settings import load_settings

app = typer.Typer(
    name="dragoman",
    help="Dragoman: an offline-capable briefing assistant for diplomatic analysts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# In the order `dragoman --help` lists them: a function is a command, a Typer app a group.
COMMANDS: dict[str, Any] = {
    "ingest": ingest_command,
    "sources": sources_app,
    "collect": collect_command,
    "docs": docs_app,
    "search": search_command,
    "reindex": reindex_command,
    "rerank-vectors": rerank_vectors_command,
    "ask": ask_command,
    "chat": chat_command,
    "brief": brief_command,
    "draft": draft_command,
    "drafts": drafts_app,
    "monitor": monitor_command,
    "positions": positions_command,
    "alerts": alerts_command,
    "serve": serve_command,
    "users": users_app,
    "audit": audit_command,
}
for _name, _target in COMMANDS.items():
    if isinstance(_target, typer.Typer):
        app.add_typer(_target, name=_name)
    else:
        app.command(_name)(_target)


def add_plugin_commands(target: typer.Typer) -> None:
    """Command groups registered under the ``dragoman.commands`` entry points (name → Typer
    app): how ``dragoman eval`` (from the evals package, a layer above the CLI) and any
    plugin's commands join the CLI."""
    for entry in entry_points(group="dragoman.commands"):
        try:
            group = entry.load()
        except ImportError as exc:  # a plugin that cannot load must not break the CLI
            err.print(f"[yellow]warning:[/] command group {entry.name!r} not loaded: {exc}")
            continue
        target.add_typer(group, name=entry.name)


add_plugin_commands(app)


@app.command("config")
def config_command(as_json: JsonFlag = False) -> None:
    """Print the effective settings (secrets masked)."""
    values = load_settings().masked()
    if as_json:
        emit_json(values)
        return
    table = Table("setting", "value", title="Effective settings (DRAGOMAN_*)")
    for key, value in values.items():
        table.add_row(
            key, json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
        )
    out.print(table)


@app.command("llm")
def llm_command(
    prompt: Annotated[str, typer.Argument(help="The prompt.")],
    backend: BackendOpt = None,
    system: Annotated[str | None, typer.Option(help="System prompt.")] = None,
    max_tokens: Annotated[int | None, typer.Option(min=1, help="Maximum new tokens.")] = None,
    schema: Annotated[
        Path | None, typer.Option(help="JSON schema file: constrain the output to it.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """One-shot generation (a smoke tool for operators)."""
    from assistant.llm.client import get_llm
    from prompts import render

    settings = load_settings()
    spec = backend or settings.llm.backend
    schema_data = _read_schema(schema) if schema else None
    prepare_local_model(settings, spec)
    llm = get_llm(settings, spec)
    system_prompt = system if system is not None else render("oneshot_system.j2", language=None)
    if as_json or schema_data is not None:
        generation = llm.generate(
            prompt, system=system_prompt, schema=schema_data, max_tokens=max_tokens
        )
        if as_json:
            emit_json(generation.to_dict())
        else:
            out.print_json(data=generation.data)
        return
    for piece in llm.stream(prompt, system=system_prompt, max_tokens=max_tokens):
        sys.stdout.write(piece)
        sys.stdout.flush()
    sys.stdout.write("\n")


def _read_schema(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read JSON schema {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError(f"JSON schema {path} must be an object")
    return data


@app.command("doctor")
def doctor_command(
    fix_permissions: Annotated[
        bool,
        typer.Option(
            "--fix-permissions", help="Make the home and every file in it the owner's alone"
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Check every component; exit 1 if any is not ok."""
    from assistant.cli.doctor import run_doctor
    from assistant.core.home import close_up

    settings = load_settings()
    if fix_permissions and settings.home.exists():
        changed = close_up(settings.home)
        if not as_json:
            out.print(f"{settings.home}: {changed} paths made the owner's alone")
    prepare_local_model(settings, settings.llm.backend)
    checks = run_doctor(settings)
    healthy = all(c.ok for c in checks)
    if as_json:
        emit_json({"ok": healthy, "components": [c.to_dict() for c in checks]})
    else:
        table = Table("component", "status", "detail", "fix", title="dragoman doctor")
        for c in checks:
            status = "[green]ok[/green]" if c.ok else "[red]FAIL[/red]"
            table.add_row(c.name, status, c.detail, c.fix or "")
        out.print(table)
    if not healthy:
        raise typer.Exit(1)


@app.command("backends")
def backends_command(as_json: JsonFlag = False) -> None:
    """List the registered LLM backends (built-ins and plugins)."""
    from assistant.llm.registry import available_backends

    rows = [{"name": b.name, "description": b.description} for b in available_backends()]
    if as_json:
        emit_json(rows)
        return
    table = Table("backend", "description")
    for row in rows:
        table.add_row(row["name"], row["description"])
    out.print(table)


def _report(exc: DragomanError, as_json: bool, secrets: set[str]) -> int:
    message, fix = (
        scrub(exc.message_for_cli(), secrets),
        scrub(exc.fix, secrets) if exc.fix else None,
    )
    if as_json:
        emit_json({**exc.to_dict(), "message": message, "fix": fix})
    else:
        err.print(f"[red]error:[/red] {message}", highlight=False)
        if fix:
            err.print(f"[yellow]fix:[/yellow] {fix}", highlight=False)
    return exc.exit_code


def _secrets() -> set[str]:
    """The configured secrets, masked from every log record from here on."""
    try:
        secrets = load_settings().secrets()
    except DragomanError:
        return set()
    install_log_scrubber(secrets)
    return secrets


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app, converting DragomanError at the edge.

    Click's standalone mode handles usage errors and exit codes itself; anything
    else it lets through, so our own errors are reported here.
    """
    args = sys.argv[1:] if argv is None else argv
    private_files()  # whatever the umask: the home's files are the owner's alone
    secrets = _secrets()
    try:
        app(args=args, prog_name="dragoman")
    except DragomanError as exc:
        sys.exit(_report(exc, "--json" in args, secrets))
    except OSError as exc:  # the disk under the home: full, read-only, not ours
        storage = disk_error(exc)
        if storage is None:
            raise
        sys.exit(_report(storage, "--json" in args, secrets))


_DISK_CAUSES = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the disk is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}


def disk_error(exc: OSError) -> StoreError | None:
    """A failure of the disk under the home as a clear error (None for any other OSError)."""
    cause = _DISK_CAUSES.get(exc.errno or 0)
    if cause is None:
        return None
    where = f" ({exc.filename})" if exc.filename else ""
    return StoreError(
        f"cannot write{where}: {cause}",
        fix="free space on that disk, or make DRAGOMAN_HOME a folder the user running "
        "dragoman may write (`dragoman doctor` checks it)",
    )
