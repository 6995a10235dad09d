"""Streamlit entry point, kept thin: page setup, shared styles and the navigation. Each page's UI is a small
module in app_pages/; everything that is not UI lives in the `assistant` package."""

from __future__ import annotations

import streamlit as st

from app_pages.shared import keep_settings
from assistant.render import STYLE

st.set_page_config(page_title="Cited answers", page_icon="📑", layout="wide")
keep_settings()
st.html(STYLE)

# The pages, in menu order. To add a page, add one line here, e.g. once their capabilities exist:
#   st.Page("app_pages/citation.py", title="Citation lookup", icon=":material/format_quote:"),
#   st.Page("app_pages/evaluation.py", title="Evaluation", icon=":material/fact_check:"),
PAGES = [
    st.Page("app_pages/chat.py", title="Ask", icon=":material/chat:", default=True),
    st.Page("app_pages/citation.py", title="Citation lookup", icon=":material/format_quote:"),
    st.Page("app_pages/evaluation.py", title="Evaluation", icon=":material/fact_check:"),
    st.Page("app_pages/documents.py", title="Documents", icon=":material/folder_open:"),
]
st.navigation(PAGES).run()
