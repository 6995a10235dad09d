"""Exports a user keeps: the citation string, Markdown and CSV of answers, citation checks and evaluation reports.

Everything is built from real answers over a tiny corpus (a two-page PDF, a text file with hostile text, one
with a formula-like line), so the files hold what the app and CLI would give. The Markdown is rendered with a
CommonMark renderer (tables on) to check that document text stays text; the CSV is read back with the csv module.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import write_corpus
from markdown_it import MarkdownIt
from test_cli import run_main
from test_documents import make_pdf

from assistant.api import Assistant
from assistant.evaluation import GoldItem, evaluate
from assistant.export import (
    ANSWER_COLUMNS,
    CITATION_COLUMNS,
    REPORT_COLUMNS,
    answer_csv,
    answer_markdown,
    as_answer,
    citation_csv,
    citation_markdown,
    citation_string,
    file_stem,
    match_citation,
    md_escape,
    quote_citation,
    report_csv,
    report_markdown,
)
from assistant.ingest.documents import load_document
from assistant.query.types import Answer

HOSTILE = (
    "The Zanzibar ferry captain is Ignatius Fairweather | see `rm -rf` and *stars* <script>alert(1)</script> "
    "[his page](http://evil.example/captain).\n"
    "Fares on the ferry doubled in 2021 after the pier closed.\n"
)
FORMULA = "=HYPERLINK(\"http://evil.example\",\"The harbour office ledger was audited in 2019.\")\n"
LIGHTHOUSE_PAGES = ["The Gullrock lighthouse stands on a granite reef off the northern cape.",
                    "The Gullrock lighthouse was automated in 1987 when its last keeper retired."]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Assistant]:
    root = tmp_path_factory.mktemp("export")
    docs = write_corpus(root / "docs", {"ferry-notice.txt": HOSTILE, "ledger.txt": FORMULA})
    make_pdf(docs / "lighthouse.pdf", LIGHTHOUSE_PAGES)
    assistant = Assistant(root / "index")
    assert not assistant.build(docs).problems
    return docs, assistant


def ask(corpus: tuple[Path, Assistant], question: str) -> Answer:
    answer = corpus[1].ask(question, k=2)
    assert answer.quotes
    return answer


def rendered(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(markdown)


def read_csv(text: str) -> list[dict[str, str]]:
    rows = list(csv.reader(io.StringIO(text)))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def page_text(docs: Path, doc: str, page: str) -> str:
    loaded = load_document(docs / doc, docs)
    return next(p.text for p in loaded.pages if str(p.number or "") == page)


def test_the_citation_string_is_quote_title_file_and_page() -> None:
    assert (citation_string("Children are\n  unable to develop relationships.", "Inspection of Bradford",
                            "ofsted/ofsted-bradford-31-january-2023.pdf", (3,))
            == '"Children are unable to develop relationships." - Inspection of Bradford '
               "(ofsted-bradford-31-january-2023.pdf, p. 3)")
    assert citation_string("Fares doubled.", "Ferry notice", "news/ferry.txt") == \
        '"Fares doubled." - Ferry notice (ferry.txt)'
    assert citation_string("across a break", "Report", "r.pdf", (4, 5, 4)).endswith("(r.pdf, pp. 4–5)")


def test_copy_citations_of_real_quotes_name_the_page_only_for_pdfs(corpus: tuple[Path, Assistant]) -> None:
    pdf = ask(corpus, "When was the Gullrock lighthouse automated?").quotes[0]
    assert pdf.doc == "lighthouse.pdf" and pdf.page == 2
    assert quote_citation(pdf) == f'"{pdf.text}" - {pdf.title} (lighthouse.pdf, p. 2)'
    text = ask(corpus, "When did ferry fares double?").quotes[0]
    assert text.page is None and text.doc == "ferry-notice.txt"
    assert quote_citation(text) == f'"{text.text.strip()}" - {text.title} (ferry-notice.txt)'


def test_answer_markdown_keeps_hostile_document_text_as_text(corpus: tuple[Path, Assistant]) -> None:
    answer = ask(corpus, "Who is the captain of the Zanzibar ferry?")
    assert "Ignatius Fairweather" in answer.quotes[0].text
    page = rendered(answer_markdown(answer))
    for tag in ("<script", "<a ", "<em>", "<code>", "<table"):
        assert tag not in page, tag
    shown = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "| see `rm -rf` and *stars* <script>alert(1)</script> [his page](http://evil.example/captain)" in shown
    assert "Document: ferry-notice.txt" in shown and "Characters: " in shown and "Score: " in shown
    assert answer.quotes[0].highlight and f"<strong>{html.escape(answer.quotes[0].highlight, quote=False)}" in page


def test_md_escape_neutralises_markdown_at_the_start_of_a_line() -> None:
    for text in ("- not a list", "+ nor this", "1. nor this", "# nor a heading", "=== nor a rule", "> nor a quote"):
        assert rendered(md_escape(text)) == f"<p>{html.escape(text, quote=False)}</p>\n", text


def test_answer_csv_reads_back_with_exact_slices_and_offsets(corpus: tuple[Path, Assistant]) -> None:
    docs, _ = corpus
    answer = ask(corpus, "When was the Gullrock lighthouse automated?")
    rows = read_csv(answer_csv(answer))
    assert list(rows[0]) == list(ANSWER_COLUMNS) and len(rows) == len(answer.quotes)
    for row, quote in zip(rows, answer.quotes, strict=True):
        assert row["question"] == answer.question and row["kind"] == "quote" and row["answered"] == "yes"
        assert row["text"] == quote.text == page_text(docs, row["doc"], row["page"])[int(row["start"]):int(row["end"])]
        assert (row["title"], row["citation"]) == (quote.title, quote_citation(quote))
        assert row["highlight"] == (quote.highlight or "") and float(row["score"]) == round(quote.score, 4)


def test_closest_passages_are_exported_as_not_an_answer(corpus: tuple[Path, Assistant]) -> None:
    answer = ask(corpus, "What is the capital of France?")
    assert not answer.answered
    assert "The documents do not answer this question." in answer_markdown(answer)
    assert "Closest passage 1 (not an answer)" in answer_markdown(answer)
    assert {r["kind"] for r in read_csv(answer_csv(answer))} == {"closest"}
    empty = read_csv(answer_csv(replace(answer, quotes=())))
    assert [(r["answered"], r["kind"], r["text"]) for r in empty] == [("no", "none", "")]


def test_csv_shows_formula_like_text_as_text(corpus: tuple[Path, Assistant]) -> None:
    answer = ask(corpus, "When was the harbour office ledger audited?")
    quote = next(q for q in answer.quotes if q.doc == "ledger.txt")
    assert quote.text.startswith("=HYPERLINK")
    row = next(r for r in read_csv(answer_csv(answer)) if r["doc"] == "ledger.txt")
    assert row["text"] == "'" + quote.text and row["citation"] == quote_citation(quote)  # starts with '"'


def test_citation_check_exports_every_match_with_its_verdict(corpus: tuple[Path, Assistant]) -> None:
    docs, assistant = corpus
    c = assistant.cite("The Gullrock lighthouse was automated in 1987 when its last keeper retired.")
    assert c.verdict == "exact"
    rows = read_csv(citation_csv(c))
    assert list(rows[0]) == list(CITATION_COLUMNS)
    assert [(r["verdict"], r["kind"], r["doc"], r["page"]) for r in rows] == [("exact", "match", "lighthouse.pdf", "2")]
    assert rows[0]["text"] == page_text(docs, "lighthouse.pdf", "2")[int(rows[0]["start"]):int(rows[0]["end"])]
    md = citation_markdown(c)
    assert "**Verdict: exact.** Found in 1 place." in md
    assert f"Citation: {match_citation(c.matches[0])}" in html.unescape(re.sub(r"<[^>]+>", "", rendered(md)))
    assert match_citation(c.matches[0]).endswith(" (lighthouse.pdf, p. 2)")

    hostile = assistant.cite("Ignatius Fairweather | see `rm -rf` and *stars* <script>alert(1)</script>")
    page = rendered(citation_markdown(hostile))
    assert "<script" not in page and "<code>" not in page and "<em>" not in page and "<table" not in page
    paragraph = assistant.cite("Fares on the ferry doubled in 2021 after the pier closed. The moon is made of "
                               "green cheese and always has been.")
    sentences = {r["sentence"]: r["verdict"] for r in read_csv(citation_csv(paragraph)) if r["sentence"]}
    assert sentences == {"1": "exact", "2": "not_found"}


def test_evaluation_report_exports_attributions_and_survives_pipes(corpus: tuple[Path, Assistant]) -> None:
    items = [GoldItem("lamp", "When was the Gullrock lighthouse automated? | keeper", ("1987",), "lighthouse.pdf"),
             GoldItem("moon", "What is the moon made of?", (), None)]
    report = evaluate(corpus[1], items)
    rows = {r["id"]: r for r in read_csv(report_csv(report))}
    assert list(next(iter(rows.values()))) == list(REPORT_COLUMNS)
    lamp = rows["lamp"]
    assert lamp["result"] == "pass" and json.loads(lamp["expected"]) == ["1987"]
    assert (lamp["got_doc"], lamp["got_page"]) == ("lighthouse.pdf", "2") and lamp["got_title"]
    assert "1987" in lamp["got"] and int(lamp["got_end"]) - int(lamp["got_start"]) == len(lamp["got"])
    assert rows["moon"]["result"] == "pass" and rows["moon"]["answered"] == "no" and rows["moon"]["got"] == ""
    page = rendered(report_markdown(report, gold_name="my|gold.jsonl", strictness="Balanced"))
    body = page.split("<tbody>")[-1]
    assert [row.count("<td>") for row in body.split("<tr>")[1:]] == [14, 14]  # the "|" split no cell


def test_file_stems_are_safe_names() -> None:
    assert file_stem("answer", "Who led the 2022 inspection of ../Bradford? <b>") == \
        "answer-who-led-the-2022-inspection-of-bradford-b"
    assert file_stem("citation", "…") == "citation"


def test_cli_ask_prints_the_same_exports(corpus: tuple[Path, Assistant], capsys: pytest.CaptureFixture[str]) -> None:
    docs, assistant = corpus
    question = "When was the Gullrock lighthouse automated?"
    index = str(assistant.index_dir)
    code, out, err = run_main(capsys, "ask", question, "--index", index, "--format", "csv", "--k", "2")
    assert code == 0, err
    rows = read_csv(out)
    assert rows[0]["doc"] == "lighthouse.pdf" and rows[0]["page"] == "2" and "1987" in rows[0]["text"]
    assert [r["citation"] for r in rows] == [quote_citation(q) for q in assistant.ask(question, k=2).quotes]
    code, out, err = run_main(capsys, "ask", question, "--index", index, "--format", "markdown")
    assert code == 0, err
    assert out.startswith(f"# {question}\n") and "- Page: 2" in out and "(lighthouse.pdf, p. 2)" in out
    code, out, err = run_main(capsys, "ask", question, "--index", index, "--format", "markdown", "--json")
    assert code == 2 and not out and "--format" in err


def test_an_answer_across_documents_exports_each_documents_quote_with_its_date(
        corpus: tuple[Path, Assistant]) -> None:
    across = corpus[1].ask_per_document("When was the Gullrock lighthouse automated?")
    assert across.answers and all(r.quote is not None for r in across.answers)
    rows = read_csv(answer_csv(as_answer(across)))
    assert [row["doc"] for row in rows] == [r.doc for r in across.answers]
    assert [row["date"] for row in rows] == [r.date or "" for r in across.answers]
    assert "- Date: " in answer_markdown(as_answer(across))
