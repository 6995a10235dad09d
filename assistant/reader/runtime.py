"""The reader at question time: the committed int8 ONNX cross-encoder, run with ONNX Runtime (never torch).

Why ONNX int8 and no torch: the whole ask must stay within ~20 ms on 2 cores and importing torch alone costs
a second; the int8 graph scores 8 candidates of <= 64 tokens in a few milliseconds (latency table in
model/MODEL_CARD.md). Why checks at load: a truncated or hand-edited model file would otherwise give silently
wrong scores, so the file's SHA-256 must match the one training wrote beside it, and the input format version
must be one this code builds (assistant/reader/inputs.py), else ReaderError names the fix.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.digest import file_sha256
from assistant.errors import ReaderUnavailable

from .inputs import SUPPORTED_FORMATS, Candidate, encode_pairs, load_tokenizer

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

MODEL_DIR = Path(__file__).resolve().parent / "model"
READER_ENV = "ASSISTANT_READER_DIR"  # another reader model folder (e.g. one retrained by `make reader` elsewhere)
MODEL_FILE = "reader-int8.onnx"
META_FILE = "reader.json"
TOKENIZER_FILE = "tokenizer.json"
FIX = "run `make reader` to rebuild it"
_LOCK = threading.Lock()
_readers: dict[tuple[str, int], Reader] = {}


class ReaderError(ReaderUnavailable):
    """The reader's files are missing, damaged or of another input format; the message is one line."""


@dataclass(frozen=True)
class ReaderInfo:
    """What the runtime needs from the metadata training wrote (reader.json)."""

    max_length: int
    format_version: int
    no_answer_logit: float  # the learned "none of these answers" logit: a score above it means "answers"
    sha256: str


def read_info(model_dir: Path) -> ReaderInfo:
    """Metadata of the model in ``model_dir``, checked against the files and this code's input format."""
    meta, onnx_file = model_dir / META_FILE, model_dir / MODEL_FILE
    for path in (onnx_file, meta, model_dir / TOKENIZER_FILE):
        if not path.is_file():
            raise ReaderError(f"reader model file {path} is missing; {FIX}")
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
        info = ReaderInfo(int(data["max_length"]), int(data["format_version"]), float(data["no_answer_logit"]),
                          str(data["sha256"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReaderError(f"reader metadata {meta} is damaged ({type(exc).__name__}); {FIX}") from None
    if info.format_version not in SUPPORTED_FORMATS:
        raise ReaderError(f"reader model in {model_dir} has input format v{info.format_version}, this code builds "
                          f"v{'/v'.join(map(str, SUPPORTED_FORMATS))}; {FIX}")
    if file_sha256(onnx_file) != info.sha256:
        raise ReaderError(f"reader model file {onnx_file} is damaged (checksum differs from {META_FILE}); {FIX}")
    return info


class Reader:
    """Scores (question, candidate) pairs: higher means the candidate answers the question."""

    def __init__(self, model_dir: Path = MODEL_DIR, threads: int = 1, model_file: str = MODEL_FILE) -> None:
        import onnxruntime as ort

        self.model_dir = Path(model_dir)
        self.info = read_info(self.model_dir)
        try:
            self.tokenizer: Tokenizer = load_tokenizer(str(self.model_dir / TOKENIZER_FILE))
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            self.session: onnxruntime.InferenceSession = ort.InferenceSession(
                str(self.model_dir / model_file), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime and tokenizers raise their own exception types
            raise ReaderError(f"reader model in {self.model_dir} cannot be loaded ({type(exc).__name__}); "
                              f"{FIX}") from None
        self._names = [i.name for i in self.session.get_inputs()]
        self._lock = threading.Lock()  # the tokenizer is not safe to share across threads

    @property
    def no_answer_logit(self) -> float:
        return self.info.no_answer_logit

    def score(self, question: str, passages: Sequence[Candidate | str]) -> np.ndarray:
        """One float32 logit per passage, in order; a bare string is a sentence without title or neighbours.
        Deterministic: the same question and passages give the same scores (one run, fixed threads)."""
        if not passages:
            return np.zeros(0, dtype=np.float32)
        cands = [p if isinstance(p, Candidate) else Candidate(str(p)) for p in passages]
        with self._lock:
            feeds = encode_pairs(self.tokenizer, question, cands, self.info.max_length, self.info.format_version)
        out = self.session.run(None, {n: feeds[n] for n in self._names})[0]
        return np.asarray(out, dtype=np.float32).reshape(-1)


def load_reader(model_dir: Path | None = None, threads: int = 1) -> Reader:
    """The process's cached Reader for ``model_dir`` (``$ASSISTANT_READER_DIR``, else the shipped model)."""
    key = (str(Path(model_dir or os.environ.get(READER_ENV) or MODEL_DIR).resolve()), threads)
    with _LOCK:
        if key not in _readers:
            _readers[key] = Reader(Path(key[0]), threads)
        return _readers[key]


def score(question: str, passages: Sequence[Candidate | str], model_dir: Path | None = None) -> np.ndarray:
    """Scores of ``passages`` for ``question`` with the shipped reader (loaded once per process)."""
    return load_reader(model_dir).score(question, passages)
