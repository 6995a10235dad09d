"""Share and export in the app: the question kept in the URL, "Copy citation" under each quote and citation match,
and downloads of an answer, a citation check or an evaluation report as Markdown and CSV.

The pages call these with one line each; the files themselves are built by assistant.export (pure functions,
shared with the CLI). A citation is shown with st.code: its text is never read as Markdown or HTML, and its copy
button copies exactly the string.
"""

from __future__ import annotations

import json

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from assistant.cite.types import Citation, Match
from assistant.evaluation import EvalReport
from assistant.export import (
    CSV_ENCODING,
    answer_csv,
    answer_markdown,
    as_answer,
    citation_csv,
    citation_markdown,
    file_stem,
    match_citation,
    quote_citation,
    report_csv,
    report_markdown,
)
from assistant.query.per_document import PerDocumentAnswer
from assistant.query.types import Answer, Quote

URL_QUESTION = "q"  # ?q=... in the Ask page's URL
_ASKED_KEY = "url_question_asked"  # the URL question this session has already asked


def question_to_ask(typed: str | None) -> str | None:
    """The question for this run of the Ask page: one typed in the chat box (then kept in the URL as ``?q=``, so
    the address bar is a link that reproduces the answer), else one in the URL this session has not asked yet
    (a shared link, just opened). Reruns of the page (any widget) do not ask it again."""
    if typed:
        st.query_params[URL_QUESTION] = typed
        st.session_state[_ASKED_KEY] = typed
        return typed
    linked = st.query_params.get(URL_QUESTION, "")
    if linked.strip() and st.session_state.get(_ASKED_KEY) != linked:
        st.session_state[_ASKED_KEY] = linked
        return linked
    return None


def copy_citation(source: Quote | Match, key: str) -> None:
    """A "Copy citation" popover for an answer's quote or a citation lookup's match: ``"quote" - Title (file,
    p. N)`` in a code block with a copy button."""
    text = quote_citation(source) if isinstance(source, Quote) else match_citation(source)
    with st.popover("Copy citation", icon=":material/content_copy:", key=f"cite-{key}",
                    help='The quote with its source, ready to paste: "quote" - Title (file, p. N)'):
        st.code(text, language=None, wrap_lines=True, width=560)
        st.caption("The button at the top right of the box copies it.")


def _downloads(what: str, stem: str, markdown: str, csv_text: str, key: str) -> DeltaGenerator:
    """Download buttons side by side: Markdown (to read or paste) and CSV (to open in a spreadsheet); the row is
    returned for a further button."""
    row = st.container(horizontal=True, gap="small")
    row.download_button(f"{what} as Markdown", markdown, file_name=f"{stem}.md", mime="text/markdown",
                        key=f"{key}-md", on_click="ignore", icon=":material/download:",
                        help="Every quote with its document, title, page and character offsets")
    row.download_button(f"{what} as CSV", csv_text.encode(CSV_ENCODING), file_name=f"{stem}.csv", mime="text/csv",
                        key=f"{key}-csv", on_click="ignore", icon=":material/download:",
                        help="One row per quote with its full attribution, for a spreadsheet")
    return row


def answer_downloads(answer: Answer | PerDocumentAnswer, key: str) -> None:
    """Downloads of an answer; one asked across documents gives each document's quote, oldest first."""
    answer = as_answer(answer) if isinstance(answer, PerDocumentAnswer) else answer
    _downloads("Answer", file_stem("answer", answer.question), answer_markdown(answer), answer_csv(answer),
               f"export-answer-{key}")


def citation_downloads(c: Citation) -> None:
    _downloads("Check", file_stem("citation", c.quote), citation_markdown(c), citation_csv(c), "export-citation")


def report_downloads(report: EvalReport, gold_name: str, strictness: str) -> None:
    stem = file_stem("evaluation", gold_name.removesuffix(".jsonl"))
    row = _downloads("Report", stem, report_markdown(report, gold_name, strictness), report_csv(report),
                     "export-report")
    row.download_button("Report as JSON", json.dumps(report.to_json(), indent=1), file_name=f"{stem}.json",
                        mime="application/json", key="export-report-json", on_click="ignore",
                        icon=":material/download:", help="Everything, as `assistant eval --json` prints it")
