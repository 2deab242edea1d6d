"""`dragoman users`, `dragoman audit` and `dragoman serve`'s refusals, through the real CLI."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from bench.support.web import PASSWORD
from tests.conftest import cli_env, free_port, run_cli


def _json(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_users_add_list_disable_token_and_audit(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "home")
    added = _json(run_cli("users", "add", "lee", "--role", "approver", "--clearance", "internal",
                          "--password-stdin", "--json", env=env, stdin=PASSWORD + "\n"))  # fmt: skip
    assert added["status"] == "added" and added["role"] == "approver"
    again = _json(run_cli("users", "add", "lee", "--exist-ok", "--password-stdin", "--json",
                          env=env, stdin=PASSWORD + "\n"))  # fmt: skip
    assert again["status"] == "exists"
    duplicate = run_cli("users", "add", "lee", "--password-stdin", env=env, stdin=PASSWORD + "\n")
    assert duplicate.returncode == 2 and "already exists" in duplicate.stderr
    short = run_cli("users", "add", "kim", "--password-stdin", env=env, stdin="short\n")
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    bad_role = run_cli("users", "add", "kim", "--role", "spy", "--password-stdin", env=env,
                       stdin=PASSWORD + "\n")  # fmt: skip
    assert bad_role.returncode == 2 and "unknown role" in bad_role.stderr
    no_password = run_cli("users", "add", "kim", env=env, stdin="")
    assert no_password.returncode == 2 and "--password-stdin" in no_password.stderr
    token = _json(run_cli("users", "token", "lee", "--name", "nightly", "--json", env=env))
    assert str(token["token"]).startswith("dgm_")
    revoked = _json(run_cli("users", "revoke-tokens", "lee", "--json", env=env))
    assert revoked == {"username": "lee", "revoked": 1}
    disabled = _json(run_cli("users", "disable", "lee", "--json", env=env))
    assert disabled["disabled"] is True
    listed = _json(run_cli("users", "list", "--json", env=env))
    assert listed["users"] == [disabled]
    missing = run_cli("users", "disable", "nobody", env=env)
    assert missing.returncode == 2 and "no user 'nobody'" in missing.stderr
    audit = _json(run_cli("audit", "--json", env=env))
    actions = [e["action"] for e in audit["entries"]]
    assert actions == ["user_disable", "token_revoke", "token_create", "user_add"]
    assert audit["chain"] == {
        "rows": 4,
        "intact": True,
        "first_bad_id": None,
        "legacy_rows": 0,
        "head": "matches",
        "reason": None,
    }


def test_serve_refuses_placeholder_secrets(tmp_path: Path) -> None:
    home = tmp_path / "home"
    exposed = run_cli("serve", "--host", "0.0.0.0", "--port", str(free_port()),
                      env=cli_env(home), timeout=60)  # fmt: skip
    assert exposed.returncode == 2 and "placeholder DRAGOMAN_SECRET_KEY" in exposed.stderr
    production = run_cli("serve", "--port", str(free_port()), timeout=60,
                         env=cli_env(home, DRAGOMAN_ENVIRONMENT="production"))  # fmt: skip
    assert production.returncode == 2 and "DRAGOMAN_SECRET_KEY" in production.stderr
