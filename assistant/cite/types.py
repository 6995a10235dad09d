"""What a citation lookup returns: the verdict and its matches, each an exact slice of one or more pages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from assistant.index.page_boxes import Box


class BadQuote(ValueError):
    """The quote cannot be looked up as given (empty, too long, or too short to mean anything)."""


@dataclass(frozen=True)
class Part:
    """One page's piece of a match: ``text == page_text[start:end]``."""

    page: int | None
    start: int
    end: int
    text: str
    boxes: tuple[Box, ...] | None = None  # one rectangle per line of [start, end) on the PDF page; None if not a PDF


@dataclass(frozen=True)
class DiffOp:
    """One step of a word diff from the quote to the source: same, added (only in the quote), dropped (only in
    the source), or changed."""

    op: str
    quote: str
    source: str


@dataclass(frozen=True)
class Match:
    """Where the quote (or its closest variant) is. ``page/start/end/text`` describe the first part; a match
    across a page break has one part per page."""

    doc: str
    title: str
    page: int | None
    start: int
    end: int
    similarity: float
    text: str
    parts: tuple[Part, ...]
    quoted: bool  # the source itself has these words inside quotation marks (it is quoting someone)
    diff: tuple[DiffOp, ...] = ()
    boxes: tuple[Box, ...] | None = None  # every part's rectangles, page by page; None if not a PDF
    date: str | None = None  # the document's date, ISO "YYYY-MM-DD" (ingest.dates), None when it has none

    def to_json(self) -> dict[str, object]:
        d = asdict(self)
        d["similarity"] = round(self.similarity, 4)
        d["boxes"] = None if self.boxes is None else [b.to_json() for b in self.boxes]
        for part, out in zip(self.parts, d["parts"], strict=True):
            out["boxes"] = None if part.boxes is None else [b.to_json() for b in part.boxes]
        return d


def parts_boxes(parts: tuple[Part, ...]) -> tuple[Box, ...] | None:
    """A match's rectangles: its parts' in page order, or None when no part has boxes (not a PDF)."""
    if all(p.boxes is None for p in parts):
        return None
    return tuple(b for p in parts for b in p.boxes or ())


@dataclass(frozen=True)
class Citation:
    """The verdict on one quote; for a pasted paragraph, ``sentences`` holds each sentence's own verdict."""

    quote: str
    verdict: str  # "exact" | "near" | "not_found"
    matches: tuple[Match, ...]
    closest: tuple[Match, ...] = ()  # only for not_found: the nearest passages, which are NOT the quote
    sentences: tuple[Citation, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "quote": self.quote, "verdict": self.verdict,
            "matches": [m.to_json() for m in self.matches], "closest": [m.to_json() for m in self.closest],
        }
        if self.sentences:
            out["sentences"] = [s.to_json() for s in self.sentences]
        if self.timings_ms:
            out["timings_ms"] = {k: round(v, 2) for k, v in self.timings_ms.items()}
        return out
