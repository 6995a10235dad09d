"""Stage 4 of the question path: answer, or say plainly that the documents do not answer.

Everything about that decision lives here: the evidence features, the evidence score (a logistic model whose
weights are in params.json), the threshold, and the strictness levels the app offers with their help text, which
is written from the measured shares stored beside the levels, never typed by hand.

The evidence uses signals comparable across questions (absolute cosine, share of the question's rare words
covered) because max-normalised BM25 is 1.0 for every question's best hit and says nothing about answerability.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.query.params import Params, StrictnessLevel, load_params
from assistant.query.types import FEATURES, Candidates

EVIDENCE_FEATURES = (*FEATURES, "bm25_strength")


class UnknownStrictness(ValueError):
    """A strictness level name that params.json does not define."""


@dataclass(frozen=True)
class Decision:
    answered: bool
    evidence: float  # log-odds that the best candidate answers the question
    best: int  # row of the best candidate in Candidates (-1 when there is none)


def evidence_features(cands: Candidates, best: int) -> np.ndarray:
    """The inputs of the answer-or-abstain decision, in EVIDENCE_FEATURES order."""
    return np.append(cands.features[best], cands.bm25_strength).astype(np.float32)


def evidence_score(x: np.ndarray, weights: dict[str, float] | None = None, bias: float | None = None,
                   params: Params | None = None) -> float:
    """Log-odds that the question is answerable from the best sentence; >= threshold (default 0) answers."""
    p = params or load_params()
    w = weights or p.evidence_weights
    vec = np.array([w.get(f, 0.0) for f in EVIDENCE_FEATURES], dtype=np.float32)
    return float(x @ vec + (p.evidence_bias if bias is None else bias))


def decide(cands: Candidates, scores: np.ndarray, threshold: float, params: Params | None = None) -> Decision:
    """Answer when the best candidate's evidence reaches the threshold; nothing to quote is never an answer."""
    if len(scores) == 0:
        return Decision(False, float("-inf"), -1)
    best = int(scores.argmax())
    evidence = evidence_score(evidence_features(cands, best), params=params)
    return Decision(evidence >= threshold, evidence, best)


def strictness_levels(params: Params | None = None) -> dict[str, float]:
    """Level name -> evidence threshold, in order from lenient to strict."""
    return {lv.name: lv.threshold for lv in (params or load_params()).levels}


def default_strictness(params: Params | None = None) -> str:
    return (params or load_params()).default_level


def threshold_for(level: str, params: Params | None = None) -> float:
    levels = strictness_levels(params)
    if level not in levels:
        raise UnknownStrictness(f"unknown strictness {level!r}; choose one of {', '.join(levels)}")
    return levels[level]


def _shares(lv: StrictnessLevel) -> str:
    return f"answers {lv.answerable_answered:.0%}, refuses {lv.unanswerable_refused:.0%}"


def strictness_help(params: Params | None = None) -> str:
    """The help text of the strictness control, written from the measured shares in params.json."""
    p = params or load_params()
    default = next(lv for lv in p.levels if lv.name == p.default_level)
    others = " ".join(f"{lv.name}: {_shares(lv)}." for lv in p.levels if lv.name != p.default_level)
    return (
        "How sure the assistant must be before it quotes an answer; otherwise it says the documents do not answer. "
        f"Measured on {p.levels_measured_on}: {default.name} (the default) answers "
        f"{default.answerable_answered:.0%} of the answerable questions and refuses "
        f"{default.unanswerable_refused:.0%} of the unanswerable ones. {others} "
        "Whatever the level, every quote is verbatim and cited."
    )
