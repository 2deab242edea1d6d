"""Each evaluation metric on small cases computed by hand."""

from __future__ import annotations

import math

import pytest

from evals.harness import Metric
from evals.metrics import (
    all_elements_found,
    balanced_accuracy,
    bootstrap_interval,
    contains_answer,
    exact_match,
    kendall_tau_b,
    macro_f1,
    mean_interval,
    ndcg_at,
    paired_bootstrap,
    recall_at,
    reciprocal_rank,
    token_f1,
    tokens,
    wilson_interval,
)


def test_normalisation_drops_articles_and_punctuation_per_language() -> None:
    assert tokens("The Eiffel Tower!", "en") == ["eiffel", "tower"]
    assert tokens("La Torre Eiffel, ¿no?", "es") == ["torre", "eiffel", "no"]
    assert tokens("the", "es") == ["the"]  # an English article is a word in Spanish
    assert tokens("造成12人死亡。", "zh") == ["造", "成", "12", "人", "死", "亡"]


def test_exact_match_and_token_f1() -> None:
    assert exact_match("The Denver Broncos.", ["Denver Broncos"], "en") == 1.0
    assert exact_match("Broncos", ["Denver Broncos"], "en") == 0.0
    # prediction [cat, sat], gold [cat, sat, on, mat]: P = 1, R = 1/2, F1 = 2/3
    assert token_f1("the cat sat", ["cat sat on the mat"], "en") == pytest.approx(2 / 3)
    # best over golds; Chinese compared character by character: 北京 vs 北京市 → P 1, R 2/3
    assert token_f1("北京", ["上海", "北京市"], "zh") == pytest.approx(0.8)
    assert token_f1("nothing shared", ["cat"], "en") == 0.0


def test_contains_answer_is_token_aligned() -> None:
    assert contains_answer("事故造成12人死亡。", ["12人"], "zh")
    assert not contains_answer("全会170个议席", ["70"], "zh")  # RGB's 70 vs 170 trap
    assert contains_answer("It has 70 seats.", ["70"], "en")
    assert not contains_answer("It has 170 seats.", ["70"], "en")
    assert all_elements_found("东盟、中国和日本", [["东盟"], ["中国"], ["日本", "Japan"]], "zh")
    assert not all_elements_found("东盟和中国", [["东盟"], ["中国"], ["日本"]], "zh")
    assert not all_elements_found("anything", [], "en")


def test_ranking_metrics() -> None:
    ranked = ["b", "a", "c"]
    assert reciprocal_rank(ranked, "a", 10) == 0.5
    assert reciprocal_rank(ranked, "a", 1) == 0.0
    assert recall_at(ranked, "a", 1) == 0.0 and recall_at(ranked, "a", 2) == 1.0
    assert ndcg_at(ranked, "a", 10) == pytest.approx(1 / math.log2(3))
    assert ndcg_at(ranked, "z", 10) == 0.0


def test_classification_metrics() -> None:
    truth, predicted = [1, 1, 1, -1], [1, 1, -1, -1]
    # recall(+1) = 2/3, recall(-1) = 1
    assert balanced_accuracy(truth, predicted) == pytest.approx((2 / 3 + 1) / 2)
    # F1(+1) = 2·2/(2·2+0+1) = 0.8, F1(-1) = 2·1/(2·1+1+0) = 2/3
    assert macro_f1(truth, predicted) == pytest.approx((0.8 + 2 / 3) / 2)
    # a predicted tie (0) is wrong for either class
    assert balanced_accuracy([1, -1], [0, 0]) == 0.0


def test_kendall_tau_b() -> None:
    assert kendall_tau_b([1, 2, 3], [1, 3, 2]) == pytest.approx(1 / 3)  # 2 concordant, 1 not
    assert kendall_tau_b([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    # one tie in y: C = 2, D = 0, ties_y = 1 → 2 / sqrt(3 · 2)
    assert kendall_tau_b([1, 2, 3], [1, 2, 2]) == pytest.approx(2 / math.sqrt(6))
    assert kendall_tau_b([1, 1], [1, 1]) is None


def _mean(items: list[dict[str, object]]) -> float | None:
    values = [float(i["v"]) for i in items]  # type: ignore[arg-type]
    return sum(values) / len(values) if values else None


def test_paired_bootstrap_separates_regressions_from_noise() -> None:
    same = [{"v": float(i % 2)} for i in range(40)]
    assert paired_bootstrap(same, same, _mean) == (0.0, 0.0, 0.0)
    worse = [{"v": 0.0} for _ in range(40)]
    delta, low, high = paired_bootstrap(same, worse, _mean)
    assert delta == pytest.approx(-0.5) and high is not None and high < 0
    one_flip = [dict(i) for i in same]
    one_flip[1]["v"] = 0.0
    delta, low, high = paired_bootstrap(same, one_flip, _mean)
    assert delta == pytest.approx(-1 / 40) and low is not None and low < 0 and high == 0.0


def test_one_runs_interval_narrows_with_more_items_and_skips_unset_values() -> None:
    small = [{"v": float(i < 3)} for i in range(4)]  # 3 of 4
    large = [{"v": float(i % 4 != 0)} for i in range(400)]  # 300 of 400
    small_low, small_high = bootstrap_interval(small, _mean)
    large_low, large_high = bootstrap_interval(large, _mean, resamples=300)
    assert small_low is not None and small_high is not None
    assert large_low is not None and large_high is not None
    assert small_low <= 0.5 and small_high == 1.0
    assert 0.70 < large_low < 0.75 < large_high < 0.80
    assert bootstrap_interval([{"v": 1.0}] * 10, _mean) == (1.0, 1.0)
    assert bootstrap_interval([], _mean) == (None, None)
    # the vectorised mean agrees, and ignores items where the value is not set
    low, high = mean_interval([i["v"] for i in large] + [None] * 50)  # type: ignore[misc]
    assert low == pytest.approx(large_low, abs=0.02) and high == pytest.approx(large_high, abs=0.02)
    assert mean_interval([None, None]) == (None, None)


def test_a_proportion_gets_wilsons_interval_even_at_zero() -> None:
    # 0 of 30: a percentile bootstrap would say [0, 0]; Wilson leaves room above zero
    low, high = mean_interval([0.0] * 30)
    assert low == 0.0 and high == pytest.approx(0.1135, abs=1e-4)
    assert wilson_interval(30, 40) == pytest.approx((0.5981, 0.8581), abs=1e-4)
    assert wilson_interval(10, 10)[1] == 1.0
    # values that are not 0/1 (token F1, reciprocal ranks) are bootstrapped
    low, high = mean_interval([0.2, 0.4, 0.6, 0.8] * 25)
    assert low is not None and high is not None and 0.45 < low < 0.5 < high < 0.55


def test_a_share_of_some_items_is_a_proportion_of_those() -> None:
    """`Metric(within=…)`: of the verified answers, the share misattributed; 0 of 20 still
    has room above zero (a bootstrap of a function of the items said [0, 0])."""
    items = [{"verified": True, "wrong": 0.0}] * 20 + [{"verified": False, "wrong": 1.0}] * 5
    share = Metric("wrong_verified", "", field="wrong", within="verified")
    assert share.value(items) == 0.0
    low, high = share.interval(items, resamples=100)
    assert low == 0.0 and high == pytest.approx(0.161, abs=1e-3)  # Wilson, 0 of 20
    by_value = Metric("wrong_unverified", "", field="wrong", within=("verified", False))
    assert by_value.value(items) == 1.0
    assert Metric("all", "", field="wrong").value(items) == pytest.approx(0.2)
