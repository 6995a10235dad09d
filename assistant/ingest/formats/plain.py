"""Plain text and Markdown (and the decoding every text-like format shares): web furniture is removed by the
general rules in ``ingest.cleaning``; a Markdown file's first heading is its title."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.ingest.cleaning import clean_web_text
from assistant.ingest.normalise import normalise_basic
from assistant.ingest.registry import Extracted, Format
from assistant.ingest.types import DocumentError


def decode(path: Path, data: bytes) -> str:
    """Text of a file that must be text; DocumentError for binary or empty content."""
    text = _decode(path, data)
    if not text.strip():
        raise DocumentError(path, "empty file")
    return text


def _decode(path: Path, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DocumentError(path, "binary file, not text") from exc
    head = data[:8192]
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13) or b == 127)
    if b"\x00" in head or controls * 10 > len(head):
        raise DocumentError(path, "binary file, not text")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def web_page(text: str, title: str | None) -> Extracted:
    """One unnumbered page of cleaned, normalised text."""
    return Extracted([normalise_basic(clean_web_text(text))], [None], title)


def read_text(path: Path, data: bytes) -> Extracted:
    return web_page(decode(path, data), None)


def read_markdown(path: Path, data: bytes) -> Extracted:
    text = decode(path, data)
    heading = re.search(r"^#{1,6}\s+(.+)$", normalise_basic(text), re.MULTILINE)
    return web_page(text, heading.group(1).strip(" #") if heading else None)


TEXT = Format((".txt",), "Text", "text/plain", read_text)
MARKDOWN = Format((".md",), "Markdown", "text/markdown", read_markdown)
FORMATS = (TEXT, MARKDOWN)
