"""The learned ranker: one logistic model over RANK_FEATURES that both orders the read candidates and says whether
the best of them answers the question (its logit, shifted so that 0 is the default strictness level).

Why one model for both: it is trained on every candidate of answerable, unanswerable and adversarial questions
(label: the sentence holds the answer), so a question whose candidates all look like non-answers gets a low best
logit; ranking and refusal cannot disagree. Its weights, the number of candidates it reads and its operating points
are written by training/fit_ranker.py into ranker.json beside this module; bench/calibrate_ranker.py adds a
"calibration" section from the gold sets' tuning halves (how much to trust the first stage's order and the
answer-type cue on this domain, and where the default threshold sits); nothing here is typed by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.errors import ReaderUnavailable
from assistant.query.params import RANKER_FILE
from assistant.query.reading import RANK_FEATURES

_FIRST_GAP = RANK_FEATURES.index("first_gap")
_ANSWER_TYPE = RANK_FEATURES.index("answer_type")


class RankerError(ReaderUnavailable):
    """ranker.json is missing, damaged or made for other features; the message is one line."""


@dataclass(frozen=True)
class Ranker:
    read_k: int  # how many first-stage candidates the reader reads
    features: tuple[str, ...]
    mean: np.ndarray  # standardisation of the inputs
    scale: np.ndarray
    weights: np.ndarray  # on standardised inputs
    bias: float  # shifted: logit 0 is the default strictness level's threshold (after calibration, if any)
    first_stage_weight: float = 0.0  # calibration: extra trust in the first stage's order on the product's domain
    answer_type_weight: float = 0.0  # calibration: extra trust in "holds a span of the kind the question wants"

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Log-odds (shifted) that each row's sentence answers its question."""
        z = ((x - self.mean) / self.scale) @ self.weights + self.bias
        return z + self.first_stage_weight * x[:, _FIRST_GAP] + self.answer_type_weight * x[:, _ANSWER_TYPE]


def parse_ranker(raw: dict) -> Ranker:
    model = raw["model"]
    features = tuple(model["features"])
    if features != RANK_FEATURES:
        missing = sorted(set(RANK_FEATURES) ^ set(features))
        raise RankerError(f"ranker.json was fitted on other features ({', '.join(missing) or 'order differs'}); "
                          "run `make reader` to refit it")
    vec = {k: np.array([float(model[k][f]) for f in features]) for k in ("mean", "scale", "weights")}
    cal = raw.get("calibration") or {}
    return Ranker(int(model["read_k"]), features, vec["mean"], vec["scale"], vec["weights"],
                  float(model["bias"]) - float(cal.get("threshold_shift", 0.0)),
                  float(cal.get("first_stage_weight", 0.0)), float(cal.get("answer_type_weight", 0.0)))


@lru_cache(maxsize=4)
def load_ranker(path: Path = RANKER_FILE) -> Ranker:
    try:
        return parse_ranker(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RankerError(f"ranker file {path} is missing or damaged ({type(exc).__name__}); run `make reader` "
                          "to refit it") from None

