"""What loading produces: a Document of normalised Pages, or a DocumentError with a one-line reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np


class Glyph(NamedTuple):
    """One character drawn on a page, in PDF points from the page's top-left corner: what a PDF's text layer (or,
    later, OCR word boxes split into characters) gives, aligned to the stored text by ``ingest.char_boxes``."""

    char: str  # exactly one character, normalised like page text (ligatures unfolded)
    x0: float
    top: float
    x1: float
    bottom: float


@dataclass(frozen=True)
class Page:
    number: int | None  # 1-based for PDFs; None for text, Markdown and HTML files
    text: str  # normalised text: every offset in the product indexes into this string
    # (len(text), 4) uint16 boxes of each character in 1/10 pt (ingest.char_boxes), or None (not a PDF)
    boxes: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Document:
    doc: str  # path relative to the documents root, POSIX separators
    title: str
    context: str  # title | humanised file stem | early date line: metadata every chunk can carry
    pages: tuple[Page, ...]
    content_hash: str  # sha256 of the raw bytes, so an index can tell which files changed
    date: str | None = None  # ISO "YYYY-MM-DD" from the text, metadata or file name (ingest.dates); None if unknown
    date_source: str | None = None  # where the date came from: "inspection dates", "dateline", "file metadata", ...
    ocr_pages: tuple[int, ...] = ()  # numbers of the pages whose text was read by OCR from a scanned image
    notes: tuple[str, ...] = ()  # loaded, but not all of it: e.g. "page 2 not read: no text layer (scanned?); ..."


class DocumentError(Exception):
    """A file that cannot be loaded; str() is a one-line human reason such as 'encrypted PDF'."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


def short_reason(exc: BaseException) -> str:
    """The first line of an exception's message (at most 120 characters), for one-line problem reports."""
    message = str(exc).strip().splitlines()
    return (message[0][:120] if message else "") or type(exc).__name__
