"""The Streamlit app as a user meets it (streamlit.testing AppTest, real model, real index).

Chat tests point the app at the session's bundled index and the repo's documents (read only: nothing is
uploaded or removed there). Tests that upload, remove or show hostile text use a temporary documents folder and
index, which the app builds on its first start.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from conftest import TINY_FILES, Launch, write_corpus
from streamlit.testing.v1 import AppTest

BRADFORD_2023 = "ofsted/ofsted-bradford-31-january-2023.pdf"
BRADFORD_2018 = "ofsted/ofsted-bradford-29-october-2018.pdf"

HOSTILE = (
    "Notice [click here](http://evil.example) <script>alert(1)</script> **bold** :smile:\n"
    "The Zanzibar ferry timetable changed in March 2021 and ![img](http://x/y.png) was posted.\n"
    "The ferry captain is called Ignatius Fairweather, see [his page](http://evil.example/captain) for more.\n"
)
LIGHTHOUSE = (
    "The Gullrock lighthouse was automated in 1987, when its last keeper, Morwenna Tresize, retired.\n"
    "Its lamp can be seen twenty-two nautical miles out to sea on a clear night.\n"
)

def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


def html_bodies(at: AppTest) -> list[str]:
    return [h.value for h in at.get("html")]


def visible_text(fragment: str) -> str:
    """What a reader sees of an HTML fragment: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def notices(at: AppTest, kind: str) -> list[str]:
    """The text of the app's message boxes of one kind ("success", "info", "warning", "error")."""
    return [visible_text(b)[1:] for b in html_bodies(at) if b.startswith(f'<div class="ba-notice ba-{kind}">')]


def quote_blocks(at: AppTest) -> list[str]:
    return [b for b in html_bodies(at) if b.startswith('<blockquote class="ba-quote')]


def test_a_question_shows_verbatim_quotes_with_source_context_and_download(bundled_app: AppTest) -> None:
    # Lenient: the learned ranker's evidence for this question sits just under the default threshold (README)
    bundled_app.select_slider(key="setting_strictness").set_value("Lenient")
    at = ask(bundled_app, "Who led the 2022 inspection of Bradford?")
    blocks = quote_blocks(at)
    assert len(blocks) == 3  # the default number of quotes
    first = blocks[0]
    assert "ba-closest" not in first
    assert "<mark>Matt Reed</mark>" in first  # the answer-bearing span is highlighted
    assert f"{BRADFORD_2023} · page 1 · characters" in first
    assert "Inspection of City of Bradford Metropolitan Borough Council" in visible_text(first)
    assert [e.label for e in at.expander] == ["Show in context"] * 3
    context = next(b for b in html_bodies(at) if b.startswith('<div class="ba-context">'))
    assert "<mark>Matt Reed</mark>" in context and "Inspection dates" in visible_text(context)
    assert [b.label for b in at.download_button] == ["Download PDF"] * 3 + ["Answer as Markdown", "Answer as CSV"]
    assert not at.info  # it answered: no abstention message

    at = ask(at, "How many social worker vacancies did Bradford have?")
    assert [m.name for m in at.chat_message] == ["user", "assistant"] * 2  # the history stays
    assert [t.value for t in at.text] == ["Who led the 2022 inspection of Bradford?",
                                          "How many social worker vacancies did Bradford have?"]
    assert "vacancies" in visible_text(quote_blocks(at)[3])


def test_an_unanswerable_question_says_so_and_labels_the_closest_passages(bundled_app: AppTest) -> None:
    at = ask(bundled_app, "What is the capital of France?")
    assert [i.value for i in at.info] == ["The documents do not answer this question."]
    assert "No document mentions France." in [visible_text(b) for b in html_bodies(at)]  # and why
    assert "**Closest passages — not an answer**" in [m.value for m in at.markdown]
    blocks = quote_blocks(at)
    assert blocks and all('class="ba-quote ba-closest"' in b for b in blocks)  # drawn apart from answers
    assert not any("<mark>" in b for b in blocks)  # and nothing in them is marked as if it were the answer


def test_sidebar_settings_limit_quotes_and_documents_and_survive_a_page_switch(bundled_app: AppTest) -> None:
    at = bundled_app
    at.slider(key="setting_k").set_value(1)
    at.multiselect(key="setting_docs").set_value([BRADFORD_2018])
    at = ask(at, "How many social worker vacancies did Bradford have?")
    [block] = quote_blocks(at)
    assert BRADFORD_2018 in block
    assert any("searched 1 of 23 documents" in visible_text(b) for b in html_bodies(at))

    at.switch_page("app_pages/documents.py").run()
    at.switch_page("app_pages/chat.py").run()
    assert at.slider(key="setting_k").value == 1
    assert at.multiselect(key="setting_docs").value == [BRADFORD_2018]
    assert at.select_slider(key="setting_strictness").value == "Balanced"


def test_strictness_very_strict_refuses_a_loosely_answered_question(bundled_app: AppTest) -> None:
    at = bundled_app
    at.select_slider(key="setting_strictness").set_value("Lenient")
    at = ask(at, "What is the weather forecast for Bradford?")
    assert not at.info and quote_blocks(at)
    at.select_slider(key="setting_strictness").set_value("Very strict")
    at = ask(at, "What is the weather forecast for Bradford?")
    assert [i.value for i in at.info] == ["The documents do not answer this question."]


def test_document_text_with_script_and_markdown_is_shown_as_text(launch: Launch, tmp_path: Path) -> None:
    docs = write_corpus(tmp_path / "docs", {"ferry-notice.txt": HOSTILE, "harbour.txt": TINY_FILES["harbour.txt"]})
    at = ask(launch(docs, tmp_path / "index"), "Who is the captain of the Zanzibar ferry?")
    bodies = html_bodies(at)
    assert any("Ignatius Fairweather" in b for b in quote_blocks(at))
    shown = "\n".join(visible_text(b) for b in bodies)
    for literal in ("[his page](http://evil.example/captain)", "<script>alert(1)</script>",
                    "[click here](http://evil.example)", "![img](http://x/y.png)", "**bold** :smile:"):
        assert literal in shown  # the reader sees exactly what the document says
    markup = "\n".join(bodies) + "\n".join(m.value for m in at.markdown)
    for active in ("<script", "<a ", "<img", "href=", "](http"):
        assert active not in markup  # nothing a browser or Markdown would act on
    assert {t for b in bodies for t in re.findall(r"<(\w+)", b)} <= {
        "style", "blockquote", "mark", "div", "span", "br", "p"}

    at.switch_page("app_pages/documents.py").run()
    titles = at.dataframe[0].value["Title"].tolist()
    assert "Notice [click here](http://evil.example) <script>alert(1)</script> **bold** :smile:" in titles


def test_upload_indexes_good_files_reports_bad_ones_and_removal_reindexes(launch: Launch, tmp_path: Path) -> None:
    docs = write_corpus(tmp_path / "docs", {"harbour.txt": TINY_FILES["harbour.txt"]})
    at = launch(docs, tmp_path / "index")
    at.switch_page("app_pages/documents.py").run()
    assert at.metric[0].value == "1"

    at.file_uploader[0].set_value([
        ("../../Gullrock lighthouse.txt", LIGHTHOUSE.encode(), "text/plain"),
        ("broken.pdf", b"%PDF-1.4\nnot really a PDF", "application/pdf"),
        ("harbour copy.txt", TINY_FILES["harbour.txt"].encode(), "text/plain"),
        ("[click](http:evil.example) *notes*.txt", b"The ferry leaves at noon on Sundays.", "text/plain"),
    ])
    at.button(key="FormSubmitter:upload-Add to the library").click().run()
    assert not at.exception, at.exception
    assert notices(at, "success") == [
        "../../Gullrock lighthouse.txt: saved as uploads/Gullrock lighthouse.txt",
        "[click](http:evil.example) *notes*.txt: saved as uploads/_click_(http_evil.example) _notes_.txt"]
    assert not any("](" in b or "<a" in b for b in html_bodies(at))  # a hostile file name makes no link
    assert notices(at, "error") == [
        "broken.pdf: cannot be read as a document: corrupt or unreadable PDF: Stream has ended unexpectedly"]
    assert notices(at, "info") == ["harbour copy.txt: already in the library as harbour.txt; not added again"]
    assert at.metric[0].value == "3"
    assert sorted(p.relative_to(docs).as_posix() for p in tmp_path.rglob("*.txt")) == [
        "harbour.txt", "uploads/Gullrock lighthouse.txt", "uploads/_click_(http_evil.example) _notes_.txt"]
    assert (docs / "uploads" / "Gullrock lighthouse.txt").read_text() == LIGHTHOUSE

    at.switch_page("app_pages/chat.py").run()
    at = ask(at, "Who was the last keeper of the Gullrock lighthouse?")
    assert "uploads/Gullrock lighthouse.txt · characters" in quote_blocks(at)[0]

    at.switch_page("app_pages/documents.py").run()
    at.selectbox(key="remove_doc").set_value("uploads/Gullrock lighthouse.txt").run()
    assert at.button(key="remove_go").disabled  # not before the user confirms
    at.checkbox(key="remove_sure").check().run()
    at.button(key="remove_go").click().run()
    assert not at.exception, at.exception
    assert notices(at, "success") == [
        "Removed uploads/Gullrock lighthouse.txt from the documents folder and the index."]
    assert at.metric[0].value == "2"
    assert not (docs / "uploads" / "Gullrock lighthouse.txt").exists()
