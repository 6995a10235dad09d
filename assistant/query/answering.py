"""Extractive answers: score candidate sentences, decide whether to answer, and build verbatim quotes.

A quote is always ``page_text[start:end]`` of one page; nothing is paraphrased. The sentence score is a linear
combination of retrieval.FEATURES; whether to answer at all is decided on a separate evidence score built from
signals that are comparable across questions (absolute cosine, share of the question's rare words covered),
because max-normalised BM25 is 1.0 for every question's best hit and says nothing about answerability.
Weights and the threshold were chosen on the tuning half of the gold set (bench/tune_answering.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from assistant.config import AnswerSettings
from assistant.index.store import IndexStore
from assistant.query.answer_types import answer_spans
from assistant.query.retrieval import FEATURES, Candidates, Query

# Chosen by bench/tune_answering.py on eval/bundled_gold_tune.jsonl (tuning half only).
DEFAULT_WEIGHTS: dict[str, float] = {
    "sent_dense": 0.2812, "chunk_dense": 0.125, "neighbour_dense": 0.225, "sent_bm25": 0.0, "chunk_bm25": 0.6,
    "cover": 0.0625, "cover_context": 0.375, "doc_match": 0.3, "answer_type": 0.1875, "boilerplate": -0.5,
}
# Evidence for answering at all: a logistic model over the best sentence's absolute signals plus the
# question-level BM25 strength (see module docstring), shifted so that 0 is the operating point chosen on the
# tuning half (answerable questions wrongly refused <= 7%).
EVIDENCE_WEIGHTS: dict[str, float] = {
    "sent_dense": 2.7567, "chunk_dense": 3.3555, "cover": 0.0, "cover_context": 1.6206, "doc_match": 2.5801,
    "answer_type": 0.1604, "bm25_strength": 0.0,
}
EVIDENCE_BIAS = -4.68


@dataclass(frozen=True)
class Location:
    doc: str
    page: int | None
    start: int
    end: int


@dataclass(frozen=True)
class Quote:
    """A verbatim slice of one page: ``text == page_text[start:end]``; ``highlight`` is the answer-bearing span."""

    text: str
    doc: str
    title: str
    page: int | None
    start: int
    end: int
    score: float
    highlight: str | None = None
    highlight_start: int | None = None  # offsets into the same page text as start/end
    highlight_end: int | None = None
    also_in: tuple[Location, ...] = ()  # other places with the same words (e.g. a news article quoting a report)

    def to_json(self) -> dict[str, object]:
        d = asdict(self)
        d["score"] = round(self.score, 4)
        d["also_in"] = [asdict(loc) for loc in self.also_in]
        return d


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool
    quotes: tuple[Quote, ...]  # when not answered: the closest passages, which are NOT an answer
    evidence: float
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "question": self.question, "answered": self.answered,
            "quotes": [q.to_json() for q in self.quotes] if self.answered else [],
            "closest": [] if self.answered else [q.to_json() for q in self.quotes],
            "evidence": round(self.evidence, 4),
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }


def _vector(weights: dict[str, float]) -> np.ndarray:
    return np.array([weights.get(f, 0.0) for f in FEATURES], dtype=np.float32)


def score_candidates(cands: Candidates, weights: dict[str, float]) -> np.ndarray:
    return cands.features @ _vector(weights) if len(cands.ids) else np.zeros(0, np.float32)


def evidence_features(cands: Candidates, best: int) -> np.ndarray:
    """The inputs of the answer-or-abstain decision, in EVIDENCE_FEATURES order."""
    return np.append(cands.features[best], cands.bm25_strength).astype(np.float32)


EVIDENCE_FEATURES = (*FEATURES, "bm25_strength")


def evidence_score(x: np.ndarray, weights: dict[str, float] | None = None, bias: float | None = None) -> float:
    """Log-odds that the question is answerable from the best sentence; >= threshold (default 0) answers."""
    w = weights or EVIDENCE_WEIGHTS
    vec = np.array([w.get(f, 0.0) for f in EVIDENCE_FEATURES], dtype=np.float32)
    return float(x @ vec + (EVIDENCE_BIAS if bias is None else bias))


def _fold(text: str) -> str:
    return " ".join(text.lower().split())


class Extractor:
    """Turns scored candidates into de-duplicated, merged, highlighted quotes."""

    def __init__(self, store: IndexStore, settings: AnswerSettings) -> None:
        self.store = store
        self.settings = settings

    def _same_page(self, a: int, b: int) -> bool:
        s = self.store
        return 0 <= b < s.n_sentences and s.sent_doc[a] == s.sent_doc[b] and s.sent_page[a] == s.sent_page[b]

    def _same_paragraph(self, a: int, b: int) -> bool:
        """Neighbours on one page with no blank line between them (a blank line ends a paragraph or a table)."""
        s = self.store
        if not (0 <= b < s.n_sentences and s.sent_doc[a] == s.sent_doc[b] and s.sent_page[a] == s.sent_page[b]):
            return False
        lo, hi = min(a, b), max(a, b)
        gap = s.page_text(int(s.sent_doc[a]), int(s.sent_page[a]))[int(s.sent_end[lo]) : int(s.sent_start[hi])]
        return "\n\n" not in gap

    def _span(self, sid: int, by_id: dict[int, float], score: float) -> tuple[int, int]:
        """Sentence range for a quote: merge a neighbour that scores nearly as well, or a stub of a row."""
        first = last = sid
        for nb in (sid - 1, sid + 1):
            if not self._same_paragraph(sid, nb):
                continue
            near = nb in by_id and by_id[nb] >= score - self.settings.merge_margin
            stub = len(self.store.sentence_text(sid).split()) <= 3 and nb == sid - 1
            if near or stub:
                first, last = min(first, nb), max(last, nb)
        return first, last

    def _complete_type(self, query: Query, first: int, last: int) -> tuple[int, int]:
        """Context lives outside the sentence: when a question wants a kind of span (a name, a date) that the
        quote lacks and the next (or previous) sentence on the page has one, take that sentence in (news
        paragraphs are one sentence long: "Councillor Sue Duffy ... said:" / "'... on the right track'")."""
        s = self.store
        if query.kind is None or not self.settings.complete_answer_type:
            return first, last
        text = " ".join(s.sentence_text(i) for i in range(first, last + 1))
        if answer_spans(text, query.kind, query.text):
            return first, last
        for nb, new in ((last + 1, (first, last + 1)), (first - 1, (first - 1, last))):
            if self._same_page(first if nb < first else last, nb) and answer_spans(
                    s.sentence_text(nb), query.kind, query.text):
                return new
        return first, last

    def quotes(self, query: Query, cands: Candidates, scores: np.ndarray, k: int) -> list[Quote]:
        s = self.store
        by_id = {int(i): float(v) for i, v in zip(cands.ids, scores, strict=True)}
        used: set[int] = set()
        out: list[Quote] = []
        seen_text: dict[str, int] = {}
        for idx in np.argsort(-scores):
            sid = int(cands.ids[idx])
            if sid in used:
                continue
            first, last = self._complete_type(query, *self._span(sid, by_id, float(scores[idx])))
            if any(i in used for i in range(first, last + 1)):
                first = last = sid
            used.update(range(first, last + 1))
            doc_id, page_idx = int(s.sent_doc[sid]), int(s.sent_page[sid])
            record = s.docs[doc_id]
            start, end = int(s.sent_start[first]), int(s.sent_end[last])
            page_text = record.pages[page_idx]
            text = page_text[start:end]
            loc = Location(record.doc, record.page_numbers[page_idx], start, end)
            key = _fold(text)
            if key in seen_text:
                q = out[seen_text[key]]
                out[seen_text[key]] = Quote(**{**q.__dict__, "also_in": (*q.also_in, loc)})
                continue
            hl = answer_spans(text, query.kind, query.text)
            h_start = start + hl[0][0] if hl else None
            h_end = start + hl[0][1] if hl else None
            out.append(Quote(
                text=text, doc=record.doc, title=record.title, page=loc.page, start=start, end=end,
                score=float(scores[idx]), highlight=page_text[h_start:h_end] if hl else None,
                highlight_start=h_start, highlight_end=h_end,
            ))
            seen_text[key] = len(out) - 1
            if len(out) >= k:
                break
        return out
