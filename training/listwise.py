"""The ranker's objective: a conditional logit over each question's read candidates plus a "none answers" option.

Why listwise: the model must put the answering sentence first among its question's candidates (a ranking) and
score every candidate low when none answers (a refusal). A softmax over [candidate logits..., 0] does both: the
target is the set of answering candidates (their probabilities summed), or the fixed 0 logit of "none" for an
unanswerable question or an adversarial twin. A pointwise logistic fit of the same features ranked worse on the
report halves (training/fit_ranker.py records both). Full-batch L-BFGS (scipy), deterministic.
"""

from __future__ import annotations

import numpy as np


def _group_starts(g: np.ndarray) -> np.ndarray:
    return np.r_[0, np.flatnonzero(np.diff(g)) + 1]


def listwise_loss(theta: np.ndarray, z: np.ndarray, y: np.ndarray, g: np.ndarray, l2: float,
                  ) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood over questions (+ L2 on the weights) and its gradient. ``g`` must be sorted
    (rows of one question together); ``z`` standardised features; ``theta`` = weights then bias."""
    n_groups = int(g.max()) + 1
    w, b = theta[:-1], theta[-1]
    s = z @ w + b
    m = np.maximum(np.maximum.reduceat(s, _group_starts(g)), 0.0)  # stabiliser, the "none" logit 0 included
    full_m = np.zeros(n_groups)
    full_m[g[_group_starts(g)]] = m
    e = np.exp(s - full_m[g])
    den = np.bincount(g, weights=e, minlength=n_groups) + np.exp(-full_m)
    has_pos = np.bincount(g, weights=y, minlength=n_groups) > 0
    num = np.where(has_pos, np.bincount(g, weights=e * y, minlength=n_groups), np.exp(-full_m))
    loss = -float((np.log(num) - np.log(den)).mean()) + l2 * float(w @ w)
    p = e / den[g]
    q = np.where(has_pos[g], e * y / np.where(num[g] > 0, num[g], 1.0), 0.0)
    grad_s = (p - q) / n_groups
    return loss, np.r_[z.T @ grad_s + 2 * l2 * w, grad_s.sum()]


def fit_listwise(x: np.ndarray, y: np.ndarray, g: np.ndarray, l2: float) -> dict[str, np.ndarray | float]:
    """Weights on standardised inputs, the standardisation, and the bias (logit 0 = as likely as "none")."""
    from scipy.optimize import minimize

    mean, scale = x.mean(0), x.std(0)
    scale[scale < 1e-9] = 1.0
    z = (x - mean) / scale
    res = minimize(listwise_loss, np.zeros(z.shape[1] + 1), args=(z, y.astype(np.float64), g, l2), jac=True,
                   method="L-BFGS-B", options={"maxiter": 1000})
    return {"mean": mean, "scale": scale, "weights": res.x[:-1], "bias": float(res.x[-1]), "loss": float(res.fun)}
