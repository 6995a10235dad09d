"""Streamlit front end: a thin chat over the `assistant` package (all logic lives there)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from assistant.api import Assistant, BadQuestion
from assistant.render import escape, quote_html, source_line

ROOT = Path(__file__).resolve().parent
DOCS_DIR = ROOT / "documents"
INDEX_DIR = ROOT / "index"

st.set_page_config(page_title="Cited answers", page_icon="📑", layout="wide")


@st.cache_resource(show_spinner=False)
def load_assistant() -> Assistant:
    """Bring the index up to date with documents/ (visible progress on first start), then load it once."""
    assistant = Assistant(INDEX_DIR)
    bar = st.progress(0.0, text="Checking the index…")
    problems: list[str] = []
    report = assistant.build(
        DOCS_DIR,
        on_progress=lambda done, total: bar.progress(done / total, text=f"Indexing documents: {done}/{total} texts"),
        on_problem=lambda p: problems.append(f"{p.doc}: {p.reason}"),
    )
    bar.empty()
    for p in problems:
        st.warning(f"Skipped {p}")
    if report.n_documents:
        assistant.warm_up()
    return assistant


def show_answer(answer) -> None:
    if not answer.answered:
        st.info("The documents do not answer this question.")
        if answer.quotes:
            st.caption("Closest passages (not an answer):")
    for quote in answer.quotes:
        st.markdown(
            f"<blockquote>{quote_html(quote)}</blockquote>"
            f"<p style='font-size:0.85em;color:#555'>{escape(source_line(quote))}</p>",
            unsafe_allow_html=True,
        )


st.title("Ask the documents")
st.caption("Answers are verbatim quotes from the documents, each with its source. Nothing is paraphrased.")
assistant = load_assistant()
st.sidebar.metric("Documents", len(assistant.store.docs))
k = st.sidebar.slider("Quotes per answer", 1, 10, 3)

if "history" not in st.session_state:
    st.session_state.history = []
for question, answer in st.session_state.history:
    with st.chat_message("user"):
        st.text(question)
    with st.chat_message("assistant"):
        show_answer(answer)

if question := st.chat_input("Ask a question about the documents"):
    with st.chat_message("user"):
        st.text(question)
    with st.chat_message("assistant"):
        try:
            answer = assistant.ask(question, k=k)
        except BadQuestion as exc:
            st.error(str(exc))
        else:
            show_answer(answer)
            st.session_state.history.append((question, answer))
