"""Ranking variants for SQuAD v1.1 built from the product's stored units: paragraph rankings (BM25, dense, the
product's chunk fusion, tuned fusion, RRF), DESIGN.md's sentence-RRF baseline, re-tuning the sentence weights, and
why a top quote missed. The product's own answers come from squad_common; this module only measures around them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from fitting import coordinate_ascent
from metrics import doc_max, rank_of, rrf
from public_data import SquadQuestion
from squad_common import SquadProduct

from assistant.folding import fold_text as fold
from assistant.query.types import Answer

WEIGHT_GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0)
MISS_KINDS = ("answer quoted from another paragraph (fact repeated)", "wrong paragraph",
              "right paragraph, answer in a neighbouring sentence", "right paragraph, answer further away",
              "answer crosses a sentence break")


@dataclass(frozen=True)
class QuestionSignals:
    """Per-question raw unit scores for the ranking variants (open setting)."""

    chunk_bm25: np.ndarray  # BM25 / max BM25 over chunks
    chunk_dense: np.ndarray
    sent_bm25: np.ndarray
    sent_dense: np.ndarray


def signals(product: SquadProduct, tokens: tuple[str, ...], vector: np.ndarray) -> QuestionSignals:
    s = product.store
    cb = s.chunk_bm25.scores(list(tokens))
    sb = s.sent_bm25.scores(list(tokens))
    q = vector.astype(np.float32)
    return QuestionSignals(cb / (cb.max() or 1.0), s.chunk_vectors @ q, sb / (sb.max() or 1.0), s.sent_vectors @ q)


def doc_rankings(product: SquadProduct, sig: QuestionSignals, weight: float) -> dict[str, np.ndarray]:
    """Paragraph scores of each variant; the product's fusion weight is read from its params, not restated."""
    s = product.store
    n = len(s.docs)
    fusion = product.pipeline.params.fusion_bm25_weight
    bm25 = doc_max(sig.chunk_bm25, s.chunk_doc, n)
    dense = doc_max(sig.chunk_dense, s.chunk_doc, n)
    return {
        "BM25": bm25,
        "dense": dense,
        f"hybrid (product fusion, w={fusion})": doc_max(sig.chunk_dense + fusion * sig.chunk_bm25, s.chunk_doc, n),
        "hybrid, weighted (w tuned)": doc_max(sig.chunk_dense + weight * sig.chunk_bm25, s.chunk_doc, n),
        "hybrid, RRF": rrf(bm25, dense),
        "hybrid, weighted, chunks+sentences": np.maximum(
            doc_max(sig.chunk_dense + weight * sig.chunk_bm25, s.chunk_doc, n),
            doc_max(sig.sent_dense + weight * sig.sent_bm25, s.sent_doc, n)),
    }


def sentence_rrf_top(sig: QuestionSignals, k: int) -> list[int]:
    """DESIGN.md's baseline: RRF of BM25 and dense over all sentences."""
    fused = rrf(sig.sent_bm25, sig.sent_dense)
    return [int(i) for i in np.argsort(-fused)[:k]]


def tune_weight(product: SquadProduct, items: list[tuple[SquadQuestion, QuestionSignals, int]],
                ) -> tuple[float, dict[float, float]]:
    """Fusion weight with the best paragraph MRR on the tuning questions."""
    s = product.store
    table = {}
    for w in WEIGHT_GRID:
        mrr = sum(1.0 / rank_of(doc_max(sig.chunk_dense + w * sig.chunk_bm25, s.chunk_doc, len(s.docs)), gold)
                  for _, sig, gold in items)
        table[w] = round(mrr / len(items), 4)
    return max(table, key=lambda w: table[w]), table


@dataclass
class SentenceSets:
    """Candidate features and answer-holding flags of many questions, to score weight vectors quickly."""

    features: list[np.ndarray] = field(default_factory=list)
    hits: list[np.ndarray] = field(default_factory=list)

    def add(self, features: np.ndarray, hits: np.ndarray) -> None:
        self.features.append(features)
        self.hits.append(hits)

    def accuracy(self, w: np.ndarray, k: int = 1) -> float:
        got = 0
        for f, h in zip(self.features, self.hits, strict=True):
            if len(h) == 0:
                continue
            sc = f @ w
            top = np.argsort(-sc)[:k] if k > 1 else [int(sc.argmax())]
            got += bool(h[top].any())
        return got / max(1, len(self.hits))


def retune_weights(open_sets: SentenceSets, closed_sets: SentenceSets, names: tuple[str, ...],
                   start: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """Coordinate ascent (fitting.py, as tune_answering.py) on best-sentence accuracy: open + closed + 0.3 * open
    top-3."""

    def vec(w: dict[str, float]) -> np.ndarray:
        return np.array([w.get(f, 0.0) for f in names])

    def value(w: dict[str, float]) -> float:
        v = vec(w)
        return open_sets.accuracy(v) + closed_sets.accuracy(v) + 0.3 * open_sets.accuracy(v, 3)

    begin = {f: start.get(f, 0.0) for f in names}
    best, best_val = coordinate_ascent(value, begin, names)
    v = vec(best)
    return best, {"objective_before": round(value(begin), 4), "objective_after": round(best_val, 4),
                  "open_best_sentence": round(open_sets.accuracy(v), 4),
                  "closed_best_sentence": round(closed_sets.accuracy(v), 4)}


def _answer_in_one_sentence(product: SquadProduct, doc_id: int, answers: tuple[str, ...]) -> bool:
    return any(product.sentence_holds(int(i), answers) for i in np.flatnonzero(product.store.sent_doc == doc_id))


def miss_kind(product: SquadProduct, ans: Answer, answers: tuple[str, ...], gold: int) -> str:
    """Why the top quote does not count: where it came from, and where the answer sat."""
    s = product.store
    if not ans.quotes:
        return MISS_KINDS[1]
    top = ans.quotes[0]
    if product.doc_index[top.doc] != gold:
        return MISS_KINDS[0] if _quote_holds(top.text, answers) else MISS_KINDS[1]
    if not _answer_in_one_sentence(product, gold, answers):
        return MISS_KINDS[4]
    ids = np.flatnonzero(s.sent_doc == gold)
    page = int(s.sent_page[ids[0]])
    inside = [int(i) for i in ids if int(s.sent_page[i]) == page
              and top.start <= int(s.sent_start[i]) and int(s.sent_end[i]) <= top.end]
    near = [int(i) for i in ids if inside and (int(i) == inside[0] - 1 or int(i) == inside[-1] + 1)]
    return MISS_KINDS[2] if any(product.sentence_holds(i, answers) for i in near) else MISS_KINDS[3]


def _quote_holds(text: str, answers: tuple[str, ...]) -> bool:
    folded = fold(text)
    return any(fold(a) in folded for a in answers)
