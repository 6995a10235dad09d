"""Ask: a chat whose answers are verbatim quotes with their sources, or an abstention with the closest passages.

All document text is rendered through assistant.render (escaped, never Markdown) with st.html.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import streamlit as st

from app_pages.across import across_toggle, show_across
from app_pages.export_ui import answer_downloads, copy_citation, question_to_ask
from app_pages.page_view import show_on_page_button
from app_pages.shared import FILTER_KEY, K_KEY, STRICTNESS_KEY, Library, current_store, get_library
from assistant.api import BadQuestion
from assistant.errors import IndexUnavailable
from assistant.index.store import IndexStore
from assistant.ingest.registry import mime_type
from assistant.library import (
    STRICTNESS_HELP,
    STRICTNESS_LEVELS,
    LibraryError,
    answer_settings,
    doc_label,
    document_path,
)
from assistant.query.per_document import PerDocumentAnswer
from assistant.query.types import Answer, Quote
from assistant.render import NO_ANSWER, caption_html, context_html, notice_html, quote_block_html

HISTORY_KEY = "chat_turns"
CLOSEST_LABEL = "Closest passages — not an answer"
# Room for document names in the sidebar's document filter (its chips are otherwise cut after ~15 characters).
SIDEBAR_STYLE = """<style>
section[data-testid="stSidebar"] { min-width: 23rem; }
[data-testid="stSidebar"] [data-testid="stMultiSelectTagsContainer"] [data-tag],
[data-testid="stSidebar"] [data-testid="stMultiSelectTagsContainer"] [data-tag] > span { max-width: 100% !important; }
</style>"""


@dataclass(frozen=True)
class Turn:
    question: str
    answer: Answer | PerDocumentAnswer  # the latter: asked across documents
    strictness: str
    docs: tuple[str, ...]  # the document filter in force, empty for all


def sidebar(store: IndexStore) -> tuple[int, str, tuple[str, ...]]:
    """The chat settings: number of quotes, abstention strictness, and which documents to search."""
    st.html(SIDEBAR_STYLE)
    with st.sidebar:
        st.subheader("Answer settings")
        k = st.slider("Number of quotes", 1, 10, key=K_KEY,
                      help="How many quotes to show for each answer, best first.")
        strictness = st.select_slider("Abstention strictness", options=list(STRICTNESS_LEVELS),
                                      key=STRICTNESS_KEY, help=STRICTNESS_HELP)
        labels = {d.doc: doc_label(d) for d in store.docs}
        # a removed document drops out of the filter
        st.session_state[FILTER_KEY] = [d for d in st.session_state.get(FILTER_KEY, []) if d in labels]
        docs = st.multiselect("Only search these documents", options=list(labels), format_func=labels.__getitem__,
                              key=FILTER_KEY, placeholder="All documents",
                              help="Leave empty to search every document. Type to find one, e.g. 'bradford 2023'.")
        st.caption(f"{len(store.docs)} documents · index built {store.manifest.get('built_at', '?').replace('T', ' ')}")
    return k, strictness, tuple(docs)


def _page_text(store: IndexStore, quote: Quote) -> str | None:
    for record in store.docs:
        if record.doc == quote.doc:
            if quote.page in record.page_numbers:
                return record.pages[record.page_numbers.index(quote.page)]
            return None
    return None


def _quote(library: Library, store: IndexStore, quote: Quote, key: str, closest: bool) -> None:
    st.html(quote_block_html(quote, closest=closest))
    left, right = st.columns([3.5, 1], vertical_alignment="top")
    with right:
        copy_citation(quote, key)
    with left.expander("Show in context"):
        text = _page_text(store, quote)
        if text is None or text[quote.start : quote.end] != quote.text:
            st.caption("This document has changed or been removed since the answer was given.")
        else:
            where = f"page {quote.page} of {quote.doc}" if quote.page is not None else quote.doc
            if closest:
                st.html(caption_html(f"From {where}. The passage is underlined."))
                st.html(context_html(text, quote.start, quote.end))
            else:
                st.html(caption_html(f"From {where}. The quote is underlined; the answer-bearing words are "
                                     "highlighted."))
                st.html(context_html(text, quote.start, quote.end, quote.highlight_start, quote.highlight_end))
    with right:
        show_on_page_button(library, quote.doc, quote.boxes, None if closest else quote.highlight_boxes, key)
    try:
        path = document_path(library.docs_dir, quote.doc)
    except LibraryError:
        right.caption("File no longer in the library")
        return
    kind = path.suffix.lstrip(".").upper() or "file"
    right.download_button(f"Download {kind}", data=lambda p=path: Path(p).read_bytes(), file_name=path.name,
                          mime=mime_type(path), key=f"dl-{key}",
                          on_click="ignore", icon=":material/download:", help="Download the original file")


def searched_label(answer: Answer, turn: Turn, store: IndexStore) -> str:
    """Which documents were searched: the user's choice, those that mention the question's names and years
    (query/scope.py), or all."""
    if turn.docs:
        return f"searched {len(turn.docs)} of {len(store.docs)} documents"
    if isinstance(answer, Answer) and answer.scope.words:
        return (f"searched the {answer.scope.documents} of {len(store.docs)} documents that mention "
                f"{' and '.join(answer.scope.words)}")
    return "searched all documents"


def show_answer(library: Library, store: IndexStore, turn: Turn, n: int) -> None:
    answer = turn.answer
    if isinstance(answer, PerDocumentAnswer):
        show_across(answer, lambda quote, key: _quote(library, store, quote, key, closest=False), n)
    elif answer.answered:
        for i, quote in enumerate(answer.quotes):
            _quote(library, store, quote, f"{n}-{i}", closest=False)
    else:
        st.info(NO_ANSWER, icon=":material/block:")
        if answer.scope.ruled_out:  # the user's own words: escaped, never read as Markdown
            st.html(caption_html(answer.scope.ruled_out))
        if answer.quotes:
            st.markdown(f"**{CLOSEST_LABEL}**")
            st.caption("The nearest passages the assistant found. They may be related, but it is not confident "
                       "that they answer the question.")
            for i, quote in enumerate(answer.quotes):
                _quote(library, store, quote, f"{n}-{i}", closest=True)
    searched_as = getattr(answer, "searched_as", None)  # the user's words changed: escaped by caption_html
    st.html(caption_html(f"{answer.timings_ms.get('total', 0):.0f} ms · {searched_label(answer, turn, store)} · "
                         f"strictness {turn.strictness}" + (f" · searched as “{searched_as}”" if searched_as else "")))
    answer_downloads(answer, str(n))


def main() -> None:
    st.title("Ask the documents")
    st.caption("Every answer is a verbatim quote from the documents, with its source. Nothing is paraphrased. "
               "When the documents do not answer, the assistant says so.")
    library = get_library()
    store = current_store(library)
    if store is None or not store.docs:
        st.info("There are no documents in the library yet. Add some on the Documents page.")
        st.chat_input("Ask a question about the documents", disabled=True)
        return
    k, strictness, docs = sidebar(store)
    across = across_toggle()
    if library.problems:
        st.warning(f"{len(library.problems)} file(s) could not be indexed; see the Documents page.")
    turns: list[Turn] = st.session_state.setdefault(HISTORY_KEY, [])
    for n, turn in enumerate(turns):
        with st.chat_message("user"):
            st.text(turn.question)
        with st.chat_message("assistant"):
            show_answer(library, store, turn, n)
    question = question_to_ask(st.chat_input(  # kept in the URL (?q=): a link reproduces the answer
        "Ask a question about the documents, e.g. Who was the lead inspector for Wakefield in 2018?"))
    if question:
        with st.chat_message("user"):
            st.text(question)
        with st.chat_message("assistant"):
            try:
                ask = library.assistant.ask_per_document if across else partial(library.assistant.ask, k=k)
                answer = ask(question, docs=docs or None, settings=answer_settings(strictness))
            except BadQuestion as exc:
                st.html(notice_html("error", f"Cannot ask that: {exc}."))
                return
            except IndexUnavailable as exc:  # e.g. a damaged reader model: one line naming the fix
                st.html(notice_html("error", str(exc)))
                return
            turn = Turn(question, answer, strictness, docs)
            turns.append(turn)
            show_answer(library, store, turn, len(turns) - 1)


main()
