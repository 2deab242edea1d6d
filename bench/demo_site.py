"""The demo's sources, served on loopback so `make demo` collects with no network: a White
House feed whose items link to their full articles (`corpus/demo/feeds/`), and a
Mastodon-shaped account posting, over the last two days, quotations from the demo's UN
speeches (English) and PRC government work reports (Chinese), one every 85 minutes; among
them, yesterday, one quotation posted by eight accounts within eleven minutes with a hashtag
each — a staged coordinated amplification, so that the demo's Monitoring page shows what a
campaign and a volume alert look like (the texts are real; the burst is staged, and the demo
says so here).

Usage: python bench/demo_site.py [--port 8765]   (serves until stopped)"""

from __future__ import annotations

import argparse
import json
import re
import time
from datetime import UTC, datetime, timedelta

import _repo  # noqa: F401  (the repository on sys.path)

from bench.support.processes import DEMO
from bench.support.sites import Site, posts_from, serving_site, whitehouse_articles

SENTENCE = re.compile(r"[^.!?。！？]{60,260}[.!?。！？]")


def quotations() -> list[tuple[str, str]]:
    """Two sentences of each UN speech and four of each work report, as posts' texts."""
    quoted = []
    for speech in sorted((DEMO / "un").glob("*.txt")):
        sentences = SENTENCE.findall(speech.read_text(encoding="utf-8"))[3:5]
        quoted += [(f"{speech.stem[:3]} at the UN: {s.strip()}", "en") for s in sentences]
    reports = DEMO / "prc" / "prc-government-work-reports-2024-2025.jsonl"
    for line in reports.read_text(encoding="utf-8").splitlines():
        report = json.loads(line)
        sentences = re.findall(r"[^。]{30,120}。", str(report.get("content", "")))[5:9]
        quoted += [(f"政府工作报告（{report.get('year')}）：{s}", "zh") for s in sentences]
    return quoted


def amplified(text: str, when: datetime, first_id: int) -> list[dict[str, str | int]]:
    """One text posted by eight accounts within eleven minutes (the staged campaign)."""
    tags = ["#UN", "#UNGA", "#diplomacy", "#peace", "#UNGA79", "#multilateralism", "#SDGs",
            "#GeneralAssembly"]  # fmt: skip
    return [
        {"id": first_id + n, "text": f"{text} {tag}", "lang": "en", "author": f"relay{n + 1}",
         "created_at": (when + timedelta(minutes=n * 1.5)).isoformat().replace("+00:00", "Z")}
        for n, tag in enumerate(tags)
    ]  # fmt: skip


def demo_site() -> Site:
    now = datetime.now(UTC)
    quoted = quotations()
    posts = posts_from(quoted, now - timedelta(days=2), every=timedelta(minutes=85))
    hour = (now - timedelta(days=1)).replace(minute=5, second=0, microsecond=0)
    burst = amplified(quoted[0][0], hour, first_id=1000 + len(posts))  # within one hour
    return Site(articles=whitehouse_articles(DEMO / "feeds" / "whitehouse", 50),
                posts=posts + burst)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8765)
    port = parser.parse_args().port
    with serving_site(demo_site(), port) as site:
        print(f"demo sources at {site.base}/feed.xml and {site.base}/api/v1/accounts/1/statuses",
              flush=True)  # fmt: skip
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    main()
