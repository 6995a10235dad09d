"""Ask across documents: the "Across documents" toggle of the Ask page and how its answers are shown.

One quote per document that answers, oldest document first, each under its date; then, in one line, why the
other documents are not listed. Each quote is drawn by the Ask page's own quote widget (passed in as ``show``),
so it has the same context view and buttons as an ordinary answer. Every document string is escaped (render).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from app_pages.shared import ACROSS_KEY
from assistant.query.per_document import PerDocumentAnswer
from assistant.query.types import Quote
from assistant.render import caption_html, date_label, escape, notice_html

ACROSS_HELP = ("Ask every document on its own and show the best quote of each one that answers, oldest first "
               "(by the inspection dates, a dateline, or failing those the file's date). A document that does not "
               "mention a place, name or year of the question is left out.")
DATE_STYLE = "font-weight: 600; margin: 0.9rem 0 0.1rem 0;"


def across_toggle() -> bool:
    """The Ask page's "Across documents" switch (kept while the user visits other pages)."""
    return st.toggle("Across documents", key=ACROSS_KEY, help=ACROSS_HELP)


def show_across(result: PerDocumentAnswer, show: Callable[[Quote, str], None], n: int) -> None:
    """The answers of ``result``, each under its document's date; ``show(quote, key)`` draws one quote."""
    if result.unknown_words:  # the user's own words: escaped, never read as Markdown
        st.html(notice_html("info", f"No document mentions {', '.join(result.unknown_words)}, so none answers "
                                    "this question."))
    elif not result.answers:
        st.info("No document answers this question.", icon=":material/block:")
    for i, r in enumerate(result.answers):
        st.html(f'<div style="{DATE_STYLE}">{escape(date_label(r.date) or "Undated")}</div>')
        if r.quote is not None:
            show(r.quote, f"{n}-across-{i}")
    total = len(result.answers) + len(result.refused)
    summary = f"{len(result.answers)} of {total} documents answer"
    if result.refused and result.answers:
        summary += f". Not listed: {result.not_listed()}"
    st.html(caption_html(summary))
