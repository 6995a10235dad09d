"""The tuned parameters of the question path, read from ``params.json`` beside this module.

One source of truth: bench/tune_answering.py writes the file, the product reads it, nothing is pasted into code.
The values are loaded once per process and handed to the stages as frozen dataclasses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PARAMS_FILE = Path(__file__).with_name("params.json")


@dataclass(frozen=True)
class StrictnessLevel:
    name: str
    threshold: float  # on the evidence score (a logit); 0 is the tuned operating point
    answerable_answered: float  # measured shares, shown to the user in the help text
    unanswerable_refused: float


@dataclass(frozen=True)
class Params:
    fusion_bm25_weight: float  # chunk fusion: cosine + weight * BM25 / max BM25
    weights: dict[str, float]  # sentence score, per retrieval feature
    evidence_weights: dict[str, float]  # answer-or-abstain logit, per evidence feature
    evidence_bias: float
    levels: tuple[StrictnessLevel, ...]
    default_level: str
    levels_measured_on: str


def parse_params(raw: dict) -> Params:
    strict = raw["strictness"]
    return Params(
        fusion_bm25_weight=float(raw["fusion"]["chunk_bm25_weight"]),
        weights={k: float(v) for k, v in raw["weights"].items()},
        evidence_weights={k: float(v) for k, v in raw["evidence"]["weights"].items()},
        evidence_bias=float(raw["evidence"]["bias"]),
        levels=tuple(StrictnessLevel(lv["name"], float(lv["threshold"]), float(lv["answerable_answered"]),
                                     float(lv["unanswerable_refused"])) for lv in strict["levels"]),
        default_level=str(strict["default"]),
        levels_measured_on=str(strict["measured_on"]),
    )


@lru_cache(maxsize=1)
def load_params(path: Path = PARAMS_FILE) -> Params:
    return parse_params(json.loads(path.read_text(encoding="utf-8")))
