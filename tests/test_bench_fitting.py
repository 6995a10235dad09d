"""The bench's one coordinate ascent and one logistic fit do what the tuning scripts rely on."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from fitting import coordinate_ascent, fit_logistic  # noqa: E402


def test_coordinate_ascent_climbs_and_keeps_what_does_not_help() -> None:
    def value(w: dict[str, float]) -> float:  # best at a = 1.5 (reachable: 1.0 * 1.5); b does not matter
        return -abs(w["a"] - 1.5)

    best, val = coordinate_ascent(value, {"a": 1.0, "b": 2.0})
    assert best == {"a": 1.5, "b": 2.0}
    assert val == 0.0


def test_coordinate_ascent_tries_a_zero_weight_and_searches_only_the_named_ones() -> None:
    best, _ = coordinate_ascent(lambda w: -abs(w["a"] - 0.5) - abs(w["b"] - 0.5), {"a": 0.0, "b": 0.0}, ["a"])
    assert abs(best["a"] - 0.5) < 0.1  # a zero weight is tried at 0.25 * multiplier, then scaled
    assert best["b"] == 0.0  # b was not searched


def test_fit_logistic_separates_and_reports_raw_units() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 2)) * np.array([1.0, 10.0])  # the second feature on another scale, and noise
    y = (x[:, 0] > 0.3).astype(float)
    w, b = fit_logistic(x, y)
    assert w[0] > 0 and abs(w[0]) > 10 * abs(w[1])
    assert ((x @ w + b > 0) == (y == 1)).mean() > 0.95


def test_fit_logistic_non_negative_never_penalises_a_signal() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 2))
    y = ((x[:, 0] - x[:, 1]) > 0).astype(float)  # the second feature argues against answering
    w, _ = fit_logistic(x, y, non_negative=True)
    assert w[0] > 0 and w[1] == 0.0
    w_free, _ = fit_logistic(x, y)
    assert w_free[1] < 0
