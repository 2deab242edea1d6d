"""Briefing stage 1 on real White House files (July 2025): the window's documents, the
watchlist's filters and the audience's clearance; expectations computed independently from
the files' own front matter."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from dateutil import parser as date_parser

from assistant.briefing.selection import BriefingWindow, parse_window, select_documents
from assistant.core.errors import ConfigError, InputError
from assistant.core.settings import load_settings
from assistant.monitoring.watchlists import Watchlist, watchlist_named
from bench.support import corpora
from corpus.registry import Registry
from tests.conftest import cli_env, run_cli

DAY = date(2025, 7, 10)
WINDOW = BriefingWindow.ending_on(DAY, parse_window("3d"), cutoff_hour=6)


@pytest.fixture(scope="module")
def july(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    root = tmp_path_factory.mktemp("brief")
    files = corpora.whitehouse_month(root, "2025-07")
    paths = sorted(files.iterdir())
    home = root / "home"
    env = cli_env(home)
    ingested = run_cli("ingest", str(files), "--kind", "news", "--source", "The White House",
                       "--no-index", "--json", env=env)  # fmt: skip
    assert ingested.returncode == 0, ingested.stderr[-2000:]
    for name, stamp in (("at-start.txt", WINDOW.start), ("at-end.txt", WINDOW.end)):
        cable = root / name
        cable.write_text(f"Restricted cable filed {stamp.isoformat()} about Japan.", "utf-8")
        filed = run_cli("ingest", str(cable), "--kind", "policy", "--clearance", "restricted",
                        "--set", f"published_at={stamp.isoformat()}", "--no-index", "--json",
                        env=env)  # fmt: skip
        assert filed.returncode == 0, filed.stderr[-2000:]
    return home, paths


def _front_matter(path: Path) -> tuple[dict[str, object], str]:
    _, header, body = path.read_text("utf-8").split("---", 2)
    return yaml.safe_load(header), body


def _expected_titles(paths: list[Path], keyword: str | None = None) -> set[str]:
    titles = set()
    for path in paths:
        meta, body = _front_matter(path)
        published = date_parser.parse(str(meta["published_time"])).astimezone(UTC)
        if not WINDOW.start <= published < WINDOW.end:
            continue
        if keyword and keyword.casefold() not in f"{meta['title']}\n{body}".casefold():
            continue
        titles.add(" ".join(str(meta["title"]).split()))
    return titles


def test_window_selects_what_was_published_in_it(july: tuple[Path, list[Path]]) -> None:
    home, paths = july
    registry = Registry(load_settings(home=home).registry_url)
    selection = select_documents(registry, WINDOW, Watchlist(), clearance="public")
    expected = _expected_titles(paths)
    assert len(expected) >= 3
    assert {d.title for d in selection.documents} == expected
    stamps = [d.published_at for d in selection.documents]
    assert stamps == sorted(stamps)  # oldest first
    assert all(d.clearance == "public" for d in selection.documents)


def test_keyword_watchlist_and_clearance_bounds(july: tuple[Path, list[Path]]) -> None:
    home, paths = july
    registry = Registry(load_settings(home=home).registry_url)
    japan = Watchlist(name="japan", keywords=["japan"])
    public = select_documents(registry, WINDOW, japan, clearance="public")
    assert {d.title for d in public.documents} == _expected_titles(paths, "japan")
    restricted = select_documents(registry, WINDOW, japan, clearance="restricted")
    cables = [d for d in restricted.documents if d.clearance == "restricted"]
    assert len(cables) == 1  # the one filed at the window's start; the one at its end is out
    assert cables[0].published_at == WINDOW.start


def test_watchlist_fields_filter_documents(july: tuple[Path, list[Path]]) -> None:
    home, _ = july
    registry = Registry(load_settings(home=home).registry_url)
    everything = select_documents(registry, WINDOW, Watchlist(), clearance="restricted").documents
    for watchlist in (
        Watchlist(kinds=["policy"]),
        Watchlist(sources=["The White House"]),
        Watchlist(languages=["en"]),
        Watchlist(countries=["JPN"]),
    ):
        chosen = select_documents(registry, WINDOW, watchlist, clearance="restricted").documents
        assert chosen == [d for d in everything if watchlist.matches(d)]
        assert 0 < len(chosen) <= len(everything), watchlist
    assert all("JPN" in d.countries_mentioned for d in
               select_documents(registry, WINDOW, Watchlist(countries=["jpn"]), "public").documents)  # fmt: skip


def test_windows_and_watchlists_from_settings() -> None:
    assert parse_window("24h") == timedelta(hours=24)
    assert parse_window("3d") == timedelta(days=3) and parse_window("1W") == timedelta(weeks=1)
    for bad in ("", "24", "0h", "5y", "32d"):
        with pytest.raises(InputError):
            parse_window(bad)
    window = BriefingWindow.ending_on(date(2025, 7, 10), timedelta(hours=24), cutoff_hour=6)
    assert window.start == datetime(2025, 7, 9, 6, tzinfo=UTC)
    settings = load_settings(
        watchlists={"east-asia": {"countries": ["chn", "JPN"], "keywords": ["tariff"]},
                    "broken": {"countries": ["Japan"]}},
    )  # fmt: skip
    assert watchlist_named(settings, "east-asia").countries == ["CHN", "JPN"]
    assert watchlist_named(settings, "all") == Watchlist()
    with pytest.raises(InputError, match="no watchlist 'nope'"):
        watchlist_named(settings, "nope")
    with pytest.raises(ConfigError, match="alpha-3"):
        watchlist_named(settings, "broken")
