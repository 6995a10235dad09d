"""Qdrant's side of a loaded build: dense and BM25 search as the question stages call them
(``backend.DenseSearch``, ``backend.LexicalSearch``), and the BM25 weights a build stores as sparse vectors.

BM25 is the same as ``lexical.Bm25Index`` (bm25s, Lucene variant, k1 1.2, b 0.75, our tokeniser): each unit's
sparse vector holds the term-frequency part ``tf / (tf + k1 (1 - b + b len/avglen))`` per token, and the
collection's sparse vector has ``modifier=IDF``, so the server multiplies each query token by its IDF,
``ln(1 + (N - df + 0.5) / (df + 0.5))`` (Qdrant's formula is Lucene's). A unit without tokens is stored as the
one token "" (as bm25s indexes it) so that it counts in N. Token ids are positions in the build's vocabulary,
kept with the build (``SparseUnits.vocab``).

Scores therefore equal bm25s's up to float rounding (bm25s sums float32 products, Qdrant its own). A question
asks for every unit holding one of its tokens (the limit is the sum of their document frequencies, capped by
``ASSISTANT_QDRANT_MAX_POSTINGS``), as ``Bm25Index.search`` reads every posting of them.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from qdrant_client import QdrantClient, models

from assistant.errors import IndexUnavailable
from assistant.index.lexical import SparseScores

K1, B = 1.2, 0.75  # as lexical.Bm25Index.build
DENSE, SPARSE = "dense", "bm25"
EMPTY_TOKEN = ""
MAX_POSTINGS = int(os.environ.get("ASSISTANT_QDRANT_MAX_POSTINGS", "20000"))
_RETRIEVE_BELOW = 512  # holds(): at most this many ids are read with their sparse vectors, more by postings
T = TypeVar("T")


def server_call(fn: Callable[[], T], where: str) -> T:
    """``fn()``, with any client or transport failure turned into a one-line IndexUnavailable."""
    try:
        return fn()
    except IndexUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001  (httpx, grpc and qdrant errors alike: the server is unusable)
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise IndexUnavailable(f"the Qdrant store {where} cannot be used ({detail}); is the server running? "
                               "(`--store qdrant://HOST:PORT` / ASSISTANT_STORE)") from exc


def documents_filter(docs: set[int]) -> models.Filter:
    """Units of these documents (the ``doc`` payload every unit point carries)."""
    chosen = models.MatchAny(any=sorted(int(d) for d in docs))
    return models.Filter(must=[models.FieldCondition(key="doc", match=chosen)])


@dataclass
class SparseUnits:
    """One kind of unit's BM25 as sparse vectors: what a build writes (``BuildStorage.lexical``)."""

    vocab: list[str]  # token id -> token
    df: list[int]  # token id -> how many units hold it
    rows: list[tuple[list[int], list[float]]]  # per unit: ascending token ids, term-frequency weights

    @classmethod
    def build(cls, token_lists: list[list[str]]) -> SparseUnits:
        lists = [toks or [EMPTY_TOKEN] for toks in token_lists]
        avg = float(np.mean([len(t) for t in lists])) if lists else 1.0
        ids: dict[str, int] = {}
        rows = []
        df: Counter[int] = Counter()
        for toks in lists:
            counts = Counter(ids.setdefault(t, len(ids)) for t in toks)
            idx = sorted(counts)
            tf = np.array([counts[i] for i in idx], dtype=np.float32)
            weights = tf / (K1 * ((1 - B) + B * len(toks) / avg) + tf)
            rows.append((idx, weights.astype(np.float32).tolist()))
            df.update(idx)
        return cls(list(ids), [df[i] for i in range(len(ids))], rows)

    @property
    def size(self) -> int:
        return len(self.rows)


class QdrantDense:
    """``backend.DenseSearch`` on a collection's dense vectors (dot product: the vectors are L2-normalised); the
    vectors are also held here, as the ranking features read rows of them by id."""

    def __init__(self, client: QdrantClient, collection: str, vectors: np.ndarray, exact: bool | None) -> None:
        self._client, self._collection, self._vectors, self._exact = client, collection, vectors, exact

    @property
    def ntotal(self) -> int:
        return len(self._vectors)

    @property
    def vectors(self) -> np.ndarray:
        return self._vectors

    def search_documents(self, query: np.ndarray, k: int, docs: set[int]) -> np.ndarray:
        """Ids of the ``k`` nearest units of ``docs``, best first: the filter runs in the engine (payload ``doc``)."""
        params = None if self._exact is None else models.SearchParams(exact=self._exact)
        result = server_call(lambda: self._client.query_points(
            self._collection, query=query.astype(np.float32).tolist(), using=DENSE, limit=k, search_params=params,
            query_filter=documents_filter(docs), with_payload=False), self._collection)
        return np.array([int(p.id) for p in result.points], dtype=np.int64)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        ids = np.full((len(queries), k), -1, dtype=np.int64)
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        params = None if self._exact is None else models.SearchParams(exact=self._exact)  # local mode: always exact
        requests = [models.QueryRequest(query=q.astype(np.float32).tolist(), using=DENSE, limit=k, params=params)
                    for q in queries]
        results = server_call(lambda: self._client.query_batch_points(self._collection, requests), self._collection)
        for row, result in enumerate(results):
            for col, point in enumerate(result.points[:k]):
                ids[row, col], scores[row, col] = int(point.id), point.score
        return scores, ids


class QdrantLexical:
    """``backend.LexicalSearch`` on a collection's sparse BM25 vectors (IDF applied by the server)."""

    def __init__(self, client: QdrantClient, collection: str, vocab: Sequence[str], df: Sequence[int],
                 size: int) -> None:
        self._client, self._collection, self._size = client, collection, size
        self._ids = {t: i for i, t in enumerate(vocab)}
        self._df = list(df)

    @property
    def size(self) -> int:
        return self._size

    def _known(self, tokens: Sequence[str]) -> list[int]:
        return [self._ids[t] for t in tokens if t and t in self._ids]

    def search(self, tokens: Sequence[str]) -> SparseScores:
        return self.search_documents(tokens, None)

    def search_documents(self, tokens: Sequence[str], docs: set[int] | None) -> SparseScores:
        """BM25 scores of the units holding a token, of ``docs`` only when given (a payload filter in the engine,
        so the postings limit is spent on those documents)."""
        counts = Counter(self._known(tokens))  # a repeated question token counts twice, as in Bm25Index.search
        if not counts:
            return SparseScores.empty()
        idx = sorted(counts)
        limit = min(self._size, sum(self._df[i] for i in idx), MAX_POSTINGS)
        vector = models.SparseVector(indices=idx, values=[float(counts[i]) for i in idx])
        flt = documents_filter(docs) if docs is not None else None
        result = server_call(lambda: self._client.query_points(self._collection, query=vector, using=SPARSE,
                                                               limit=limit, query_filter=flt, with_payload=False),
                             self._collection)
        pairs = sorted((int(p.id), p.score) for p in result.points if p.score > 0)
        return SparseScores(np.array([p[0] for p in pairs], np.int64), np.array([p[1] for p in pairs], np.float32))

    def idf(self, tokens: Sequence[str]) -> dict[str, float]:
        n = self._size
        return {t: math.log(1 + (n - self._df[self._ids[t]] + 0.5) / (self._df[self._ids[t]] + 0.5))
                for t in tokens if t and t in self._ids}

    def units_holding(self, tokens: Sequence[str]) -> list[np.ndarray]:
        """The ids of the units holding each token (ascending), from its postings on the server: one batch."""
        wanted = {j: self._ids[t] for j, t in enumerate(tokens) if t and t in self._ids}
        out = [np.zeros(0, np.int64) for _ in tokens]
        if wanted:
            results = server_call(lambda: self._client.query_batch_points(self._collection, self._postings(wanted)),
                                  self._collection)
            for j, result in zip(wanted, results, strict=True):
                out[j] = np.sort(np.array([int(p.id) for p in result.points], dtype=np.int64))
        return out

    def _postings(self, wanted: dict[int, int]) -> list[models.QueryRequest]:
        """One query per token id of ``wanted``, each reaching all of that token's postings."""
        return [models.QueryRequest(query=models.SparseVector(indices=[t], values=[1.0]), using=SPARSE,
                                    limit=max(self._df[t], 1)) for t in wanted.values()]

    def holds(self, tokens: Sequence[str], ids: np.ndarray) -> np.ndarray:
        """``out[i, j]``: whether unit ``ids[i]`` holds ``tokens[j]``: from the units' stored sparse vectors (few
        ids), or from each token's postings on the server (many)."""
        ids = np.asarray(ids, dtype=np.int64)
        out = np.zeros((len(ids), len(tokens)), dtype=bool)
        wanted = {j: self._ids[t] for j, t in enumerate(tokens) if t and t in self._ids}
        if not len(ids) or not wanted:
            return out
        if len(ids) <= _RETRIEVE_BELOW:
            points = server_call(lambda: self._client.retrieve(self._collection, ids.tolist(), with_payload=False,
                                                               with_vectors=[SPARSE]), self._collection)
            held = {int(p.id): set(p.vector[SPARSE].indices) for p in points}
            for i, unit in enumerate(ids.tolist()):
                row = held.get(unit, set())
                for j, token_id in wanted.items():
                    out[i, j] = token_id in row
            return out
        results = server_call(lambda: self._client.query_batch_points(self._collection, self._postings(wanted)),
                              self._collection)
        for j, result in zip(wanted, results, strict=True):
            out[:, j] = np.isin(ids, np.array([int(p.id) for p in result.points], dtype=np.int64))
        return out
