"""Metrics for the public benchmarks, written to match their reference scorers.

* ``ndcg_at_k`` / ``recall_at_k``: as BEIR computes them with pytrec_eval (``ndcg_cut.10``, ``recall.100``):
  gain ``rel`` (not ``2**rel - 1``), discount ``log2(rank + 1)``, the ideal ranking built from every judged
  relevant document of the query, documents with relevance <= 0 ignored; recall over all judged relevant docs.
* ``doc_max``: a document's score as the max over its units (chunks or sentences), as the benchmarks rank them.
* ``squad_em`` / ``squad_f1``: the official SQuAD v1.1/v2.0 scorers (``evaluate-v2.0.py``): lowercase, strip
  punctuation, drop the articles a/an/the, fold whitespace; F1 on token multisets; max over the gold answers.
  For v2.0, an unanswerable question (no gold answers) scores 1 when the prediction is empty (abstention), else 0.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np


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


_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCT = frozenset(string.punctuation)


def normalize_answer(text: str) -> str:
    """The official SQuAD normalisation."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def _f1(prediction: str, gold: str) -> float:
    pred_toks = normalize_answer(prediction).split()
    gold_toks = normalize_answer(gold).split()
    if not pred_toks or not gold_toks:  # v2.0 rule: both empty scores 1, one empty scores 0
        return float(pred_toks == gold_toks)
    common = Counter(pred_toks) & Counter(gold_toks)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred_toks), same / len(gold_toks)
    return 2 * precision * recall / (precision + recall)


def squad_em(prediction: str, answers: Sequence[str]) -> float:
    """Exact match after normalisation, max over gold answers; no answers means "" is the gold answer."""
    golds = list(answers) or [""]
    return max(float(normalize_answer(prediction) == normalize_answer(g)) for g in golds)


def squad_f1(prediction: str, answers: Sequence[str]) -> float:
    golds = list(answers) or [""]
    return max(_f1(prediction, g) for g in golds)
