"""Reading a scanned PDF page (no text layer) with the Tesseract OCR engine.

The page is rendered with pypdfium2 and read by the ``tesseract`` program (Debian ``tesseract-ocr``, installed by
``make``); its TSV output gives every word with its box, so an OCR page yields the same two things a text page
does: the text, and a glyph per character with its rectangle in PDF points (top-left origin), which the box
alignment uses exactly as it uses the PDF's own glyphs. Without Tesseract the page cannot be read: callers
report it by name instead of indexing an empty page.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.ingest.normalise import WORD, normalise_basic
from assistant.ingest.types import Glyph

LEGIBLE_CONFIDENCE = 80.0  # Tesseract's per-word confidence (0-100); printed text mostly scores above 90
MIN_LEGIBLE_WORDS = 3
OCR_DPI = 300  # Tesseract's documented sweet spot for body text
_TIMEOUT_S = 120.0
TESSERACT_ENV = "ASSISTANT_TESSERACT"  # a path to the program; "none" turns OCR off (as if it were missing)
INSTALL_HINT = "install Tesseract to read it (Debian: apt-get install tesseract-ocr)"


@dataclass(frozen=True)
class OcrPage:
    text: str  # lines of words joined by single spaces; blocks and paragraphs separated by an empty line
    glyphs: list[Glyph]  # the text's non-space characters, in order (ingest.types.Glyph, as a text layer gives)
    legible_words: int = 0  # words of two or more letters Tesseract is fairly sure of (LEGIBLE_CONFIDENCE)

    @property
    def legible(self) -> bool:
        """Text, not a picture: Tesseract "reads" a few letters into any photo or pattern ("MM", "|")."""
        return self.legible_words >= MIN_LEGIBLE_WORDS


class OcrError(RuntimeError):
    """Tesseract ran but failed on a page (one-line reason)."""


def tesseract_program() -> str | None:
    """The tesseract executable, or None when OCR is not available on this machine."""
    chosen = os.environ.get(TESSERACT_ENV, "").strip()
    if chosen.lower() == "none":
        return None
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    return shutil.which("tesseract")


def ocr_image(png: bytes, scale: float, program: str) -> OcrPage:
    """Read one rendered page image; ``scale`` is image pixels per PDF point (boxes come back in points)."""
    env = dict(os.environ, OMP_THREAD_LIMIT="1")  # one thread: deterministic, and the build already uses every core
    try:
        done = subprocess.run([program, "stdin", "stdout", "--psm", "3", "-l", "eng", "tsv"], input=png,
                              capture_output=True, timeout=_TIMEOUT_S, env=env, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OcrError(f"tesseract could not run: {type(exc).__name__}") from exc
    if done.returncode != 0:
        first = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OcrError(f"tesseract failed: {first[-1][:120] if first else done.returncode}")
    return _page_from_tsv(done.stdout.decode("utf-8", "replace"), scale)


def _words(tsv: str) -> Iterator[tuple[tuple[int, int, int], str, float, float, float, float, float]]:
    """(block, paragraph, line) key, text, box in pixels and confidence of each recognised word, in reading
    order."""
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        text = normalise_basic(row.get("text") or "").replace(" ", "")  # ligatures unfolded, as page text has them
        if row.get("level") != "5" or not text:
            continue
        left, top, width, height = (float(row[k]) for k in ("left", "top", "width", "height"))
        yield ((int(row["block_num"]), int(row["par_num"]), int(row["line_num"])), text, left, top, width, height,
               float(row.get("conf") or 0))


def _page_from_tsv(tsv: str, scale: float) -> OcrPage:
    lines: list[str] = []
    glyphs: list[Glyph] = []
    last: tuple[int, int, int] | None = None
    legible = 0
    for key, word, left, top, width, height, conf in _words(tsv):
        legible += conf >= LEGIBLE_CONFIDENCE and len(max(WORD.findall(word), key=len, default="")) >= 2
        if last is None or key != last:
            if last is not None and key[:2] != last[:2]:
                lines.append("")  # a new block or paragraph: an empty line, as a text layer would show it
            lines.append(word)
        else:
            lines[-1] += " " + word
        last = key
        step = width / len(word)  # Tesseract boxes words, not characters: share the width out evenly
        glyphs.extend(Glyph(ch, (left + i * step) / scale, top / scale, (left + (i + 1) * step) / scale,
                            (top + height) / scale) for i, ch in enumerate(word))
    return OcrPage("\n".join(lines), glyphs, legible)


def render_for_ocr(page: object, dpi: int = OCR_DPI) -> tuple[bytes, float]:
    """A ``pypdfium2.PdfPage`` as a grey PNG at ``dpi``, with its scale in pixels per point (caller holds pdfium)."""
    scale = dpi / 72.0
    image = page.render(scale=scale, grayscale=True).to_pil()  # type: ignore[attr-defined]
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue(), scale


def ocr_pdf_page(page: object, program: str, dpi: int = OCR_DPI) -> OcrPage:
    """OCR one ``pypdfium2.PdfPage``: render it and read it."""
    return ocr_image(*render_for_ocr(page, dpi), program)
