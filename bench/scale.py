"""The scale run: one index grown from real corpora to each size, measured at every size.

    python bench/scale.py [--sizes 10000,100000] [--home DIR] [--queries 200] [--no-server]
                          [--postgres] [--json]

The pool grows in a fixed order — White House releases (en, batches of 100 files), UN General
Debate speeches (en, batches of 100), then CRUD-RAG news line files (zh, one file at a time) —
until the chunk count reaches each size. At each size, in fresh processes: index size on disk,
the resident memory of a process that opens the index and answers the queries, and end-to-end
`HybridSearch.search` latency (k = 10, 100 XQuAD questions in English + 100 in Chinese, public
clearance) without and with filters — against embedded Chroma and against the same files served
by `chroma run` (and, with ``--postgres``, by `chroma run` with the registry on PostgreSQL: the
team server's shape). ``--home`` keeps the index for re-runs (building embeds every chunk).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

import httpx
from _repo import ROOT

from bench.procinfo import dir_size_mb, self_peak_rss_mb, self_rss_mb, tree_rss_mb

SHARED = ROOT.parent / "shared" / "corpora"
CRUD_PATTERN = r"^(?:\[\s*)?(?P<published_at>[^，\]]*?)\s*\]?\s*，正文：(?P<text>.+)$"
BATCH = 100


Unit = tuple[str, list[str], dict[str, Any], dict[str, str]]  # name, paths, Options, --set
UN_PATTERN = r"(?P<country>[A-Z]{2,3})_(?P<session>\d+)_(?P<year>\d{4})\.txt$"
ARCHIVES: tuple[tuple[str, dict[str, Any], dict[str, str]], ...] = (
    ("whitehouse-2024-2026.tar.gz", {"kind": "news"}, {}),
    # the speeches are dated and attributed by their file names, as the README ingests them
    ("ungdc-2015-2024.tar.gz", {"kind": "policy", "filename_pattern": UN_PATTERN},
     {"published_at": "{year}-09-20"}),
)  # fmt: skip


def units(src: Path) -> list[Unit]:
    """The pool in ingest order: (name, paths, Options fields, --set templates)."""
    out: list[Unit] = []
    for archive, fields, templates in ARCHIVES:
        target = src / archive.split("-")[0]
        if not target.exists():
            with tarfile.open(SHARED / archive) as tar:
                tar.extractall(target, filter="data")
        files = sorted(str(p) for p in target.rglob("*") if p.is_file())
        for start in range(0, len(files), BATCH):
            out.append((f"{target.name}:{start}", files[start : start + BATCH], fields, templates))
    with tarfile.open(SHARED / "crud-rag-news-zh-2023.tar.gz") as tar:
        members = sorted(m.name for m in tar if m.isfile() and "documents_dup" in m.name)
    crud = {"kind": "news", "language": "zh", "line_pattern": CRUD_PATTERN,
            "date_default": "2023-01-01", "timezone": "Asia/Shanghai"}  # fmt: skip
    out += [(f"crud:{name}", [str(src / "crud" / name)], crud, {}) for name in members]
    return out


def build(home: Path, target: int) -> dict[str, Any]:
    """Grow the index in `home` to at least `target` chunks (resumable)."""
    from assistant.core.settings import load_settings
    from corpus.connectors import Options
    from corpus.ingest import ingest
    from corpus.registry import Registry
    from retrieval.indexer import Retrieval, index_pending

    settings = load_settings(home=home)
    registry, retrieval = Registry(settings.registry_url), Retrieval(settings)
    state_path = home / "scale-state.json"
    done: list[str] = json.loads(state_path.read_text()) if state_path.exists() else []
    started = time.perf_counter()
    for name, paths, fields, templates in units(home / "src"):
        if retrieval.index.count() >= target:
            break
        if name in done:
            continue
        if name.startswith("crud:"):
            with tarfile.open(SHARED / "crud-rag-news-zh-2023.tar.gz") as tar:
                tar.extract(name.removeprefix("crud:"), home / "src" / "crud", filter="data")
        ingest(registry, paths, Options(**fields), templates)
        index_pending(retrieval, registry)
        done.append(name)
        state_path.write_text(json.dumps(done))
        print(f"  {retrieval.index.count():,} chunks after {name}", file=sys.stderr, flush=True)
    return {"chunks": retrieval.index.count(), "build_s": round(time.perf_counter() - started, 1),
            "documents": registry.count(),
            "builder_peak_rss_mb": self_peak_rss_mb()}  # fmt: skip


def queries(n: int) -> list[str]:
    out: list[str] = []
    for language in ("en", "zh"):
        with gzip.open(SHARED / "xquad" / f"xquad.{language}.json.gz", "rt", encoding="utf-8") as f:
            data = json.load(f)
        qs = [qa["question"] for a in data["data"] for p in a["paragraphs"] for qa in p["qas"]]
        out += qs[: n // 2]
    return out


def percentiles(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"p50_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[round(0.95 * (len(ordered) - 1))], 1),
            "p99_ms": round(ordered[round(0.99 * (len(ordered) - 1))], 1)}  # fmt: skip


def measure(
    home: Path, n_queries: int, chroma_url: str | None, database_url: str | None = None
) -> dict[str, Any]:
    """Open the index in this (fresh) process and time the queries; memory as it goes."""
    from assistant.core.settings import load_settings
    from corpus.registry import Registry
    from retrieval.index import Filters
    from retrieval.indexer import Retrieval
    from retrieval.search import HybridSearch

    before = self_rss_mb()
    settings = load_settings(home=home, chroma_url=chroma_url, database_url=database_url)
    registry = Registry(settings.registry_url)
    search = HybridSearch(Retrieval(settings), registry)
    qs = queries(n_queries)
    cases = {
        "no filter": Filters(),
        "language=zh": Filters(language="zh"),
        "kind=policy, 2019-2021": Filters(kind="policy", since=20190101, until=20211231),
        "country=CHN": Filters(country="CHN"),
    }
    for q in (qs[0], qs[-1]):  # loads the embedder, the BM25 indexes and jieba's dictionary
        search.search(q, clearance="public", filters=Filters())
    warm_rss = self_rss_mb()
    rows = {}
    for name, filters in cases.items():
        search.search(qs[1], clearance="public", filters=filters)  # warm-up per filter
        latencies, hits = [], 0
        for q in qs:
            started = time.perf_counter()
            hits += len(search.search(q, clearance="public", k=10, filters=filters))
            latencies.append((time.perf_counter() - started) * 1000)
        rows[name] = {**percentiles(latencies), "hits_per_query": round(hits / len(qs), 2)}
    return {"queries": len(qs), "latency": rows, "rss_before_mb": before,
            "rss_open_mb": warm_rss, "rss_peak_mb": self_peak_rss_mb()}  # fmt: skip


def child(*args: str) -> dict[str, Any]:
    done = subprocess.run(  # progress lines go straight through on stderr
        [sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"`scale.py {' '.join(args)}` failed ({done.returncode})")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def with_chroma_server(
    home: Path, n_queries: int, database_url: str | None = None
) -> dict[str, Any]:
    """The same files served by `chroma run` on loopback; the client measured as above
    (with ``database_url``, the registry read from that database instead of the home's)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    log = (home / "chroma-run.log").open("wb")
    server = subprocess.Popen(
        [chroma, "run", "--path", str(home / "chroma"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            with contextlib.suppress(httpx.TransportError):  # not listening yet
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=2).status_code == 200:
                    break
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"`chroma run` did not start: see {home / 'chroma-run.log'}")
            time.sleep(0.5)
        extra = ["--database-url", database_url] if database_url else []
        result = child("_measure", "--home", str(home), "--queries", str(n_queries),
                       "--chroma-url", url, *extra)  # fmt: skip
        result["server_rss_mb"] = tree_rss_mb(server.pid)
        return result
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()


def with_team_servers(home: Path, n_queries: int) -> dict[str, Any]:
    """The team server's shape: `chroma run` as above and the registry on PostgreSQL (a
    throwaway cluster; the home's registry copied into it, migrated by the registry itself)."""
    from bench.support.postgres import postgres_server

    with postgres_server() as server:
        url = server.create("registry")
        started = time.perf_counter()
        rows = copy_registry(f"sqlite:///{home / 'dragoman.db'}", url)
        copied_s = round(time.perf_counter() - started, 1)
        print(f"scale: {rows:,} registry rows copied to PostgreSQL in {copied_s} s",
              file=sys.stderr, flush=True)  # fmt: skip
        result = with_chroma_server(home, n_queries, database_url=url)
        result.update(registry_rows=rows, registry_copy_s=copied_s)
        return result


def copy_registry(source_url: str, target_url: str) -> int:
    """Every row of the registry at ``source_url`` into a fresh one at ``target_url``."""
    from sqlalchemy import create_engine, insert, select

    from corpus.registry import Base, Registry

    Registry(target_url)  # the schema, through the registry's own migrations
    source, target = create_engine(source_url), create_engine(target_url)
    copied = 0
    with source.connect() as reading, target.begin() as writing:
        for table in Base.metadata.sorted_tables:
            result = reading.execution_options(yield_per=2000).execute(select(table))
            for batch in result.mappings().partitions(2000):
                writing.execute(insert(table), [dict(row) for row in batch])
                copied += len(batch)
    return copied


def disk(home: Path) -> dict[str, float]:
    parts = {"chroma_mb": dir_size_mb(home / "chroma"), "bm25_mb": dir_size_mb(home / "bm25")}
    parts["registry_mb"] = round(sum(dir_size_mb(p) for p in home.glob("dragoman.db*")), 1)
    parts["total_mb"] = round(sum(parts.values()), 1)
    return parts


def growth(first: dict[str, Any], last: dict[str, Any]) -> dict[str, float]:
    def ratio(a: float, b: float) -> float:
        return round(b / a, 2) if a else 0.0

    out = {"chunks_x": ratio(first["chunks"], last["chunks"]),
           "disk_x": ratio(first["disk"]["total_mb"], last["disk"]["total_mb"]),
           "rss_open_x": ratio(first["embedded"]["rss_open_mb"], last["embedded"]["rss_open_mb"])}  # fmt: skip
    for mode in ("embedded", "server", "team"):
        if mode in first and mode in last:
            for q in ("p50_ms", "p95_ms", "p99_ms"):
                a, b = first[mode]["latency"]["no filter"][q], last[mode]["latency"]["no filter"][q]
                out[f"{mode}_{q.removesuffix('_ms')}_x"] = ratio(a, b)
    return out


def run(
    sizes: list[int], home: Path, n_queries: int, server: bool, team: bool = False
) -> dict[str, Any]:
    home.mkdir(parents=True, exist_ok=True)
    points = []
    for size in sizes:
        print(f"scale: building to {size:,} chunks in {home}", file=sys.stderr, flush=True)
        built = child("_build", "--home", str(home), "--target", str(size))
        point: dict[str, Any] = {"target": size, **built, "disk": disk(home)}
        print(f"scale: measuring at {built['chunks']:,} chunks", file=sys.stderr, flush=True)
        point["embedded"] = child("_measure", "--home", str(home), "--queries", str(n_queries))
        if server:
            point["server"] = with_chroma_server(home, n_queries)
        if team:
            point["team"] = with_team_servers(home, n_queries)
        points.append(point)
    summary: dict[str, Any] = {
        "points": points,
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
    }
    if len(points) > 1:
        summary["growth"] = growth(points[0], points[-1])
    return summary


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def table(summary: dict[str, Any]) -> str:
    lines = ["| chunks | disk MB (chroma / bm25 / registry) | query-process RSS MB | mode | "
             "filter | p50 ms | p95 ms | p99 ms |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for p in summary["points"]:
        d = p["disk"]
        for mode in ("embedded", "server", "team"):
            if mode not in p:
                continue
            rss = f"{p[mode]['rss_open_mb']}" + (
                f" (+ server {p[mode]['server_rss_mb']})" if mode != "embedded" else ""
            )
            for name, r in p[mode]["latency"].items():
                lines.append(f"| {p['chunks']:,} | {d['total_mb']} ({d['chroma_mb']} / {d['bm25_mb']}"
                             f" / {d['registry_mb']}) | {rss} | {mode} | {name} | {r['p50_ms']} | "
                             f"{r['p95_ms']} | {r['p99_ms']} |")  # fmt: skip
    if "growth" in summary:
        lines.append("")
        lines.append("growth: " + ", ".join(f"{k} {v}" for k, v in summary["growth"].items()))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="run", choices=("run", "_build", "_measure"))
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--target", type=int, default=0)
    parser.add_argument("--home", type=Path, default=Path("/tmp/dragoman-bench-scale"))
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--chroma-url", default=None)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--no-server", action="store_true")
    parser.add_argument(
        "--postgres", action="store_true",
        help="also measure the team server: `chroma run` and the registry on PostgreSQL",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.mode == "_build":
        print(json.dumps(build(args.home, args.target)))
    elif args.mode == "_measure":
        print(json.dumps(measure(args.home, args.queries, args.chroma_url, args.database_url)))
    else:
        sizes = sorted(int(s) for s in args.sizes.split(","))
        summary = run(sizes, args.home, args.queries, not args.no_server, args.postgres)
        print(json.dumps(summary, indent=2) if args.json else table(summary))


if __name__ == "__main__":
    main()
