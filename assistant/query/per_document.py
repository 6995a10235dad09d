"""A question asked across documents: the best quote of each document that answers it, in the documents' date order.

"What did each Bradford inspection say about caseloads?" is the normal question path run once per document: the
question is prepared (embedded) once, then each document gets its own candidates, ranking, decision and quote
(``Pipeline.candidates`` restricted to it, ``Pipeline.answer`` with k=1), so a document is listed only when the
same strictness decision as a normal ask says its best passage answers. Two things differ from a normal ask with
a document filter, both because here the program, not the user, chose the document:

- the document's match with the question counts as it would in a normal ask (``chosen=False``), rather than as
  complete;
- a document outside the question's scope (``query.scope``: it does not mention a name or a year of the question,
  or only in passing) is refused before it is read, with that reason; a word no document uses, or a place name of
  several words no document mentions whole ("north yorkshire"), refuses every document.

Cost: the reader reads ``read_k`` passages of each document in scope (~20 ms of ~27 ms a document on 2 cores,
``bench/bench_per_document.py``), so the scope check that skips the others also keeps a question about one council
fast. Reading documents in two threads gave nothing measurable on the shared 2-core machine, so they are read in
turn.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from assistant.config import AnswerSettings
from assistant.query.pipeline import Pipeline
from assistant.query.scope import Scope, unmentioned_place_phrases
from assistant.query.types import Query, Quote


@dataclass(frozen=True)
class DocumentResult:
    """One document's outcome: its best quote when it answers, else why not."""

    doc: str
    title: str
    date: str | None  # ISO "YYYY-MM-DD" or None (listed last)
    answered: bool
    evidence: float | None  # the ranker's best logit (None: not read, out of scope)
    quote: Quote | None  # the best passage (also kept for a refused document that was read: not an answer)
    reason: str | None = None  # why a document does not answer

    def to_json(self) -> dict[str, object]:
        return {"doc": self.doc, "title": self.title, "date": self.date, "reason": self.reason,
                "evidence": None if self.evidence is None else round(self.evidence, 4)}


@dataclass(frozen=True)
class PerDocumentAnswer:
    question: str
    answers: tuple[DocumentResult, ...]  # documents that answer, oldest first, undated last
    refused: tuple[DocumentResult, ...]  # the others, in the same order, each with its reason
    scope_words: tuple[str, ...]  # the question's names and years every answering document must mention
    unknown_words: tuple[str, ...]  # scope words no document mentions (then nothing answers)
    documents_read: int = 0  # documents in scope, whose passages the reader read
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def answered(self) -> bool:
        return bool(self.answers)

    def not_listed(self) -> str:
        """Why the other documents are not listed, one reason each with its count: 'does not mention Bradford
        (14); no passage answers (2)'."""
        reasons = Counter(r.reason or "no passage answers" for r in self.refused)
        return "; ".join(f"{why} ({n})" for why, n in reasons.items())

    @property
    def quotes(self) -> tuple[Quote, ...]:
        return tuple(r.quote for r in self.answers if r.quote is not None)

    def to_json(self) -> dict[str, object]:
        return {
            "question": self.question, "answered": self.answered,
            "quotes": [q.to_json() for q in self.quotes],
            "scope_words": list(self.scope_words), "unknown_words": list(self.unknown_words),
            "refused": [r.to_json() for r in self.refused], "documents_read": self.documents_read,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }


def date_order(results: Iterable[DocumentResult]) -> tuple[DocumentResult, ...]:
    """Oldest first; undated documents last, by name."""
    return tuple(sorted(results, key=lambda r: (r.date is None, r.date or "", r.doc)))


def ask_per_document(pipeline: Pipeline, question: str, settings: AnswerSettings,
                     docs: Iterable[str] | None = None) -> PerDocumentAnswer:
    """The best quote of each document (of ``docs``, paths or file names; all by default) that answers."""
    t0 = time.perf_counter()
    query = pipeline.prepare(question)
    store = pipeline.store
    doc_ids = sorted(pipeline.names.resolve(docs)) if docs is not None else range(len(store.docs))
    scope = pipeline.scope(query)
    places = unmentioned_place_phrases(store, query.text)  # "north yorkshire": its words alone are not scope words
    t1 = time.perf_counter()
    results = [_one(pipeline, query, settings, scope, d, places) for d in doc_ids]
    t2 = time.perf_counter()
    return PerDocumentAnswer(
        query.shown, date_order(r for r in results if r.answered), date_order(r for r in results if not r.answered),
        scope.words, scope.unknown + places, sum(r.evidence is not None for r in results),
        {"prepare": (t1 - t0) * 1e3, "documents": (t2 - t1) * 1e3, "total": (t2 - t0) * 1e3})


def _one(pipeline: Pipeline, query: Query, settings: AnswerSettings, scope: Scope, doc_id: int,
         places: tuple[str, ...] = ()) -> DocumentResult:
    record = pipeline.store.docs[doc_id]
    out_of_scope = f"does not mention {', '.join(places)}" if places else scope.reason(doc_id)
    if out_of_scope:
        return DocumentResult(record.doc, record.title, record.date, False, None, None, out_of_scope)
    cands = pipeline.candidates(query, settings, {doc_id}, chosen=False)
    answer = pipeline.answer(query, cands, settings, 1).answer
    quote = answer.quotes[0] if answer.quotes else None
    reason = None if answer.answered else ("no passage answers" if quote else "nothing to quote")
    return DocumentResult(record.doc, record.title, record.date, answer.answered, answer.evidence, quote, reason)
