"""Stage 3b of the question path: read the best candidates with the cross-encoder and describe each for the
learned ranker.

Why a second look at a few candidates: the first-stage score (a linear mix of retrieval features) is cheap enough
for every candidate but cannot tell "the sentence shares the question's words" from "the sentence answers it";
the reader (assistant/reader) can, at a few milliseconds per candidate, so it reads only the first stage's top K.
Why explicit constraint features: similarity alone cannot see that a year, a figure or a rare word (a place, a
council, a name) of the question is absent from the candidate's document; these are checked here against the
index's own tokens (BM25 postings), so a question about "sheffield" or "2020" is not answered from a document
that never mentions them. Everything is case-insensitive because users type in lower case.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.index.backend import IndexBackend, doc_units
from assistant.query.answer_types import asks_who, figure_kind, holds_figure_kind
from assistant.query.types import FEATURES, Candidates, Query
from assistant.reader.inputs import Candidate
from assistant.reader.runtime import Reading, SentenceTokens

RANK_FEATURES = (
    *FEATURES,
    "first_stage", "first_gap", "first_rank",  # the linear score, its distance to the question's best, its rank
    "reader", "reader_gap", "reader_rank", "reader_neighbour",  # cross-encoder logit and its relatives
    "missing_doc", "max_missing_doc", "missing_context",  # IDF share of question words absent from doc / context
    "number_missing_context", "number_missing_doc",  # a figure or year of the question absent
    "bm25_strength", "question_words", "typed_question",
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_ANSWER_TYPE_COLUMN = RANK_FEATURES.index("answer_type")  # 1: the sentence holds a span of the wanted kind

ReaderScorer = Callable[[str, Sequence[Candidate]], "np.ndarray | Reading"]  # logits, or a Reading with tokens


@dataclass(frozen=True)
class ReadCandidates:
    """The first stage's top candidates (rows of Candidates, best first), their RANK_FEATURES rows and, when the
    reader gave them, each row's sentence tokens (for the highlight head)."""

    rows: np.ndarray
    features: np.ndarray
    tokens: tuple[SentenceTokens | None, ...] = ()
    other_year: np.ndarray | None = None  # per row: about another year than the question's (query/years.py)
    looking_back: np.ndarray | None = None  # per row: second-hand for the question, set below the rest (years.py:
    # a later report mentioning the question's year...; judgements.other_areas: an area's grade for the headline)
    top_logit: float | None = None  # the best logit of a row about the question's year: the evidence

    def tokens_by_sentence(self, cands: Candidates) -> dict[int, SentenceTokens]:
        return {int(cands.ids[r]): t for r, t in zip(self.rows, self.tokens, strict=False) if t is not None}


def _same_doc(store: IndexBackend, a: int, b: int) -> bool:
    return 0 <= b < store.n_sentences and int(store.sent_doc[a]) == int(store.sent_doc[b])


def context_ids(store: IndexBackend, sid: int) -> list[int]:
    """The sentence and its neighbours in the same document, in order: the passage a constraint is checked in."""
    return [j for j in (sid - 1, sid, sid + 1) if j == sid or _same_doc(store, sid, j)]


def context_text(store: IndexBackend, sid: int) -> str:
    """The text of ``context_ids``: what a constraint (a figure, a sum) is looked for in."""
    return " ".join(store.sentence_text(j) for j in context_ids(store, sid))


def reader_candidate(store: IndexBackend, sid: int) -> Candidate:
    """A sentence as the reader was trained to see it: with its document's title and its neighbours."""
    prev = store.sentence_text(sid - 1) if _same_doc(store, sid, sid - 1) else ""
    nxt = store.sentence_text(sid + 1) if _same_doc(store, sid, sid + 1) else ""
    return Candidate(store.sentence_text(sid), store.docs[int(store.sent_doc[sid])].title, prev, nxt)


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


class DocFigures:
    """The figures (numbers, years) of each document, read once per loaded index: a question with a figure meets
    a few documents, and scanning a 60-page report's text for every such question would cost milliseconds."""

    def __init__(self, store: IndexBackend) -> None:
        self.store = store
        self._cache: dict[int, frozenset[str]] = {}

    def __getitem__(self, doc_id: int) -> frozenset[str]:
        if doc_id not in self._cache:
            d = self.store.docs[doc_id]
            self._cache[doc_id] = frozenset(set().union(*(_numbers(p) for p in d.pages), _numbers(
                f"{d.title} {d.context}")))
        return self._cache[doc_id]


class ConstraintCheck:
    """Which of a question's words and figures each candidate's document and context hold."""

    def __init__(self, store: IndexBackend, query: Query, figures: DocFigures | None = None) -> None:
        self.store = store
        self.figures = figures or DocFigures(store)
        self.tokens = list(dict.fromkeys(t for t in query.tokens if t))
        n = max(store.sent_bm25.size, 1)
        top_idf = float(np.log(1 + (n + 0.5) / 0.5))  # a word no sentence holds is as rare as can be
        idf = store.sent_bm25.idf(self.tokens)
        self.weights = np.array([idf.get(t, top_idf) for t in self.tokens], dtype=np.float64)
        self.total = float(self.weights.sum()) or 1.0
        self.top = float(self.weights.max()) if len(self.weights) else 1.0
        self.numbers = _numbers(query.text)
        self._doc_cache: dict[int, tuple[np.ndarray, frozenset[str] | None]] = {}

    def _doc(self, doc_id: int) -> tuple[np.ndarray, frozenset[str] | None]:
        """Which question tokens the document holds anywhere (postings), and its figures when the question has any."""
        if doc_id not in self._doc_cache:
            ids = doc_units(self.store.sent_doc, {doc_id})
            held = self.store.sent_bm25.holds(self.tokens, ids).any(0) if self.tokens else np.zeros(0, bool)
            self._doc_cache[doc_id] = (held, self.figures[doc_id] if self.numbers else None)
        return self._doc_cache[doc_id]

    def rows(self, sids: Sequence[int]) -> list[list[float]]:
        """``row`` of each sentence; their contexts' postings are read in one pass (one binary search a token
        for all of them, not one a sentence)."""
        if not self.tokens:
            return [self._row(sid, None) for sid in sids]
        contexts = [context_ids(self.store, sid) for sid in sids]
        held = self.store.sent_bm25.holds(self.tokens, np.array([j for c in contexts for j in c]))
        bounds = np.cumsum([0] + [len(c) for c in contexts])
        return [self._row(sid, held[a:b].any(0)) for sid, a, b in zip(sids, bounds[:-1], bounds[1:], strict=True)]

    def _row(self, sid: int, held_ctx: np.ndarray | None) -> list[float]:
        """The constraint features of sentence ``sid``, given which question tokens its context holds (None: the
        question has no tokens, so nothing is held anywhere)."""
        s = self.store
        doc_id = int(s.sent_doc[sid])
        held_doc, figures = self._doc(doc_id)
        if held_ctx is None:
            held_ctx = held_doc
        miss_doc = ~held_doc
        ctx_text = context_text(s, sid)
        return [
            float(self.weights @ miss_doc) / self.total,
            float(self.weights[miss_doc].max()) / self.top if miss_doc.any() else 0.0,
            float(self.weights @ ~held_ctx) / self.total,
            float(bool(self.numbers - _numbers(ctx_text))),
            float(bool(figures is not None and self.numbers - figures)),
        ]


def read_candidates(store: IndexBackend, query: Query, cands: Candidates, first: np.ndarray, k: int,
                    reader: ReaderScorer, figures: DocFigures | None = None) -> ReadCandidates:
    """RANK_FEATURES for the first stage's ``k`` best candidates, read by ``reader``."""
    rows = np.argsort(-first, kind="stable")[:k]
    sids = [int(cands.ids[r]) for r in rows]
    read = reader(query.text, [reader_candidate(store, sid) for sid in sids])
    reading = read if isinstance(read, Reading) else Reading(np.asarray(read))
    logits = np.asarray(reading.logits, dtype=np.float64)
    by_sid = dict(zip(sids, logits, strict=True))
    check = ConstraintCheck(store, query, figures)
    best_first, best_reader = float(first[rows[0]]), float(logits.max())
    reader_rank = np.argsort(np.argsort(-logits, kind="stable"), kind="stable")
    out = np.zeros((len(rows), len(RANK_FEATURES)), dtype=np.float64)
    n_words = len(set(query.tokens))
    constraints = check.rows(sids)
    for i, (r, sid) in enumerate(zip(rows, sids, strict=True)):
        neighbour = max((by_sid[j] for j in (sid - 1, sid + 1) if j in by_sid and _same_doc(store, sid, j)),
                        default=best_reader - 10.0) - best_reader
        out[i] = [*cands.features[r], first[r], first[r] - best_first, i / max(k - 1, 1),
                  logits[i], logits[i] - best_reader, reader_rank[i] / max(k - 1, 1), neighbour,
                  *constraints[i], cands.bm25_strength, min(n_words, 20) / 20, float(query.kind is not None)]
    return ReadCandidates(rows, out, reading.sentences)


def names_nobody(query: Query, read: ReadCandidates) -> bool:
    """A question that asks who (``answer_types.asks_who``) and none of whose read candidates holds a person's name
    other than the question's own: then no passage can answer it ("who is leeds chief officer for corporate
    parenting?" over reports that name the post, never its holder). The explicit check of the answer's kind,
    where the ranker weighs it as one feature among many."""
    return asks_who(query.text) and len(read.rows) > 0 and not read.features[:, _ANSWER_TYPE_COLUMN].any()


def figure_missing(store: IndexBackend, query: Query, cands: Candidates, read: ReadCandidates) -> str | None:
    """The kind of figure (``answer_types.figure_kind``: a sum of money, a share) a question asks for when none of
    its read candidates gives one in its sentence or neighbours, else None: "how much are social workers paid?"
    over passages that speak of pay and give no sum cannot be answered from them."""
    kind = figure_kind(query.text)
    if kind is None or not len(read.rows):
        return None
    passages = (context_text(store, int(cands.ids[r])) for r in read.rows)
    return None if any(holds_figure_kind(text, kind) for text in passages) else kind
