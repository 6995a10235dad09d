"""Boxes: every quote from a PDF carries rectangles that hold exactly its text on the page.

The check reads the PDF with a second library (pdfplumber, not the pdfium that made the boxes, nor the pypdf that
made the text): the characters whose centres fall inside each rectangle, line by line, must spell the quote, up
to whitespace and the hyphen of a word rejoined across a line end. Quotes come from the product's own answers,
its closest passages when it abstains, and citation lookups (including one across a page break), over the
bundled Ofsted PDFs.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import pdfplumber
import pytest
from conftest import DOCUMENTS, REPO_ROOT

from assistant.api import Assistant
from assistant.evaluation import load_gold
from assistant.index.page_boxes import Box
from assistant.ingest.normalise import normalise_basic

GOLD = REPO_ROOT / "eval" / "bundled_gold.jsonl"
MIN_QUOTES = 50


class Pdfs:
    """The bundled PDFs opened with pdfplumber, each once."""

    def __init__(self) -> None:
        self._open: dict[str, pdfplumber.PDF] = {}

    def page(self, doc: str, number: int) -> pdfplumber.page.Page:
        if doc not in self._open:
            self._open[doc] = pdfplumber.open(DOCUMENTS / doc)
        return self._open[doc].pages[number - 1]

    def close(self) -> None:
        for pdf in self._open.values():
            pdf.close()


@pytest.fixture(scope="module")
def pdfs() -> Iterator[Pdfs]:
    opened = Pdfs()
    yield opened
    opened.close()


def text_inside(page: pdfplumber.page.Page, box: Box) -> str:
    """What pdfplumber reads inside one rectangle: the characters whose centres it contains."""

    def inside(obj: dict) -> bool:
        return (obj.get("object_type") == "char" and box.x0 <= (obj["x0"] + obj["x1"]) / 2 <= box.x1
                and box.top <= (obj["top"] + obj["bottom"]) / 2 <= box.bottom)

    return page.filter(inside).extract_text()


def _fold(text: str) -> str:
    return " ".join(normalise_basic(text).split())


def assert_boxes_hold(pdfs: Pdfs, doc: str, text: str, boxes: Sequence[Box] | None) -> None:
    """The lines read inside ``boxes`` spell ``text`` (whitespace folded; a line-end hyphen may be dropped)."""
    assert boxes, f"no boxes for a PDF quote: {doc} {text!r}"
    read = "\n".join(text_inside(pdfs.page(doc, b.page), b) for b in boxes)
    pieces = [_fold(p) for p in re.split(r"-\s*\n\s*", normalise_basic(read))]
    pattern = r"-?".join(re.escape(p) for p in pieces)
    assert re.fullmatch(pattern, _fold(text)), f"{doc}: boxes hold {read!r}, the quote is {text!r}"


def _answers(assistant: Assistant) -> tuple[list, list]:
    """(quotes of answered gold questions, closest passages of the refused ones), PDF quotes only."""
    answered, closest = [], []
    for gold in load_gold(GOLD):
        answer = assistant.ask(gold.question)
        pdf_quotes = [q for q in answer.quotes if q.doc.endswith(".pdf")]
        (answered if answer.answered else closest).extend(pdf_quotes)
    return answered, closest


def _page_break_quote(assistant: Assistant) -> tuple[str, str]:
    """(document, quote) made of the last words of one PDF page and the first words of the next."""
    for record in assistant.store.docs:
        if not record.doc.endswith(".pdf"):
            continue
        for left, right in zip(record.pages, record.pages[1:], strict=False):
            tail, head = left.split()[-6:], right.split()[:6]
            if len(tail) == 6 and len(head) == 6 and all(re.search(r"[a-z]{3}", w) for w in tail[-2:] + head[:2]):
                return record.doc, " ".join(tail + head)
    raise AssertionError("no PDF page break with words on both sides")


def test_pdf_quotes_answers_closest_and_citations_have_boxes_holding_their_text(
        bundled_assistant: Assistant, pdfs: Pdfs) -> None:
    answered, closest = _answers(bundled_assistant)
    for quote in answered:
        assert_boxes_hold(pdfs, quote.doc, quote.text, quote.boxes)
        if quote.highlight is not None:
            assert_boxes_hold(pdfs, quote.doc, quote.highlight, quote.highlight_boxes)
    for quote in closest:
        assert_boxes_hold(pdfs, quote.doc, quote.text, quote.boxes)
    assert len(answered) >= 30 and len(closest) >= 5, (len(answered), len(closest))

    store = bundled_assistant.store
    sentences = [i for i in range(0, store.n_sentences, 97)
                 if store.docs[int(store.sent_doc[i])].doc.endswith(".pdf")
                 and len(store.sentence_text(i).split()) >= 6][:20]
    cited = 0
    for i in sentences:
        citation = bundled_assistant.cite(store.sentence_text(i))
        assert citation.verdict == "exact", store.sentence_text(i)
        for match in citation.matches:
            if not match.doc.endswith(".pdf"):  # the news quoting a report
                assert match.boxes is None and all(p.boxes is None for p in match.parts)
                continue
            for part in match.parts:
                assert_boxes_hold(pdfs, match.doc, part.text, part.boxes)
            assert match.boxes == tuple(b for p in match.parts for b in p.boxes or ())
            cited += 1
    doc, quote = _page_break_quote(bundled_assistant)
    match = next(m for m in bundled_assistant.cite(quote).matches if m.doc == doc)
    assert len(match.parts) == 2 and match.parts[0].page + 1 == match.parts[1].page, match
    for part in match.parts:
        assert_boxes_hold(pdfs, doc, part.text, part.boxes)
        assert {b.page for b in part.boxes} == {part.page}
    assert len(answered) + len(closest) + cited + 1 >= MIN_QUOTES


def test_text_markdown_and_html_documents_have_no_boxes(make_corpus, tmp_path: Path) -> None:  # noqa: ANN001
    docs = make_corpus({**{"orchard.md": "# The Hillside Orchard\n\nThe orchard grows forty varieties of apple on a "
                                         "south-facing slope.\nPruning happens every February, before the buds "
                                         "begin to swell."},
                        "harbour.html": "<html><body><p>The Kestrel Bay harbour was rebuilt in 1998 after a winter "
                                        "storm destroyed the old pier.</p></body></html>",
                        "observatory.txt": "The Moorland Observatory houses a reflecting telescope with a two-metre "
                                           "mirror. Astronomers there discovered a faint comet in 2004."})
    assistant = Assistant(tmp_path / "index")
    assistant.build(docs)
    for question in ("When was the harbour rebuilt?", "When does pruning happen in the orchard?",
                     "When was the comet discovered?"):
        out = assistant.ask(question).to_json()
        quotes = out["quotes"] or out["closest"]
        assert quotes and all(q["boxes"] is None and q["highlight_boxes"] is None for q in quotes), out
    cite = assistant.cite("rebuilt in 1998 after a winter storm destroyed the old pier").to_json()
    assert cite["verdict"] == "exact" and cite["matches"][0]["boxes"] is None
    assert cite["matches"][0]["parts"][0]["boxes"] is None
    json.dumps(cite)


def test_an_incremental_build_keeps_the_boxes_of_unchanged_pdfs(make_corpus, tmp_path: Path) -> None:  # noqa: ANN001
    docs = make_corpus({"notes.txt": "The harbour master keeps a logbook of every vessel that enters the bay."})
    pdf = "ofsted-wakefield-17-july-2018.pdf"
    shutil.copy(DOCUMENTS / "ofsted" / pdf, docs / pdf)
    assistant = Assistant(tmp_path / "index")
    assistant.build(docs)
    question = "Who was the lead inspector for Wakefield in 2018?"
    before = assistant.ask(question).quotes[0]
    (docs / "more.txt").write_text("The lighthouse keeper lit the lamp at dusk every evening.", encoding="utf-8")
    report = assistant.build(docs)
    assert set(report.unchanged) == {pdf, "notes.txt"} and report.added == ("more.txt",)
    after = assistant.ask(question).quotes[0]
    assert after.doc == pdf and after.boxes and after.boxes == before.boxes
    assert after.highlight_boxes == before.highlight_boxes and after.highlight_boxes
