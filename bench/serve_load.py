"""Load on the real `dragoman serve`: N concurrent loopback clients for S seconds.

Builds a scratch home (the White House demo files, one account with an API token), serves it
on the chosen backend (default: the embedded 1.5B), waits for the warm-up, then drives it with
the same client mix as tests/reliability/test_serve_load.py (questions, half streamed; searches; health
checks), honouring Retry-After.  Prints the outcome counts, latency percentiles and the server's resident memory (warm and idle,
peak under load sampled every 0.5 s, after the load; the process and its children) as JSON.

    python bench/serve_load.py [--backend local] [--clients 50] [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import _repo  # noqa: F401  (the repository on sys.path)

from bench.procinfo import RssSampler, tree_rss_mb
from bench.support.load_driver import run_load
from bench.support.processes import cli_env, run_cli, scratch_home
from bench.support.web import build_home, serving_process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="local")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--queue", default="4", help="DRAGOMAN_GENERATION_QUEUE")
    args = parser.parse_args()
    with scratch_home() as home:
        build_home(home)
        env = cli_env(
            home, DRAGOMAN_LLM_BACKEND=args.backend, DRAGOMAN_GENERATION_QUEUE=args.queue,
            DRAGOMAN_RATE_ASKS_PER_MINUTE="100000", DRAGOMAN_RATE_REQUESTS_PER_MINUTE="100000",
        )  # fmt: skip
        token = json.loads(run_cli("users", "token", "ana", "--json", env=env).stdout)["token"]
        with serving_process(home, env) as (url, process):
            idle_rss = tree_rss_mb(process.pid)  # warmed up: model loaded, nothing asked yet
            started = time.time()
            with RssSampler(process.pid) as sampler:
                report = run_load(url, token, clients=args.clients, seconds=args.seconds)
            import httpx

            gate = httpx.get(f"{url}/healthz").json()["generation"]
            after_rss = tree_rss_mb(process.pid)
    summary = report.to_dict()
    summary.update({
        "serve_rss_mb": {"idle_warm": idle_rss, "peak_under_load": sampler.peak_mb,
                         "after_load": after_rss},
        "backend": args.backend, "generation_queue": int(args.queue), "gate_after": gate,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores", "started": started,
    })  # fmt: skip
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
