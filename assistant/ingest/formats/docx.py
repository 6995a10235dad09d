"""Word (.docx): paragraphs and tables in document order (python-docx), headings kept as their own lines, each
table row as one line of cells joined by " | " so a row is never split. The first heading (or the document's
core title) is the title."""

from __future__ import annotations

import io
from pathlib import Path

from assistant.ingest.normalise import normalise_basic
from assistant.ingest.registry import Extracted, Format
from assistant.ingest.types import DocumentError, short_reason

_WORD_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _blocks(document) -> list[str]:
    """Paragraph texts and table rows in body order; a blank line closes each table and each heading."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            heading = (block.style is not None and block.style.name.lower().startswith(("heading", "title")))
            lines += ["", block.text, ""] if heading else [block.text]
        elif isinstance(block, Table):
            lines += [""] + [" | ".join(_unique_cells(row)) for row in block.rows] + [""]
    return lines


def _unique_cells(row) -> list[str]:
    """Cell texts of a row; a merged cell spans several grid columns but is written once."""
    out: list[str] = []
    seen: set[int] = set()
    for cell in row.cells:
        if id(cell._tc) not in seen:
            seen.add(id(cell._tc))
            out.append(" ".join(cell.text.split()))
    return out


def _title(document) -> str | None:
    for p in document.paragraphs:
        if p.style is not None and p.style.name.lower().startswith(("heading", "title")) and p.text.strip():
            return p.text.strip()
    return document.core_properties.title or None


def read(path: Path, data: bytes) -> Extracted:
    try:
        import docx
    except ImportError as exc:
        raise DocumentError(path, "Word files need python-docx (pip install python-docx)") from exc
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # not a zip, no word/document.xml, damaged XML
        raise DocumentError(path, f"corrupt or unreadable Word file: {short_reason(exc)}") from exc
    text = normalise_basic("\n".join(_blocks(document)))
    return Extracted([text], [None], _title(document))


FORMATS = (Format((".docx",), "Word", _WORD_MIME, read),)
