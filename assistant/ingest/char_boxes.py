"""Boxes for every character of the stored page text, by aligning it with the page's glyphs.

Stored text is normalised (whitespace collapsed, ligatures unfolded, words broken at a line end rejoined, running
headers dropped), so its offsets cannot index the PDF directly. Its non-blank characters are aligned with the
page's glyphs (``Glyph``: from the text layer, ``ingest.pdf_glyphs``; any other source of glyphs, such as OCR
word boxes split into characters, goes through the same function) by an LCS diff (rapidfuzz's Indel, in C:
milliseconds for a page). A character the glyphs lack (whitespace, a rejoined hyphen's removal, a character
the two readers decode differently) gets NO_BOX.

Boxes are stored compactly, at index time, as uint16 tenths of a point (x0, top, x1, bottom) from the page's
top-left corner: 8 bytes a character, pages up to 6553 pt (91 inches) a side.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rapidfuzz.distance import Indel

from assistant.ingest.types import Glyph

NO_BOX = np.iinfo(np.uint16).max  # in every column of a character that has no glyph
UNITS_PER_POINT = 10
_MAX_UNITS = NO_BOX - 1


def align_boxes(text: str, glyphs: Sequence[Glyph]) -> np.ndarray:
    """(len(text), 4) uint16 boxes: row i is the glyph box of ``text[i]`` in tenths of a point, or NO_BOX."""
    out = np.full((len(text), 4), NO_BOX, dtype=np.uint16)
    where = np.fromiter((i for i, c in enumerate(text) if not c.isspace()), dtype=np.int64)
    if not len(where) or not glyphs:
        return out
    source = "".join(text[i] for i in where.tolist())
    drawn = "".join(g.char for g in glyphs)
    units = np.rint(np.array([(g.x0, g.top, g.x1, g.bottom) for g in glyphs], dtype=np.float64) * UNITS_PER_POINT)
    units = np.clip(units, 0, _MAX_UNITS).astype(np.uint16)
    for op in Indel.opcodes(source, drawn):
        if op.tag == "equal":
            out[where[op.src_start : op.src_end]] = units[op.dest_start : op.dest_end]
    return out


def page_boxes(texts: Sequence[str], glyphs: Sequence[Sequence[Glyph]] | None) -> list[np.ndarray | None]:
    """Each page's character boxes, or None for every page when there are no glyphs (not a PDF, or pdfium could
    not read it) or their pages do not correspond to the texts' pages."""
    if glyphs is None or len(glyphs) != len(texts):
        return [None] * len(texts)
    return [align_boxes(t, g) for t, g in zip(texts, glyphs, strict=True)]
