"""Stage 3 of the question path: score each candidate sentence.

The score is a linear combination of retrieval's features with the weights in params.json. The one feature that
needs to know how answers are cut (does the sentence hold the kind of span the question wants: a name, a date, a
grade) is added here, so retrieval stays ignorant of answer spans.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from assistant.index.backend import IndexBackend
from assistant.query.answer_types import answer_spans
from assistant.query.types import FEATURES, Candidates, Query

_ANSWER_TYPE = FEATURES.index("answer_type")


def with_answer_type(query: Query, cands: Candidates, store: IndexBackend) -> Candidates:
    """Candidates whose ``answer_type`` column is 1 where the sentence holds a span of the wanted kind."""
    if not query.kind or len(cands.ids) == 0:
        return cands
    features = cands.features.copy()
    features[:, _ANSWER_TYPE] = [bool(answer_spans(store.sentence_text(int(i)), query.kind, query.text))
                                 for i in cands.ids]
    return replace(cands, features=features)


def weight_vector(weights: dict[str, float]) -> np.ndarray:
    return np.array([weights.get(f, 0.0) for f in FEATURES], dtype=np.float32)


def score_candidates(cands: Candidates, weights: dict[str, float]) -> np.ndarray:
    """One score per candidate (higher is better); an empty array when there are none."""
    return cands.features @ weight_vector(weights) if len(cands.ids) else np.zeros(0, np.float32)
