"""Formats come from the registry (ingest/formats): a Word file with a heading, paragraphs and a table is indexed,
titled by its heading, and answers with quotes that are exact slices of its stored text, table rows whole."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
import pytest
from conftest import write_corpus

from assistant.api import Assistant
from assistant.ingest.documents import load_document
from assistant.ingest.registry import format_for, kind_label, mime_type, supported_label
from assistant.ingest.types import DocumentError


def _word_file(path: Path) -> Path:
    d = docx.Document()
    d.add_heading("Riverside Children's Services Review", level=1)
    d.add_paragraph("The review found that caseloads in the assessment team averaged twenty-two children.")
    d.add_paragraph("Managers appointed a new head of fostering, Imogen Castellanos, in March 2024.")
    table = d.add_table(rows=2, cols=2)
    for (r, c), text in {(0, 0): "Judgement", (0, 1): "Grade", (1, 0): "Overall effectiveness",
                         (1, 1): "Requires improvement to be good"}.items():
        table.cell(r, c).text = text
    d.add_paragraph("Inspectors will return within eighteen months to check progress.")
    d.save(path)
    return path


def test_a_word_file_loads_with_its_heading_as_title_and_table_rows_whole(tmp_path: Path) -> None:
    doc = load_document(_word_file(tmp_path / "review.docx"), tmp_path)
    text = doc.pages[0].text
    assert doc.title == "Riverside Children's Services Review"
    assert doc.pages[0].number is None
    assert "Overall effectiveness | Requires improvement to be good" in text.split("\n")
    assert "Imogen Castellanos" in text


def test_a_word_file_answers_with_exact_quotes(tmp_path: Path) -> None:
    docs = write_corpus(tmp_path / "docs", {"notes.txt": "The ferry to the island leaves at nine every morning."})
    _word_file(docs / "review.docx")
    assistant = Assistant(tmp_path / "index")
    report = assistant.build(docs)
    assert not report.problems and "review.docx" in report.added
    answer = assistant.ask("Who was appointed head of fostering?")
    top = answer.quotes[0]
    assert top.doc == "review.docx" and "Imogen Castellanos" in top.text
    assert top.title == "Riverside Children's Services Review"
    page = assistant.store.docs[[d.doc for d in assistant.store.docs].index("review.docx")].pages[0]
    for q in answer.quotes:
        if q.doc == "review.docx":
            assert page[q.start:q.end] == q.text


def test_a_damaged_word_file_is_reported_by_name(tmp_path: Path) -> None:
    bad = tmp_path / "broken.docx"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    with pytest.raises(DocumentError, match="corrupt or unreadable Word file"):
        load_document(bad, tmp_path)


_ODT_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"><office:body><office:text>
<text:h text:outline-level="1">Hillside Adoption Panel Minutes</text:h>
<text:p>The panel met on <text:span>4 June</text:span> and approved<text:s text:c="2"/>three matches.</text:p>
<table:table><table:table-row><table:table-cell><text:p>Matches approved</text:p></table:table-cell>
<table:table-cell><text:p>3</text:p></table:table-cell></table:table-row></table:table>
<text:p>The chair, Rosalind Achterberg, thanked the social workers.</text:p>
</office:text></office:body></office:document-content>"""


def test_an_opendocument_file_loads_with_heading_paragraphs_and_rows(tmp_path: Path) -> None:
    path = tmp_path / "minutes.odt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", _ODT_CONTENT)
    doc = load_document(path, tmp_path)
    lines = doc.pages[0].text.split("\n")
    assert doc.title == "Hillside Adoption Panel Minutes"
    assert "The panel met on 4 June and approved three matches." in lines
    assert "Matches approved | 3" in lines
    assert "The chair, Rosalind Achterberg, thanked the social workers." in lines


def test_the_registry_names_every_format_once() -> None:
    assert supported_label() == "PDF, TXT, MD, HTML, DOCX, ODT"
    assert kind_label("a/b.docx") == "Word" and kind_label("x.htm") == "HTML"
    assert mime_type("r.pdf") == "application/pdf" and mime_type("page.html") == "application/octet-stream"
    assert format_for("x.rtf") is None and kind_label("m.odt") == "OpenDocument"
