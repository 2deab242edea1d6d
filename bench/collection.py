"""Collection cost, side by side in one run, from a loopback site serving real texts.

- feeds with articles: White House releases as an RSS feed of summaries, each article
  fetched and extracted (the default politeness delay set to 0: loopback is one host);
- social APIs: real XLM-T posts through the Mastodon-shaped API (pages of 20);
- idle: 200 sources held on their schedules, none due: the CPU one scheduler tick costs.

Items/s and CPU seconds per 1,000 items count the collection pass alone (fetch, extract,
store); indexing is `bench/ingest_throughput.py`'s. Usage: python bench/collection.py
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import _repo  # noqa: F401  (the repository on sys.path)

from assistant.collection import NewSource, add_source
from assistant.collection.schedule import collect_due
from assistant.components import Components
from assistant.core.settings import load_settings
from bench.support import corpora
from bench.support.processes import scratch_home
from bench.support.report import print_table
from bench.support.sites import Site, posts_from, serving_site, whitehouse_articles

ARTICLES = 300
POSTS = 1000
IDLE_SOURCES = 200
IDLE_TICKS = 30


def _components(home: Path, **values: object) -> Components:
    base = {"collect_allow_private": True, "collect_host_delay_s": 0.0, "monitor_on_ingest": False}
    return Components(load_settings(home=home, **{**base, **values}))  # type: ignore[arg-type]


def _timed(work: Callable[[], int]) -> tuple[int, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    items = work()
    return items, time.perf_counter() - wall, time.process_time() - cpu


def _row(name: str, items: int, wall: float, cpu: float) -> list[object]:
    return [name, items, f"{items / wall:.1f}", f"{cpu / items * 1000:.1f}", f"{wall:.1f}"]


def feeds(site: Site, articles: int) -> list[object]:
    with scratch_home() as home:
        parts = _components(home, collect_depth=articles)
        add_source(parts.sources, NewSource(url=f"{site.base}/feed.xml"), parts.settings.collect)
        items, wall, cpu = _timed(lambda: parts.collector().collect(index=False).added)
    return _row("RSS items with their articles", items, wall, cpu)


def social(site: Site) -> list[object]:
    with scratch_home() as home:
        parts = _components(home, collect_depth=POSTS)
        new = NewSource(url=f"{site.base}/api/v1/accounts/1/statuses", type="mastodon")
        add_source(parts.sources, new, parts.settings.collect)
        items, wall, cpu = _timed(lambda: parts.collector().collect(index=False).added)
    return _row("Mastodon posts (pages of 20)", items, wall, cpu)


def idle(site: Site) -> list[object]:
    with scratch_home() as home:
        parts = _components(home)
        for n in range(IDLE_SOURCES):
            new = NewSource(url=f"{site.base}/feed.xml?n={n}", type="rss", every="1d")
            add_source(parts.sources, new, parts.settings.collect)
        collector = parts.collector()
        collector.collect(index=False)  # every source collected once: none due for a day
        cpu = time.process_time()
        for _ in range(IDLE_TICKS):
            collect_due(collector)
        per_tick = (time.process_time() - cpu) / IDLE_TICKS
    return [f"idle tick, {IDLE_SOURCES} sources none due", IDLE_SOURCES, "—",
            f"{per_tick * 1000:.1f} ms CPU per tick ({per_tick * 60:.2f} s/h at 1/min)", "—"]  # fmt: skip


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        files = root / "files"
        files.mkdir()
        for month in ("2025-03", "2025-04", "2025-05", "2025-06"):
            (root / month).mkdir()
            for path in corpora.whitehouse_month(root / month, month).glob("*.md"):
                path.rename(files / path.name)
        articles = whitehouse_articles(files, ARTICLES)
        texts = [(t, "en") for t in corpora.xlmt_texts("english", POSTS)]
        posts = posts_from(texts, datetime(2025, 1, 1, tzinfo=UTC))
        with serving_site(Site(articles=articles, posts=posts)) as site:
            rows = [feeds(site, len(articles)), social(site), idle(site)]
    print(f"collection from loopback, {datetime.now(UTC):%Y-%m-%d}, 2 threads")
    print_table(["what", "items", "items/s", "CPU s per 1,000 items", "wall s"], rows)


if __name__ == "__main__":
    main()
