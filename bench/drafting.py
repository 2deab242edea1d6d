"""Draft official posts on the demo corpus with the embedded model: time and what the checks
found (limits, supported sentences, verified translations).

Ingests the demo corpus (UN speeches, White House statements, PRC work reports) into a
scratch home, opens the engine once, then drafts each instruction for X in en/fr/zh and for
Weibo in zh/en, grounded by search (public documents).  Prints JSON: per draft the seconds,
the posts' counted lengths against the limit, and the share of sentences the sources
support; then medians and totals.

    python bench/drafting.py [--backend local]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

import _repo  # noqa: F401  (the repository on sys.path)

from bench.support.processes import DEMO, cli_env, run_cli, scratch_home

INSTRUCTIONS = [
    "Welcome the outcome of the economic and trade talks in Stockholm",
    "Highlight the economic growth target in China's 2025 government work report",
    "Announce the presidential delegation to the World Expo in Osaka",
    "Recall what countries told the UN General Debate about climate change",
    "Welcome the joint statement after the United States-Ukraine meeting",
]
CONFIGS = [("x", ["en", "fr", "zh"]), ("weibo", ["zh", "en"])]


def ingest(env: dict[str, str]) -> None:
    for folder, kind, source in (("un", "policy", "UN General Debate"),
                                 ("whitehouse", "news", "The White House"),
                                 ("prc", "policy", "State Council of the PRC")):  # fmt: skip
        extra = ["--map", "text=content"] if folder == "prc" else []
        done = run_cli("ingest", str(DEMO / folder), "--kind", kind, "--source", source,
                       *extra, "--json", env=env, timeout=1800)  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(done.stderr[-2000:])


def summary(content: dict[str, object], seconds: float) -> dict[str, object]:
    variants = content["variants"]
    assert isinstance(variants, dict)
    sentences = [s for v in variants.values() for s in v["sentences"]]
    first = next(iter(variants.values()))
    translated = [s for v in variants.values() if v["translated"] for s in v["sentences"]]
    return {
        "seconds": round(seconds, 1),
        "lengths": {code: v["lengths"] for code, v in variants.items()},
        "supported_first_language": f"{sum(s['supported'] for s in first['sentences'])}"
        f"/{len(first['sentences'])}",
        "translations_verified": f"{sum(s['supported'] for s in translated)}/{len(translated)}",
        "supported_share": round(
            sum(s["supported"] for s in sentences) / max(len(sentences), 1), 3
        ),
        "flags": sorted(f"{f['severity']}:{f['kind']}" for f in content["flags"]),  # type: ignore[attr-defined]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default="local")
    args = parser.parse_args()
    from assistant.components import Components
    from assistant.core.settings import load_settings
    from assistant.drafting.model import DraftRequest
    from assistant.drafting.platforms import platform as profile_named

    with scratch_home() as home:
        env = cli_env(home)
        ingest(env)
        os.environ.update(env)
        settings = load_settings()
        started = time.perf_counter()
        drafter = Components(settings, args.backend).drafter()
        opened = time.perf_counter() - started
        rows = []
        for name, languages in CONFIGS:
            for instruction in INSTRUCTIONS:
                mark = time.perf_counter()
                content = drafter.draft(DraftRequest(instruction, name, languages))
                row = summary(content.to_dict(), time.perf_counter() - mark)
                profile = profile_named(name)
                lengths = row["lengths"]
                assert isinstance(lengths, dict)
                row["within_limit"] = all(n <= profile.limit for v in lengths.values() for n in v)
                rows.append({"platform": name, "languages": languages,
                             "instruction": instruction, **row})  # fmt: skip
                print(json.dumps(rows[-1], ensure_ascii=False), file=sys.stderr)
    seconds = [float(r["seconds"]) for r in rows]  # type: ignore[arg-type]
    print(json.dumps({
        "backend": args.backend, "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"), "engine_open_s": round(opened, 1),
        "drafts": len(rows), "median_s": round(statistics.median(seconds), 1),
        "max_s": max(seconds), "all_within_limit": all(r["within_limit"] for r in rows),
        "median_supported_share": statistics.median(float(r["supported_share"]) for r in rows),  # type: ignore[arg-type]
        "rows": rows,
    }, ensure_ascii=False, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
