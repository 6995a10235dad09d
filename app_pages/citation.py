"""Citation lookup: paste a quote (or a paragraph) and see where it comes from and whether the wording is exact.

All logic is in assistant.citations; document text is rendered through assistant.render (escaped, never
Markdown) with st.html.
"""

from __future__ import annotations

import streamlit as st

from app_pages.export_ui import citation_downloads, copy_citation
from app_pages.page_view import show_on_page_button
from app_pages.shared import current_store, get_library
from assistant.cite.types import BadQuote, Citation
from assistant.render import diff_html, match_block_html, notice_html

VERDICT_TEXT = {
    "exact": ("Exact: the documents say this word for word.", "success"),
    "near": ("Near: a close variant was found. The differences are marked below.", "warning"),
    "not_found": ("Not found: the documents do not contain this quote.", "error"),
}
PARTLY_FOUND = "Partly found: some of these sentences are in the documents. Each sentence's verdict is below."
LEGEND = ("In the differences, struck-through words are the document's own words that the quote left out or "
          "changed; underlined words are in the quote but not in the document.")
RESULT_KEY = "citation_result"


def _verdict(c: Citation, sentence: bool = False) -> None:
    text, kind = VERDICT_TEXT[c.verdict]
    if c.sentences and c.verdict == "near":
        text = PARTLY_FOUND
    if c.matches and c.verdict != "not_found":
        text += f" Found in {len(c.matches)} place{'s' if len(c.matches) != 1 else ''}."
    if sentence:
        st.markdown(f"**{text}**")
    else:
        getattr(st, kind)(text)


def show(c: Citation, sentence: bool = False, key: str = "m") -> None:
    _verdict(c, sentence)
    for i, m in enumerate(c.matches):
        st.html(match_block_html(m))
        show_on_page_button(get_library(), m.doc, m.boxes, key=f"{key}-{i}")
        copy_citation(m, key=f"{key}-{i}")
        if c.verdict == "near" and m.diff:
            st.html(diff_html(m.diff))
    if c.closest:
        st.markdown("**Closest passages — not the quote**")
        st.caption("The nearest wording the assistant found. It does not match the quote closely enough to be "
                   "the source.")
        for i, m in enumerate(c.closest):
            st.html(match_block_html(m, closest=True))
            show_on_page_button(get_library(), m.doc, m.boxes, key=f"{key}-c{i}")
    for n, sc in enumerate(c.sentences, 1):
        with st.expander(f"Sentence {n}: {sc.verdict.replace('_', ' ')}", expanded=sc.verdict != "exact"):
            st.text(sc.quote)
            show(sc, sentence=True, key=f"{key}-{n}")


def main() -> None:
    library = get_library()
    store = current_store(library)
    st.title("Citation lookup")
    st.caption("Paste a quote, as printed in a newspaper or a briefing, to find which document says it, on which "
               "page, and whether the wording is exact. Case, quote marks, dashes, line breaks and words broken "
               "across lines do not count as differences. A paragraph is checked sentence by sentence.")
    if store is None or not store.docs:
        st.info("There are no documents in the library yet. Add some on the Documents page.")
        return
    with st.form("cite"):
        quote = st.text_area("Quote", height=120, placeholder="e.g. children are unable to develop meaningful "
                             "relationships with their social workers")
        submitted = st.form_submit_button("Look up", type="primary", icon=":material/search:")
    if submitted:
        try:
            st.session_state[RESULT_KEY] = library.assistant.cite(quote)
        except BadQuote as exc:
            st.session_state.pop(RESULT_KEY, None)
            st.html(notice_html("error", f"Cannot look that up: {exc}."))
    result: Citation | None = st.session_state.get(RESULT_KEY)
    if result is not None:
        show(result)
        if result.verdict == "near" or any(s.verdict == "near" for s in result.sentences):
            st.caption(LEGEND)
        st.caption(f"{result.timings_ms.get('total', 0):.0f} ms · sources that quote another document are listed "
                   "after the primary source")
        citation_downloads(result)


main()
