"""Where each character of a PDF page is drawn, from the PDF's text layer (pypdfium2).

The text we store comes from pypdf and is normalised, so offsets into it say nothing about positions on the
page; this module gives the page's glyphs with their boxes, and ``ingest.char_boxes`` aligns them to the stored
text. pdfium reads the same file independently of pypdf, so a PDF it cannot open loses its boxes, never its
text. Runs where the PDF is read (a worker process of ``ingest.parallel`` for a large build).
"""

from __future__ import annotations

import ctypes
import threading
from functools import lru_cache

from assistant.ingest.normalise import normalise_glyph
from assistant.ingest.types import Glyph

# pdfium is not thread-safe: every use in one process (reading glyphs here, rendering pages for the app) holds it.
PDFIUM_LOCK = threading.RLock()
_LINE_END_HYPHEN = 0x02  # how pdfium reports a hyphen that ends a line ("recom-|mendations")


def pdf_glyphs(data: bytes) -> list[list[Glyph]] | None:
    """Per page, its non-blank glyphs in the text layer's order, in points from the crop box's top-left corner;
    None when pdfium cannot read the file (the document is still indexed, without boxes)."""
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError:
            return None
        try:
            return [_page_glyphs(pdf[i]) for i in range(len(pdf))]
        except pdfium.PdfiumError:
            return None
        finally:
            pdf.close()


@lru_cache(maxsize=4096)
def _char(code: int) -> str:
    """The page-text characters a pdfium character code stands for; '' for blanks and half surrogate pairs."""
    if code == _LINE_END_HYPHEN:
        return "-"
    if 0xD800 <= code < 0xE000 or code > 0x10FFFF:
        return ""
    return normalise_glyph(chr(code)).strip()


def _page_glyphs(page: object) -> list[Glyph]:
    """One page's glyphs; a ligature ("ﬁ") becomes its letters, each given an equal share of the glyph's width.

    Loose boxes (the font's ascent to descent, not the ink) so that a line's characters share one height."""
    import pypdfium2.raw as pdfium_c

    left, _, _, top = page.get_cropbox()  # type: ignore[attr-defined]
    textpage = page.get_textpage()  # type: ignore[attr-defined]
    raw = textpage.raw
    rect = pdfium_c.FS_RECTF()
    rect_ref = ctypes.byref(rect)
    get_unicode, get_box = pdfium_c.FPDFText_GetUnicode, pdfium_c.FPDFText_GetLooseCharBox
    out: list[Glyph] = []
    try:
        for i in range(pdfium_c.FPDFText_CountChars(raw)):
            chars = _char(get_unicode(raw, i))
            if not chars or not get_box(raw, i, rect_ref):
                continue
            x0, x1, y0, y1 = rect.left - left, rect.right - left, top - rect.top, top - rect.bottom
            if len(chars) == 1:
                out.append(Glyph(chars, x0, y0, x1, y1))
                continue
            width = (x1 - x0) / len(chars)
            out.extend(Glyph(c, x0 + k * width, y0, x0 + (k + 1) * width, y1) for k, c in enumerate(chars))
    finally:
        textpage.close()
        page.close()  # type: ignore[attr-defined]
    return out
