"""HTML: the visible text of the page (scripts, styles and markup dropped) and its <title>. Downloads are
offered as octet-stream so a browser never renders a stored page."""

from __future__ import annotations

from pathlib import Path

from assistant.ingest.cleaning import html_to_text
from assistant.ingest.formats.plain import decode, web_page
from assistant.ingest.registry import Extracted, Format


def read(path: Path, data: bytes) -> Extracted:
    return web_page(*html_to_text(decode(path, data)))


FORMATS = (Format((".html", ".htm"), "HTML", "application/octet-stream", read),)
