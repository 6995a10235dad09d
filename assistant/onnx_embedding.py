"""ONNX Runtime embeddings: the same sentence-transformers weights, exported once, run without torch.

Why: on a 2-core laptop ONNX Runtime runs MiniLM faster than torch, and per-channel dynamic int8 faster still, at
a cosine agreement with torch that bench/bench_embedding.py measures. The export needs torch (it traces the
model); it runs once per index and is cached beside it (``<index>/.models/``), so later loads need only
onnxruntime and the tokenizer. An export is written to a temporary file and moved into place with os.replace,
so a reader never sees half a file and two processes that race both produce a complete, identical file.

Pooling and normalisation are done here exactly as sentence-transformers does them (mean over the attention
mask, clamped at 1e-9, then L2 with eps 1e-12), with the model's own tokenizer (padding, longest-first
truncation at the model's max_seq_length).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import onnxruntime

ONNX_BACKENDS = ("onnx", "onnx-int8")
MODEL_FILE = "model.onnx"
OPSET = 18
MAX_BATCH_TOKENS = 4096  # rows x padded length per session run: bounds the memory ONNX Runtime keeps
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_exported: dict[tuple[str, str], Path] = {}  # (fingerprint, backend) -> an export made or checked in this process
_EXPORT_LOCK = threading.Lock()


def fingerprint(model_path: str) -> str:
    """Short hash of the model's files (name, size, mtime): a changed or reinstalled model gets a new export."""
    root = Path(model_path)
    h = hashlib.sha256(str(root.resolve()).encode())
    for p in sorted(root.rglob("*")) if root.is_dir() else []:
        if p.is_file():
            st = p.stat()
            h.update(f"{p.relative_to(root)}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()[:12]


def export_path(cache_dir: Path, model: str, model_path: str, backend: str) -> Path:
    """Where the export of ``model`` for ``backend`` lives: ``<cache_dir>/<model>-<backend>-<fp>/model.onnx``."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("_.")[-60:] or "model"
    return cache_dir / f"{slug}-{backend}-{fingerprint(model_path)}" / MODEL_FILE


def _tmp_name(target: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    return Path(name)


def _publish(tmp: Path, target: Path) -> None:
    """Move a complete file into place in one step (readable by all, like any other cache file)."""
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)


def _export_fp32(model: str, dest: Path) -> None:
    """Export the transformer (token embeddings out; pooling stays in numpy) with dynamic batch and length."""
    import torch

    from .embedding import load_sentence_transformer

    st = load_sentence_transformer(model)
    encoder = st[0].auto_model.eval()
    sample = st.tokenizer(["a short one", "a somewhat longer sample sentence for the export"], padding=True,
                          return_tensors="pt")
    names = [n for n in _INPUTS if n in sample]

    class WithTypes(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                    token_type_ids: torch.Tensor) -> torch.Tensor:
            return self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=token_type_ids).last_hidden_state

    class WithoutTypes(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    module = WithTypes() if "token_type_ids" in names else WithoutTypes()
    batch, seq = torch.export.Dim("batch", min=1, max=4096), torch.export.Dim("seq", min=1, max=4096)
    exporter_log = logging.getLogger("torch.onnx")
    level = exporter_log.level
    exporter_log.setLevel(logging.ERROR)  # "torchvision is not installed" and the like, on every export
    try:  # the exporter also prints progress: stdout belongs to the CLI's --json output
        with torch.no_grad(), warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            torch.onnx.export(
                module, tuple(sample[n] for n in names), str(dest), input_names=names,
                output_names=["token_embeddings"], dynamic_shapes={n: {0: batch, 1: seq} for n in names},
                opset_version=OPSET, dynamo=True, external_data=False, verbose=False,
            )
    finally:
        exporter_log.setLevel(level)


def _quantize(fp32: Path, target: Path) -> None:
    """Per-channel dynamic int8 (QInt8 weights; activations quantised at run time), written atomically."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    int8 = _tmp_name(target)
    root = logging.getLogger()
    handlers = list(root.handlers)
    logging.disable(logging.WARNING)  # "consider pre-processing" goes to the root logger on every run
    try:
        quantize_dynamic(fp32, int8, per_channel=True, weight_type=QuantType.QInt8)
        _publish(int8, target)
    finally:
        logging.disable(logging.NOTSET)
        for handler in set(root.handlers) - set(handlers):  # its logging.warning() adds a stderr handler to root,
            root.removeHandler(handler)  # which would print every library's log lines from then on
        int8.unlink(missing_ok=True)


def _existing(model: str, model_path: str, backend: str, cache_dir: Path) -> Path | None:
    """An export already on disk: in ``cache_dir``, or one this process made elsewhere."""
    here = export_path(cache_dir, model, model_path, backend)
    if here.is_file():
        return here
    made = _exported.get((fingerprint(model_path), backend))
    return made if made is not None and made.is_file() else None


def _export(model: str, model_path: str, backend: str, target: Path, cache_dir: Path) -> None:
    """Write the export for ``backend`` to ``target`` atomically (temp file in the same folder, then os.replace).
    int8 is quantised from an fp32 export already at hand, else from a temporary one (not kept)."""
    fp32 = _existing(model, model_path, "onnx", cache_dir) if backend != "onnx" else None
    if fp32 is not None:
        _quantize(fp32, target)
        return
    tmp = _tmp_name(target)
    try:
        _export_fp32(model, tmp)
        if backend == "onnx":
            _publish(tmp, target)
        else:
            _quantize(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def ensure_export(model: str, model_path: str, backend: str, cache_dir: Path) -> Path:
    """The cached export for ``backend``, made now if missing (or linked from one this process already made)."""
    target = export_path(cache_dir, model, model_path, backend)
    if target.is_file():
        return target
    with _EXPORT_LOCK:  # one export per process at a time; other processes may race, os.replace keeps it safe
        if target.is_file():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        made = _existing(model, model_path, backend, cache_dir)
        if made is not None:
            tmp = _tmp_name(target)
            tmp.unlink()
            try:
                os.link(made, tmp)  # same content, no second export; a copy where links are not possible
            except OSError:
                shutil.copyfile(made, tmp)
            _publish(tmp, target)
        else:
            _export(model, model_path, backend, target, cache_dir)
        _exported[(fingerprint(model_path), backend)] = target
    return target


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


class OnnxEncoder:
    """Tokenizer + ONNX Runtime session + mean pooling + L2 normalisation, as sentence-transformers encodes."""

    def __init__(self, model_path: str, onnx_file: Path) -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        root = Path(model_path)
        pooling = _read_json(root / "1_Pooling" / "config.json")
        if pooling and not pooling.get("pooling_mode_mean_tokens", False):
            raise ValueError("the ONNX backends support mean-pooling models only; use backend 'torch'")
        self.tokenizer = AutoTokenizer.from_pretrained(model_path, local_files_only=True)
        max_len = _read_json(root / "sentence_bert_config.json").get("max_seq_length")
        self.max_seq_length = int(max_len or min(self.tokenizer.model_max_length, 512))
        options = ort.SessionOptions()
        options.log_severity_level = 3  # errors only: no warnings on stderr at every start
        self.session: onnxruntime.InferenceSession = ort.InferenceSession(
            str(onnx_file), options, providers=["CPUExecutionProvider"])
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.dimension = int(pooling.get("word_embedding_dimension") or self.session.get_outputs()[0].shape[-1])
        self.tokenizer_lock = threading.Lock()  # a fast tokenizer raises "Already borrowed" if shared across threads

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """L2-normalised float32 vectors in input order; batches are sorted by length to cut padding, and each
        run holds at most MAX_BATCH_TOKENS tokens: ONNX Runtime keeps its peak buffers (attention grows with
        rows x length^2) for the session's life, so 64 full-length rows would pin ~2.5 GB."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for b in range(0, len(texts), batch_size):
            ids = order[b : b + batch_size]
            with self.tokenizer_lock:
                enc = self.tokenizer([texts[i] for i in ids], padding=True, truncation="longest_first",
                                     max_length=self.max_seq_length, return_tensors="np")
            feeds = {n: np.asarray(enc[n], dtype=np.int64) for n in self.input_names}
            rows = max(1, MAX_BATCH_TOKENS // feeds["input_ids"].shape[1])
            for r in range(0, len(ids), rows):
                part = {n: v[r : r + rows] for n, v in feeds.items()}
                tokens = self.session.run(None, part)[0]
                mask = part["attention_mask"][..., None].astype(np.float32)
                mean = (tokens * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
                out[ids[r : r + rows]] = mean / np.clip(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12, None)
        return out


_encoders: dict[tuple[str, str], OnnxEncoder] = {}


def load_encoder(model_path: str, backend: str, onnx_file: Path) -> OnnxEncoder:
    """One session per (model, backend) in a process, whichever index's cached copy it was first read from."""
    key = (fingerprint(model_path), backend)
    with _EXPORT_LOCK:
        if key not in _encoders:
            _encoders[key] = OnnxEncoder(model_path, onnx_file)
        return _encoders[key]
