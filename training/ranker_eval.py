"""Figures of a ranker over collected rows (training/ranker_data.Rows): what fit_ranker compares models with and
how it measures the strictness levels. Per question, the best read candidate is the one with the highest logit."""

from __future__ import annotations

import numpy as np

from training.evaluate import auroc
from training.ranker_data import Rows


def best_per_question(rows: Rows, logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each question's highest logit and whether that candidate holds the answer."""
    _, y, g = rows.arrays()
    n = len(rows.asks)
    best = np.full(n, -np.inf)
    hit = np.zeros(n, dtype=bool)
    order = np.lexsort((-logits, g))  # by question, best first
    first = np.r_[True, g[order][1:] != g[order][:-1]]
    top = order[first]
    best[g[top]] = logits[top]
    hit[g[top]] = y[top] == 1
    return best, hit


def _mask(rows: Rows, version: str | None, closed: bool, kinds: tuple[str, ...]) -> np.ndarray:
    return np.array([(version is None or a.version == version) and a.closed == closed and a.kind in kinds
                     for a in rows.asks])


def group_metrics(rows: Rows, logits: np.ndarray) -> dict[str, float]:
    """Closed v1.1 best sentence; open v2.0 refusal (AUROC, refused where 80% are answered, answered and refused
    at logit 0, answer@1 of the answered); open adversarial AUROC; the share of open v1.1 questions whose answer
    is among the read candidates."""
    best, hit = best_per_question(rows, logits)
    closed11 = _mask(rows, "1.1", True, ("answerable",))
    ans = _mask(rows, "2.0", False, ("answerable",))
    unans = _mask(rows, "2.0", False, ("unanswerable",))
    adv = _mask(rows, None, False, ("adversarial",))
    open_ans = _mask(rows, None, False, ("answerable",))
    cut = float(np.quantile(best[ans], 0.2)) if ans.any() else 0.0
    answered = best >= 0.0
    _, y, g = rows.arrays()
    read_has = np.zeros(len(rows.asks), dtype=bool)
    read_has[g[y == 1]] = True
    open11 = _mask(rows, "1.1", False, ("answerable",))
    return {k: round(float(v), 4) for k, v in {
        "v11_closed_best_sentence": hit[closed11].mean() if closed11.any() else np.nan,
        "v11_open_best_sentence": hit[open11].mean() if open11.any() else np.nan,
        "v11_open_answer_among_read": read_has[open11].mean() if open11.any() else np.nan,
        "v20_open_refusal_auroc": auroc(best[ans], best[unans]),
        "v20_open_refused_at_80pct_answered": (best[unans] < cut).mean() if unans.any() else np.nan,
        "v20_open_answered_at_0": answered[ans].mean() if ans.any() else np.nan,
        "v20_open_refused_at_0": (~answered[unans]).mean() if unans.any() else np.nan,
        "v20_open_answer@1_of_answered": hit[ans & answered].mean() if (ans & answered).any() else np.nan,
        "adversarial_open_auroc": auroc(best[open_ans], best[adv]),
    }.items()}


def level_table(rows: Rows, logits: np.ndarray, levels: tuple[tuple[str, float], ...],
                default: str) -> tuple[list[dict], float]:
    """Thresholds answering each level's share of the open answerable questions, the shares of unanswerable and
    adversarial ones refused there, and the shift that puts the default level at 0."""
    best, _ = best_per_question(rows, logits)
    ans = _mask(rows, None, False, ("answerable",))
    neg = _mask(rows, None, False, ("unanswerable", "adversarial"))
    raw = {name: float(np.quantile(best[ans], 1 - share)) for name, share in levels}
    shift = raw[default]
    table = [{"name": name, "threshold": round(raw[name] - shift, 4),
              "answerable_answered": round(float((best[ans] >= raw[name]).mean()), 2),
              "unanswerable_refused": round(float((best[neg] < raw[name]).mean()), 2)} for name, _ in levels]
    return table, shift
