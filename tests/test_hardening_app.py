"""Issue 12, defect 2 on every page: a user-supplied string (a document's file name and text, a question, a quote,
an uploaded gold file's name and ids, an uploaded document's name) is never read as Markdown anywhere in the app.

Streamlit reads Markdown in st.markdown, captions, headers, alerts and widget labels: ``:red[...]`` colours,
``**`` bolds, ``$$`` draws maths and ``![](url)`` fetches an image. The app shows such strings only through
assistant.render (escaped HTML), st.text or data frames, so none of the markers may reach a Markdown element.
(The browser side, that nothing is fetched or drawn, is test_browser_hostile.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import TINY_FILES, Launch, write_corpus
from streamlit.testing.v1 import AppTest
from test_app import html_bodies, visible_text

HOSTILE = ":red[RED] **bold** $$x^2$$ ![t](http://127.0.0.1:9/t.png) <b>x</b>"
HOSTILE_FILE = ":red[RED] **bold** $$x^2$$ ![t](http:track.png) <b>x<b>"  # a file name cannot hold "/"
MARKERS = (":red[", "**bold**", "$$x^2$$", "](http", "<b>x<")
MARKDOWN_KINDS = ("markdown", "caption", "subheader", "title", "header", "error", "warning", "info", "success")


def markdown_strings(at: AppTest) -> list[str]:
    """Everything the page handed to Streamlit's Markdown renderer (element bodies and widget labels)."""
    out = [str(e.value) for kind in MARKDOWN_KINDS for e in at.get(kind)]
    out += [w.label for kind in ("button", "expander", "radio", "selectbox", "file_uploader") for w in at.get(kind)]
    return out


def assert_inert(at: AppTest, where: str) -> None:
    assert not at.exception, (where, at.exception)
    leaked = [(m, s) for s in markdown_strings(at) for m in MARKERS if m in s]
    assert not leaked, (where, leaked)


def test_hostile_names_and_text_are_never_markdown_on_any_page(launch: Launch, tmp_path: Path) -> None:
    docs = write_corpus(tmp_path / "docs", {**TINY_FILES, f"{HOSTILE_FILE}.txt": (
        f"Notice {HOSTILE}\nThe Zanzibar ferry captain is Ignatius Fairweather.\n")})
    at = launch(docs, tmp_path / "index")
    at.chat_input[0].set_value(f"Who is the captain of the Zanzibar ferry? {HOSTILE}").run()
    assert_inert(at, "Ask")
    assert any(f"{HOSTILE_FILE}.txt" in visible_text(b) for b in html_bodies(at))  # shown, as text
    at.chat_input[0].set_value("🙂 ★ ♥").run()
    assert_inert(at, "Ask, a question of symbols")

    at.switch_page("app_pages/citation.py").run()
    at.text_area[0].set_value(f"The Zanzibar ferry captain is Ignatius Fairweather. {HOSTILE}")
    at.button[0].click().run()
    assert_inert(at, "Citation lookup")

    at.switch_page("app_pages/evaluation.py").run()
    at.radio[0].set_value("Upload my own").run()
    item = {"id": HOSTILE, "question": "Who is the Zanzibar ferry captain?", "answers": ["Ignatius"], "doc": None}
    for label, data in (("invalid", "{oops\n"), ("empty", "\n"), ("duplicate ids", f"{json.dumps(item)}\n" * 2),
                        ("valid", f"{json.dumps(item)}\n")):
        at.file_uploader[0].set_value([(f"{HOSTILE}.jsonl", data.encode(), "application/json")]).run()
        assert_inert(at, f"Evaluation, {label} gold file")
    at.button[0].click().run()
    assert_inert(at, "Evaluation results")
    assert any(f"Gold set: {HOSTILE}.jsonl" in visible_text(b) for b in html_bodies(at))

    at.switch_page("app_pages/documents.py").run()
    at.file_uploader[0].set_value([(f"../{HOSTILE}.md", b"# Tides\n\nThe tide tables changed in May.\n",
                                    "text/markdown"), ("evil\x1b[2J.html", b"<p>Escapes in a name.</p>", "text/html")])
    at.button(key="FormSubmitter:upload-Add to the library").click().run()
    assert_inert(at, "Documents, after uploads with hostile names")
    saved = sorted(p.name for p in (docs / "uploads").iterdir())
    assert len(saved) == 2 and all("/" not in s and "\x1b" not in s for s in saved)
