"""A throwaway PostgreSQL server for the tests and the benchmarks: Debian's `postgresql`
binaries, a new cluster in a temporary folder, on loopback, trusted local connections.

Started by the tests themselves (and by `.ci/run` only through them). As root, the cluster
runs as the `postgres` system user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.support.processes import free_port

USER = "dragoman"


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


@dataclass
class Postgres:
    """A running cluster: ``url(db)`` for SQLAlchemy, ``create(db)`` for a fresh database."""

    port: int
    folder: Path

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def create(self, database: str) -> str:
        """A new, empty database (dropped first if it exists); its SQLAlchemy URL."""
        import psycopg

        dsn = f"host=127.0.0.1 port={self.port} user={USER} dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{database}"')
        return self.url(database)


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextmanager
def postgres_server() -> Iterator[Postgres]:
    """Start a cluster; stop it and remove its files afterwards."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if not (initdb and pg_ctl):
        raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="dragoman-pg-"))
    data, port = folder / "data", free_port()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    run = _as_server_user
    subprocess.run(
        run([initdb, "-D", str(data), "-A", "trust", "-U", USER, "-E", "UTF8", "--no-locale"]),
        check=True, capture_output=True, cwd=folder,
    )  # fmt: skip
    options = (
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    )
    subprocess.run(
        run([pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "server.log"), "-w",
             "start"]),
        check=True, capture_output=True, cwd=folder,
    )  # fmt: skip
    try:
        yield Postgres(port, folder)
    finally:
        subprocess.run(
            run([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]),
            check=False, capture_output=True, cwd=folder,
        )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)
