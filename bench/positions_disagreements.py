"""Disagreement flags in `positions` on real speeches: how many, and are they real?

The UN General Debate speeches of one year (``--year``, from ../shared/corpora) are
ingested into a scratch home (or ``--home``); for each topic every speaker's sentences on
it are found as `positions` finds them (search, topic match, the best ones by meaning: no
model is needed for this stage), and compared across speakers by the detector `positions`
uses. Every flag is printed with both sides to be read: a flag on sentences that do not
state one fact differently is a false flag.

    python bench/positions_disagreements.py [--year 2022] [--topics Ukraine,Syria,…] [--json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import _repo  # noqa: F401  (the repository on sys.path)

from assistant.core.clearance import readable_levels
from assistant.core.settings import load_settings
from assistant.positions.disagreements import STATEMENTS_PER_SPEAKER, between_speakers
from assistant.positions.evidence import (
    speaker_evidence,
    speakers_in,
    topic_matcher,
)
from assistant.positions.pipeline import SEARCH_K
from bench.support.corpora import un_year
from bench.support.processes import cli_env, run_cli
from corpus.registry import DocFilters, Registry
from retrieval.indexer import Retrieval
from retrieval.search import HybridSearch

UN_PATTERN = r"(?P<country>[A-Z]{2,3})_(?P<session>\d+)_(?P<year>\d{4})\.txt$"
TOPICS = "Ukraine,Syria,Afghanistan,Yemen,Ethiopia,Haiti"


def build(home: Path, year: int) -> None:
    """The year's speeches ingested through the real CLI (skipped if ``home`` has them)."""
    if (home / "dragoman.db").exists():
        return
    folder = home.parent / f"un-{year}"
    folder.mkdir(parents=True, exist_ok=True)
    un_year(folder, year)
    done = run_cli(
        "ingest", str(folder), "--kind", "policy", "--source", "UN General Debate",
        "--filename-pattern", UN_PATTERN, "--set", f"published_at={year}-09-20",
        "--set", "title={country_name} — UN General Debate, session {session} ({year})",
        "--json", env=cli_env(home), timeout=3600,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])


def measure(home: Path, year: int, topics: list[str]) -> list[dict[str, Any]]:
    settings = load_settings(home=home)
    registry, retrieval = Registry(settings.registry_url), Retrieval(settings)
    search = HybridSearch(retrieval, registry)
    filters = DocFilters(kind="policy", since=year * 10000 + 101, until=year * 10000 + 1231)
    speakers = sorted(speakers_in(registry, filters, readable_levels("public")))
    rows = []
    for topic in topics:
        started = time.perf_counter()
        mentions, statements = topic_matcher(topic, []), []
        for speaker in speakers:
            _, found = speaker_evidence(
                search, retrieval.embedder, topic, speaker, filters=filters,
                clearance="public", mentions=mentions, k=SEARCH_K, quotes=3,
                statements=STATEMENTS_PER_SPEAKER,
            )  # fmt: skip
            if found:
                statements.append((speaker, found))
        flags = between_speakers(statements, limit=50)
        rows.append({"topic": topic, "speakers": len(speakers),
                     "speakers_with_statements": len(statements),
                     "statements": sum(len(s) for _, s in statements), "flags": flags,
                     "seconds": round(time.perf_counter() - started, 1)})  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2022)
    parser.add_argument("--topics", default=TOPICS)
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        home = args.home or Path(scratch) / "home"
        build(home, args.year)
        rows = measure(home, args.year, args.topics.split(","))
    if args.json:
        print(json.dumps({"year": args.year, "topics": rows}, ensure_ascii=False, indent=2))
        return
    for row in rows:
        print(f"{row['topic']}: {row['speakers_with_statements']}/{row['speakers']} speakers, "
              f"{row['statements']} sentences, {len(row['flags'])} flags ({row['seconds']} s)")  # fmt: skip
        for flag in row["flags"]:
            for side in flag["sides"]:
                print(f"    {side['value']} {','.join(side['speakers'])}: {side['sentence'][:200]}")
            print()


if __name__ == "__main__":
    main()
