"""Forecasts of a series a few steps ahead, with an interval, and their backtest.

The forecast is the mean of two methods (a forecast combination, which is more robust
than either): seasonal naive (the value one season ago) and additive seasonal
exponential smoothing.  Smoothing (Holt-Winters without trend; season 7
for daily, 24 for hourly series): ``level_t = α(y_t − s_{t−m}) + (1 − α)level_{t−1}``,
``s_t = γ(y_t − level_t) + (1 − γ)s_{t−m}``, forecast ``level_T + s_{T+h−m}``.  α and γ
are chosen on the series itself (one-step squared error over a small grid, γ = 0 allowed:
no seasonality).  The interval for horizon h comes from the series' own past h-step
errors (a rolling-origin backtest: the empirical 10th and 90th percentiles, an 80 %
interval, of the chosen method), so it widens where the series is hard to predict; with
too little history it falls back to ±1.28 × the one-step error's standard deviation × √h.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

ALPHAS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.8)
GAMMAS = (0.0, 0.05, 0.1, 0.2, 0.4)
LOWER_Q, UPPER_Q = 10.0, 90.0
Z80 = 1.2816


@dataclass(frozen=True)
class Fit:
    alpha: float
    gamma: float
    level: float
    season: NDArray[np.float64]  # the last m seasonal terms, oldest first
    one_step_sd: float

    def predict(self, horizon: int) -> NDArray[np.float64]:
        m = len(self.season)
        return np.array([self.level + self.season[(h - 1) % m] for h in range(1, horizon + 1)])


def _smooth(
    y: NDArray[np.float64], m: int, alpha: float, gamma: float
) -> tuple[float, NDArray[np.float64], float]:
    """Run the smoother over ``y``; (final level, final season, one-step SSE)."""
    first = y[:m]
    level = float(first.mean())
    season = list(first - level)
    sse = 0.0
    for t in range(m, len(y)):
        s = season[t - m]
        error = y[t] - (level + s)
        sse += error * error
        new_level = alpha * (y[t] - s) + (1 - alpha) * level
        season.append(gamma * (y[t] - new_level) + (1 - gamma) * s)
        level = new_level
    return level, np.array(season[-m:]), sse


def fit(y: NDArray[np.float64], m: int) -> Fit:
    """The best (α, γ) on one-step error; ``y`` needs at least 2 × m points."""
    if len(y) < 2 * m:
        raise ValueError(f"a forecast needs at least {2 * m} points, got {len(y)}")
    best: tuple[float, float, float, NDArray[np.float64], float] | None = None
    for alpha in ALPHAS:
        for gamma in GAMMAS:
            level, season, sse = _smooth(y, m, alpha, gamma)
            if best is None or sse < best[4]:
                best = (alpha, gamma, level, season, sse)
    assert best is not None
    alpha, gamma, level, season, sse = best
    sd = math.sqrt(sse / max(len(y) - m, 1))
    return Fit(alpha, gamma, level, season, sd)


def seasonal_naive(y: NDArray[np.float64], m: int, horizon: int) -> NDArray[np.float64]:
    return np.array([y[len(y) - m + (h - 1) % m] for h in range(1, horizon + 1)])


def _methods(y: NDArray[np.float64], m: int, horizon: int) -> dict[str, NDArray[np.float64]]:
    smooth = fit(y, m).predict(horizon)
    naive = seasonal_naive(y, m, horizon)
    return {"smoothing": smooth, "seasonal_naive": naive, "combined": (smooth + naive) / 2}


METHODS = ("smoothing", "seasonal_naive", "combined")
METHOD = "combined"
MIN_ORIGINS = 10


@dataclass(frozen=True)
class Forecast:
    values: list[float]
    lower: list[float]
    upper: list[float]
    method: str
    alpha: float
    gamma: float
    interval: str  # "empirical" | "gaussian"

    def to_dict(self) -> dict[str, Any]:
        return {
            "values": [round(v, 4) for v in self.values],
            "lower": [round(v, 4) for v in self.lower],
            "upper": [round(v, 4) for v in self.upper],
            "level": 0.8,
            "method": self.method,
            "alpha": self.alpha,
            "gamma": self.gamma,
            "interval": self.interval,
        }


def rolling_errors(
    y: NDArray[np.float64], m: int, horizon: int, origins: int
) -> dict[str, NDArray[np.float64]]:
    """actual − forecast per method, for h = 1..horizon, from the last ``origins`` origins
    that leave a full horizon of actuals (rows: origins, columns: horizons)."""
    rows: dict[str, list[NDArray[np.float64]]] = {name: [] for name in METHODS}
    last_origin = len(y) - horizon
    for origin in range(max(2 * m, last_origin - origins + 1), last_origin + 1):
        actual = y[origin : origin + horizon]
        for name, predicted in _methods(y[:origin], m, horizon).items():
            rows[name].append(actual - predicted)
    return {name: np.array(r).reshape(len(r), horizon) for name, r in rows.items()}


def forecast(
    y: list[float],
    m: int,
    horizon: int,
    bounds: tuple[float, float] | None = None,
    origins: int = 60,
) -> Forecast:
    """Forecast ``horizon`` steps after ``y`` with an 80 % interval from past errors."""
    series = np.asarray(y, dtype=np.float64)
    model = fit(series, m)
    errors = rolling_errors(series, m, horizon, origins)
    method = METHOD
    values = _methods(series, m, horizon)[method]
    if errors[method].shape[0] >= MIN_ORIGINS:
        lower = values + np.percentile(errors[method], LOWER_Q, axis=0)
        upper = values + np.percentile(errors[method], UPPER_Q, axis=0)
        kind = "empirical"
    else:
        spread = Z80 * model.one_step_sd * np.sqrt(np.arange(1, horizon + 1))
        lower, upper, kind = values - spread, values + spread, "gaussian"
    if bounds is not None:
        values, lower, upper = (np.clip(a, *bounds) for a in (values, lower, upper))
    return Forecast(
        values.tolist(), lower.tolist(), upper.tolist(), method, model.alpha, model.gamma, kind
    )


@dataclass(frozen=True)
class Backtest:
    points: int
    origins: int
    horizon: int
    mae: list[float]  # per horizon, of the forecast (the combination)
    method_mae: dict[str, list[float]]  # per horizon, of each method always used
    mase: float  # MAE over all horizons / in-sample one-season naive MAE
    coverage: float  # share of actuals inside the 80 % interval
    interval_origins: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "points": self.points,
            "origins": self.origins,
            "horizon": self.horizon,
            "mae": [round(v, 3) for v in self.mae],
            "mae_mean": round(float(np.mean(self.mae)), 3),
            "method_mae_mean": {k: round(float(np.mean(v)), 3) for k, v in self.method_mae.items()},
            "mase": round(self.mase, 3),
            "coverage_80": round(self.coverage, 3),
            "interval_origins": self.interval_origins,
        }


def backtest(
    y: list[float],
    m: int,
    horizon: int,
    min_train: int,
    history: int = 60,
    bounds: tuple[float, float] | None = None,
) -> Backtest:
    """Rolling-origin backtest of :func:`forecast`: at every origin from ``min_train`` on,
    a forecast from the past only, its interval drawn from the errors of at most
    ``history`` earlier origins whose actuals were already known; each method is scored
    too, for comparison."""
    series = np.asarray(y, dtype=np.float64)
    past_errors: list[dict[str, NDArray[np.float64]]] = []
    chosen_errors: list[NDArray[np.float64]] = []
    method_errors: dict[str, list[NDArray[np.float64]]] = {name: [] for name in METHODS}
    inside = counted = 0
    for origin in range(min_train, len(series) - horizon + 1):
        actual = series[origin : origin + horizon]
        predicted = _methods(series[:origin], m, horizon)
        if bounds is not None:
            predicted = {k: np.clip(v, *bounds) for k, v in predicted.items()}
        known = past_errors[: max(0, len(past_errors) - horizon + 1)][-history:]
        stacked = {k: np.array([e[k] for e in known]).reshape(len(known), horizon) for k in METHODS}
        method = METHOD
        chosen_errors.append(np.abs(actual - predicted[method]))
        if len(known) >= MIN_ORIGINS:
            low = predicted[method] + np.percentile(stacked[method], LOWER_Q, axis=0)
            high = predicted[method] + np.percentile(stacked[method], UPPER_Q, axis=0)
            inside += int(np.sum((actual >= low) & (actual <= high)))
            counted += 1
        past_errors.append({k: actual - v for k, v in predicted.items()})
        for k, v in predicted.items():
            method_errors[k].append(np.abs(actual - v))
    if not chosen_errors:
        raise ValueError(f"too short for a backtest: {len(series)} points, min_train {min_train}")
    scale = float(np.mean(np.abs(series[m:min_train] - series[: min_train - m]))) or 1.0
    mae = np.mean(chosen_errors, axis=0)
    return Backtest(
        points=len(series),
        origins=len(chosen_errors),
        horizon=horizon,
        mae=mae.tolist(),
        method_mae={k: np.mean(v, axis=0).tolist() for k, v in method_errors.items()},
        mase=float(mae.mean() / scale),
        coverage=inside / (counted * horizon) if counted else float("nan"),
        interval_origins=counted,
    )
