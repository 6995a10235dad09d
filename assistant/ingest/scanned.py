"""Scanned pages of a PDF: a page whose text layer has no words but which shows an image is read by OCR.

A blank page (no words, no image) stays empty. When Tesseract is missing or fails, the page is *unread*: the rest
of the document is indexed and the loader reports which pages were not read and how to fix it, so a scanned PDF
never loads silently empty. Rendering holds ``PDFIUM_LOCK`` (pdfium is not thread-safe); Tesseract runs outside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.ingest.normalise import WORD
from assistant.ingest.ocr import INSTALL_HINT, OcrError, OcrPage, ocr_image, render_for_ocr, tesseract_program
from assistant.ingest.pdf_glyphs import PDFIUM_LOCK


@dataclass(frozen=True)
class ScannedPages:
    read: dict[int, OcrPage] = field(default_factory=dict)  # 0-based page index -> what OCR read there
    unread: tuple[int, ...] = ()  # 0-based indexes of scanned pages that could not be read
    reason: str | None = None  # why not, with the fix

    def note(self) -> str | None:
        """One line for the build report, e.g. 'pages 1-2 not read: no text layer (scanned?); install ...'."""
        if not self.unread:
            return None
        numbers = [i + 1 for i in self.unread]
        span = f"page {numbers[0]}" if len(numbers) == 1 else f"pages {_ranges(numbers)}"
        return f"{span} not read: {self.reason}"


def _ranges(numbers: list[int]) -> str:
    out: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(out)


def _has_image(page: object) -> bool:
    import pypdfium2.raw as pdfium_c

    return any(True for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)))  # type: ignore[attr-defined]


def scanned_page_indexes(data: bytes, texts: list[str]) -> list[int]:
    """Pages with no words in their text layer that draw an image: what a scanner makes."""
    import pypdfium2 as pdfium

    empty = [i for i, text in enumerate(texts) if not WORD.search(text)]
    if not empty:
        return []
    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError:
            return []
        try:
            return [i for i in empty if i < len(pdf) and _has_image(pdf[i])]
        finally:
            pdf.close()


def read_scanned_pages(data: bytes, texts: list[str]) -> ScannedPages:
    """OCR every scanned page of the PDF ``data`` whose raw page ``texts`` (pypdf's) have no words."""
    import pypdfium2 as pdfium

    scanned = scanned_page_indexes(data, texts)
    if not scanned:
        return ScannedPages()
    program = tesseract_program()
    if program is None:
        return ScannedPages({}, tuple(scanned), f"no text layer (scanned?) and no OCR engine; {INSTALL_HINT}")
    read: dict[int, OcrPage] = {}
    failed: list[int] = []
    reason: str | None = None
    for i in scanned:
        with PDFIUM_LOCK:
            pdf = pdfium.PdfDocument(data)
            try:
                png, scale = render_for_ocr(pdf[i])
            finally:
                pdf.close()
        try:
            page = ocr_image(png, scale, program)
        except OcrError as exc:
            failed.append(i)
            reason = f"no text layer (scanned?) and OCR failed: {exc}"
            continue
        if page.legible:  # else a picture, not text: the page stays empty, as a blank page does
            read[i] = page
    return ScannedPages(read, tuple(failed), reason)
