"""Share and export in the app, as a user meets it (AppTest, real model, real bundled index): a link with ?q=
asks its question on load, every quote has its citation to copy, and the answer, a citation check and an
evaluation report download as Markdown and CSV.

The files a download button would send are read where Streamlit stores them (its in-memory media storage), so
the test sees the bytes the browser would receive.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from conftest import APP, APP_TIMEOUT, DOCUMENTS
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest
from test_app import ask, quote_blocks, visible_text
from test_app_pages import CITATION, EVALUATION, look_up, open_page

QUESTION = "How many social worker vacancies did Bradford have?"


def expected_citation(block: str) -> str:
    """The citation a quote block on the page calls for: "quote" - Title (file, p. N), read off what it shows."""
    quote, source = block.split("</blockquote>")
    title, where = visible_text(source.replace("<br>", "\n")).split("\n")[:2]
    doc, page = re.match(r"(.+?)(?: · page (\d+))? · characters", where).groups()
    page_part = f", p. {page}" if page else ""
    return f'"{" ".join(visible_text(quote).split())}" - {title} ({doc.rsplit("/", 1)[-1]}{page_part})'


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[bytes, str]]:
    """File name -> (bytes, MIME type) of every download button the app draws."""
    files: dict[str, tuple[bytes, str]] = {}
    store = MemoryMediaFileStorage.load_and_get_id

    def spy(self, path_or_data, mimetype, kind, filename=None):  # noqa: ANN001, ANN202
        if filename and isinstance(path_or_data, bytes):
            files[filename] = (path_or_data, mimetype)
        return store(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
    return files


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_a_link_with_q_asks_its_question_on_load(monkeypatch: pytest.MonkeyPatch, bundled_index: Path) -> None:
    monkeypatch.setenv("ASSISTANT_DOCS_DIR", str(DOCUMENTS))
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(bundled_index))
    typed = AppTest.from_file(APP, default_timeout=APP_TIMEOUT).run()
    typed = ask(typed, QUESTION)
    assert typed.query_params["q"] == QUESTION  # the address bar now holds the question
    linked = AppTest.from_file(APP, default_timeout=APP_TIMEOUT)
    linked.query_params["q"] = QUESTION  # the same link, opened in a new session
    linked.run()
    assert not linked.exception, linked.exception
    assert [t.value for t in linked.text] == [QUESTION]
    assert quote_blocks(linked) == quote_blocks(typed)
    linked.slider(key="setting_k").set_value(2).run()  # a later rerun does not ask it again
    assert [t.value for t in linked.text] == [QUESTION] and len(quote_blocks(linked)) == 3


def test_every_quote_has_its_citation_to_copy_and_the_answer_downloads(
        bundled_app: AppTest, downloads: dict[str, tuple[bytes, str]]) -> None:
    at = ask(bundled_app, QUESTION)
    citations = [c.value for c in at.code]
    assert len(citations) == len(quote_blocks(at)) == 3
    assert citations == [expected_citation(block) for block in quote_blocks(at)]
    assert re.fullmatch(r'"[^\n]+" - [^\n]+ \([^/\n]+\.pdf, p\. \d+\)', citations[0]), citations[0]
    at = ask(at, "What is the capital of France?")  # closest passages have their citation too
    assert [i.value for i in at.info] == ["The documents do not answer this question."]
    assert [c.value for c in at.code][3:] == [expected_citation(b) for b in quote_blocks(at)[3:]]
    labels = [b.label for b in at.download_button]
    assert "Answer as Markdown" in labels and "Answer as CSV" in labels
    stem = "answer-how-many-social-worker-vacancies-did-bradford-have"
    markdown, mime = downloads[f"{stem}.md"]
    assert mime == "text/markdown" and markdown.decode().startswith(f"# {QUESTION}")
    rows = csv_rows(downloads[f"{stem}.csv"][0])
    assert [r["citation"] for r in rows] == citations
    assert all(r["doc"] and r["start"].isdigit() and r["end"].isdigit() for r in rows)


def test_a_citation_check_downloads_as_markdown_and_csv(
        bundled_app: AppTest, downloads: dict[str, tuple[bytes, str]]) -> None:
    at = look_up(open_page(bundled_app, CITATION),
                 "children are unable to develop meaningful relationships with their social workers")
    assert {"Check as Markdown", "Check as CSV"} <= {b.label for b in at.download_button}
    stem = "citation-children-are-unable-to-develop-meaningful-relationships-with"
    assert "**Verdict: exact.** Found in" in downloads[f"{stem}.md"][0].decode()
    rows = csv_rows(downloads[f"{stem}.csv"][0])
    assert rows[0]["verdict"] == "exact" and rows[0]["doc"] == "ofsted/ofsted-bradford-31-january-2023.pdf"
    assert rows[0]["page"] == "3" and rows[0]["citation"].endswith("(ofsted-bradford-31-january-2023.pdf, p. 3)")
    assert [c.value for c in at.code] == [r["citation"] for r in rows]  # each match has its citation to copy


def test_an_evaluation_report_downloads_as_markdown_and_csv(
        bundled_app: AppTest, downloads: dict[str, tuple[bytes, str]]) -> None:
    at = open_page(bundled_app, EVALUATION)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert {"Report as Markdown", "Report as CSV", "Report as JSON"} <= {b.label for b in at.download_button}
    assert json.loads(downloads["evaluation-bundled-gold-test.json"][0])["n"] == 53
    rows = csv_rows(downloads["evaluation-bundled-gold-test.csv"][0])
    assert len(rows) == 53
    answered = [r for r in rows if r["answered"] == "yes"]
    assert answered and all(r["got_doc"] and r["got_title"] and r["got_start"].isdigit() for r in answered)
    markdown = downloads["evaluation-bundled-gold-test.md"][0].decode()
    assert markdown.startswith("# Evaluation report") and "Gold set bundled\\_gold\\_test.jsonl" in markdown
