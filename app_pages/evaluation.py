"""Evaluation: run a gold Q&A set (the bundled one or an uploaded JSONL), see the metrics, the failures first, and
how precision trades against coverage as the abstention threshold moves.

Scoring is assistant.evaluation's, the same as `assistant eval`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import altair as alt
import streamlit as st

from app_pages.export_ui import report_downloads
from app_pages.shared import ROOT, STRICTNESS_KEY, current_store, get_library
from assistant.evaluation import EvalReport, GoldFormatError, GoldItem, evaluate, load_gold, precision_coverage
from assistant.library import STRICTNESS_LEVELS, answer_settings
from assistant.render import caption_html, notice_html

GOLD_DIR = ROOT / "eval"
REPORT_KEY = "evaluation_report"
METRIC_NAMES = [
    ("answer@1", "Answer right at rank 1", "Share of answerable questions whose first quote contains a gold answer "
     "from the gold document."),
    ("answer@3", "Answer in top 3", "Share of answerable questions with a right quote among the first three."),
    ("mrr", "MRR@3", "Mean reciprocal rank of the first right quote."),
    ("doc_hit@1", "Right document first", "Share of questions naming a document whose first passage is from it."),
    ("highlight_f1", "Highlight F1", "Word overlap (SQuAD rules) of the highlighted answer span with the gold one."),
    ("unanswerable_refused", "Unanswerable refused", "Share of questions the documents cannot answer on which the "
     "assistant said so."),
    ("answerable_wrongly_refused", "Answerable refused", "Share of answerable questions on which it abstained "
     "(lower is better)."),
]


def _load(uploaded) -> tuple[str, list[GoldItem]] | None:
    """The uploaded gold set, or None after saying why it cannot be run. The file name comes from the browser:
    it is only ever shown escaped (st.html), never as Markdown, which would draw colours, maths and images."""
    if uploaded is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gold.jsonl"
        path.write_bytes(uploaded.getvalue())
        try:
            items = load_gold(path)
        except (GoldFormatError, UnicodeDecodeError) as exc:
            st.html(notice_html("error", f"{uploaded.name}: {str(exc).replace(str(path), 'line')}"))
            return None
    if not items:  # as `assistant eval` refuses it: "Run 0 questions" would only show zeros
        st.html(notice_html("error", f"{uploaded.name} has no questions: nothing to run"))
        return None
    return uploaded.name, items


def _choose_gold() -> tuple[str, list[GoldItem]] | None:
    bundled = sorted(p.name for p in GOLD_DIR.glob("*.jsonl")) if GOLD_DIR.is_dir() else []
    source = st.radio("Gold set", ["Bundled", "Upload my own"], horizontal=True)
    if source == "Bundled":
        if not bundled:
            st.info("No bundled gold sets were found in eval/.")
            return None
        default = bundled.index("bundled_gold_test.jsonl") if "bundled_gold_test.jsonl" in bundled else 0
        name = st.selectbox("File", bundled, index=default,
                            help="bundled_gold_test.jsonl is the held-out half: nothing was tuned on it.")
        return name, load_gold(GOLD_DIR / name)
    st.caption('One JSON object a line: {"id": "...", "question": "...", "answers": ["verbatim text", ...], '
               '"doc": "file name or null", "also_docs": ["other file name", ...]}. An empty answers list means '
               'the documents cannot answer it. also_docs is optional: other documents whose quotes count too.')
    return _load(st.file_uploader("Gold file (.jsonl)", type=["jsonl", "json"]))


def _metrics(report: EvalReport) -> None:
    m = report.metrics
    st.caption(f"{m['questions']} questions: {m['answerable']} answerable, {m['unanswerable']} unanswerable. "
               f"Latency p50 {m['latency_p50_ms']:.0f} ms, p95 {m['latency_p95_ms']:.0f} ms.")
    cols = st.columns(4)
    for i, (key, label, help_text) in enumerate(METRIC_NAMES):
        cols[i % 4].metric(label, f"{m.get(key, 0.0):.2f}", help=help_text)


def _table(report: EvalReport) -> None:
    rows = []
    for r in report.to_json()["per_question"]:
        rows.append({
            "Result": "pass" if r["passed"] else "FAIL", "ID": r["id"], "Question": r["question"],
            "Expected": " | ".join(r["expected"]) or "(not answerable)",
            "Got": r["got"] if r["answered"] else "(abstained)", "Rank": r["rank"],
            "Document": r["got_doc"] or "", "Evidence": r["evidence"],
        })
    st.dataframe(rows, hide_index=True, width="stretch", column_config={
        "Result": st.column_config.TextColumn(width="small"), "ID": st.column_config.TextColumn(width="small"),
        "Question": st.column_config.TextColumn(width="large"), "Got": st.column_config.TextColumn(width="large"),
        "Rank": st.column_config.NumberColumn(width="small", help="Rank of the first right passage, if any"),
        "Evidence": st.column_config.NumberColumn(format="%.2f", help="Answers when evidence >= threshold"),
    })


def _curve(report: EvalReport, threshold: float) -> None:
    points = precision_coverage(report.results)
    if len(points) < 2:
        return
    data = [{"coverage": p.coverage, "precision": p.precision, "threshold": p.threshold,
             "unanswerable refused": p.unanswerable_refused,
             "answerable refused": p.answerable_wrongly_refused} for p in points]
    current = min(points, key=lambda p: (abs(p.threshold - threshold), p.threshold))
    tooltip = [alt.Tooltip(f"{name}:Q", format=".2f") for name in
               ("threshold", "coverage", "precision", "unanswerable refused", "answerable refused")]
    line = alt.Chart(alt.Data(values=data)).mark_line(point=True).encode(
        x=alt.X("coverage:Q", title="Coverage (share of questions answered)", scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("precision:Q", title="Precision (answers right at rank 1)", scale=alt.Scale(domain=[0, 1])),
        order="threshold:Q", tooltip=tooltip)
    dot = alt.Chart(alt.Data(values=[{"coverage": current.coverage, "precision": current.precision}])).mark_point(
        size=180, filled=True, color="#e8a400").encode(x="coverage:Q", y="precision:Q")
    st.altair_chart(line + dot, width="stretch")
    st.caption(f"Each point is one abstention threshold; hover for its figures. The orange point is the current "
               f"strictness ({threshold:+.2f}): it answers {current.coverage:.0%} of the questions with precision "
               f"{current.precision:.0%}, refusing {current.unanswerable_refused:.0%} of the unanswerable ones and "
               f"{current.answerable_wrongly_refused:.0%} of the answerable ones. Move right for more answers, up "
               f"for fewer wrong ones.")


def main() -> None:
    library = get_library()
    store = current_store(library)
    st.title("Evaluation")
    st.caption("Measure the assistant on a gold set of questions with known verbatim answers. A question counts "
               "as answered right when a quote contains a gold answer and comes from the gold document (or one of "
               "its also_docs).")
    if store is None or not store.docs:
        st.info("There are no documents in the library yet. Add some on the Documents page.")
        return
    chosen = _choose_gold()
    strictness = st.session_state.get(STRICTNESS_KEY, "Balanced")
    if chosen is not None:
        name, items = chosen
        st.html(caption_html(f"Gold set: {name} ({len(items)} questions)"))
        if st.button(f"Run {len(items)} questions", type="primary", icon=":material/play_arrow:"):
            bar = st.progress(0.0, text="Asking…")
            report = evaluate(library.assistant, items, settings=answer_settings(strictness),
                              on_progress=lambda n, total: bar.progress(n / total, text=f"Asked {n} of {total}"))
            bar.empty()
            st.session_state[REPORT_KEY] = (name, strictness, report)
    if REPORT_KEY in st.session_state:
        name, used, report = st.session_state[REPORT_KEY]
        st.subheader("Results")
        st.html(caption_html(f"Gold set: {name}. Strictness: {used} (set in the sidebar of the Ask page)."))
        _metrics(report)
        st.subheader("Precision against coverage")
        _curve(report, STRICTNESS_LEVELS.get(used, 0.0))
        st.subheader("Per question, failures first")
        _table(report)
        report_downloads(report, name, used)  # Markdown, CSV and the full JSON


main()
