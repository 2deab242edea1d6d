"""Helpers for the web tests: a corpus home with users, sign-in, SSE parsing."""

from __future__ import annotations

import atexit
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.support.processes import DEMO, REPO, cli_env, free_port, run_cli, wait_until_serving

CABLE = "Restricted cable: the envoy will meet the Grand Vizier in Samarkand on 9 October."
INTERNAL = "Internal note: the embassy in Lima expects the trade talks to resume in spring."
PASSWORD = "correct horse battery staple"
SCRIPTED = "langchain:bench.support.scripted:ScriptedChatModel"
USERS = {  # name: (role, clearance)
    "ana": ("analyst", "public"),
    "pat": ("press_officer", "internal"),
    "val": ("approver", "public"),
    "vic": ("approver", "public"),
    "root": ("admin", "restricted"),
}


def ingest(env: dict[str, str], *args: str) -> None:
    result = run_cli("ingest", *args, "--json", env=env)
    assert result.returncode == 0, result.stderr[-2000:]


_BUILT: list[Path] = []  # the first home built in this process, copied for the next ones


def build_home(home: Path) -> Path:
    """The White House demo files, one internal and one restricted document, five users, in
    ``home`` (made if missing); returns ``home``.

    Built once per process through the real CLI, then copied (the same files, accounts and
    indexes: every caller starts from the same state without paying ~40 s again)."""
    home.mkdir(parents=True, exist_ok=True)
    if _BUILT and (_BUILT[0] / "dragoman.db").exists():
        shutil.copytree(_BUILT[0], home, dirs_exist_ok=True)
        return home
    template = Path(tempfile.mkdtemp(prefix="dragoman-web-home-")) / "home"
    atexit.register(shutil.rmtree, template.parent, ignore_errors=True)
    template.mkdir()
    populate(template)
    _BUILT[:] = [template]
    shutil.copytree(template, home, dirs_exist_ok=True)
    return home


def populate(home: Path, env: dict[str, str] | None = None) -> None:
    env = env or cli_env(home)
    ingest(env, str(DEMO / "whitehouse"), "--kind", "news", "--source", "The White House")
    for name, text, clearance in (("cable.txt", CABLE, "restricted"),
                                  ("note.txt", INTERNAL, "internal")):  # fmt: skip
        path = home.parent / name
        path.write_text(text, encoding="utf-8")
        ingest(env, str(path), "--kind", "policy", "--clearance", clearance)
    add_users(env, USERS)


def add_users(env: dict[str, str], users: dict[str, tuple[str, str]]) -> None:
    """Accounts ``name: (role, clearance)``, each with the test password."""
    for name, (role, clearance) in users.items():
        added = run_cli(
            "users", "add", name, "--role", role, "--clearance", clearance, "--password-stdin",
            "--json", env=env, stdin=PASSWORD + "\n",
        )  # fmt: skip
        assert added.returncode == 0, added.stderr


def login_form_token(client: httpx.Client | Any) -> str:
    page = client.get("/login")
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def sign_in(client: Any, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the session's CSRF token (for X-CSRF-Token)."""
    token = login_form_token(client)
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303 and response.headers["location"] == "/", response.text
    me = client.get("/api/me")
    assert me.status_code == 200
    return str(me.json()["csrf_token"])


def parse_sse(text: str) -> list[tuple[str, Any]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line)
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def scripted_env(
    home: Path, replies: list[str], delay_s: float = 0.0, **extra: str
) -> dict[str, str]:
    """Environment for a server whose model is the scripted chat model (via `langchain:`)."""
    return cli_env(
        home, PYTHONPATH=str(REPO), DRAGOMAN_LLM_BACKEND=SCRIPTED,
        DRAGOMAN_LANGCHAIN_KWARGS=json.dumps({"responses": replies, "delay_s": delay_s}),
        DRAGOMAN_VERIFY_JUDGE="heuristic", **extra,
    )  # fmt: skip


@contextmanager
def serving(home: Path, env: dict[str, str]) -> Iterator[str]:
    """The real `dragoman serve` on a free loopback port, warmed up; yields its URL."""
    with serving_process(home, env) as (url, _process):
        yield url


@contextmanager
def serving_process(
    home: Path, env: dict[str, str]
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """As `serving`, also yielding the server process (for its memory, its signals)."""
    port = free_port()
    log_path = home.parent / f"serve-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(process, f"{url}/healthz", 120, log_path)
            deadline = time.monotonic() + 180  # `serve` warms the engine up in the background
            while not httpx.get(f"{url}/healthz").json()["model_loaded"]:
                assert process.poll() is None, log_path.read_text()[-2000:]
                assert time.monotonic() < deadline, "the engine did not warm up"
                time.sleep(0.5)
            yield url, process
        finally:
            process.terminate()
            process.wait(timeout=30)
    log_text = log_path.read_text(errors="replace")
    assert "Traceback" not in log_text, log_text[-3000:]
