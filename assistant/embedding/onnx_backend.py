"""ONNX Runtime embeddings: the same sentence-transformers weights, exported once, run without torch.

Why: on a 2-core laptop ONNX Runtime runs MiniLM faster than torch, and per-channel dynamic int8 faster still, at
a cosine agreement with torch that bench/bench_embedding.py measures. The export needs torch (it traces the
model); it runs once per machine: each index keeps its copy beside it (``<index>/.models/``, a hard link where
possible) and the user's cache (``~/.cache/bradford-assistant/models``) keeps one for the next index, so later
loads need only onnxruntime and the tokenizer. An export is written to a temporary file and moved into place
with os.replace, so a reader never sees half a file and two processes that race both produce a complete,
identical file.

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

from assistant.config import EXPORT_VERSION
from assistant.onnx_session import cpu_session

if TYPE_CHECKING:
    import onnxruntime

ONNX_BACKENDS = ("onnx", "onnx-int8")
MODEL_FILE = "model.onnx"
OPSET = 17
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
    """Where the export of ``model`` for ``backend`` lives: ``<cache_dir>/<model>-<backend>-v<n>-<fp>/model.onnx``
    (``n``: EXPORT_VERSION, so a changed export method never reads an old file)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("_.")[-60:] or "model"
    return cache_dir / f"{slug}-{backend}-v{EXPORT_VERSION}-{fingerprint(model_path)}" / MODEL_FILE


def _tmp_name(target: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    return Path(name)


def _publish(tmp: Path, target: Path) -> None:
    """Move a complete file into place in one step (readable by all, like any other cache file)."""
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)


def _export_fp32(model: str, dest: Path) -> None:
    """Export the transformer (token embeddings out; pooling stays in numpy) with dynamic batch and length.

    The TorchScript exporter with eager attention, measured against the dynamo exporter with SDPA attention
    (bench/bench_embedding.py, chunk texts of the bundled corpus): int8 ~71 vs ~51 passages/s, fp32 ~33 vs ~26,
    with the same cosine agreement; the SDPA graph defeats ONNX Runtime's MatMul fusions. The model's attention
    setting is restored afterwards (the torch backend shares the loaded model)."""
    import torch

    from assistant.embedding.model_files import load_sentence_transformer

    st = load_sentence_transformer(model)
    encoder = st[0].auto_model.eval()
    sample = st.tokenizer(["a short one", "a somewhat longer sample sentence for the export"], padding=True,
                          return_tensors="pt")
    names = [n for n in _INPUTS if n in sample]

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.encoder(**dict(zip(names, inputs, strict=True))).last_hidden_state

    attention = getattr(encoder.config, "_attn_implementation", None)
    exporter_log = logging.getLogger("torch.onnx")
    level = exporter_log.level
    exporter_log.setLevel(logging.ERROR)
    try:  # the exporter may print: stdout belongs to the CLI's --json output
        if attention not in (None, "eager") and hasattr(encoder, "set_attn_implementation"):
            encoder.set_attn_implementation("eager")
        with torch.no_grad(), warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Encoder(), tuple(sample[n] for n in names), str(dest), input_names=names,
                output_names=["token_embeddings"], opset_version=OPSET, dynamo=False,
                dynamic_axes={n: {0: "batch", 1: "seq"} for n in [*names, "token_embeddings"]},
            )
    finally:
        exporter_log.setLevel(level)
        if attention not in (None, "eager") and hasattr(encoder, "set_attn_implementation"):
            encoder.set_attn_implementation(attention)


def _quantize(fp32: Path, target: Path) -> None:
    """Per-channel dynamic int8 (QInt8 weights; activations quantised at run time), written atomically."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    int8 = _tmp_name(target)
    root = logging.getLogger()
    handlers = list(root.handlers)
    logging.disable(logging.WARNING)  # "consider pre-processing" goes to the root logger on every run
    try:
        quantize_dynamic(fp32, int8, per_channel=True, weight_type=QuantType.QInt8,
                         extra_options={"DefaultTensorType": 1})  # FLOAT, where shape inference leaves a type out
        _publish(int8, target)
    finally:
        logging.disable(logging.NOTSET)
        for handler in set(root.handlers) - set(handlers):  # its logging.warning() adds a stderr handler to root,
            root.removeHandler(handler)  # which would print every library's log lines from then on
        int8.unlink(missing_ok=True)


def _shared_dir() -> Path:
    from assistant.embedding.model_files import default_cache_dir

    return default_cache_dir()


def _existing(model: str, model_path: str, backend: str, cache_dir: Path) -> Path | None:
    """An export already on disk: in ``cache_dir``, in the user's shared cache (any index on this machine made
    it), or one this process made elsewhere."""
    for path in (export_path(cache_dir, model, model_path, backend),
                 export_path(_shared_dir(), model, model_path, backend),
                 _exported.get((fingerprint(model_path), backend))):
        if path is not None and path.is_file():
            return path
    return None


def _place(source: Path, target: Path) -> None:
    """Put ``source``'s file at ``target`` atomically: a hard link (no second copy), else a copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(target)
    tmp.unlink()
    try:
        os.link(source, tmp)
    except OSError:
        try:
            shutil.copyfile(source, tmp)
        except OSError:
            tmp.unlink(missing_ok=True)  # a full disk must not keep a partial copy of the model
            raise
    _publish(tmp, target)


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
    """The cached export for ``backend`` in ``cache_dir``: linked from an export already on this machine (see
    _existing), else made now and also placed in the shared cache. The export is a one-time step per machine,
    like installing the weights: it takes ~8 s, a seventh of a clean build of the bundled corpus."""
    target = export_path(cache_dir, model, model_path, backend)
    if target.is_file():
        return target
    with _EXPORT_LOCK:  # one export per process at a time; other processes may race, os.replace keeps it safe
        if target.is_file():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        made = _existing(model, model_path, backend, cache_dir)
        if made is not None:
            _place(made, target)
        else:
            _export(model, model_path, backend, target, cache_dir)
            shared = export_path(_shared_dir(), model, model_path, backend)
            if shared != target:  # the next index on this machine links it instead of exporting again
                with contextlib.suppress(OSError):
                    _place(target, shared)
        _exported[(fingerprint(model_path), backend)] = target
    return target


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


class Tokenizer:
    """The model's own WordPiece tokenizer as the model is fed: padding to the longest row, longest-first
    truncation at ``max_length``. Runs ``tokenizer.json`` with the ``tokenizers`` library, which is what
    transformers' fast tokenizer runs, without importing transformers and torch (a second of every start);
    a model without a ``tokenizer.json`` falls back to transformers."""

    def __init__(self, model_path: str, max_length: int | None) -> None:
        root = Path(model_path)
        self._lock = threading.Lock()  # a fast tokenizer raises "Already borrowed" if shared across threads
        if (root / "tokenizer.json").is_file():
            from tokenizers import Tokenizer as HfTokenizer

            self._plain = HfTokenizer.from_file(str(root / "tokenizer.json"))
            self._plain.no_truncation()  # the file may carry its own (this one: 128 tokens, fixed padding)
            self._plain.no_padding()
            config = _read_json(root / "tokenizer_config.json")
            self.max_length = int(max_length or min(int(config.get("model_max_length") or 512), 512))
            pad = str(config.get("pad_token") or "[PAD]")
            self._batch = HfTokenizer.from_str(self._plain.to_str())
            self._batch.enable_truncation(self.max_length, strategy="longest_first")
            self._batch.enable_padding(pad_id=self._plain.token_to_id(pad) or 0, pad_token=pad)
            self._auto = None
        else:
            from transformers import AutoTokenizer

            self._auto = AutoTokenizer.from_pretrained(model_path, local_files_only=True)
            self.max_length = int(max_length or min(self._auto.model_max_length, 512))

    def batch(self, texts: list[str]) -> dict[str, np.ndarray]:
        """input_ids, attention_mask and token_type_ids (int64, rows x longest) for one model run."""
        with self._lock:
            if self._auto is not None:
                enc = self._auto(texts, padding=True, truncation="longest_first", max_length=self.max_length,
                                 return_tensors="np")
                return {k: np.asarray(v, dtype=np.int64) for k, v in enc.items()}
            encs = self._batch.encode_batch(texts)
        return {"input_ids": np.array([e.ids for e in encs], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encs], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encs], dtype=np.int64)}

    def count(self, texts: list[str]) -> list[int]:
        """Tokens in each text, without special tokens and without truncation."""
        with self._lock:
            if self._auto is not None:
                return [len(i) for i in self._auto(texts, add_special_tokens=False)["input_ids"]]
            return [len(e.ids) for e in self._plain.encode_batch(texts, add_special_tokens=False)]


class OnnxEncoder:
    """Tokenizer + ONNX Runtime session + mean pooling + L2 normalisation, as sentence-transformers encodes."""

    def __init__(self, model_path: str, onnx_file: Path) -> None:
        root = Path(model_path)
        pooling = _read_json(root / "1_Pooling" / "config.json")
        if pooling and not pooling.get("pooling_mode_mean_tokens", False):
            raise ValueError("the ONNX backends support mean-pooling models only; use backend 'torch'")
        self.tokenizer = Tokenizer(model_path, _read_json(root / "sentence_bert_config.json").get("max_seq_length"))
        self.max_seq_length = self.tokenizer.max_length
        self.model_file = onnx_file
        self.session: onnxruntime.InferenceSession = cpu_session(onnx_file)
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.dimension = int(pooling.get("word_embedding_dimension") or self.session.get_outputs()[0].shape[-1])

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """L2-normalised float32 vectors in input order; batches are sorted by length to cut padding, and each
        run holds at most MAX_BATCH_TOKENS tokens: ONNX Runtime keeps its peak buffers (attention grows with
        rows x length^2) for the session's life, so 64 full-length rows would pin ~2.5 GB."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for b in range(0, len(texts), batch_size):
            ids = order[b : b + batch_size]
            enc = self.tokenizer.batch([texts[i] for i in ids])
            feeds = {n: enc[n] for n in self.input_names}
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


def forget_process_caches() -> None:
    """Forget the exports checked and the encoders loaded in this process, as a new process starts: only the
    files on disk are known afterwards."""
    _exported.clear()
    _encoders.clear()
