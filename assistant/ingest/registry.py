"""The document formats the product reads, by file suffix: one module per format under ``ingest/formats``,
listed once in ``formats/__init__.py``. The loader, the library (uploads) and the app ask this registry which
suffixes are supported, what to call them and which MIME type a download gets; nobody else lists file types.

A format's reader returns the document's pages already normalised (``normalise.normalise_basic``) plus a title
found in the markup or layout, if any; the loader does the rest (hyphenation, titles, context) the same way for
every format.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant.ingest.types import Glyph


@dataclass(frozen=True)
class Extracted:
    """A format reader's result: page texts (one for a flat file) with their 1-based numbers or None, and for a
    paged format the glyphs drawn on each page (the loader aligns them to the final text: ingest.char_boxes)."""

    texts: list[str]
    numbers: list[int | None]
    title: str | None = None
    created: str | None = None  # the file's own creation date (ISO), e.g. a PDF's /CreationDate: a dating hint
    glyphs: list[list[Glyph]] | None = None
    ocr_pages: tuple[int, ...] = ()  # numbers of the pages whose text was read by OCR (ingest.scanned)
    notes: tuple[str, ...] = ()  # what the reader could not do, e.g. scanned pages not read: reported by the build


@dataclass(frozen=True)
class Format:
    suffixes: tuple[str, ...]  # lower case, with the dot
    label: str  # shown to users: "PDF", "Word"
    mime: str  # for downloads; formats a browser would render as a page get application/octet-stream
    read: Callable[[Path, bytes], Extracted]
    empty_hint: str = ""  # added to "no extractable text" (" (scanned PDF?)")


def _formats() -> tuple[Format, ...]:
    from assistant.ingest.formats import FORMATS

    return FORMATS


def format_for(path: Path | str) -> Format | None:
    suffix = Path(path).suffix.lower()
    return next((f for f in _formats() if suffix in f.suffixes), None)


def supported_suffixes() -> frozenset[str]:
    return frozenset(s for f in _formats() for s in f.suffixes)


def supported_label() -> str:
    """'PDF, TXT, MD, HTML, DOCX': the suffixes users know, in registration order."""
    names: list[str] = []
    for f in _formats():
        for s in f.suffixes:
            name = s.lstrip(".").upper()
            if name != "HTM":
                names.append(name)
    return ", ".join(names)


def kind_label(path: Path | str) -> str:
    fmt = format_for(path)
    return fmt.label if fmt else "Text"


def mime_type(path: Path | str) -> str:
    fmt = format_for(path)
    return fmt.mime if fmt else "application/octet-stream"
