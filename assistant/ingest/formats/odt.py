"""OpenDocument text (.odt, LibreOffice): headings, paragraphs and table rows from ``content.xml`` in document
order, read with the standard library (zip + XML, no extra package). As for Word files, each table row is one line
of cells joined by " | ", and the first heading is the title."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from assistant.ingest.normalise import normalise_basic
from assistant.ingest.registry import Extracted, Format
from assistant.ingest.types import DocumentError, short_reason

_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_H, _P, _ROW = f"{{{_TEXT}}}h", f"{{{_TEXT}}}p", f"{{{_TABLE}}}table-row"
_SPACE, _TAB, _BREAK = f"{{{_TEXT}}}s", f"{{{_TEXT}}}tab", f"{{{_TEXT}}}line-break"


def _inline(element: ElementTree.Element) -> str:
    """The text of a paragraph with its spans, spaces (<text:s c=N>), tabs and line breaks."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == _SPACE:
            parts.append(" " * int(child.get(f"{{{_TEXT}}}c", "1")))
        elif child.tag in (_TAB, _BREAK):
            parts.append(" ")
        else:
            parts.append(_inline(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _lines(element: ElementTree.Element, out: list[str], titles: list[str]) -> None:
    for child in element:
        if child.tag == _H:
            text = _inline(child)
            out += ["", text, ""]
            titles.append(text)
        elif child.tag == _P:
            out.append(_inline(child))
        elif child.tag == _ROW:
            cells = [" ".join(_inline(p) for p in cell.iter(_P)).strip() for cell in child]
            out.append(" | ".join(c for c in cells if c))
        else:
            _lines(child, out, titles)


def read(path: Path, data: bytes) -> Extracted:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            root = ElementTree.fromstring(archive.read("content.xml"))
    except Exception as exc:  # not a zip, no content.xml, damaged XML
        raise DocumentError(path, f"corrupt or unreadable OpenDocument file: {short_reason(exc)}") from exc
    lines: list[str] = []
    titles: list[str] = []
    _lines(root, lines, titles)
    title = next((t.strip() for t in titles if t.strip()), None)
    return Extracted([normalise_basic("\n".join(lines))], [None], title)


FORMATS = (Format((".odt",), "OpenDocument", "application/vnd.oasis.opendocument.text", read),)
