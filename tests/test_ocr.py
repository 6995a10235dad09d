"""OCR of scanned PDF pages: Tesseract's TSV read into text and per-character boxes; a scanned PDF end to end."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from conftest import DOCUMENTS
from pypdf import PdfReader, PdfWriter

from assistant.api import Assistant
from assistant.ingest.normalise import WORD
from assistant.ingest.ocr import OcrError, _page_from_tsv, ocr_image, ocr_pdf_page, tesseract_program
from assistant.render import source_line

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
    assert page.legible_words == 4 and page.legible


def test_a_picture_read_as_a_few_unsure_letters_is_not_text() -> None:
    unsure = _row(5, 1, 1, 1, 10, 10, 40, 20, "MM").replace("\t90\t", "\t57\t")  # what a noise image gave
    tsv = _HEADER + unsure + _row(5, 1, 1, 1, 60, 10, 5, 20, "|")
    page = _page_from_tsv(tsv, scale=1.0)
    assert page.text == "MM |" and page.legible_words == 0 and not page.legible


def test_a_failing_tesseract_is_a_one_line_error(tmp_path: Path) -> None:
    fake = tmp_path / "tesseract"
    fake.write_text("#!/bin/sh\necho 'Error: cannot read input' >&2\nexit 1\n")
    fake.chmod(0o755)
    with pytest.raises(OcrError, match="tesseract failed: Error: cannot read input"):
        ocr_image(b"not an image", 1.0, str(fake))


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


def _two_page_scan(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "scanned-report.pdf").write_bytes(scanned_pdf(REPORT, [0, 2]))
    (docs / "notes.txt").write_text("The allotment society meets on Tuesdays to share seeds and tools.\n")
    return docs


@needs_tesseract
def test_a_scanned_pdf_is_read_by_ocr_and_answers_from_page_2_with_boxes(tmp_path: Path) -> None:
    docs = _two_page_scan(tmp_path)
    assistant = Assistant(tmp_path / "index")
    report = assistant.build(docs)
    assert not report.problems and not report.notes
    record = next(d for d in assistant.store.docs if d.doc == "scanned-report.pdf")
    assert record.ocr_pages == (1, 2) and "harmful situations" in record.pages[1]
    answer = assistant.ask("Whose cases had been closed by the MASH without protective action being taken?")
    assert answer.answered
    quote = answer.quotes[0]
    assert (quote.doc, quote.page, quote.ocr) == ("scanned-report.pdf", 2, True)
    assert quote.text == record.pages[1][quote.start:quote.end] and "MASH" in quote.text
    assert quote.boxes and {box.page for box in quote.boxes} == {2}
    pdf = pdfium.PdfDocument(str(docs / "scanned-report.pdf"))
    width, height = pdf[1].get_size()
    assert all(0 <= b.x0 < b.x1 <= width and 0 <= b.top < b.bottom <= height for b in quote.boxes)
    # What is drawn inside the boxes, read again by OCR, is the quote.
    scale = 300 / 72
    image = pdf[1].render(scale=scale, grayscale=True).to_pil()
    read_back = []
    for b in quote.boxes:
        crop = image.crop((int(b.x0 * scale) - 2, int(b.top * scale) - 2, int(b.x1 * scale) + 2,
                           int(b.bottom * scale) + 2))
        buffer = io.BytesIO()
        crop.save(buffer, format="PNG")
        read_back.append(ocr_image(buffer.getvalue(), scale, str(tesseract_program())).text)
    assert " ".join(" ".join(read_back).split()) == " ".join(quote.text.split())
    assert "text read by OCR" in source_line(quote)
    json_quote = answer.to_json()["quotes"][0]
    assert json_quote["ocr"] is True and json_quote["boxes"]


def test_without_tesseract_a_scanned_pdf_is_reported_by_name_and_the_rest_indexed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_TESSERACT", "none")
    docs = _two_page_scan(tmp_path)
    mixed = PdfWriter()
    mixed.add_page(PdfReader(str(REPORT)).pages[2])  # a text page, then a scanned one
    mixed.add_page(PdfReader(io.BytesIO(scanned_pdf(REPORT, [3]))).pages[0])
    with (docs / "half-scanned.pdf").open("wb") as out:
        mixed.write(out)
    report = Assistant(tmp_path / "index").build(docs)
    assert [(p.doc, p.reason) for p in report.problems] == [
        ("scanned-report.pdf", "scanned PDF, pages 1-2 not read: no text layer (scanned?) and no OCR engine; "
                               "install Tesseract to read it (Debian: apt-get install tesseract-ocr)")]
    assert [(n.doc, n.reason.split(":")[0]) for n in report.notes] == [("half-scanned.pdf", "page 2 not read")]
    assert report.n_documents == 2  # the text file and the half-scanned PDF's text page
    done = subprocess.run([sys.executable, "-m", "assistant", "index", str(docs), "--index", str(tmp_path / "i2"),
                           "--quiet"], capture_output=True, text=True, check=False)
    assert done.returncode == 2  # a file could not be indexed (the others were)
    assert "skipped scanned-report.pdf: scanned PDF, pages 1-2 not read" in done.stderr
    assert "partly read half-scanned.pdf: page 2 not read: no text layer" in done.stderr
