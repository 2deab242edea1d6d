"""Issue 20 §5: a bare install — the base dependencies of pyproject.toml, no extra — ingests
an HTML page and an RSS feed.  `make pytest` builds that virtual environment first
(`make base-venv`: `pip install -e .` into .venv-base, nothing else); the test runs the
`dragoman` it installed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import REPO, cli_env

BASE = REPO / ".venv-base" / "bin"
PAGE = """<!doctype html><html lang="en"><head><title>Statement on the Red Sea</title>
<link rel="canonical" href="https://mfa.example.org/statements/red-sea"></head><body>
<article><h1>Statement on the Red Sea</h1><p>The ministry calls for the freedom of navigation
in the Red Sea to be respected by all parties, and for shipping to resume safely.</p>
<p>It will convene partners in Singapore next week to coordinate the response.</p></article>
</body></html>"""
FEED = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>
<title>Ministry news</title><link>https://mfa.example.org/</link><description>News</description>
<item><title>Minister visits Jakarta</title><link>https://mfa.example.org/news/1</link>
<guid>mfa-news-1</guid><pubDate>Tue, 07 May 2024 09:00:00 GMT</pubDate>
<description>&lt;p&gt;The minister met his Indonesian counterpart in Jakarta on maritime
cooperation and regional security.&lt;/p&gt;</description></item>
</channel></rss>"""


def test_a_bare_install_ingests_html_and_a_feed(tmp_path: Path) -> None:
    assert (BASE / "dragoman").exists(), "run `make base-venv` (make pytest does)"
    extras = subprocess.run([str(BASE / "python"), "-c",
                             "import importlib.util as u; print(u.find_spec('torch') is None)"],
                            capture_output=True, text=True, check=True)  # fmt: skip
    assert extras.stdout.strip() == "True", "the base environment must hold no extra"
    (tmp_path / "page.html").write_text(PAGE, "utf-8")
    (tmp_path / "feed.xml").write_text(FEED, "utf-8")
    done = subprocess.run(
        [str(BASE / "dragoman"), "ingest", str(tmp_path / "page.html"), str(tmp_path / "feed.xml"),
         "--no-index", "--json"],
        env=cli_env(tmp_path / "home"), capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["failed"] == [] and report["added"] == 2, report
