"""Lexical side: one tokeniser for documents and questions, and a BM25 index (bm25s) over token lists.

At query time only the postings of the query's tokens are read (``Bm25Index.search``): the result holds the units
that contain a query token, and every other unit scores 0, so a query costs what its postings cost, not the
corpus size.

The tokeniser folds case and accents, drops English stop words, maps common irregular verb forms to their base
("led" -> "lead", which no stemmer does) and applies the Snowball stemmer, so "inspected", "inspection" and
"inspections" meet.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

_EMPTY = "empty.json"  # marks the index of a corpus without a single token
_ORDER = "postings_order.json"  # whether every postings list ascends (checked when the index is built)
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
    off on once only or other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours yourself yourselves s t don ll ve re d m
    did does tell say says said many much whose""".split()
)
IRREGULAR = {
    "led": "lead", "leads": "lead", "leading": "lead", "ran": "run", "run": "run", "wrote": "write",
    "written": "write", "found": "find", "finds": "find", "made": "make", "given": "give", "gave": "give",
    "took": "take", "taken": "take", "began": "begin", "begun": "begin", "chose": "choose", "chosen": "choose",
    "held": "hold", "left": "leave", "met": "meet", "paid": "pay", "sent": "send", "spent": "spend",
    "thought": "think", "told": "tell", "became": "become", "came": "come", "went": "go", "gone": "go",
    "saw": "see", "seen": "see", "brought": "bring", "bought": "buy", "kept": "keep", "felt": "feel",
    "children": "child", "people": "person", "women": "woman", "men": "man",
}


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def _lower_without_accents(text: str) -> str:
    """Token normalisation for BM25 (café -> cafe); quoting and matching use folding.fold instead."""
    text = text.lower()
    if text.isascii():  # NFKD leaves ASCII alone and it has no combining marks: the common case, made cheap
        return text
    text = unicodedata.normalize("NFKD", text)
    return text if text.isascii() else "".join(c for c in text if not unicodedata.combining(c))


def has_words(text: str) -> bool:
    """Whether ``text`` holds anything to search for: a letter or a digit. A question or quote of only emoji,
    symbols or punctuation has none, and is refused as bad input by ask and cite alike rather than answered
    with whatever passages happen to lie nearest to nothing."""
    return any(c.isalnum() for c in text)


def tokenize(text: str) -> list[str]:
    """Stemmed content tokens of ``text``, in order (repeats kept, as BM25 counts them)."""
    words = [w.split("'")[0] for w in _WORD.findall(_lower_without_accents(text).replace("’", "'"))]
    words = [IRREGULAR.get(w, w) for w in words if w and w not in STOP_WORDS]
    return _stemmer().stemWords(words)


def top_k(values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` largest values, best first; equal values in position order (deterministic)."""
    n = len(values)
    k = min(k, n)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    sel = np.arange(n) if k == n else np.flatnonzero(values >= np.partition(values, n - k)[n - k])
    return sel[np.argsort(-values[sel], kind="stable")[:k]]


@dataclass(frozen=True)
class SparseScores:
    """BM25 scores of the units holding a query token, by ascending unit id; every other unit scores 0."""

    ids: np.ndarray  # int64, ascending, unique
    values: np.ndarray  # float32, > 0

    @classmethod
    def empty(cls) -> SparseScores:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.float32))

    def __len__(self) -> int:
        return len(self.ids)

    def max(self) -> float:
        return float(self.values.max()) if len(self.values) else 0.0

    def at(self, ids: np.ndarray) -> np.ndarray:
        """Scores of ``ids`` (0 where a unit holds no query token), by binary search in the postings."""
        ids = np.asarray(ids, dtype=np.int64)
        if not len(self.ids):
            return np.zeros(len(ids), np.float32)
        pos = np.minimum(np.searchsorted(self.ids, ids), len(self.ids) - 1)
        return np.where(self.ids[pos] == ids, self.values[pos], np.float32(0.0)).astype(np.float32)

    def top(self, k: int) -> np.ndarray:
        """Ids of the ``k`` best-scoring units, best first (only units that score above 0)."""
        return self.ids[top_k(self.values, k)]

    def within(self, unit_doc: np.ndarray, docs: set[int]) -> SparseScores:
        """Only the units of ``docs`` (``unit_doc[i]`` is unit i's document); work is per posting."""
        keep = np.isin(unit_doc[self.ids], np.fromiter(docs, np.int64, len(docs)))
        return SparseScores(self.ids[keep], self.values[keep])


def _postings_sorted(matrix: dict) -> bool:
    """Whether every token's postings list holds ascending unit ids (bm25s writes them so), so that ``holds`` may
    binary-search them: one pass over the postings when an index is built (or one saved without the flag loads)."""
    indices, indptr = matrix["indices"], matrix["indptr"]
    starts = np.asarray(indptr[1:-1], dtype=np.int64)  # where a new token's list begins (it may start lower)
    block = 1 << 20  # in slices: no temporary the size of all postings (45M at 1M chunks)
    for lo in range(0, max(len(indices) - 1, 0), block):
        hi = min(lo + block, len(indices) - 1)
        rising = np.diff(np.asarray(indices[lo : hi + 1], dtype=np.int64)) > 0
        new_list = starts[(starts > lo) & (starts <= hi)] - 1 - lo
        rising[new_list] = True
        if not rising.all():
            return False
    return True


class Bm25Index:
    """BM25 over pre-tokenised units (bm25s keeps a sparse score matrix: one column of postings per token)."""

    def __init__(self, retriever: bm25s.BM25 | None, size: int = 0, ascending: bool | None = None) -> None:
        self._bm25 = retriever  # None when no unit has a single token (bm25s cannot index an empty vocabulary)
        self._vocab = set(retriever.vocab_dict) if retriever is not None else set()
        self._size = size
        if ascending is None:  # a new index, or one saved without the flag: one pass over the postings
            ascending = retriever is not None and _postings_sorted(retriever.scores)
        self._sorted = ascending

    @property
    def postings_sorted(self) -> bool:
        """Whether each token's postings ascend (checked at build), so ``holds`` may binary-search them."""
        return self._sorted

    @property
    def score_matrix(self) -> dict:
        """bm25s's sparse score matrix ("data", "indices", "indptr"); empty when nothing is indexed."""
        return self._bm25.scores if self._bm25 is not None else {}

    def with_postings_order(self, ascending: bool) -> Bm25Index:
        """The same index told its postings are (or are not) in ascending order: tests the fallback path."""
        return Bm25Index(self._bm25, self._size, ascending)

    @classmethod
    def build(cls, token_lists: list[list[str]]) -> Bm25Index:
        if not any(token_lists):
            return cls(None, len(token_lists))
        retriever = bm25s.BM25(k1=1.2, b=0.75)
        retriever.index([toks or [""] for toks in token_lists], show_progress=False)
        return cls(retriever)

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """Every unit's score, as an array the size of the corpus (benchmarks, tests); queries use ``search``."""
        known = [t for t in query_tokens if t in self._vocab and t]
        if not known or self._bm25 is None:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def search(self, query_tokens: list[str]) -> SparseScores:
        """Scores from the postings of the query's tokens only; equal, unit for unit, to ``scores`` (the same
        float32 sums in the same token order, as bm25s adds them), without an array the size of the corpus."""
        known = [t for t in query_tokens if t in self._vocab and t]
        if not known or self._bm25 is None:
            return SparseScores.empty()
        m = self._bm25.scores
        cols = [self._bm25.vocab_dict[t] for t in known]
        idx = np.concatenate([m["indices"][m["indptr"][c] : m["indptr"][c + 1]] for c in cols])
        data = np.concatenate([m["data"][m["indptr"][c] : m["indptr"][c + 1]] for c in cols])
        ids, inverse = np.unique(idx, return_inverse=True)
        values = np.zeros(len(ids), dtype=np.float32)
        np.add.at(values, inverse, data.astype(np.float32, copy=False))
        return SparseScores(ids.astype(np.int64), values)

    def holds(self, tokens: list[str], ids: np.ndarray) -> np.ndarray:
        """``out[i, j]``: whether unit ``ids[i]`` holds ``tokens[j]``, read from that token's postings (the
        tokens the index was built from), so no unit's text is tokenised again."""
        out = np.zeros((len(ids), len(tokens)), dtype=bool)
        if self._bm25 is None or not len(ids):
            return out
        m = self._bm25.scores
        ids = np.asarray(ids, dtype=m["indices"].dtype)
        for j, t in enumerate(tokens):
            if t and t in self._vocab:
                c = self._bm25.vocab_dict[t]
                postings = m["indices"][m["indptr"][c] : m["indptr"][c + 1]]
                if self._sorted:  # binary search: cost grows with the candidates, not with the postings
                    pos = np.minimum(np.searchsorted(postings, ids), len(postings) - 1)
                    out[:, j] = postings[pos] == ids
                else:
                    out[:, j] = np.isin(ids, postings)
        return out

    def units_holding(self, tokens: Sequence[str]) -> list[np.ndarray]:
        """The ids of the units that hold each token: its postings, read in place (empty for an unknown token)."""
        return [self._postings_of(t) for t in tokens]

    def _postings_of(self, token: str) -> np.ndarray:
        if self._bm25 is None or not token or token not in self._vocab:
            return np.zeros(0, dtype=np.int64)
        m, c = self._bm25.scores, self._bm25.vocab_dict[token]
        return m["indices"][m["indptr"][c] : m["indptr"][c + 1]]

    def postings(self, query_tokens: list[str]) -> int:
        """How many postings ``search`` reads for these tokens (the work a query does here)."""
        known = [t for t in query_tokens if t in self._vocab and t]
        return sum(self._doc_freq(t) for t in known)

    def idf(self, tokens: list[str]) -> dict[str, float]:
        """Inverse document frequency of each known token (unknown tokens are left out)."""
        n = self.size
        out: dict[str, float] = {}
        for t in tokens:
            if t in self._vocab and t:
                df = self._doc_freq(t)
                out[t] = float(np.log(1 + (n - df + 0.5) / (df + 0.5)))
        return out

    def _doc_freq(self, token: str) -> int:
        col = self._bm25.vocab_dict[token]
        indptr = self._bm25.scores["indptr"]
        return int(indptr[col + 1] - indptr[col])

    @property
    def size(self) -> int:
        return int(self._bm25.scores["num_docs"]) if self._bm25 is not None else self._size

    def save(self, path: Path) -> None:
        if self._bm25 is None:
            path.mkdir(parents=True, exist_ok=True)
            (path / _EMPTY).write_text(json.dumps({"size": self._size}))
        else:
            self._bm25.save(str(path))
            (path / _ORDER).write_text(json.dumps({"ascending": self._sorted}))

    @classmethod
    def load(cls, path: Path) -> Bm25Index:
        """The postings are memory-mapped, not read into RAM: a question reads only its tokens' lists (at 1M
        chunks the two BM25 indexes are ~0.8 GB on disk). A build folder is never changed once written, and a
        removed one stays readable through an open mapping, so a mapping is as safe here as a copy."""
        if (path / _EMPTY).is_file():
            return cls(None, int(json.loads((path / _EMPTY).read_text())["size"]))
        order = json.loads((path / _ORDER).read_text()) if (path / _ORDER).is_file() else {}
        retriever = bm25s.BM25.load(str(path), mmap=True)
        # Plain ndarray views of the same mapped memory: slicing a np.memmap costs ~7x a plain slice (its
        # __getitem__ and __array_finalize__ run in Python), and a question slices ~600 postings lists.
        retriever.scores = {k: np.asarray(v) if isinstance(v, np.memmap) else v for k, v in retriever.scores.items()}
        return cls(retriever, ascending=order.get("ascending"))
