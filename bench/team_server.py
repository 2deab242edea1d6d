"""Embedded against the team server, side by side in one run (issue 25).

    python bench/team_server.py [--year 2015] [--queries 40] [--asks 5] [--clients 50]
                                [--seconds 30] [--json]

Two homes hold the same UN General Debate speeches of ``--year``: one embedded (SQLite,
Chroma's local files, the embedded 1.5B in the server process) and one on servers
(PostgreSQL for every store, `chroma run`, and the same 1.5B behind llama-cpp-python's
OpenAI-compatible server, 2 threads like the embedded one). For each: `dragoman ingest`
docs/s; `serve` on loopback, then search p50/p95 over HTTP (sequential), `ask` time to the
first streamed token, and the loopback load driver (``--clients`` for ``--seconds``:
questions, searches, health checks). The team home is also served by `serve --workers 2`
under the same load. Everything runs on this machine; the servers share its cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import _repo  # noqa: F401  (the repository on sys.path)
import httpx

from assistant.llm.weights import MODEL_SPECS, assemble
from bench.support.corpora import un_year
from bench.support.load_driver import run_load
from bench.support.postgres import postgres_server
from bench.support.processes import (
    chroma_server,
    cli_env,
    free_port,
    llama_server,
    run_cli,
    scratch_home,
    wait_until_serving,
)
from bench.support.web import add_users

QUERIES = [
    "climate change and small island states", "nuclear disarmament", "refugees and migration",
    "reform of the Security Council", "sustainable development goals", "terrorism",
    "the situation in Syria", "Ukraine and territorial integrity", "financing for development",
    "ocean conservation",
]  # fmt: skip
QUESTIONS = [
    "What did the speakers say about climate finance?",
    "Which countries called for reform of the Security Council?",
    "What was said about refugees?",
    "What did the speeches say about nuclear weapons?",
    "What was said about the Sustainable Development Goals?",
]


@contextmanager
def serving(env: dict[str, str], workers: int, log: Path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "assistant", "serve", "--port", str(port),
               "--workers", str(workers)]  # fmt: skip
    with log.open("wb") as handle:
        process = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(process, f"{url}/healthz", 300, log)
            deadline = time.monotonic() + 300
            while not httpx.get(f"{url}/healthz").json()["model_loaded"]:
                if time.monotonic() > deadline:
                    raise RuntimeError("the engine did not warm up")
                time.sleep(0.5)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=60)


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"p50": round(statistics.median(ordered), 3),
            "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 3), "n": len(ordered)}  # fmt: skip


def search_latency(url: str, token: str, n: int) -> dict[str, float]:
    headers = {"authorization": f"Bearer {token}"}
    times = []
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        for i in range(n):
            started = time.perf_counter()
            response = client.get("/api/search", params={"q": QUERIES[i % len(QUERIES)], "k": 10})
            response.raise_for_status()
            times.append(time.perf_counter() - started)
    return percentiles(times)


def first_token_s(url: str, token: str, n: int) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"}
    firsts, totals = [], []
    with httpx.Client(base_url=url, headers=headers, timeout=600) as client:
        for question in QUESTIONS[:n]:
            started = time.perf_counter()
            first = None
            body = {"question": question, "stream": True}
            with client.stream("POST", "/api/ask", json=body) as response:
                response.raise_for_status()
                for line in response.iter_lines():
                    if first is None and line == "event: token":
                        first = time.perf_counter() - started
            totals.append(time.perf_counter() - started)
            if first is not None:
                firsts.append(first)
    return {"ttft_s": percentiles(firsts) if firsts else None, "total_s": percentiles(totals)}


def ingest(env: dict[str, str], folder: Path, n: int) -> dict[str, Any]:
    started = time.perf_counter()
    result = run_cli("ingest", str(folder), "--kind", "policy", "--source", "UN General Debate",
                     "--json", env=env, timeout=7200)  # fmt: skip
    if result.returncode:
        raise RuntimeError(result.stderr[-2000:])
    seconds = time.perf_counter() - started
    return {"documents": n, "seconds": round(seconds, 1), "docs_per_s": round(n / seconds, 2)}


def measure(env: dict[str, str], label: str, folder: Path, n: int, args: Any,
            log_dir: Path) -> dict[str, Any]:  # fmt: skip
    row: dict[str, Any] = {"config": label, "ingest": ingest(env, folder, n)}
    add_users(env, {"ana": ("analyst", "public")})
    token = json.loads(run_cli("users", "token", "ana", "--json", env=env).stdout)["token"]
    with serving(env, 1, log_dir / f"{label}.log") as url:
        row["search_s"] = search_latency(url, token, args.queries)
        row["ask"] = first_token_s(url, token, args.asks)
        row["load_1_worker"] = run_load(url, token, args.clients, args.seconds).to_dict()
    if env.get("DRAGOMAN_WEB_DATABASE_URL"):
        with serving(env, 2, log_dir / f"{label}-2.log") as url:
            row["load_2_workers"] = run_load(url, token, args.clients, args.seconds).to_dict()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2015)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--asks", type=int, default=5)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    with ExitStack() as stack:
        embedded_home = stack.enter_context(scratch_home())
        team_home = stack.enter_context(scratch_home())
        folder = embedded_home.parent / "speeches"
        folder.mkdir()
        files = un_year(folder, args.year)
        model = assemble(MODEL_SPECS["local"], embedded_home / "models")
        limits = {"DRAGOMAN_RATE_ASKS_PER_MINUTE": "100000",
                  "DRAGOMAN_RATE_REQUESTS_PER_MINUTE": "100000",
                  "DRAGOMAN_SECRET_KEY": secrets.token_urlsafe(32)}  # fmt: skip
        embedded = cli_env(embedded_home, DRAGOMAN_LLM_BACKEND="local", **limits)
        rows.append(measure(embedded, "embedded", folder, len(files), args, embedded_home.parent))
        postgres = stack.enter_context(postgres_server())
        chroma = stack.enter_context(chroma_server(team_home.parent / "chroma-server"))
        llm = stack.enter_context(llama_server(model, "qwen"))
        team = cli_env(
            team_home, DRAGOMAN_DATABASE_URL=postgres.create("registry"),
            DRAGOMAN_WEB_DATABASE_URL=postgres.create("users"), DRAGOMAN_CHROMA_URL=chroma,
            DRAGOMAN_LLM_BACKEND="openai", DRAGOMAN_OPENAI_BASE_URL=llm,
            DRAGOMAN_OPENAI_MODEL="qwen", DRAGOMAN_OPENAI_SCHEMA_MODE="json_object", **limits,
        )  # fmt: skip
        rows.append(measure(team, "servers", folder, len(files), args, team_home.parent))
    report = {"machine": f"{platform.machine()}, {os.cpu_count()} cores",
              "date": time.strftime("%Y-%m-%d"), "year": args.year, "rows": rows}  # fmt: skip
    print(json.dumps(report, indent=None if args.json else 2, ensure_ascii=False))


if __name__ == "__main__":
    main()
