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
from assistant.onnx_session import cpu_session

from .inputs import MAX_QUESTION_TOKENS, SUPPORTED_FORMATS, Candidate, encode_pairs_with_tokens, load_tokenizer

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

MODEL_DIR = Path(__file__).resolve().parent / "model"
READER_ENV = "ASSISTANT_READER_DIR"  # another reader model folder (e.g. one retrained by `make reader` elsewhere)
MODEL_FILE = "reader-int8.onnx"
META_FILE = "reader.json"
TOKENIZER_FILE = "tokenizer.json"
SPAN_FILE = "span_head.json"  # the highlight head fitted on this model's hidden states (training/train_span_head.py)
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
    token_scores: dict | None = None  # the graph's projection input, token-scores output, state width (highlights)
    disabled_optimizers: tuple[str, ...] = ()  # ONNX Runtime fusions off, as in every measurement of this model


@dataclass(frozen=True)
class SentenceTokens:
    """The candidate sentence's tokens as the model saw them (format 2: right after the question), with each one's
    last-layer state projected by the matrix the run was fed: the highlight head's state weights at question time
    (assistant/query/highlight.py), the identity in training (then ``states`` are the states themselves)."""

    states: np.ndarray  # [tokens, k] float32
    ids: tuple[int, ...]
    tokens: tuple[str, ...]
    offsets: tuple[tuple[int, int], ...]  # character range of each token in the sentence
    question_ids: frozenset[int]  # the question's token ids as the model saw them


@dataclass(frozen=True)
class Reading:
    """One question's candidates read: a logit each and, when the model exposes its token states, each
    candidate sentence's tokens (None for a row whose sentence the input had no room for)."""

    logits: np.ndarray
    sentences: tuple[SentenceTokens | None, ...] = ()


@dataclass(frozen=True)
class SpanWeights:
    """The highlight head: linear start and end scores over token features (layout: highlight.token_features, the
    token's state and its neighbours' states first, ``width`` values each, then the other features)."""

    start: np.ndarray
    end: np.ndarray
    window: tuple[int, ...]  # neighbour distances whose states are features beside the token's own
    max_tokens: int  # the longest highlight, in tokens
    width: int  # the reader's state width
    min_probability: float = 0.0  # a free span less likely than this (start x end softmax) is not shown

    @property
    def state_blocks(self) -> int:
        return 1 + 2 * len(self.window)  # the token, then each distance's previous and next token

    def projection(self) -> np.ndarray:
        """[width, 2 x state_blocks]: the state weights of each block, for start then end, as graph columns."""
        n = self.state_blocks * self.width
        return np.concatenate([w[:n].reshape(self.state_blocks, self.width).T for w in (self.start, self.end)],
                              axis=1).astype(np.float32)


def read_info(model_dir: Path) -> ReaderInfo:
    """Metadata of the model in ``model_dir``, checked against the files and this code's input format."""
    meta, onnx_file = model_dir / META_FILE, model_dir / MODEL_FILE
    for path in (onnx_file, meta, model_dir / TOKENIZER_FILE):
        if not path.is_file():
            raise ReaderError(f"reader model file {path} is missing; {FIX}")
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
        info = ReaderInfo(int(data["max_length"]), int(data["format_version"]), float(data["no_answer_logit"]),
                          str(data["sha256"]), data.get("token_scores"),
                          tuple(str(name) for name in data.get("disabled_optimizers", ())))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReaderError(f"reader metadata {meta} is damaged ({type(exc).__name__}); {FIX}") from None
    if info.format_version not in SUPPORTED_FORMATS:
        raise ReaderError(f"reader model in {model_dir} has input format v{info.format_version}, this code builds "
                          f"v{'/v'.join(map(str, SUPPORTED_FORMATS))}; {FIX}")
    if file_sha256(onnx_file) != info.sha256:
        raise ReaderError(f"reader model file {onnx_file} is damaged (checksum differs from {META_FILE}); {FIX}")
    return info


def read_span_weights(model_dir: Path) -> SpanWeights | None:
    """The highlight head beside the model, checked; None when the model has none (highlights then come from the
    answer-type patterns alone)."""
    path = model_dir / SPAN_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        weights = SpanWeights(np.asarray(data["start"], np.float32), np.asarray(data["end"], np.float32),
                              tuple(int(w) for w in data["window"]), int(data["max_tokens"]), int(data["width"]),
                              float(data.get("min_probability", 0.0)))
        if data.get("reader_sha256") != read_info(model_dir).sha256:
            raise ValueError("fitted on another reader")
        if weights.start.shape != weights.end.shape or weights.start.shape != (int(data["features"]),):
            raise ValueError("weights do not match their feature count")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReaderError(f"highlight head {path} is damaged ({exc}); {FIX}") from None
    return weights


class Reader:
    """Scores (question, candidate) pairs: higher means the candidate answers the question."""

    def __init__(self, model_dir: Path = MODEL_DIR, threads: int | None = None, model_file: str = MODEL_FILE) -> None:
        self.model_dir = Path(model_dir)
        self.info = read_info(self.model_dir)
        try:
            self.tokenizer: Tokenizer = load_tokenizer(str(self.model_dir / TOKENIZER_FILE))
            self.session: onnxruntime.InferenceSession = cpu_session(
                self.model_dir / model_file, threads or default_threads(), self.info.disabled_optimizers)
        except Exception as exc:  # onnxruntime and tokenizers raise their own exception types
            raise ReaderError(f"reader model in {self.model_dir} cannot be loaded ({type(exc).__name__}); "
                              f"{FIX}") from None
        self._names = [i.name for i in self.session.get_inputs()]
        io = self.info.token_scores or {}
        outputs = [o.name for o in self.session.get_outputs()]
        self._projection_input = io.get("input") if io.get("input") in self._names else None
        self._token_scores = outputs.index(io["output"]) if io.get("output") in outputs else None
        self._names = [n for n in self._names if n != self._projection_input]
        self.span_weights = read_span_weights(self.model_dir) if self._token_scores is not None else None
        self._head_projection = self.span_weights.projection() if self.span_weights is not None else None
        self._no_projection = np.zeros((self.state_width or 1, 1), np.float32)  # fed when no highlight is wanted
        self._lock = threading.Lock()  # the tokenizer is not safe to share across threads

    @property
    def no_answer_logit(self) -> float:
        return self.info.no_answer_logit

    def score(self, question: str, passages: Sequence[Candidate | str]) -> np.ndarray:
        """One float32 logit per passage, in order; a bare string is a sentence without title or neighbours.
        Deterministic: the same question and passages give the same scores (one run, fixed threads)."""
        return self.read(question, passages, tokens=False).logits

    @property
    def state_width(self) -> int | None:
        """The width of the token states a projection multiplies (None: the model gives no token scores)."""
        return int(self.info.token_scores["width"]) if self._token_scores is not None and self.info.token_scores \
            else None

    def read(self, question: str, passages: Sequence[Candidate | str], tokens: bool = True,
             projection: np.ndarray | None = None) -> Reading:
        """``score``'s logits and, with ``tokens`` and a model that gives token scores, each sentence's token
        states projected by ``projection`` (default: the highlight head's state weights), from the same run:
        highlights cost no second pass and no [rows x tokens x width] copy of the states."""
        if not passages:
            return Reading(np.zeros(0, dtype=np.float32))
        cands = [p if isinstance(p, Candidate) else Candidate(str(p)) for p in passages]
        if projection is None:
            projection = self._head_projection
        want = (tokens and projection is not None and self._token_scores is not None
                and self.info.format_version == 2)
        with self._lock:
            feeds, question_enc, sentence_encs = encode_pairs_with_tokens(
                self.tokenizer, question, cands, self.info.max_length, self.info.format_version)
        run_feeds = {n: feeds[n] for n in self._names}
        if self._projection_input is not None:  # the graph needs it even when no highlight is wanted
            run_feeds[self._projection_input] = projection if want else self._no_projection
        out = self.session.run(None, run_feeds)
        logits = np.asarray(out[0], dtype=np.float32).reshape(-1)
        if not want:
            return Reading(logits)
        projected = np.asarray(out[self._token_scores], dtype=np.float32)
        q_ids = question_enc[0].ids[:MAX_QUESTION_TOKENS]
        first = len(q_ids) + 2  # [CLS] question [SEP], then the sentence (format 2)
        rows = []
        for i, enc in enumerate(sentence_encs):
            segment = feeds["token_type_ids"][i, first:].tolist()
            n = min(len(enc.ids), max(0, (segment.index(0) if 0 in segment else len(segment)) - 1))
            rows.append(SentenceTokens(projected[i, first:first + n], tuple(enc.ids[:n]), tuple(enc.tokens[:n]),
                                       tuple(enc.offsets[:n]), frozenset(q_ids)) if n else None)
        return Reading(logits, tuple(rows))


def default_threads() -> int:
    """One intra-op thread per core, up to 4: 8 candidates read in 21-22 ms on one thread and 12-17 ms on two on
    the 2-core machine (training/bench_latency.py --shipped, two runs); a fixed count per machine keeps scores
    deterministic."""
    return max(1, min(4, os.cpu_count() or 1))


def load_reader(model_dir: Path | None = None, threads: int | None = None) -> Reader:
    """The process's cached Reader for ``model_dir`` (``$ASSISTANT_READER_DIR``, else the shipped model)."""
    key = (str(Path(model_dir or os.environ.get(READER_ENV) or MODEL_DIR).resolve()), threads or default_threads())
    with _LOCK:
        if key not in _readers:
            _readers[key] = Reader(Path(key[0]), key[1])
        return _readers[key]


def score(question: str, passages: Sequence[Candidate | str], model_dir: Path | None = None) -> np.ndarray:
    """Scores of ``passages`` for ``question`` with the shipped reader (loaded once per process)."""
    return load_reader(model_dir).score(question, passages)
