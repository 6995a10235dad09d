"""The question path as named, public stages: prepare -> candidates -> rank -> decide -> quote.

``Assistant.ask`` runs them in this order through ``Pipeline.run``; bench and tuning scripts call the same
stages one by one (e.g. candidates once, then rank with many weight settings), so no script keeps a copy of the
product's logic. Each stage is a small function in its own module; this class only holds what they share for
one loaded index (the store, the embedder, the searcher, the tuned parameters).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from assistant.config import AnswerSettings
from assistant.index.backend import IndexBackend
from assistant.query.decision import Decision, decide
from assistant.query.params import Params, load_params
from assistant.query.question import BadQuestion, QueryEncoder, prepare_question
from assistant.query.quoting import Extractor
from assistant.query.ranking import score_candidates, with_answer_type
from assistant.query.retrieval import Searcher
from assistant.query.types import Answer, Candidates, Query, Quote


class DocNames:
    """Document ids by path or by any path suffix (a bare file name works), by dictionary look-up."""

    def __init__(self, store: IndexBackend) -> None:
        self._ids: dict[str, set[int]] = defaultdict(set)
        for i, d in enumerate(store.docs):
            parts = d.doc.split("/")
            for j in range(len(parts)):
                self._ids["/".join(parts[j:])].add(i)

    def match(self, names: Iterable[str]) -> set[int]:
        return set().union(*(self._ids.get(w, ()) for w in names))

    def resolve(self, names: Iterable[str]) -> set[int]:
        """``match``, but a name that matches no document is BadQuestion: a filter naming nothing is a typo,
        not a question the documents cannot answer."""
        names = tuple(names)
        unknown = next((w for w in names if w not in self._ids), None)
        if unknown is not None:
            raise BadQuestion(f"no document matches {unknown}")
        return self.match(names)


@dataclass(frozen=True)
class Trace:
    """Everything one question produced, stage by stage (bench scripts read the intermediate values)."""

    query: Query
    candidates: Candidates
    scores: np.ndarray
    decision: Decision
    answer: Answer


class Pipeline:
    """The stages of the question path over one loaded index."""

    def __init__(self, store: IndexBackend, encoder: QueryEncoder, params: Params | None = None) -> None:
        self.store = store
        self.encoder = encoder
        self.params = params or load_params()
        self.searcher = Searcher(store, self.params.fusion_bm25_weight)
        self.names = DocNames(store)

    def prepare(self, question: str) -> Query:
        return prepare_question(question, self.encoder)

    def candidates(self, query: Query, settings: AnswerSettings, docs: set[int] | None = None) -> Candidates:
        cands = self.searcher.candidates(query, settings.chunk_candidates, settings.sentence_candidates, docs)
        return with_answer_type(query, cands, self.store)

    def rank(self, cands: Candidates, settings: AnswerSettings) -> np.ndarray:
        return score_candidates(cands, {**self.params.weights, **settings.weights})

    def decide(self, cands: Candidates, scores: np.ndarray, settings: AnswerSettings) -> Decision:
        return decide(cands, scores, settings.abstain_threshold, self.params)

    def quote(self, query: Query, cands: Candidates, scores: np.ndarray, settings: AnswerSettings,
              k: int) -> list[Quote]:
        return Extractor(self.store, settings).quotes(query, cands, scores, k) if len(scores) else []

    def run(self, question: str, settings: AnswerSettings, k: int | None = None,
            docs: Iterable[str] | None = None) -> Trace:
        """All stages in order; ``docs`` (paths or file names) restricts the answer to those documents."""
        t0 = time.perf_counter()
        query = self.prepare(question)
        t1 = time.perf_counter()
        cands = self.candidates(query, settings, self.names.resolve(docs) if docs is not None else None)
        t2 = time.perf_counter()
        trace = self.answer(query, cands, settings, k)
        timings = _ms(t0, t1, t2, time.perf_counter())
        return replace(trace, answer=replace(trace.answer, timings_ms=timings))

    def answer(self, query: Query, cands: Candidates, settings: AnswerSettings, k: int | None = None) -> Trace:
        """Stages 3-5 (rank, decide, quote) on candidates already found: tuning scripts reuse one candidate set
        under many settings. Nothing to quote is never an answer."""
        scores = self.rank(cands, settings)
        decision = self.decide(cands, scores, settings)
        quotes = self.quote(query, cands, scores, settings, k or settings.k)
        answer = Answer(query.text, decision.answered and bool(quotes), tuple(quotes), decision.evidence)
        return Trace(query, cands, scores, decision, answer)


def _ms(t0: float, t1: float, t2: float, t3: float) -> dict[str, float]:
    return {"embed": (t1 - t0) * 1e3, "search": (t2 - t1) * 1e3, "extract": (t3 - t2) * 1e3, "total": (t3 - t0) * 1e3}
