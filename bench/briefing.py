"""Time `dragoman brief` on one real day of CRUD-RAG news (~2,000 items, 2023-08-16).

Ingests the day into a scratch home (timed separately: it is not part of briefing), then
briefs it in en and zh (md, html, pdf) with the embedded model and with a stand-in writer
that answers at once (bench.support.scripted.SourceEchoChatModel): the difference is the model's
share, the rest is the non-LLM overhead (selection, embedding, clustering, verification,
rendering).  Prints the figures as JSON.

    python bench/briefing.py [--backend local] [--day 2023-08-16] [--lang en,zh]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

from _repo import ROOT as REPO

from bench.support.processes import SHARED, cli_env, run_cli, scratch_home
from evals.calibrate_stories import CRUD_LINE

ECHO = "langchain:bench.support.scripted:SourceEchoChatModel"
CRUD_PATTERN = r"^(?:\[\s*)?(?P<published_at>[^，\]]*?)\s*\]?\s*，正文：(?P<text>.+)$"


def day_lines(day: str) -> list[str]:
    import tarfile

    lines = []
    with tarfile.open(SHARED / "crud-rag-news-zh-2023.tar.gz") as tar:
        for member in tar:
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is not None:
                for line in handle.read().decode("utf-8").splitlines():
                    match = CRUD_LINE.match(line.strip())
                    if match and match.group("date") == day:
                        lines.append(line.strip())
    return lines


def brief(env: dict[str, str], backend: str, date: str, lang: str) -> dict[str, object]:
    started = time.perf_counter()
    done = run_cli("brief", "--date", date, "--window", "24h", "--lang", lang, "--format",
                   "md,html,pdf", "--backend", backend, "--json", env=env, timeout=3600)  # fmt: skip
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"brief failed: {done.stderr[-3000:]}")
    result = json.loads(done.stdout)
    return {"backend": backend, "wall_s": round(wall, 1), "documents": result["documents"],
            "stories": result["stories"], "timings": result["timings"],
            "untranslated": result["untranslated"]}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="local")
    parser.add_argument("--day", default="2023-08-16")
    parser.add_argument("--lang", default="en,zh")
    args = parser.parse_args()
    with scratch_home() as home:
        env = cli_env(home, PYTHONPATH=str(REPO), DRAGOMAN_VERIFY_JUDGE="heuristic")
        source = home.parent / "day.txt"
        lines = day_lines(args.day)
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
        started = time.perf_counter()
        done = run_cli("ingest", str(source), "--kind", "news", "--source", "CRUD-RAG news",
                       "--line-pattern", CRUD_PATTERN, "--date-default", "2023-01-01",
                       "--timezone", "Asia/Shanghai", "--json", env=env, timeout=3600)  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(f"ingest failed: {done.stderr[-3000:]}")
        ingest_s = time.perf_counter() - started
        # Asia/Shanghai days end at 16:00 UTC: a briefing dated the next day, cut off at 16:00
        env["DRAGOMAN_BRIEF_CUTOFF_HOUR"] = "16"
        date = args.day
        runs = [brief(env, ECHO, date, args.lang), brief(env, args.backend, date, args.lang)]
    print(json.dumps({
        "day": args.day, "items_in_file": len(lines), "ingest_s": round(ingest_s, 1),
        "runs": runs, "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
