"""PDF: one page of text per PDF page (pypdf), running headers, footers and page numbers removed, and a title
from the cover page's title block."""

from __future__ import annotations

import io
import itertools
import logging
import re
import warnings
from collections import Counter
from pathlib import Path

from pypdf import PdfReader

from assistant.ingest.dates import pdf_created
from assistant.ingest.normalise import WORD as _WORD
from assistant.ingest.normalise import normalise_basic
from assistant.ingest.pdf_glyphs import pdf_glyphs
from assistant.ingest.registry import Extracted, Format
from assistant.ingest.scanned import read_scanned_pages
from assistant.ingest.types import DocumentError, short_reason

_PAGE_NUMBER = re.compile(r"(?:page\s+)?(\d{1,4})(?:\s*(?:of|/)\s*\d{1,4})?", re.IGNORECASE)
_TITLE_STOP = re.compile(r"(inspection dates?|dates? of (inspection|visit)|lead inspector|report published"
                         r"|published|judgement|the overall judgement|contents|summary)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*$")


def read(path: Path, data: bytes) -> Extracted:
    raw, created = _read_pdf(path, data)
    pages = [normalise_basic(t) for t in raw]
    glyphs = pdf_glyphs(data)
    scanned = read_scanned_pages(data, pages)
    for i, ocr in scanned.read.items():  # a scanned page: OCR's text and glyphs stand in for the text layer's
        pages[i] = normalise_basic(ocr.text)
        if glyphs is not None:
            glyphs[i] = ocr.glyphs
    note = scanned.note()
    if note and not any(_WORD.search(t) for t in pages):
        raise DocumentError(path, f"scanned PDF, {note}")
    texts = _strip_page_furniture(pages)
    return Extracted(texts, list(range(1, len(texts) + 1)), _pdf_title(texts[0]), created, glyphs=glyphs,
                     ocr_pages=tuple(sorted(i + 1 for i in scanned.read)), notes=(note,) if note else ())


def _read_pdf(path: Path, data: bytes) -> tuple[list[str], str | None]:
    """Raw text per page and the creation date; pypdf's chatter about malformed objects is silenced, its errors
    are reported."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                try:
                    decrypted = reader.decrypt("")
                except Exception as exc:
                    raise DocumentError(path, f"encrypted PDF (cannot decrypt: {short_reason(exc)})") from exc
                if not decrypted:
                    raise DocumentError(path, "encrypted PDF (password required)")
            if len(reader.pages) == 0:
                raise DocumentError(path, "PDF has no pages")
            return [page.extract_text() or "" for page in reader.pages], pdf_created(reader.metadata)
    except DocumentError:
        raise
    except Exception as exc:
        raise DocumentError(path, f"corrupt or unreadable PDF: {short_reason(exc)}") from exc
    finally:
        logger.setLevel(level)


def _strip_page_furniture(texts: list[str]) -> list[str]:
    """Drop running headers/footers and page numbers from the first and last three lines of each page.

    A line is furniture when (digits folded) it recurs at a page edge on at least half the pages, which
    needs three pages to be meaningful. Bare numbers go only when close to the page's own number, so a
    table's last figure survives.
    """
    pages = [t.split("\n") for t in texts]

    def edges(lines: list[str]) -> list[int]:
        filled = [i for i, line in enumerate(lines) if line]
        return sorted(set(filled[:3] + filled[-3:]))

    def key(line: str) -> str:
        return re.sub(r"\d+", "#", line).casefold()

    counts = Counter(k for lines in pages for k in {key(lines[i]) for i in edges(lines)})
    for number, lines in enumerate(pages, 1):
        for i in edges(lines):
            bare = _PAGE_NUMBER.fullmatch(lines[i])
            recurring = len(pages) >= 3 and counts[key(lines[i])] * 2 >= len(pages)
            if (bare and abs(int(bare.group(1)) - number) <= 5) or (recurring and _WORD.search(lines[i])):
                lines[i] = ""
    return [normalise_basic("\n".join(lines)) for lines in pages]


def _pdf_title(text: str) -> str | None:
    """Title block of page 1: the lines before an "Inspection date(s)"-like label or before a lone 'and'
    that starts a second title part; failing that, the 1-3 lines before the first sentence."""
    lines = [line for line in text.split("\n") if _WORD.search(line)][:10]
    for stop, line in enumerate(lines):
        if _TITLE_STOP.match(line) or line.lower() in ("and", "&"):
            if stop:
                return re.sub(r"(?<=[^\W\d_])\d{1,2}$", "", " ".join(lines[:stop]))  # footnote mark
            break
    head = list(itertools.takewhile(lambda line: not _SENTENCE_END.search(line), lines[:3]))
    title = " ".join(head or lines[:1])
    return title if len(title.split()) >= 3 else None



FORMATS = (Format((".pdf",), "PDF", "application/pdf", read, " (scanned PDF?)"),)
