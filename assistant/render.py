"""Safe HTML for quotes: document text is always escaped, never interpreted as HTML or Markdown.

Every character that HTML or Markdown could act on is replaced by an entity, so a document containing
``<script>`` or ``[link](http://…)`` shows those characters as text. Only our own ``<mark>`` wraps the
highlighted answer span.
"""

from __future__ import annotations

from .answering import Quote

_ENTITIES = {c: f"&#{ord(c)};" for c in "&<>\"'[]()*_`~#!|\\{}$"}


def escape(text: str) -> str:
    """Escape for HTML and neutralise Markdown in one pass; whitespace runs fold to one space for display."""
    return "".join(_ENTITIES.get(c, c) for c in " ".join(text.split()))


def quote_html(quote: Quote) -> str:
    """The quote's text with the answer span marked, safe to render with unsafe_allow_html."""
    if quote.highlight_start is None or quote.highlight_end is None:
        return escape(quote.text)
    a, b = quote.highlight_start - quote.start, quote.highlight_end - quote.start
    t = quote.text
    return f"{escape(t[:a])} <mark>{escape(t[a:b])}</mark> {escape(t[b:])}".strip()


def source_line(quote: Quote) -> str:
    page = f", page {quote.page}" if quote.page is not None else ""
    return f"{quote.title} — {quote.doc}{page}, characters {quote.start}–{quote.end}"
