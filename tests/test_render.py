"""Document text shown in the app is inert: no HTML tag, Markdown link or entity survives as markup."""

from __future__ import annotations

import html

from assistant.answering import Quote
from assistant.render import escape, quote_html


def test_script_tags_and_markdown_links_become_plain_characters() -> None:
    hostile = "'Hi' <script>alert(1)</script> [click](http://evil.example) ![img](x.png) **bold** & co"
    out = escape(hostile)
    for raw in ("<", ">", "[", "]", "(", ")", "*", "!"):
        assert raw not in out
    assert html.unescape(out) == hostile  # the reader still sees every character as written


def test_highlight_is_the_only_markup_and_wraps_the_answer_span() -> None:
    text = "Lead inspector: Matt Reed, <b>HMI</b>"
    quote = Quote(text=text, doc="d.pdf", title="t", page=1, start=100, end=100 + len(text), score=1.0,
                  highlight="Matt Reed", highlight_start=116, highlight_end=125)
    out = quote_html(quote)
    assert "<mark>Matt Reed</mark>" in out
    assert "<b>" not in out and out.count("<") == 2
