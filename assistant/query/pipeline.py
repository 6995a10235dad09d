"""The question path as named, public stages: prepare -> candidates -> rank (first stage, then read) -> decide
-> quote.

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
from assistant.query.highlight import SentenceHighlighter, best_span
from assistant.query.judgements import other_areas
from assistant.query.on_request_lines import OnRequestLines
from assistant.query.params import Params, load_params
from assistant.query.question import BadQuestion, QueryEncoder, prepare_question
from assistant.query.quoting import Extractor
from assistant.query.ranker import Ranker, load_ranker
from assistant.query.ranking import score_candidates, with_answer_type
from assistant.query.reading import (
    DocFigures,
    ReadCandidates,
    ReaderScorer,
    figure_missing,
    names_nobody,
    read_candidates,
)
from assistant.query.retrieval import Searcher
from assistant.query.scope import (
    Scope,
    TitleCasing,
    documents_in_scope,
    question_scope,
    unknown_places,
    unmentioned_place_phrases,
    year_conflict,
)
from assistant.query.types import Answer, Candidates, Query, Quote, SearchScope
from assistant.query.years import below_the_others, document_years, question_years, year_marks
from assistant.reader.runtime import SpanWeights


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
    scores: np.ndarray  # final: the ranker's logits for the read candidates, the rest below them in first-stage order
    decision: Decision
    answer: Answer
    first_stage: np.ndarray | None = None  # the linear first-stage score of every candidate
    read: ReadCandidates | None = None  # the candidates the reader read, with their ranker features


class Pipeline:
    """The stages of the question path over one loaded index."""

    def __init__(self, store: IndexBackend, encoder: QueryEncoder, params: Params | None = None,
                 reader: ReaderScorer | None = None, ranker: Ranker | None = None) -> None:
        self.store = store
        self.encoder = encoder
        self.params = params or load_params()
        self._reader = reader  # loaded on first use: the app shows its page before the model is read
        self._shipped_reader = reader is None  # only the shipped reader's token states fit its highlight head
        self._ranker = ranker
        self.figures = DocFigures(store)  # each document's figures, read once, for the constraint checks
        self.on_request = OnRequestLines(store)  # footers, addresses, cover pages: quoted only when asked for
        self.searcher = Searcher(store, self.params.fusion_bm25_weight)
        self.names = DocNames(store)
        self._name_tokens: dict[str, bool] = {}  # token -> the documents write it as a name (scope.py)
        self._dated = np.array([d.date is not None for d in store.docs], bool)
        self._doc_sizes = np.bincount(store.sent_doc, minlength=len(store.docs))  # sentences per document
        self._title_casing = TitleCasing([d.title for d in store.docs])  # counted on first use
        self._doc_years = document_years(store)  # the years each dated document is about (years.py)

    def scope(self, query: Query, titled_only: bool = False) -> Scope:
        """The question's names and years, and which documents use each (scope.py); ``titled_only`` for the
        ordinary ask, which narrows by words some document's title or context line holds."""
        return question_scope(self.store, query, self.searcher.doc_tokens, self._name_tokens, self._doc_sizes,
                              self._title_casing if titled_only else None)

    def prepare(self, question: str) -> Query:
        return prepare_question(question, self.encoder, self.store.sent_bm25.idf)

    def candidates(self, query: Query, settings: AnswerSettings, docs: set[int] | None = None,
                   chosen: bool = True) -> Candidates:
        """``docs`` restricts the candidates; ``chosen`` is False when they are not the user's choice (retrieval).
        With no ``docs`` and ``settings.scope``, a question naming what documents are about (a council or a year
        some title or context line holds) is searched only in the documents that mention it: "how many children in
        care in leeds" is not answered from Wakefield however close its wording (``scope.documents_in_scope``)."""
        searched = SearchScope()
        if docs is None and settings.scope:
            scope = self.scope(query, titled_only=True)
            narrowed = documents_in_scope(scope, self._dated, self._doc_sizes)
            if narrowed is not None:
                docs, chosen = {int(d) for d in narrowed.docs}, False
            searched = SearchScope(narrowed.words if narrowed else (), len(docs) if narrowed else None,
                                   unknown_places(scope) + unmentioned_place_phrases(self.store, query.text),
                                   year_conflict(scope, self._dated))
        cands = self.searcher.candidates(query, settings.chunk_candidates, settings.sentence_candidates, docs,
                                         chosen)
        cands = self.on_request.without(query.text, cands)
        return replace(with_answer_type(query, cands, self.store), scope=searched)

    @property
    def reader(self) -> ReaderScorer:
        if self._reader is None:
            from assistant.reader.runtime import load_reader

            self._reader = load_reader().read
        return self._reader

    @property
    def span_weights(self) -> SpanWeights | None:
        """The highlight head of the shipped reader (None with another scorer, or a reader without one)."""
        if not self._shipped_reader:
            return None
        from assistant.reader.runtime import load_reader

        return load_reader().span_weights

    def highlighter(self, query: Query, cands: Candidates, read: ReadCandidates | None) -> SentenceHighlighter | None:
        """Sentence id -> the highlight head's span, for the sentences the reader read (None without a head)."""
        weights = self.span_weights
        tokens = read.tokens_by_sentence(cands) if read is not None else {}
        if weights is None or not tokens:
            return None
        store = self.store
        return lambda sid: (best_span(weights, tokens[sid], store.sentence_text(sid), query.kind, query.text)
                            if sid in tokens else None)

    @property
    def ranker(self) -> Ranker:
        if self._ranker is None:
            self._ranker = load_ranker()
        return self._ranker

    def first_stage(self, cands: Candidates, settings: AnswerSettings) -> np.ndarray:
        return score_candidates(cands, {**self.params.weights, **settings.weights})

    def read(self, query: Query, cands: Candidates, first: np.ndarray, k: int | None = None) -> ReadCandidates:
        """The first stage's ``k`` best (the ranker's read_k by default) read and described for the ranker."""
        return read_candidates(self.store, query, cands, first, k or self.ranker.read_k, self.reader, self.figures)

    def rank(self, query: Query, cands: Candidates, settings: AnswerSettings,
             ) -> tuple[np.ndarray, np.ndarray, ReadCandidates | None]:
        """Final scores, first-stage scores and what was read. With the reader on, the read candidates score
        the ranker's logits and every other one stays below them, in first-stage order; a read candidate about
        another year than the question names (``years.year_marks``) sits below the other read ones, and one
        from another year's report that mentions the year below those from the year's own documents."""
        first = self.first_stage(cands, settings)
        if not settings.reader or len(first) == 0:
            return first, first, None
        scores, read = self.scored(query, cands, first, self.read(query, cands, first))
        return scores, first, read

    def scored(self, query: Query, cands: Candidates, first: np.ndarray, read: ReadCandidates,
               ranker: Ranker | None = None) -> tuple[np.ndarray, ReadCandidates]:
        """``rank`` after the reading: the final scores under ``ranker`` (the pipeline's by default; calibration
        tries others), with the read candidates about another year below the rest, and the read candidates with
        that mark."""
        other, looking_back = year_marks(self.store, self._doc_years, query, cands, read.rows)
        looking_back |= other_areas(self.store, query, cands, read.rows)
        raw = (ranker or self.ranker).logits(read.features)
        top = float(raw[~other].max()) if (~other).any() else None
        read = replace(read, other_year=other, looking_back=looking_back, top_logit=top)
        logits = below_the_others(below_the_others(raw, looking_back), other)
        return final_scores(first, read, logits), read

    def checked(self, query: Query, cands: Candidates, read: ReadCandidates | None) -> Candidates:
        """``cands`` with what the reading ruled out: a who-question none of whose read passages names a person,
        a question whose every read passage is about another year, a question for a sum or a share none of whose
        read passages gives one (``SearchScope.ruled_out``)."""
        if read is None:
            return cands
        found: dict[str, object] = {}
        if names_nobody(query, read):
            found["nobody_named"] = True
        if read.other_year is not None and len(read.rows) and read.other_year.all():
            found["other_years"] = tuple(sorted(question_years(query.text)))
        if kind := figure_missing(self.store, query, cands, read):
            found["figure_missing"] = kind
        return replace(cands, scope=replace(cands.scope, **found)) if found else cands

    def decide(self, cands: Candidates, scores: np.ndarray, settings: AnswerSettings,
               read: ReadCandidates | None = None) -> Decision:
        """Answer or abstain; a question no document can answer (``SearchScope.ruled_out``) is never answered."""
        if read is not None:  # the ranker's best logit is the evidence (0 = the default level's threshold)
            best = int(scores.argmax())
            evidence = float(scores[best]) if read.top_logit is None else read.top_logit
            decision = Decision(evidence >= settings.abstain_threshold, evidence, best)
        else:
            decision = decide(cands, scores, settings.abstain_threshold, self.params)
        return self.ruled_out(decision) if cands.scope.ruled_out else decision

    def quote(self, query: Query, cands: Candidates, scores: np.ndarray, settings: AnswerSettings,
              k: int, merge_scores: np.ndarray | None = None, read: ReadCandidates | None = None) -> list[Quote]:
        if not len(scores):
            return []
        return Extractor(self.store, settings).quotes(query, cands, scores, k, merge_scores,
                                                      self.highlighter(query, cands, read))

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
        scores, first, read = self.rank(query, cands, settings)
        cands = self.checked(query, cands, read)
        decision = self.decide(cands, scores, settings, read)
        quotes = self.quote(query, cands, scores, settings, k or settings.k, first, read)
        answer = Answer(query.shown, decision.answered and bool(quotes), tuple(quotes), decision.evidence,
                        scope=cands.scope, searched_as=query.text if query.asked else None)
        return Trace(query, cands, scores, decision, answer, first, read)

    def ruled_out(self, decision: Decision) -> Decision:
        """Not answered, whatever the strictness: no document can answer (``SearchScope.ruled_out``). The evidence
        is kept below every strictness level's threshold (the largest number under the most lenient one), so
        anything that reads the evidence, like the evaluation's operating points, sees a refusal at every level."""
        levels = [lv.threshold for lv in self.params.levels]
        evidence = min(decision.evidence, float(np.nextafter(min(levels), -np.inf))) if levels else decision.evidence
        return replace(decision, answered=False, evidence=evidence)


def final_scores(first: np.ndarray, read: ReadCandidates, logits: np.ndarray) -> np.ndarray:
    """The read candidates score the ranker's ``logits``; every other one stays below them, in first-stage order."""
    scores = (first - first.max() + logits.min() - 1.0).astype(np.float64)
    scores[read.rows] = logits
    return scores


def _ms(t0: float, t1: float, t2: float, t3: float) -> dict[str, float]:
    return {"embed": (t1 - t0) * 1e3, "search": (t2 - t1) * 1e3, "extract": (t3 - t2) * 1e3, "total": (t3 - t0) * 1e3}
