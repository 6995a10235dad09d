"""The values that flow through the question path: a prepared Query, its Candidates, and the Answer made of Quotes.

They are plain frozen dataclasses so every stage (and every bench or tuning script) can hold, inspect and pass
them on without knowing how the stage before made them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from assistant.index.page_boxes import Box

FEATURES = (
    "sent_dense", "chunk_dense", "neighbour_dense", "sent_bm25", "chunk_bm25",
    "cover", "cover_context", "doc_match", "answer_type", "boilerplate",
)


@dataclass(frozen=True)
class Query:
    text: str  # as searched and read: the user's words with everyday words in the documents' (query/wording.py)
    vector: np.ndarray
    tokens: tuple[str, ...]
    kind: str | None
    asked: str = ""  # as the user typed it (checked), shown with the answer; "" when the same as ``text``

    @property
    def shown(self) -> str:
        return self.asked or self.text


@dataclass(frozen=True)
class SearchScope:
    """What the question's names and years did to the search (query/scope.py), shown with the answer."""

    words: tuple[str, ...] = ()  # the search was narrowed to the documents that mention these (the user's words)
    documents: int | None = None  # how many documents that left; None: every document was searched
    unknown_places: tuple[str, ...] = ()  # places the question names that no document mentions: nothing answers
    year_conflict: tuple[str, str] | None = None  # (name, year): no dated document that mentions the name has the year
    nobody_named: bool = False  # a question asking who, none of whose read passages names a person
    other_years: tuple[str, ...] = ()  # the question's years, when every passage read is about other years
    figure_missing: str | None = None  # the kind of figure asked for ("a sum of money"), when no passage read gives one

    @property
    def ruled_out(self) -> str | None:
        """Why no document can answer, whatever the strictness (None: the ranker decides)."""
        if self.unknown_places:
            return f"No document mentions {', '.join(self.unknown_places)}."
        if self.year_conflict:
            name, year = self.year_conflict
            return f"No document that mentions {name} mentions {year}."
        if self.nobody_named:
            return "None of the closest passages names a person."
        if self.other_years:
            return f"None of the closest passages is about {' or '.join(self.other_years)}."
        if self.figure_missing:
            return f"None of the closest passages gives {self.figure_missing}."
        return None

    @property
    def searched(self) -> str | None:
        """Which documents were searched, when the question's words narrowed the search (None: all were)."""
        if not self.words:
            return None
        return f"Searched the {self.documents} documents that mention {' and '.join(self.words)}."

    def to_json(self) -> dict[str, object]:
        return {"scope_words": list(self.words), "documents_searched": self.documents,
                "unknown_places": list(self.unknown_places), "ruled_out": self.ruled_out}


@dataclass(frozen=True)
class Candidates:
    """Candidate sentence ids and a feature row for each (columns in FEATURES order)."""

    ids: np.ndarray
    features: np.ndarray
    bm25_strength: float  # best sentence BM25 over the question's total IDF: comparable across questions
    scope: SearchScope = SearchScope()


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
    date: str | None = None  # the document's date, ISO "YYYY-MM-DD" (ingest.dates), None when it has none
    ocr: bool = False  # the page's text was read by OCR from a scanned image: its words may be misread
    boxes: tuple[Box, ...] | None = None  # one rectangle per line of [start, end) on the PDF page; None if not a PDF
    highlight_boxes: tuple[Box, ...] | None = None  # the same for [highlight_start, highlight_end)

    def to_json(self) -> dict[str, object]:
        d = asdict(self)
        d["score"] = round(self.score, 4)
        d["also_in"] = [asdict(loc) for loc in self.also_in]
        d["boxes"] = boxes_json(self.boxes)
        d["highlight_boxes"] = boxes_json(self.highlight_boxes)
        return d


def boxes_json(boxes: tuple[Box, ...] | None) -> list[dict[str, float | int]] | None:
    return None if boxes is None else [b.to_json() for b in boxes]


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool
    quotes: tuple[Quote, ...]  # when not answered: the closest passages, which are NOT an answer
    evidence: float
    timings_ms: dict[str, float] = field(default_factory=dict)
    scope: SearchScope = SearchScope()
    searched_as: str | None = None  # the question in the documents' words, when that differs (query/wording.py)

    def to_json(self) -> dict[str, object]:
        return {
            "question": self.question, "searched_as": self.searched_as, "answered": self.answered,
            "quotes": [q.to_json() for q in self.quotes] if self.answered else [],
            "closest": [] if self.answered else [q.to_json() for q in self.quotes],
            "evidence": round(self.evidence, 4),
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            **self.scope.to_json(),
        }
