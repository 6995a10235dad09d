"""Where stored text sits on its PDF page: per-character boxes kept with a build, and rectangles per line.

A build keeps every PDF page's character boxes (``ingest.char_boxes``: uint16 tenths of a point, NO_BOX where a
character has no glyph) in one array, ``char_boxes.npy``, memory-mapped when loaded; ``char_box_pages.npy``
gives each page's first row in it (pages of all documents in document order; -1 for a page without boxes, which
is every page of a text, Markdown or HTML document). At answer time ``PageBoxes.boxes`` turns the characters
``[start, end)`` of a page into one rectangle per line of text (microseconds: a slice and a few numpy passes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.ingest.char_boxes import NO_BOX, UNITS_PER_POINT

BOXES_FILE = "char_boxes.npy"
PAGES_FILE = "char_box_pages.npy"
_NEW_LINE_OVERLAP = 0.5  # a character whose vertical centre is this share of a height off its predecessor's
_WORD_GAP = 1.5  # a gap wider than this many line heights splits a line (table cells, columns)


@dataclass(frozen=True)
class Box:
    """One line's rectangle on a page, in PDF points from the page's top-left corner."""

    page: int
    x0: float
    top: float
    x1: float
    bottom: float

    def to_json(self) -> dict[str, float | int]:
        return {"page": self.page, "x0": self.x0, "top": self.top, "x1": self.x1, "bottom": self.bottom}


def line_boxes(chars: np.ndarray, page: int) -> tuple[Box, ...]:
    """One rectangle per line of the characters' boxes (rows in text order; NO_BOX rows are skipped).

    A new line starts where a character's vertical centre moves by more than half a line height from the one
    before (a superscript stays on its line), where x goes back (the next line, or the next column), or where a
    gap is wider than _WORD_GAP line heights (the next table cell)."""
    rows = chars[chars[:, 0] != NO_BOX].astype(np.float64) / UNITS_PER_POINT
    if not len(rows):
        return ()
    x0, top, x1, bottom = rows.T
    height = np.maximum(bottom - top, 1e-3)
    centre = (top + bottom) / 2
    tall = np.maximum(height[1:], height[:-1])
    breaks = ((np.abs(centre[1:] - centre[:-1]) > _NEW_LINE_OVERLAP * tall) | (x0[1:] < x0[:-1] - 0.5)
              | (x0[1:] - x1[:-1] > _WORD_GAP * tall))
    starts = np.concatenate(([0], np.flatnonzero(breaks) + 1))
    return tuple(
        Box(page, round(float(a), 1), round(float(t), 1), round(float(b), 1), round(float(u), 1))
        for a, t, b, u in zip(np.minimum.reduceat(x0, starts), np.minimum.reduceat(top, starts),
                              np.maximum.reduceat(x1, starts), np.maximum.reduceat(bottom, starts), strict=True)
    )


class PageBoxes:
    """The character boxes of every page of a build (rows of ``chars``; ``spans[g]`` = [start, end) of global page
    g, or -1s), addressed by (document id, page index) like the page texts."""

    def __init__(self, chars: np.ndarray, spans: np.ndarray, page_numbers: Sequence[Sequence[int | None]]) -> None:
        self.chars = chars
        self.spans = spans
        self.page_numbers = page_numbers
        self._first = np.concatenate(([0], np.cumsum([len(p) for p in page_numbers]))).astype(np.int64)

    @classmethod
    def from_pages(cls, pages: Sequence[Sequence[np.ndarray | None]],
                   page_numbers: Sequence[Sequence[int | None]]) -> PageBoxes:
        """From each document's per-page arrays (None, or a list too short, for pages without boxes)."""
        flat = [doc[i] if i < len(doc) else None for doc, numbers in zip(pages, page_numbers, strict=True)
                for i in range(len(numbers))]
        spans = np.full((len(flat), 2), -1, dtype=np.int64)
        pos = 0
        for g, p in enumerate(flat):
            if p is not None:
                spans[g] = (pos, pos + len(p))
                pos += len(p)
        kept = [p for p in flat if p is not None]
        chars = np.concatenate(kept) if kept else np.zeros((0, 4), dtype=np.uint16)
        return cls(chars.astype(np.uint16, copy=False), spans, page_numbers)

    def page(self, doc_id: int, page_idx: int) -> np.ndarray | None:
        """The page's (len(text), 4) uint16 character boxes, or None (no boxes: not a PDF)."""
        start, end = self.spans[self._first[doc_id] + page_idx]
        return None if start < 0 else self.chars[start:end]

    def boxes(self, doc_id: int, page_idx: int, start: int, end: int) -> tuple[Box, ...] | None:
        """One rectangle per line of text covering the page's characters [start, end); None without boxes."""
        chars = self.page(doc_id, page_idx)
        page = self.page_numbers[doc_id][page_idx]
        if chars is None or page is None:
            return None
        return line_boxes(chars[start:end], page)

    def problem(self, lengths: Sequence[Sequence[int]]) -> str | None:
        """Why these boxes cannot belong to pages of these text lengths, or None when they can."""
        if len(self.spans) != sum(len(d) for d in lengths) or self.chars.ndim != 2 or self.chars.shape[1] != 4:
            return "character boxes do not match the pages"
        sizes = np.array([n for d in lengths for n in d], dtype=np.int64)
        has = self.spans[:, 0] >= 0
        if ((self.spans[has, 1] - self.spans[has, 0]) != sizes[has]).any() or self.spans[:, 1].max(initial=0) > len(
                self.chars):
            return "character boxes do not match the page texts"
        return None

    def save(self, folder: Path) -> None:
        np.save(folder / BOXES_FILE, np.ascontiguousarray(self.chars, dtype=np.uint16))
        np.save(folder / PAGES_FILE, self.spans.astype(np.int64))

    @classmethod
    def load(cls, folder: Path, page_numbers: Sequence[Sequence[int | None]]) -> PageBoxes:
        """Memory-mapped: a build's boxes cost no RAM until a page's are read."""
        return cls(np.load(folder / BOXES_FILE, mmap_mode="r"), np.load(folder / PAGES_FILE), page_numbers)

    @classmethod
    def empty(cls, page_numbers: Sequence[Sequence[int | None]]) -> PageBoxes:
        n = sum(len(p) for p in page_numbers)
        return cls(np.zeros((0, 4), dtype=np.uint16), np.full((n, 2), -1, dtype=np.int64), page_numbers)
