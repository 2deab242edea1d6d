"""The demo's sources, served on loopback so `make demo` collects with no network: a White
House feed whose items link to their full articles (`corpus/demo/feeds/`), and a
Mastodon-shaped account posting, over the last two days, quotations from the demo's UN
speeches (English) and PRC government work reports (Chinese).

Usage: python bench/demo_site.py [--port 8765]   (serves until stopped)"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.support.sites import Site, posts_from, serving_site, whitehouse_articles  # noqa: E402

DEMO = REPO / "corpus" / "demo"
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


def demo_site() -> Site:
    start = datetime.now(UTC) - timedelta(days=2)
    return Site(articles=whitehouse_articles(DEMO / "feeds" / "whitehouse", 50),
                posts=posts_from(quotations(), start))  # fmt: skip


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
