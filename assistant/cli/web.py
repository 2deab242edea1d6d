"""`dragoman serve`, `dragoman users …` and `dragoman audit`: the web app from the CLI."""

from __future__ import annotations

import getpass
import ipaddress
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from assistant.accounts.contracts import AuditOut, UsersOut
from assistant.cli.common import BackendOpt, JsonFlag, LevelOpt, components, emit_json, err, out
from assistant.core.errors import ConfigError, InputError
from assistant.core.settings import Settings, load_settings

WORKER_PING_TIMEOUT_S = 60  # the supervisor restarts a worker silent for this long
# An idle keep-alive connection is closed after this long.  uvicorn's 5 s raced clients that
# reused a connection just as it closed (a reset, seen under load on 2 cores); longer than
# the 60 s idle timeout of common reverse proxies, so the proxy always closes first.
KEEP_ALIVE_S = 75

users_app = typer.Typer(help="Accounts of the web app: add, list, disable, tokens.",
                        no_args_is_help=True)  # fmt: skip
PasswordStdinOpt = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input")
]


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve_command(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Worker processes; above 1 they share rate limits, "
            "the generation queue and the scheduler through the users' database",
        ),
    ] = 1,
    backend: BackendOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Serve the analysts' web app and the JSON API (OpenAPI at /docs)."""
    from assistant.cli.common import prepare_local_model
    from assistant.core.memory import limit_arenas

    limit_arenas()  # before any worker thread: a few malloc arenas, not 8 per core
    settings = load_settings()
    spec = backend or settings.llm.backend
    _check_serving(settings, host, workers, spec)
    prepare_local_model(settings, spec)
    url = f"http://{host}:{port}"
    if as_json:
        emit_json({"url": url, "backend": spec, "environment": settings.environment,
                   "workers": workers})  # fmt: skip
    else:
        err.print(f"Dragoman on [bold]{url}[/bold] (backend {spec}, {workers} worker"
                  f"{'s' if workers > 1 else ''}); API reference at {url}/docs")  # fmt: skip
        if settings.weak_secret:
            err.print("[yellow]development secret key: fine on loopback, never in production")
    _run_server(settings, host, port, spec, workers)


def _check_serving(settings: Settings, host: str, workers: int, spec: str) -> None:
    """Refuse a placeholder secret beyond loopback, and settings several workers cannot share."""
    if settings.weak_secret and not _loopback(host):
        raise ConfigError(
            f"refusing to serve on {host} with the placeholder DRAGOMAN_SECRET_KEY "
            "(or one shorter than 32 random characters)",
            fix="set DRAGOMAN_SECRET_KEY to a random value, or serve on 127.0.0.1",
        )
    if workers > 1:
        from assistant.llm.weights import MODEL_SPECS  # here: the CLI starts without the LLM stack
        from assistant.web.shared_guards import check_shareable

        check_shareable(settings)
        if spec in MODEL_SPECS:  # the embedded profiles
            err.print(
                f"[yellow]each of the {workers} workers loads the embedded model (about 2 GB "
                "each); an inference server is lighter (docs/DEPLOY.md)"
            )


def _run_server(settings: Settings, host: str, port: int, spec: str, workers: int) -> None:
    import uvicorn

    from assistant.web.app import create_app

    # several workers: the supervisor's lines (a worker died, restarted) are worth reading
    level = "info" if workers > 1 else "warning"
    options: dict[str, Any] = {
        "log_level": level, "access_log": False, "timeout_keep_alive": KEEP_ALIVE_S
    }  # fmt: skip
    if workers == 1:
        app = create_app(settings, spec, warm_up=True, schedule=True)
        uvicorn.run(app, host=host, port=port, **options)
        return
    # each worker builds its app from the environment (uvicorn imports the factory by name)
    os.environ.update(DRAGOMAN_WEB_WORKERS=str(workers), DRAGOMAN_SERVE_BACKEND=spec)
    # a worker busy with an upload's indexing can answer the supervisor's ping late on a small
    # machine: uvicorn's default (5 s) killed such workers mid-request under load
    uvicorn.run("assistant.web.app:app_from_environment", factory=True, workers=workers,
                host=host, port=port, timeout_worker_healthcheck=WORKER_PING_TIMEOUT_S,
                **options)  # fmt: skip


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise InputError("no password given", fix="pipe it with --password-stdin")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise InputError("the passwords differ")
    return first


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument()],
    role: Annotated[str, typer.Option(help="analyst | press_officer | approver | admin")] = (
        "analyst"
    ),
    clearance: LevelOpt = "public",
    password_stdin: PasswordStdinOpt = False,
    exist_ok: Annotated[
        bool, typer.Option("--exist-ok", help="Succeed without change if the user exists")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Create an account (password hashed with argon2id)."""
    parts = components()
    accounts, audit = parts.accounts, parts.audit
    if exist_ok and username in {u.username for u in accounts.all_users()}:
        user = accounts.get(username)
        status = "exists"
    else:
        user = accounts.add(username, _read_password(password_stdin), role, clearance)
        audit.record(cli_actor(), "user_add", username, {"role": role, "clearance": clearance})
        status = "added"
    if as_json:
        emit_json({"status": status, **user.to_dict()})
    else:
        out.print(f"{status}: {user.username} ({user.role}, clearance {user.clearance})")


@users_app.command("passwd")
def users_passwd(
    username: Annotated[str, typer.Argument()],
    password_stdin: PasswordStdinOpt = False,
    as_json: JsonFlag = False,
) -> None:
    """Set an account's password (every session of the account ends); audited."""
    parts = components()
    user = parts.accounts.set_password(username, _read_password(password_stdin))
    parts.audit.record(cli_actor(), "password_set", username)
    if as_json:
        emit_json({"status": "changed", **user.to_dict()})
    else:
        out.print(f"password changed: {user.username} (its sessions have ended)")


@users_app.command("list")
def users_list(as_json: JsonFlag = False) -> None:
    """Every account with role, clearance and state."""
    users = components().accounts.all_users()
    if as_json:
        emit_json(UsersOut.shape({"users": [u.to_dict() for u in users]}))
        return
    table = Table("user", "role", "clearance", "state")
    for user in users:
        state = "disabled" if user.disabled else "locked" if user.locked else "active"
        table.add_row(user.username, user.role, user.clearance, state)
    out.print(table)


def _set_disabled(username: str, disabled: bool, as_json: bool) -> None:
    parts = components()
    user = parts.accounts.set_disabled(username, disabled)
    parts.audit.record(cli_actor(), "user_disable" if disabled else "user_enable", username)
    if as_json:
        emit_json(user.to_dict())
    else:
        out.print(f"{username}: {'disabled (sessions ended)' if disabled else 'enabled'}")


@users_app.command("disable")
def users_disable(username: Annotated[str, typer.Argument()], as_json: JsonFlag = False) -> None:
    """Disable an account: its sessions end and its API tokens stop working."""
    _set_disabled(username, True, as_json)


@users_app.command("enable")
def users_enable(username: Annotated[str, typer.Argument()], as_json: JsonFlag = False) -> None:
    """Re-enable a disabled account."""
    _set_disabled(username, False, as_json)


@users_app.command("unlock")
def users_unlock(username: Annotated[str, typer.Argument()], as_json: JsonFlag = False) -> None:
    """Lift the lock of an account locked after too many failed sign-ins (audited)."""
    parts = components()
    user = parts.accounts.unlock(username)
    parts.audit.record(cli_actor(), "user_unlock", username)
    if as_json:
        emit_json(user.to_dict())
    else:
        out.print(f"{username}: unlocked")


@users_app.command("token")
def users_token(
    username: Annotated[str, typer.Argument()],
    name: Annotated[str, typer.Option(help="What the token is for")] = "script",
    expires_days: Annotated[
        float | None, typer.Option(help="Stop working after this many days (default: never)")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create an API token (`Authorization: Bearer …`); it is shown once, stored hashed."""
    parts = components()
    token = parts.accounts.create_token(username, name, expires_days)
    parts.audit.record(cli_actor(), "token_create", username,
                       {"name": name, "expires_days": expires_days})  # fmt: skip
    if as_json:
        emit_json({"username": username, "name": name, "token": token,
                   "expires_days": expires_days})  # fmt: skip
    else:
        out.print(token)
        err.print("[dim]shown once: store it now[/dim]")


@users_app.command("revoke-tokens")
def users_revoke_tokens(
    username: Annotated[str, typer.Argument()], as_json: JsonFlag = False
) -> None:
    """Revoke every API token of an account (its browser sessions are unaffected)."""
    parts = components()
    revoked = parts.accounts.revoke_tokens(username)
    parts.audit.record(cli_actor(), "token_revoke", username, {"revoked": revoked})
    if as_json:
        emit_json({"username": username, "revoked": revoked})
    else:
        out.print(f"{username}: {revoked} token(s) revoked")


def audit_command(
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 50,
    actor: Annotated[str | None, typer.Option(help="Only this user")] = None,
    action: Annotated[str | None, typer.Option(help="login, ask, search, ingest, export…")] = None,
    verify: Annotated[
        bool, typer.Option("--verify", help="Only check the chain and the head (no entries)")
    ] = False,
    head: Annotated[
        Path | None, typer.Option(help="Compare with this exported head (default: the kept one)")
    ] = None,
    export_head: Annotated[
        Path | None, typer.Option(help="Write the signed head here (keep it off this machine)")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """The newest audit-log entries, and a check of the whole keyed hash chain against the
    signed head kept outside the database (exit 1 if rows were altered or removed)."""
    audit = components().audit
    entries = [] if verify else audit.entries(limit, actor, action)
    chain = audit.verify_chain(head)
    exported = audit.export_head(export_head) if export_head and chain.intact else None
    if as_json:
        emit_json(AuditOut.shape(
            {"entries": entries, "chain": chain.to_dict(), "exported_head": exported}
        ))  # fmt: skip
    else:
        table = Table("id", "at", "actor", "action", "target")
        for entry in entries:
            table.add_row(str(entry["id"]), entry["at"], entry["actor"], entry["action"],
                          entry["target"] or "")  # fmt: skip
        out.print(table)
        state = "intact" if chain.intact else f"BROKEN at row {chain.first_bad_id}"
        out.print(f"{chain.rows} rows; hash chain {state}; head: {chain.head}"
                  + (f" ({chain.reason})" if chain.reason else ""))  # fmt: skip
        if exported:
            out.print(f"head (row {exported['id']}) written to {export_head}")
    if not chain.intact:
        raise typer.Exit(1)
