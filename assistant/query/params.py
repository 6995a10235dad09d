"""The tuned parameters of the question path, read from ``params.json`` and ``ranker.json`` beside this module.

One source of truth per number: bench/tune_answering.py writes params.json (the first-stage weights and the
evidence model of the reader-less path), training/fit_ranker.py writes ranker.json (the learned ranker and the
strictness levels measured for it); the product reads them, nothing is pasted into code. The values are loaded
once per process and handed to the stages as frozen dataclasses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PARAMS_FILE = Path(__file__).with_name("params.json")
RANKER_FILE = Path(__file__).with_name("ranker.json")
NO_LEVELS = {"default": "", "measured_on": "", "levels": []}


@dataclass(frozen=True)
class StrictnessLevel:
    name: str
    threshold: float  # on the ranker's best logit; 0 is the default operating point
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


def parse_params(raw: dict, strict: dict) -> Params:
    """``raw``: params.json; ``strict``: the "strictness" section of ranker.json."""
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


def calibrated_levels(ranker: dict) -> dict:
    """The ranker's strictness section, with the shares measured on the product's own domain (the gold sets'
    tuning halves, bench/calibrate_ranker.py) in place of SQuAD's when a calibration is present."""
    strict = ranker.get("strictness", NO_LEVELS)
    cal = ranker.get("calibration")
    if not cal:
        return strict
    measured = {lv["name"]: lv for lv in cal["levels"]}
    levels = [{**lv, **{k: measured[lv["name"]][k] for k in ("answerable_answered", "unanswerable_refused")}}
              for lv in strict["levels"]]
    return {**strict, "levels": levels, "measured_on": cal["measured_on"]}


@lru_cache(maxsize=1)
def load_params(path: Path = PARAMS_FILE, ranker_file: Path = RANKER_FILE) -> Params:
    """The parameters; the strictness levels are empty while no ranker is fitted (training/fit_ranker.py runs the
    stages before it writes ranker.json; answering without it is refused by assistant/query/ranker.py)."""
    strict = NO_LEVELS
    if ranker_file.is_file():
        strict = calibrated_levels(json.loads(ranker_file.read_text(encoding="utf-8")))
    return parse_params(json.loads(path.read_text(encoding="utf-8")), strict)
