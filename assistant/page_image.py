"""A PDF page as an image with a quote's rectangles drawn on it: what "Show on page" shows, fully offline.

The page is rendered to pixels by pdfium (pypdfium2; renders cached per file version), the quote's line boxes
(``index.page_boxes.Box``, PDF points from the page's top-left) are drawn over it with PIL, the quote in a light
colour and the answer span in a stronger one, and ``page_html`` lays the pages out in a scrollable view whose
marks are also in the DOM (positioned in percent of the page, so they stay on the text at any width) and whose
script scrolls the first answer mark (else the first quote mark) into view. No Streamlit here: the app page
(app_pages/page_view.py) only shows the result.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw

from assistant.digest import file_sha256
from assistant.index.page_boxes import Box
from assistant.ingest.pdf_glyphs import PDFIUM_LOCK

RENDER_SCALE = 1.5  # pixels per point: 108 dpi, sharp enough to read at the dialog's width
PAD = 1.0  # points added around each rectangle, so the marks do not clip the letters
QUOTE_COLOURS = ((255, 214, 0, 72), (232, 164, 0, 170))  # (fill, outline), RGBA: light
ANSWER_COLOURS = ((255, 110, 0, 110), (214, 80, 0, 255))  # the answer span: stronger
VIEW_HEIGHT = 720  # pixels of the scrollable view


class PageUnavailable(ValueError):
    """The page cannot be shown: the file is not a readable PDF, or it has no such page."""


@dataclass(frozen=True)
class Mark:
    """One drawn rectangle in fractions of the page's width and height (for the DOM marks)."""

    kind: str  # "quote" or "answer"
    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class PageImage:
    page: int
    png: bytes
    width: int
    height: int
    marks: tuple[Mark, ...]


def file_matches(path: Path, content_hash: str) -> bool:
    """True when the file is still the one that was indexed (the boxes belong to that version)."""
    stat = path.stat()
    return _digest(str(path), stat.st_mtime_ns, stat.st_size) == content_hash


@lru_cache(maxsize=64)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    return file_sha256(Path(path))


def page_image(path: Path, page: int, boxes: Sequence[Box], strong: Sequence[Box] = (),
               scale: float = RENDER_SCALE) -> PageImage:
    """Page ``page`` (1-based) of the PDF with ``boxes`` drawn lightly and ``strong`` boxes (the answer) strongly;
    boxes of other pages are ignored."""
    stat = path.stat()
    base = _render(str(path), stat.st_mtime_ns, stat.st_size, page, scale)
    image = base.convert("RGBA")
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    marks: list[Mark] = []
    for kind, group, (fill, outline) in (("quote", boxes, QUOTE_COLOURS), ("answer", strong, ANSWER_COLOURS)):
        for b in group:
            if b.page != page:
                continue
            x0, y0, x1, y1 = ((b.x0 - PAD) * scale, (b.top - PAD) * scale, (b.x1 + PAD) * scale,
                              (b.bottom + PAD) * scale)
            draw.rectangle((x0, y0, x1, y1), fill=fill, outline=outline, width=2 if kind == "answer" else 1)
            w, h = image.size
            marks.append(Mark(kind, x0 / w, y0 / h, (x1 - x0) / w, (y1 - y0) / h))
    out = io.BytesIO()
    Image.alpha_composite(image, overlay).convert("RGB").save(out, format="PNG", optimize=False)
    return PageImage(page, out.getvalue(), image.width, image.height, tuple(marks))


@lru_cache(maxsize=16)
def _render(path: str, mtime_ns: int, size: int, page: int, scale: float) -> Image.Image:
    """The page's pixels (cached by file version: the same page is shown again for every quote on it)."""
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(path)
        except pdfium.PdfiumError as exc:
            raise PageUnavailable(f"cannot read {Path(path).name} as a PDF") from exc
        try:
            if not 1 <= page <= len(pdf):
                raise PageUnavailable(f"{Path(path).name} has no page {page}")
            pdf_page = pdf[page - 1]
            pdf_page.set_rotation(0)  # the boxes are in the unrotated page's coordinates
            return pdf_page.render(scale=scale).to_pil().convert("RGB")
        finally:
            pdf.close()


def page_html(images: Sequence[PageImage], label: str) -> str:
    """A self-contained HTML document (for an iframe): the pages stacked in a scrollable view, each drawn mark also
    a ``.ba-mark`` element (``data-kind`` quote or answer), and the first answer (else quote) mark scrolled into
    the middle of the view. ``label`` (a document's name) is escaped."""
    pages = []
    for im in images:
        marks = "".join(
            f'<div class="ba-mark ba-mark-{m.kind}" data-kind="{m.kind}" title="{m.kind}" style="left:{m.left:.4%};'
            f'top:{m.top:.4%};width:{m.width:.4%};height:{m.height:.4%}"></div>' for m in im.marks)
        data = base64.b64encode(im.png).decode("ascii")
        pages.append(f'<div class="ba-page" data-page="{im.page}"><img alt="Page {im.page} of {html.escape(label)}" '
                     f'src="data:image/png;base64,{data}" width="{im.width}" height="{im.height}">{marks}</div>')
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>
body {{ margin: 0; font-family: sans-serif; }}
.ba-page-view {{ height: {VIEW_HEIGHT - 8}px; overflow: auto; background: #777; padding: 8px; box-sizing: border-box; }}
.ba-page {{ position: relative; max-width: 100%; margin: 0 auto 8px auto; width: fit-content; }}
.ba-page img {{ display: block; max-width: 100%; height: auto; box-shadow: 0 1px 4px rgba(0,0,0,.5); }}
.ba-mark {{ position: absolute; pointer-events: none; }}
</style></head><body><div class="ba-page-view" id="view">{"".join(pages)}</div><script>
const view = document.getElementById("view");
const first = document.querySelector(".ba-mark-answer") || document.querySelector(".ba-mark");
function reveal() {{
  if (!first) return;
  const page = first.parentElement;
  view.scrollTop = page.offsetTop + first.offsetTop + first.offsetHeight / 2 - view.clientHeight / 2;
  first.dataset.revealed = "true";
}}
window.addEventListener("load", reveal);
reveal();
</script></body></html>"""
