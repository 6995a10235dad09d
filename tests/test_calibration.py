"""bench/calibrate_ranker.py's choice of the two calibrated weights (the grid itself needs the bench data)."""

from __future__ import annotations

import sys

from conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "bench"))

from calibrate_ranker import choose_weights  # noqa: E402


def _row(a1: float, a3: float = 0.0, auroc: float = 0.0) -> dict[str, float]:
    return {"answer@1": a1, "answer@3": a3, "refusal_auroc": auroc}


def test_the_smallest_weights_within_one_question_of_the_best_win() -> None:
    table = {(0.0, 0.0): _row(0.60), (1.0, 0.0): _row(0.645), (5.0, 3.0): _row(0.65)}
    assert choose_weights(table, n_answerable=100) == (1.0, 0.0)  # 0.005 behind the best: noise on 100 questions
    assert choose_weights(table, n_answerable=1000) == (5.0, 3.0)  # on 1,000 questions it is not


def test_the_squad_training_merit_keeps_the_reports_from_buying_their_figures_with_the_general_ones() -> None:
    gold = {(0.0, 1.5): _row(0.64, 0.80, 0.85), (5.0, 3.0): _row(0.67, 0.80, 0.84)}
    squad = {(0.0, 1.5): _row(0.80, 0.91, 0.69), (5.0, 3.0): _row(0.79, 0.90, 0.66)}
    assert choose_weights(gold, n_answerable=99) == (5.0, 3.0)
    assert choose_weights(gold, n_answerable=99, squad=squad) == (0.0, 1.5)
