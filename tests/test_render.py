"""Document text shown in the app is inert: no HTML tag, Markdown link or entity survives as markup."""

from __future__ import annotations

import html
import re

from assistant.query.types import Quote
from assistant.render import (
    caption_html,
    context_html,
    context_window,
    escape,
    notice_html,
    quote_html,
    source_html,
)


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


def test_highlight_keeps_the_text_exactly_as_written_around_the_mark() -> None:
    text = "Vacancies fell to £38m last year."
    start = 10
    hl = text.index("38m")
    quote = Quote(text=text, doc="d.txt", title="t", page=None, start=start, end=start + len(text), score=1.0,
                  highlight="38m", highlight_start=start + hl, highlight_end=start + hl + 3)
    out = quote_html(quote)
    assert "£<mark>38m</mark> last" in out  # no space invented on either side of the highlight
    assert html.unescape(out.replace("<mark>", "").replace("</mark>", "")) == text


def test_source_names_title_file_page_and_offsets_escaped() -> None:
    quote = Quote(text="x", doc="uploads/<b>r</b>.pdf", title="[Report](http://evil.example)", page=4, start=7,
                  end=8, score=1.0)
    out = source_html(quote)
    assert "page 4" in out and "characters 7–8" in out
    assert "<b>" not in out and "[" not in out and "(" not in out
    assert "[Report](http://evil.example)" in html.unescape(out)


PAGE = (
    "Heading of the report\n\n"
    "1. First paragraph line one\ncontinues on line two.\n\n"
    "2. The lead inspector was Jo Bloggs, who wrote <script>alert(1)</script>\n"
    "and [click](http://evil.example) in the same paragraph.\n\n"
    "3. A third paragraph.\n\n" + "4. Filler sentence of a long paragraph.\n" * 60
)


def test_context_shows_the_paragraph_with_the_quote_and_answer_marked() -> None:
    start = PAGE.index("The lead inspector")
    end = PAGE.index("paragraph.", start) + len("paragraph.")
    hl_start = PAGE.index("Jo Bloggs")
    out = context_html(PAGE, start, end, hl_start, hl_start + len("Jo Bloggs"))
    assert "<mark>Jo Bloggs</mark>" in out
    assert '<span class="ba-q">' in out
    assert "<script>" not in out and "<a" not in out
    plain = html.unescape(re.sub(r"<[^>]+>", "", out))
    assert "<script>alert(1)</script>" in plain and "[click](http://evil.example)" in plain
    assert "First paragraph" in plain and "A third paragraph" in plain  # short paragraph: neighbours shown
    assert "Filler" not in plain


def test_context_of_a_long_paragraph_is_cut_to_lines_around_the_quote() -> None:
    lines = [f"Line {i} of a news article without blank lines between its paragraphs." for i in range(200)]
    text = "\n".join(lines)
    start = text.index("Line 100 ")
    end = start + len(lines[100])
    a, b = context_window(text, start, end, max_chars=700)
    assert a <= start and end <= b and b - a <= 700
    assert text[a:b].startswith("Line ") and text[a:b].endswith("paragraphs.")  # whole lines only
    out = html.unescape(re.sub(r"<[^>]+>", "", context_html(text, start, end)))
    assert out.startswith("…") and out.endswith("…")  # the reader sees that the text goes on



def test_notices_and_captions_show_file_names_as_text() -> None:
    name = "[click](http://evil.example) www.evil.example <b>x</b>.txt"
    for out in (notice_html("error", f"{name}: cannot be read"), caption_html(f"From {name}")):
        assert "<b>" not in out and "[" not in out and "<a" not in out
        assert name in html.unescape(out)
