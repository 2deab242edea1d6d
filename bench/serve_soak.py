"""Soak of the real `dragoman serve`: one analyst's ordinary use, repeated for M minutes, with
the server's resident memory after every cycle (issue 20 §7).

The cycle (bench/support/soak_driver.py): six questions (two streamed, a follow-up), a search, a
source document, the monitoring JSON and dashboard, the briefings archive, the drafts list,
an upload, the history.  Prints the per-cycle memory, the settled level (second quarter of
the cycles), the final level (last quarter) and the growth between them, as JSON.

    python bench/serve_soak.py [--backend local] [--minutes 60]
    python bench/serve_soak.py --backend langchain:bench.support.scripted:ScriptedChatModel --minutes 60
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

from _repo import ROOT as REPO

from bench.procinfo import tree_rss_mb
from bench.support.processes import cli_env, run_cli, scratch_home
from bench.support.soak_driver import soak
from bench.support.web import build_home, serving_process

REPLY = "The presidential delegation will attend the World Expo in Osaka, Japan [1]."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="local")
    parser.add_argument("--minutes", type=float, default=60)
    args = parser.parse_args()
    extra = {"PYTHONPATH": str(REPO)}
    if args.backend.startswith("langchain:bench.support.scripted"):
        extra["DRAGOMAN_LANGCHAIN_KWARGS"] = json.dumps({"responses": [REPLY]})
        extra["DRAGOMAN_VERIFY_JUDGE"] = "heuristic"
    with scratch_home() as home:
        build_home(home)
        env = cli_env(
            home, DRAGOMAN_LLM_BACKEND=args.backend, DRAGOMAN_RATE_ASKS_PER_MINUTE="100000",
            DRAGOMAN_RATE_REQUESTS_PER_MINUTE="100000", **extra,
        )  # fmt: skip
        token = json.loads(run_cli("users", "token", "root", "--json", env=env).stdout)["token"]
        started = time.time()
        with serving_process(home, env) as (url, process):
            warm = tree_rss_mb(process.pid)
            report = soak(url, token, args.minutes * 60, lambda: tree_rss_mb(process.pid))
    summary = report.to_dict()
    summary.update({"backend": args.backend, "minutes": args.minutes, "warm_rss_mb": warm,
                    "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                    "started": started})  # fmt: skip
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
