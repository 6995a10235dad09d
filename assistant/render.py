"""Safe HTML for quotes, sources and context views: document text is always escaped, never interpreted.

Every character that HTML or Markdown could act on is replaced by an entity, so a document containing
``<script>``, ``[link](http://…)`` or ``:emoji:`` shows those characters as text, whether the HTML ends up in
``st.html`` or in ``st.markdown(..., unsafe_allow_html=True)``. The only markup is our own: ``<mark>`` around the
answer span, ``<span class="ba-q">`` around a quote inside its context, and the wrappers with the classes styled
by ``STYLE``.
"""

from __future__ import annotations

import datetime as dt
import re

from assistant.cite.types import DiffOp, Match
from assistant.query.types import Location, Quote

_ENTITIES = {c: f"&#{ord(c)};" for c in "&<>\"'[]()*_`~#!|\\{}$:"}
_WS = re.compile(r"\s+")
_BREAK_BEFORE = re.compile(r"\n[ \t]*\n\s*\Z")  # the window starts at a paragraph: nothing is cut before it
_BREAK_AFTER = re.compile(r"\s*\n[ \t]*\n")

# Styles for the classes below; the app injects this once per page. Colours are translucent so that they read
# in both the light and the dark theme.
STYLE = """<style>
.ba-quote { border-left: 4px solid #e8a400; margin: 0.2rem 0 0.1rem 0; padding: 0.4rem 0.9rem;
  font-size: 1.02rem; line-height: 1.55; background: rgba(232, 164, 0, 0.06); }
.ba-closest { border-left: 4px dashed rgba(128, 128, 128, 0.7); background: rgba(128, 128, 128, 0.07);
  opacity: 0.85; }
.ba-quote mark, .ba-context mark { background: rgba(255, 190, 0, 0.55); color: inherit; padding: 0 0.1em;
  border-radius: 2px; font-weight: 600; }
.ba-source { font-size: 0.85rem; opacity: 0.8; margin: 0.15rem 0 0.2rem 1.1rem; }
.ba-source .ba-title { font-weight: 600; }
.ba-context { font-size: 0.9rem; line-height: 1.5; }
.ba-context p { margin: 0 0 0.6rem 0; }
.ba-context .ba-q { background: rgba(255, 200, 0, 0.18); border-bottom: 2px solid rgba(232, 164, 0, 0.8); }
.ba-cut { opacity: 0.6; }
.ba-notice { padding: 0.7rem 1rem; border-radius: 0.5rem; margin: 0 0 0.3rem 0; line-height: 1.5; }
.ba-quote, .ba-source, .ba-context, .ba-notice, .ba-caption, .ba-diff { overflow-wrap: anywhere; }
.ba-notice .ba-icon { font-weight: 700; margin-right: 0.5rem; }
.ba-success { background: rgba(33, 195, 84, 0.12); }
.ba-info { background: rgba(28, 131, 225, 0.10); }
.ba-warning { background: rgba(255, 189, 69, 0.18); }
.ba-error { background: rgba(255, 43, 43, 0.10); }
.ba-caption { font-size: 0.85rem; opacity: 0.75; margin: 0 0 0.4rem 0; }
.ba-diff { font-size: 0.9rem; line-height: 1.6; margin: 0 0 0.8rem 1.1rem; }
.ba-diff del { background: rgba(220, 60, 60, 0.15); text-decoration: line-through; }
.ba-diff ins { background: rgba(40, 160, 70, 0.18); text-decoration: underline; }
</style>"""
_NOTICE_ICONS = {"success": "✓", "info": "ℹ", "warning": "⚠", "error": "✕"}


def _esc(text: str) -> str:
    """Entity-escape every active character and fold whitespace runs to one space (edges kept)."""
    return "".join(_ENTITIES.get(c, c) for c in _WS.sub(" ", text))


def escape(text: str) -> str:
    """Escape for HTML and neutralise Markdown in one pass; whitespace runs fold to one space for display."""
    return _esc(text).strip()


def quote_html(quote: Quote, highlight: bool = True) -> str:
    """The quote's text with the answer span marked (unless ``highlight`` is False), safe to render as HTML."""
    if not highlight or quote.highlight_start is None or quote.highlight_end is None:
        return escape(quote.text)
    a, b = quote.highlight_start - quote.start, quote.highlight_end - quote.start
    t = quote.text
    return f"{_esc(t[:a])}<mark>{_esc(t[a:b])}</mark>{_esc(t[b:])}".strip()


def notice_html(kind: str, text: str) -> str:
    """A message box like st.success/info/warning/error, for text that holds file names or document text.

    Streamlit's own alerts and captions read their text as Markdown, and even backslash-escaped Markdown still
    turns a bare ``www.example.com`` into a link; st.html with escaped text never links anything.
    """
    icon = _NOTICE_ICONS[kind]
    return f'<div class="ba-notice ba-{kind}"><span class="ba-icon">{icon}</span>{escape(text)}</div>'


def caption_html(text: str) -> str:
    """Small grey text, like st.caption, for text that holds file names (see notice_html)."""
    return f'<div class="ba-caption">{escape(text)}</div>'


OCR_LABEL = "text read by OCR from a scanned page"
NO_ANSWER = "The documents do not answer this question."  # said the same way by the CLI, the app and exports


def _place(doc: str, page: int | None) -> str:
    return f"{doc}, page {page}" if page is not None else doc


def date_label(iso: str | None) -> str:
    """'2022-12-02' -> '2 December 2022' (a document's date, as people read it); '' for None."""
    if not iso:
        return ""
    try:
        day = dt.date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{day.day} {day:%B %Y}"


def source_line(quote: Quote) -> str:
    """Plain-text source of a quote: title, file, page, character offsets and the document's date."""
    page = f", page {quote.page}" if quote.page is not None else ""
    dated = f", dated {date_label(quote.date)}" if quote.date else ""
    ocr = f", {OCR_LABEL}" if quote.ocr else ""
    return f"{quote.title} — {quote.doc}{page}, characters {quote.start}–{quote.end}{dated}{ocr}"


def also_in_line(places: tuple[Location, ...]) -> str:
    return "Same words also in: " + "; ".join(_place(p.doc, p.page) for p in places)


def source_html(quote: Quote) -> str:
    """The quote's source for display: title on its own line, then file, page and offsets."""
    page = f" · page {quote.page}" if quote.page is not None else ""
    dated = f" · dated {escape(date_label(quote.date))}" if quote.date else ""
    ocr = f" · {OCR_LABEL}" if quote.ocr else ""
    lines = [f'<span class="ba-title">{escape(quote.title)}</span>',
             f"{escape(quote.doc)}{page} · characters {quote.start}–{quote.end}{dated}{ocr}"]
    if quote.also_in:
        lines.append(escape(also_in_line(quote.also_in)))
    return f'<div class="ba-source">{"<br>".join(lines)}</div>'


def quote_block_html(quote: Quote, closest: bool = False) -> str:
    """A quote as a block quote with its source under it.

    ``closest`` marks a passage that is not an answer: drawn apart, and with no answer span highlighted, so that
    nothing in it looks like an answer.
    """
    cls = "ba-quote ba-closest" if closest else "ba-quote"
    return f'<blockquote class="{cls}">{quote_html(quote, highlight=not closest)}</blockquote>{source_html(quote)}'


def _paragraph(text: str, lo: int, hi: int) -> tuple[int, int]:
    """Bounds of the blank-line-separated paragraph(s) covering text[lo:hi]."""
    a = text.rfind("\n\n", 0, lo)
    b = text.find("\n\n", hi)
    return (0 if a < 0 else a + 2), (len(text) if b < 0 else b)


def context_window(text: str, start: int, end: int, max_chars: int = 1200, min_chars: int = 400) -> tuple[int, int]:
    """Where to cut the page text to show ``text[start:end]`` in context.

    The paragraph around the quote; a short one (a heading, a table row) gets its neighbouring paragraphs too;
    a long one (a news article without blank lines) is cut to whole lines around the quote, about
    ``max_chars`` in all. The quote itself is never cut.
    """
    a, b = _paragraph(text, start, end)
    if b - a < min_chars:
        a = _paragraph(text, max(a - 2, 0), max(a - 2, 0))[0] if a > 0 else a
        b = _paragraph(text, min(b + 2, len(text)), min(b + 2, len(text)))[1] if b < len(text) else b
    if b - a > max_chars:
        lo = max(text.rfind("\n", a, start) + 1, a)
        hi = text.find("\n", end, b)
        hi = b if hi < 0 else hi
        grew = True
        while grew:
            grew = False
            if lo > a:
                prev = max(text.rfind("\n", a, lo - 1) + 1, a)
                if hi - prev <= max_chars:
                    lo, grew = prev, True
            if hi < b:
                nxt = text.find("\n", hi + 1, b)
                nxt = b if nxt < 0 else nxt
                if nxt - lo <= max_chars:
                    hi, grew = nxt, True
        a, b = lo, hi
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return min(a, start), max(b, end)


def _marked_line(text: str, lo: int, hi: int, spans: list[tuple[int, int, str, str]]) -> str:
    """Escaped text[lo:hi] with each (start, end, open, close) span wrapped in its tags."""
    cuts = sorted({lo, hi, *(p for s, e, _, _ in spans for p in (s, e) if lo < p < hi)})
    out = []
    for p, q in zip(cuts, cuts[1:], strict=False):
        piece = _esc(text[p:q])
        for s, e, open_tag, close_tag in reversed(spans):  # innermost (highlight) first
            if s <= p < e:
                piece = f"{open_tag}{piece}{close_tag}"
        out.append(piece)
    return "".join(out)


def context_html(text: str, start: int, end: int, hl_start: int | None = None, hl_end: int | None = None,
                 window: tuple[int, int] | None = None) -> str:
    """The page text around ``text[start:end]`` with the quote marked (and its answer span highlighted).

    Paragraphs stay paragraphs and line breaks stay line breaks, so the reader sees the text as the page has
    it; every character is escaped. An ellipsis shows where the window cuts a paragraph.
    """
    a, b = window or context_window(text, start, end)
    spans = [(start, end, '<span class="ba-q">', "</span>")]
    if hl_start is not None and hl_end is not None and start <= hl_start < hl_end <= end:
        spans.append((hl_start, hl_end, "<mark>", "</mark>"))
    paragraphs: list[list[str]] = [[]]
    pos = a
    for line in text[a:b].split("\n"):
        lo, hi = pos, pos + len(line)
        pos = hi + 1
        if not line.strip():
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        paragraphs[-1].append(_marked_line(text, lo, hi, spans))
    paragraphs = [lines for lines in paragraphs if lines]
    cut = '<span class="ba-cut">…</span>'
    if a > 0 and paragraphs and not _BREAK_BEFORE.search(text, 0, a):
        paragraphs[0][0] = f"{cut} {paragraphs[0][0]}"
    if b < len(text) and paragraphs and not _BREAK_AFTER.match(text, b):
        paragraphs[-1][-1] = f"{paragraphs[-1][-1]} {cut}"
    body = "".join(f"<p>{'<br>'.join(lines)}</p>" for lines in paragraphs)
    return f'<div class="ba-context">{body}</div>'


def _pages(match: Match) -> str:
    pages = [p.page for p in match.parts if p.page is not None]
    if not pages:
        return ""
    return f" · page {pages[0]}" if len(pages) == 1 else f" · pages {pages[0]}–{pages[-1]}"


def match_block_html(match: Match, closest: bool = False) -> str:
    """A citation match as a block quote (every page part of it) with its source under it; ``closest`` styles a
    passage that is not the quote."""
    cls = "ba-quote ba-closest" if closest else "ba-quote"
    body = " ".join(escape(p.text) for p in match.parts)
    offsets = "; ".join(f"{p.start}–{p.end}" for p in match.parts)
    role = " · quotes another source" if match.quoted else ""
    similarity = "" if match.similarity >= 1.0 else f" · similarity {match.similarity:.2f}"
    dated = f" · dated {escape(date_label(match.date))}" if match.date else ""
    lines = [f'<span class="ba-title">{escape(match.title)}</span>',
             f"{escape(match.doc)}{_pages(match)} · characters {offsets}{dated}{similarity}{role}"]
    return f'<blockquote class="{cls}">{body}</blockquote><div class="ba-source">{"<br>".join(lines)}</div>'


def diff_html(diff: tuple[DiffOp, ...]) -> str:
    """Word diff from the quote to the document: the document's words the quote left out or changed are struck
    through, the quote's own words that the document does not have are underlined."""
    out = []
    for d in diff:
        if d.op == "same":
            out.append(escape(d.source))
            continue
        if d.source:
            out.append(f'<del title="in the document, not in the quote">{escape(d.source)}</del>')
        if d.quote:
            out.append(f'<ins title="in the quote, not in the document">{escape(d.quote)}</ins>')
    return f'<div class="ba-diff">Differences: {" ".join(out)}</div>'
