"""The two fitting procedures the tuning scripts share: coordinate ascent over named weights, and a small
class-balanced logistic regression. Written once so that bench_squad's re-tuning and tune_answering's product
tuning search and fit the same way (numpy only: a few hundred examples, no library needed)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

MULTIPLIERS = (0.0, 0.5, 0.75, 1.5, 2.0, 3.0)


def coordinate_ascent(value: Callable[[dict[str, float]], float], start: dict[str, float],
                      names: Sequence[str] | None = None, passes: int = 3,
                      multipliers: Sequence[float] = MULTIPLIERS) -> tuple[dict[str, float], float]:
    """Greedy search: scale one weight at a time (a zero weight is tried at 0.25 * multiplier), keep a change
    only when ``value`` strictly improves; stop after ``passes`` sweeps or a sweep without a gain.
    Returns the best weights and their value. Cheap enough because callers score precomputed candidates."""
    best = dict(start)
    best_val = value(best)
    for _ in range(passes):
        improved = False
        for name in names or list(best):
            for mult in multipliers:
                trial = {**best, name: round(best[name] * mult if best[name] else 0.25 * mult, 4)}
                val = value(trial)
                if val > best_val + 1e-9:
                    best, best_val, improved = trial, val, True
        if not improved:
            break
    return best, best_val


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, steps: int = 3000, rate: float = 0.5,
                 non_negative: bool = False) -> tuple[np.ndarray, float]:
    """Class-balanced (each class weighs half), L2-regularised logistic regression by gradient descent on
    standardised inputs; returns weights and bias in raw feature units.

    ``non_negative`` keeps every weight >= 0: on ~50 examples a free fit flips signs (e.g. penalises a sentence
    for covering the question), so the product's evidence model may only let a signal raise the odds."""
    mu, sd = x.mean(0), x.std(0) + 1e-9
    z = (x - mu) / sd
    share = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
    balance = np.where(y == 1, 0.5 / share, 0.5 / (1 - share))
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(z @ w + b, -30, 30)))
        g = (p - y) * balance
        w -= rate * (z.T @ g / len(y) + l2 * w)
        if non_negative:
            w = np.maximum(w, 0.0)
        b -= rate * g.mean()
    return w / sd, b - float((w / sd) @ mu)
