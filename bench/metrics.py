"""Metrics for the public benchmarks, written to match their reference scorers.

* ``ndcg_at_k`` / ``recall_at_k``: as BEIR computes them with pytrec_eval (``ndcg_cut.10``, ``recall.100``):
  gain ``rel`` (not ``2**rel - 1``), discount ``log2(rank + 1)``, the ideal ranking built from every judged
  relevant document of the query, documents with relevance <= 0 ignored; recall over all judged relevant docs.
* ``doc_max``: a document's score as the max over its units (chunks or sentences), as the benchmarks rank them.
* ``rrf`` / ``rank_of`` / ``pct``: reciprocal rank fusion, a gold item's rank, and a latency percentile, shared by
  the bench scripts so each is written once.
* ``squad_em`` / ``squad_f1`` / ``squad_normalize``: the product's own SQuAD scorer (assistant/evaluation.py), which
  follows the official ``evaluate-v2.0.py`` (lowercase, strip punctuation, drop a/an/the, fold whitespace; F1 on
  token multisets; max over the gold answers; an unanswerable question scores 1 only for an empty prediction).
  Re-exported here so the benchmarks and ``assistant eval`` can never score differently.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.evaluation import squad_em, squad_f1, squad_normalize  # noqa: E402

__all__ = ["dcg", "doc_max", "ndcg_at_k", "pct", "rank_of", "recall_at_k", "rrf", "squad_em", "squad_f1",
           "squad_normalize"]

RRF_K = 60


def doc_max(values: np.ndarray, unit_doc: np.ndarray, n_docs: int) -> np.ndarray:
    """Document score = max over its units; ``unit_doc`` is sorted (the index stores units in document order).
    Documents without units score -inf."""
    values = np.asarray(values, dtype=np.float64)
    if len(unit_doc) > 1 and bool((np.diff(unit_doc) < 0).any()):
        raise ValueError("unit_doc must be sorted by document")
    starts = np.searchsorted(unit_doc, np.arange(n_docs))
    present = np.bincount(unit_doc, minlength=n_docs)[:n_docs] > 0
    out = np.full(n_docs, -np.inf)
    if present.any():
        out[present] = np.maximum.reduceat(values, starts[present])
    return out


def dcg(gains: Sequence[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at_k(ranking: Sequence[str], qrels: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k of one ranked list of document ids against one query's judgements."""
    relevant = sorted((r for r in qrels.values() if r > 0), reverse=True)
    if not relevant:
        return 0.0
    gains = [float(max(0, qrels.get(d, 0))) for d in ranking[:k]]
    return dcg(gains) / dcg(relevant[:k])


def recall_at_k(ranking: Sequence[str], qrels: Mapping[str, int], k: int) -> float:
    relevant = {d for d, r in qrels.items() if r > 0}
    if not relevant:
        return 0.0
    return len(relevant & set(ranking[:k])) / len(relevant)


def rrf(*score_lists: np.ndarray, k: int = RRF_K) -> np.ndarray:
    """Reciprocal rank fusion (Cormack et al., k=60) of score arrays over the same items; ties keep item order."""
    total = np.zeros(len(score_lists[0]))
    for s in score_lists:
        order = np.argsort(-s, kind="stable")
        ranks = np.empty(len(s))
        ranks[order] = np.arange(1, len(s) + 1)
        total += 1.0 / (k + ranks)
    return total


def rank_of(scores: np.ndarray, gold: int) -> int:
    """1-based rank of item ``gold`` (ties broken against it, so a flat ranking never flatters)."""
    return int((scores >= scores[gold]).sum())


def pct(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile by nearest rank (what the latency tables report); nan for no values."""
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))] if s else float("nan")
