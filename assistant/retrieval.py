"""Hybrid retrieval: gather candidate sentences and describe each with normalised evidence features.

One query embedding feeds four searches: dense and BM25 over chunks (which carry their document's context
line) and over sentences. Candidates are the sentences of the best fused chunks plus the best sentences of
each sentence-level search, so a perfect keyword hit is never lost to fusion. Each candidate then gets
features that answering.py combines: its own dense and BM25 scores, its chunk's, its neighbours', how much
of the question (weighted by rarity) it covers alone and with its context, and whether it holds the kind of
span the question asks for.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .answer_types import answer_spans
from .lexical import tokenize
from .store import IndexStore

FEATURES = (
    "sent_dense", "chunk_dense", "neighbour_dense", "sent_bm25", "chunk_bm25",
    "cover", "cover_context", "doc_match", "answer_type", "boilerplate",
)
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class Query:
    text: str
    vector: np.ndarray
    tokens: tuple[str, ...]
    kind: str | None


@dataclass(frozen=True)
class Candidates:
    """Candidate sentence ids and a feature row for each (columns in FEATURES order)."""

    ids: np.ndarray
    features: np.ndarray
    bm25_strength: float  # best sentence BM25 over the question's total IDF: comparable across questions


class Searcher:
    """Query-time views of one IndexStore; built once per loaded index."""

    def __init__(self, store: IndexStore) -> None:
        self.store = store

    @cached_property
    def _sentence_chunks(self) -> tuple[np.ndarray, np.ndarray]:
        """For each sentence, the first and last chunk that contains it (chunks are in sentence order)."""
        n = np.arange(self.store.n_sentences)
        lo = np.searchsorted(self.store.chunk_last, n, side="left")
        hi = np.searchsorted(self.store.chunk_first, n, side="right") - 1
        return lo, hi

    @cached_property
    def _boilerplate(self) -> np.ndarray:
        """1.0 for sentences whose words (digits masked) recur in 40% of documents (and 3+): copyright lines,
        addresses. Rarer repeats are often answers ("Overall effectiveness Good" on several cover pages)."""
        docs_by_text: dict[str, set[int]] = defaultdict(set)
        keys = []
        for i in range(self.store.n_sentences):
            key = _DIGITS.sub("#", " ".join(self.store.sentence_text(i).lower().split()))
            keys.append(key)
            docs_by_text[key].add(int(self.store.sent_doc[i]))
        floor = max(3, int(0.4 * len(self.store.docs)))
        return np.array([1.0 if len(docs_by_text[k]) >= floor else 0.0 for k in keys], dtype=np.float32)

    @cached_property
    def _doc_tokens(self) -> list[frozenset[str]]:
        return [frozenset(tokenize(f"{d.title} {d.context}")) for d in self.store.docs]

    def _top(self, scores: np.ndarray, k: int, allowed: np.ndarray | None) -> np.ndarray:
        if allowed is not None:
            scores = np.where(allowed, scores, -np.inf)
        k = min(k, len(scores))
        if k <= 0:
            return np.zeros(0, dtype=np.int64)
        idx = np.argpartition(-scores, k - 1)[:k]
        idx = idx[np.isfinite(scores[idx])]
        return idx[np.argsort(-scores[idx])]

    def _dense_top(self, vectors_index, vectors: np.ndarray, q: np.ndarray, k: int,
                   allowed: np.ndarray | None) -> np.ndarray:
        if allowed is None and vectors_index.ntotal:
            _, ids = vectors_index.search(q[None, :], min(k, vectors_index.ntotal))
            return ids[0][ids[0] >= 0]
        return self._top(vectors @ q, k, allowed)

    def candidates(self, query: Query, chunk_k: int, sent_k: int, docs: set[int] | None = None) -> Candidates:
        s = self.store
        if s.n_sentences == 0:
            return Candidates(np.zeros(0, np.int64), np.zeros((0, len(FEATURES)), np.float32), 0.0)
        q = query.vector.astype(np.float32)
        toks = list(query.tokens)
        sent_allowed = np.isin(s.sent_doc, list(docs)) if docs is not None else None
        chunk_allowed = np.isin(s.chunk_doc, list(docs)) if docs is not None else None

        sent_bm25 = s.sent_bm25.scores(toks)
        chunk_bm25 = s.chunk_bm25.scores(toks)
        if sent_allowed is not None:
            sent_bm25 = np.where(sent_allowed, sent_bm25, 0.0)
            chunk_bm25 = np.where(chunk_allowed, chunk_bm25, 0.0)
        max_sb = float(sent_bm25.max()) if len(sent_bm25) else 0.0
        max_cb = float(chunk_bm25.max()) if len(chunk_bm25) else 0.0

        dense_chunks = self._dense_top(s.chunk_faiss, s.chunk_vectors, q, chunk_k * 2, chunk_allowed)
        bm25_chunks = self._top(chunk_bm25, chunk_k, chunk_allowed) if max_cb > 0 else np.zeros(0, np.int64)
        pool = np.unique(np.concatenate([dense_chunks, bm25_chunks]))
        fused = s.chunk_vectors[pool] @ q + 0.3 * chunk_bm25[pool] / (max_cb or 1.0)
        best_chunks = pool[np.argsort(-fused)[:chunk_k]]

        ids: set[int] = set()
        for c in best_chunks:
            ids.update(range(int(s.chunk_first[c]), int(s.chunk_last[c]) + 1))
        ids.update(int(i) for i in self._dense_top(s.sent_faiss, s.sent_vectors, q, sent_k, sent_allowed))
        if max_sb > 0:
            ids.update(int(i) for i in self._top(sent_bm25, sent_k, sent_allowed))
        cand = np.array(sorted(ids), dtype=np.int64)
        idf = s.sent_bm25.idf(toks)
        total_idf = sum(idf.values())
        feats = self._features(query, cand, idf, sent_bm25, chunk_bm25, max_sb, max_cb)
        if docs is not None:  # the user chose the documents: that is the strongest document match there is
            feats[:, FEATURES.index("doc_match")] = 1.0
        return Candidates(cand, feats, max_sb / total_idf if total_idf else 0.0)

    def _features(self, query: Query, cand: np.ndarray, idf: dict[str, float], sent_bm25: np.ndarray,
                  chunk_bm25: np.ndarray, max_sb: float, max_cb: float) -> np.ndarray:
        s = self.store
        q = query.vector.astype(np.float32)
        lo, hi = self._sentence_chunks
        total_idf = sum(idf.values()) or 1.0
        n = s.n_sentences
        sent_dense = s.sent_vectors[cand] @ q
        prev_ids = np.clip(cand - 1, 0, n - 1)
        next_ids = np.clip(cand + 1, 0, n - 1)
        same_prev = s.sent_doc[prev_ids] == s.sent_doc[cand]
        same_next = s.sent_doc[next_ids] == s.sent_doc[cand]
        neighbour = np.maximum(
            np.where(same_prev & (prev_ids != cand), s.sent_vectors[prev_ids] @ q, 0.0),
            np.where(same_next & (next_ids != cand), s.sent_vectors[next_ids] @ q, 0.0),
        )
        rows = np.zeros((len(cand), len(FEATURES)), dtype=np.float32)
        for r, i in enumerate(cand):
            chunks = np.arange(lo[i], hi[i] + 1)
            chunk_dense = float((s.chunk_vectors[chunks] @ q).max()) if len(chunks) else 0.0
            chunk_lex = float(chunk_bm25[chunks].max()) / (max_cb or 1.0) if len(chunks) else 0.0
            text = s.sentence_text(int(i))
            own = set(tokenize(text))
            ctx = set(own)
            if same_prev[r] and prev_ids[r] != i:
                ctx.update(tokenize(s.sentence_text(int(prev_ids[r]))))
            doc_toks = self._doc_tokens[int(s.sent_doc[i])]
            ctx |= doc_toks
            cover = sum(w for t, w in idf.items() if t in own) / total_idf
            cover_ctx = sum(w for t, w in idf.items() if t in ctx) / total_idf
            doc_match = sum(w for t, w in idf.items() if t in doc_toks) / total_idf
            has_type = 1.0 if query.kind and answer_spans(text, query.kind, query.text) else 0.0
            rows[r] = (
                sent_dense[r], chunk_dense, neighbour[r], sent_bm25[i] / (max_sb or 1.0), chunk_lex,
                cover, cover_ctx, doc_match, has_type, self._boilerplate[i],
            )
        return rows
