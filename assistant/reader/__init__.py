"""The learned reader: a small cross-encoder scoring (question, candidate sentence in its context) pairs.

Runtime only (ONNX Runtime + tokenizers); training, export and measurement live in training/. The score is a
feature for the question pipeline's ranker and refusal model, not a verdict on its own (issue 14).
"""

from .inputs import FORMAT_VERSION, Candidate, encode_pairs
from .runtime import (
                      MODEL_DIR,
                      Reader,
                      ReaderError,
                      ReaderInfo,
                      Reading,
                      SentenceTokens,
                      SpanWeights,
                      load_reader,
                      score,
)

__all__ = ["FORMAT_VERSION", "MODEL_DIR", "Candidate", "Reader", "ReaderError", "ReaderInfo", "Reading",
           "SentenceTokens", "SpanWeights", "encode_pairs", "load_reader", "score"]
