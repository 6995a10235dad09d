"""OCR of scanned PDF pages: Tesseract's TSV read into text and per-character boxes; a scanned PDF end to end."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from conftest import DOCUMENTS
from pypdf import PdfReader

from assistant.ingest.normalise import WORD
from assistant.ingest.ocr import OcrError, _page_from_tsv, ocr_pdf_page, ocr_png, tesseract_program

REPORT = DOCUMENTS / "ofsted" / "ofsted-bradford-29-october-2018.pdf"
needs_tesseract = pytest.mark.skipif(tesseract_program() is None,
                                     reason="Tesseract is not installed (make test installs tesseract-ocr)")

_HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"


def _row(level: int, block: int, par: int, line: int, left: int, top: int, width: int, height: int,
         text: str = "") -> str:
    return f"{level}\t1\t{block}\t{par}\t{line}\t1\t{left}\t{top}\t{width}\t{height}\t90\t{text}\n"


def test_tsv_words_become_lines_paragraphs_and_character_boxes() -> None:
    tsv = (_HEADER + _row(2, 1, 0, 0, 0, 0, 500, 100)
           + _row(5, 1, 1, 1, 100, 50, 40, 20, "Lead") + _row(5, 1, 1, 1, 150, 50, 80, 20, "officer")
           + _row(5, 1, 1, 2, 100, 80, 30, 20, "Jo") + _row(5, 1, 1, 2, 140, 80, 5, 20, " ")
           + _row(5, 2, 1, 1, 100, 200, 60, 20, "Page"))
    page = _page_from_tsv(tsv, scale=2.0)
    assert page.text == "Lead officer\nJo\n\nPage"
    assert "".join(g.char for g in page.glyphs) == "LeadofficerJoPage"
    first, last_of_lead = page.glyphs[0], page.glyphs[3]
    assert (first.x0, first.top, first.bottom) == (50.0, 25.0, 35.0)  # pixels / scale = points
    assert last_of_lead.x1 == pytest.approx(70.0)  # the word's right edge: the width shared out evenly


def test_a_failing_tesseract_is_a_one_line_error(tmp_path: Path) -> None:
    fake = tmp_path / "tesseract"
    fake.write_text("#!/bin/sh\necho 'Error: cannot read input' >&2\nexit 1\n")
    fake.chmod(0o755)
    with pytest.raises(OcrError, match="tesseract failed: Error: cannot read input"):
        ocr_png(b"not an image", 1.0, str(fake))


def test_missing_or_disabled_tesseract_is_none(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ASSISTANT_TESSERACT", "none")
    assert tesseract_program() is None
    monkeypatch.setenv("ASSISTANT_TESSERACT", str(tmp_path / "absent"))
    assert tesseract_program() is None


@needs_tesseract
def test_ocr_of_a_rendered_report_page_reads_its_words_inside_the_page() -> None:
    page_index = 2
    expected = {w.lower() for w in WORD.findall(PdfReader(str(REPORT)).pages[page_index].extract_text())}
    pdf = pdfium.PdfDocument(str(REPORT))
    width, height = pdf[page_index].get_size()
    program = tesseract_program()
    assert program is not None
    page = ocr_pdf_page(pdf[page_index], program)
    read = {w.lower() for w in WORD.findall(page.text)}
    assert len(read & expected) >= 0.9 * len(expected)
    assert "".join(g.char for g in page.glyphs) == "".join(page.text.split())
    assert all(0 <= g.x0 < g.x1 <= width and 0 <= g.top < g.bottom <= height for g in page.glyphs)
    assert page == ocr_pdf_page(pdf[page_index], program)  # deterministic


def scanned_pdf(source: Path, pages: list[int], dpi: int = 150) -> bytes:
    """An image-only PDF made by rendering ``pages`` of ``source``: what a scanner gives, no text layer."""
    pdf = pdfium.PdfDocument(str(source))
    images = [pdf[i].render(scale=dpi / 72.0, grayscale=True).to_pil() for i in pages]
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:], resolution=float(dpi))
    return buffer.getvalue()


def test_the_scanned_fixture_has_no_text_layer() -> None:
    reader = PdfReader(io.BytesIO(scanned_pdf(REPORT, [0, 2])))
    assert len(reader.pages) == 2
    assert all(not (page.extract_text() or "").strip() for page in reader.pages)
