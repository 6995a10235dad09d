"""Streamlit entry point, kept thin: page setup, shared styles and the navigation. Each page's UI is a small
module in app_pages/; everything that is not UI lives in the `assistant` package.

Streamlit runs this file as ``__main__``. The PDF loader's worker processes (assistant.ingest.parallel, spawned)
run the parent's main script again, as ``__mp_main__``, before they read a file: there this file must import and
draw nothing, or every worker prints Streamlit's "missing ScriptRunContext" warnings and loads the whole app.
"""

from __future__ import annotations


def main() -> None:
    import streamlit as st

    from app_pages.shared import keep_settings
    from assistant.render import STYLE

    st.set_page_config(page_title="Cited answers", page_icon="📑", layout="wide")
    keep_settings()
    st.html(STYLE)

    # The pages, in menu order. To add a page, add one line here.
    pages = [
        st.Page("app_pages/chat.py", title="Ask", icon=":material/chat:", default=True),
        st.Page("app_pages/citation.py", title="Citation lookup", icon=":material/format_quote:"),
        st.Page("app_pages/evaluation.py", title="Evaluation", icon=":material/fact_check:"),
        st.Page("app_pages/documents.py", title="Documents", icon=":material/folder_open:"),
    ]
    st.navigation(pages).run()


if __name__ == "__main__":
    main()
