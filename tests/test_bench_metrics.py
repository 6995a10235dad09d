"""The benchmark metrics agree with hand-computed values of the reference scorers (pytrec_eval, SQuAD), and the
SQuAD scorer the benchmarks use is the product's own (one scorer for `assistant eval` and the bench)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import metrics  # noqa: E402
from metrics import doc_max, ndcg_at_k, pct, rank_of, recall_at_k, rrf, squad_em, squad_f1, squad_normalize  # noqa: E402

from assistant import evaluation  # noqa: E402


def test_ndcg_matches_a_hand_computed_value() -> None:
    qrels = {"d2": 1, "d4": 1}
    # relevant at rank 2 only: DCG = 1/log2(3); ideal has both relevant docs at ranks 1 and 2
    expected = (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(["d1", "d2", "d3"], qrels) == pytest.approx(expected)
    assert ndcg_at_k(["d4", "d2", "d9"], qrels) == pytest.approx(1.0)
    assert ndcg_at_k(["d1", "d3"], qrels) == 0.0


def test_ndcg_uses_linear_gain_and_cuts_at_k() -> None:
    qrels = {"a": 2, "b": 1, "z": 0}
    got = ndcg_at_k(["b", "a"], qrels)
    assert got == pytest.approx((1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3)))  # pytrec_eval: gain = rel
    ranking = [f"x{i}" for i in range(10)] + ["a"]
    assert ndcg_at_k(ranking, qrels, k=10) == 0.0  # an 11th-ranked hit does not count at k=10
    assert ndcg_at_k(["z"], qrels) == 0.0  # judged non-relevant adds nothing


def test_recall_counts_all_judged_relevant_documents() -> None:
    qrels = {"a": 1, "b": 1, "c": 0}
    assert recall_at_k(["a", "x", "b"], qrels, 2) == 0.5
    assert recall_at_k(["a", "x", "b"], qrels, 3) == 1.0
    assert recall_at_k(["c"], qrels, 1) == 0.0


def test_squad_normalisation_and_scores_follow_the_official_script() -> None:
    assert squad_normalize("The  Denver Broncos!") == "denver broncos"
    assert squad_normalize("an apple, a pear") == "apple pear"
    assert squad_em("the Denver Broncos", ["Denver Broncos", "Broncos"]) == 1.0
    assert squad_em("Denver", ["Denver Broncos"]) == 0.0
    # pred {cat, sat}, gold {cat, sat, on, mat}: precision 1, recall 0.5
    assert squad_f1("The cat sat.", ["cat sat on the mat", "dog"]) == pytest.approx(2 / 3)
    assert squad_f1("dog", ["cat"]) == 0.0


def test_squad_v2_unanswerable_scores_only_an_abstention() -> None:
    assert squad_em("", []) == 1.0 and squad_f1("", []) == 1.0
    assert squad_em("Denver", []) == 0.0 and squad_f1("Denver", []) == 0.0
    assert squad_f1("", ["Denver"]) == 0.0


def test_doc_max_takes_the_best_unit_of_each_document() -> None:
    got = doc_max(np.array([0.1, 0.7, 0.3, 0.2, 0.9]), np.array([0, 0, 2, 2, 3]), 5)
    assert got.tolist() == [0.7, -np.inf, 0.3, 0.9, -np.inf]
    with pytest.raises(ValueError):
        doc_max(np.array([0.1, 0.2]), np.array([1, 0]), 2)


def test_the_bench_scores_squad_with_the_packages_scorer() -> None:
    assert metrics.squad_em is evaluation.squad_em
    assert metrics.squad_f1 is evaluation.squad_f1
    assert metrics.squad_normalize is evaluation.squad_normalize


def test_rrf_rank_and_percentile() -> None:
    fused = rrf(np.array([3.0, 2.0, 1.0]), np.array([1.0, 3.0, 2.0]))
    assert fused[1] > fused[0] > fused[2]  # ranks (2, 1) beat (1, 3) beat (3, 2)
    assert fused[1] == pytest.approx(1 / 62 + 1 / 61)
    assert rank_of(np.array([0.5, 0.9, 0.5]), 0) == 3  # a tie counts against the gold item
    assert rank_of(np.array([0.5, 0.9, 0.5]), 1) == 1
    assert pct([5.0, 1.0, 3.0, 2.0, 4.0], 0.5) == 3.0
    assert pct([5.0, 1.0, 3.0, 2.0, 4.0], 0.95) == 5.0
    assert math.isnan(pct([], 0.5))
