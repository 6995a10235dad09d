""""Show on page": a quote or a citation match on its PDF page, its lines highlighted and scrolled into view.

The page image and its marks come from assistant.page_image (pdfium render, PIL drawing, offline); this module
only places the button and the dialog. A quote without boxes (a text, Markdown or HTML document) gets no button.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st
import streamlit.components.v1 as components

from app_pages.shared import Library, current_store
from assistant.index.page_boxes import Box
from assistant.library import LibraryError, document_path
from assistant.page_image import VIEW_HEIGHT, PageUnavailable, file_matches, page_html, page_image
from assistant.render import caption_html, notice_html

BUTTON = "Show on page"
LEGEND = "The quote is marked in light yellow; the answer-bearing words, when there are any, in orange."


def show_on_page_button(library: Library, doc: str, boxes: Sequence[Box] | None,
                        strong: Sequence[Box] | None = None, key: str = "") -> None:
    """A "Show on page" button for a PDF quote (nothing for other documents); clicking opens the page dialog."""
    if not boxes:
        return
    if st.button(BUTTON, key=f"page-{key}", icon=":material/picture_as_pdf:",
                 help="Open the PDF page with the quote highlighted"):
        _page_dialog(library, doc, tuple(boxes), tuple(strong or ()))


@st.dialog("On the page", width="large")
def _page_dialog(library: Library, doc: str, boxes: tuple[Box, ...], strong: tuple[Box, ...]) -> None:
    store = current_store(library)
    record = next((d for d in store.docs if d.doc == doc), None) if store is not None else None
    try:
        path = document_path(library.docs_dir, doc)
    except LibraryError:
        path = None
    if record is None or path is None or not file_matches(path, record.content_hash):
        st.html(notice_html("warning", f"{doc} has changed or been removed since it was indexed, so its page "
                                       "cannot be shown with the quote marked. Update the index and ask again."))
        return
    pages = sorted({b.page for b in boxes})
    try:
        images = [page_image(path, p, boxes, strong) for p in pages]
    except (PageUnavailable, OSError) as exc:
        st.html(notice_html("error", f"Cannot show the page: {exc}"))
        return
    where = f"page {pages[0]}" if len(pages) == 1 else f"pages {pages[0]}–{pages[-1]}"
    st.html(caption_html(f"{record.title} — {doc}, {where}. {LEGEND if strong else LEGEND.split(';')[0] + '.'}"))
    components.html(page_html(images, doc), height=VIEW_HEIGHT)
