"""Hybrid retrieval: gather candidate sentences and describe each with normalised evidence features.

One query embedding feeds four searches: dense and BM25 over chunks (which carry their document's context
line) and over sentences. Candidates are the sentences of the best fused chunks plus the best sentences of
each sentence-level search, so a perfect keyword hit is never lost to fusion. Each candidate then gets
features that the ranking stage combines: its own dense and BM25 scores, its chunk's, its neighbours', how much
of the question (weighted by rarity) it covers alone and with its context. Whether it holds the kind of span
the question asks for is the ranking stage's to add (it knows how answers are cut; this module does not).

Per question the work is one embedding, the index searches (faiss; the postings of the question's tokens in
BM25) and a fixed number of candidates: nothing here touches every unit of the corpus. What would (which
sentences are boilerplate) is computed when the index is built and stored with the units; a document filter
uses each document's id range (units are stored document by document).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from assistant.index.backend import DenseDocumentFilter, IndexBackend, LexicalDocumentFilter, LexicalSearch, doc_units
from assistant.index.lexical import SparseScores, tokenize, top_k
from assistant.query.types import FEATURES, Candidates, Query

_NO_DOCS = np.zeros(0, np.int64)


class _DocTokens:
    """Tokens of each document's title and context line, made on first use (a question meets a few documents)."""

    def __init__(self, store: IndexBackend) -> None:
        self._store = store
        self._cache: dict[int, frozenset[str]] = {}
        self._docs_by_token: dict[str, np.ndarray] | None = None

    def __getitem__(self, doc_id: int) -> frozenset[str]:
        toks = self._cache.get(doc_id)
        if toks is None:
            d = self._store.docs[doc_id]
            toks = self._cache[doc_id] = frozenset(tokenize(f"{d.title} {d.context}"))
        return toks

    def docs_with(self, token: str) -> np.ndarray:
        """The ids of the documents whose title or context line holds ``token`` (an inverted view, made once on
        first use, so a question's scope costs a look-up per word rather than one per document)."""
        if self._docs_by_token is None:
            by_token: dict[str, list[int]] = defaultdict(list)
            for d in range(len(self._store.docs)):
                for tok in self[d]:
                    by_token[tok].append(d)
            self._docs_by_token = {t: np.array(ids, np.int64) for t, ids in by_token.items()}
        return self._docs_by_token.get(token, _NO_DOCS)


def _lexical_search(index: LexicalSearch, tokens: list[str], docs: set[int] | None) -> SparseScores:
    """BM25 scores of ``tokens``; restricted to ``docs`` inside the engine when it can filter (Qdrant), else the
    caller cuts them (``SparseScores.within``)."""
    if docs is not None and isinstance(index, LexicalDocumentFilter):
        return index.search_documents(tokens, docs)
    return index.search(tokens)


class Searcher:
    """Query-time views of one IndexBackend; built once per loaded index."""

    def __init__(self, store: IndexBackend, fusion_bm25_weight: float) -> None:
        self.store = store
        self.fusion_bm25_weight = fusion_bm25_weight  # params.json "fusion"
        self.doc_tokens = _DocTokens(store)  # doc_tokens[doc_id]: tokens of its title and context line
        # index.py stores units document by document; checked once per loaded index, not assumed
        self._doc_ordered = {k: bool(np.all(a[1:] >= a[:-1])) for k, a in
                             (("sent", store.sent_doc), ("chunk", store.chunk_doc))}

    def _units_of(self, kind: str, docs: set[int]) -> np.ndarray:
        unit_doc = self.store.sent_doc if kind == "sent" else self.store.chunk_doc
        if not self._doc_ordered[kind]:
            return np.flatnonzero(np.isin(unit_doc, list(docs)))
        return doc_units(unit_doc, docs)

    def _top(self, ids: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
        return ids[top_k(scores, k)]

    def _dense_top(self, vectors_index, vectors: np.ndarray, q: np.ndarray, k: int,
                   allowed: np.ndarray | None, docs: set[int] | None = None) -> np.ndarray:
        if allowed is None and vectors_index.ntotal:
            _, ids = vectors_index.search(q[None, :], min(k, vectors_index.ntotal))
            return ids[0][ids[0] >= 0]
        if docs is not None and isinstance(vectors_index, DenseDocumentFilter):  # the engine filters (Qdrant)
            return vectors_index.search_documents(q, k, docs)
        allowed = np.arange(len(vectors)) if allowed is None else allowed  # ids of the chosen documents' units
        return self._top(allowed, vectors[allowed] @ q, k)

    def candidates(self, query: Query, chunk_k: int, sent_k: int, docs: set[int] | None = None,
                   chosen: bool = True) -> Candidates:
        """Candidate sentences and their features; ``docs`` restricts them to those documents. ``chosen`` says the
        user picked ``docs`` (their document match is then complete); False when the caller walks documents one
        by one (answers across documents), so a document's match with the question still counts."""
        s = self.store
        if s.n_sentences == 0:
            return Candidates(np.zeros(0, np.int64), np.zeros((0, len(FEATURES)), np.float32), 0.0)
        q = query.vector.astype(np.float32)
        toks = list(query.tokens)
        sent_allowed = self._units_of("sent", docs) if docs is not None else None
        chunk_allowed = self._units_of("chunk", docs) if docs is not None else None

        sent_bm25, chunk_bm25 = _lexical_search(s.sent_bm25, toks, docs), _lexical_search(s.chunk_bm25, toks, docs)
        if docs is not None:
            sent_bm25 = sent_bm25.within(s.sent_doc, docs)
            chunk_bm25 = chunk_bm25.within(s.chunk_doc, docs)
        max_sb, max_cb = sent_bm25.max(), chunk_bm25.max()

        dense_chunks = self._dense_top(s.chunk_index, s.chunk_vectors, q, chunk_k * 2, chunk_allowed, docs)
        bm25_chunks = chunk_bm25.top(chunk_k)
        pool = np.unique(np.concatenate([dense_chunks, bm25_chunks]))
        fused = s.chunk_vectors[pool] @ q + self.fusion_bm25_weight * chunk_bm25.at(pool) / (max_cb or 1.0)
        best_chunks = pool[np.argsort(-fused)[:chunk_k]]

        ids: set[int] = set()
        for c in best_chunks:
            ids.update(range(int(s.chunk_first[c]), int(s.chunk_last[c]) + 1))
        ids.update(int(i) for i in self._dense_top(s.sent_index, s.sent_vectors, q, sent_k, sent_allowed, docs))
        ids.update(int(i) for i in sent_bm25.top(sent_k))
        cand = np.array(sorted(ids), dtype=np.int64)
        idf = s.sent_bm25.idf(toks)
        total_idf = sum(idf.values())
        feats = self._features(query, cand, idf, sent_bm25, chunk_bm25, max_sb, max_cb)
        if docs is not None and chosen:  # the user chose the documents: that is the strongest document match there is
            feats[:, FEATURES.index("doc_match")] = 1.0
        return Candidates(cand, feats, max_sb / total_idf if total_idf else 0.0)

    def _features(self, query: Query, cand: np.ndarray, idf: dict[str, float], sent_bm25: SparseScores,
                  chunk_bm25: SparseScores, max_sb: float, max_cb: float) -> np.ndarray:
        """Feature rows for ``cand``, vectorised: which question tokens a sentence holds comes from the BM25
        postings of those tokens (the index tokenised every sentence when it was built), so no candidate text
        is tokenised per question."""
        s = self.store
        q = query.vector.astype(np.float32)
        n = s.n_sentences
        total_idf = sum(idf.values()) or 1.0
        tokens = list(idf)
        weights = np.array([idf[t] for t in tokens], dtype=np.float64)
        prev_ids = np.clip(cand - 1, 0, n - 1)
        next_ids = np.clip(cand + 1, 0, n - 1)
        same_prev = (s.sent_doc[prev_ids] == s.sent_doc[cand]) & (prev_ids != cand)
        same_next = (s.sent_doc[next_ids] == s.sent_doc[cand]) & (next_ids != cand)

        # which question tokens each candidate, and the sentence before it, holds
        holds = s.sent_bm25.holds(tokens, np.concatenate([cand, prev_ids]))
        own, prev = holds[: len(cand)], holds[len(cand):] & same_prev[:, None]
        cand_docs = s.sent_doc[cand].astype(np.int64)
        doc_rows = {int(d): np.array([t in self.doc_tokens[int(d)] for t in tokens], dtype=bool)
                    for d in np.unique(cand_docs)}
        in_doc = np.array([doc_rows[int(d)] for d in cand_docs], dtype=bool).reshape(len(cand), len(tokens))

        sent_dense = s.sent_vectors[cand] @ q
        neighbour = np.maximum(np.where(same_prev, s.sent_vectors[prev_ids] @ q, 0.0),
                               np.where(same_next, s.sent_vectors[next_ids] @ q, 0.0))
        chunk_dense, chunk_lex = self._chunk_features(cand, q, chunk_bm25)
        has_type = np.zeros(len(cand), np.float32)  # filled by ranking.with_answer_type: how answers are cut
        columns = {
            "sent_dense": sent_dense, "chunk_dense": chunk_dense, "neighbour_dense": neighbour,
            "sent_bm25": sent_bm25.at(cand) / (max_sb or 1.0), "chunk_bm25": chunk_lex / (max_cb or 1.0),
            "cover": own @ weights / total_idf, "cover_context": (own | prev | in_doc) @ weights / total_idf,
            "doc_match": in_doc @ weights / total_idf, "answer_type": has_type, "boilerplate": s.sent_boilerplate[cand],
        }
        rows = np.zeros((len(cand), len(FEATURES)), dtype=np.float32)
        for col, name in enumerate(FEATURES):
            rows[:, col] = columns[name]
        return rows

    def _chunk_features(self, cand: np.ndarray, q: np.ndarray, chunk_bm25: SparseScores,
                        ) -> tuple[np.ndarray, np.ndarray]:
        """Best dense and BM25 score over the chunks holding each candidate (chunks are in sentence order, so
        they are one id range per sentence, found by binary search); 0 for a sentence in no chunk."""
        s = self.store
        needles = cand.astype(s.chunk_last.dtype)  # same dtype: numpy would otherwise cast the whole array
        lo = np.searchsorted(s.chunk_last, needles, side="left").astype(np.int64)
        hi = np.searchsorted(s.chunk_first, needles, side="right").astype(np.int64) - 1
        counts = np.maximum(hi - lo + 1, 0)
        dense = np.zeros(len(cand), np.float32)
        lex = np.zeros(len(cand), np.float32)
        has = counts > 0
        if not has.any():
            return dense, lex
        starts = np.cumsum(counts) - counts
        flat = np.repeat(lo - starts, counts) + np.arange(int(counts.sum()))
        chunks, inverse = np.unique(flat, return_inverse=True)
        offsets = starts[has]
        dense[has] = np.maximum.reduceat((s.chunk_vectors[chunks] @ q)[inverse], offsets)
        lex[has] = np.maximum.reduceat(chunk_bm25.at(chunks)[inverse], offsets)
        return dense, lex
