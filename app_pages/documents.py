"""Documents: the corpus at a glance, uploads (indexed incrementally), re-scan, and removing a document."""

from __future__ import annotations

import streamlit as st

from app_pages.shared import Library, current_store, get_library, update_index
from assistant.index.build import BuildReport
from assistant.index.store import IndexStore
from assistant.ingest.registry import supported_suffixes
from assistant.library import (
    SUPPORTED_LABEL,
    LibraryError,
    UploadResult,
    corpus_summary,
    doc_label,
    remove_document,
    save_uploads,
)
from assistant.render import caption_html, notice_html

NOTICE_KEY = "documents_notice"  # what the last upload/removal did, shown after the page reloads
UPLOAD_TYPES = sorted(s.lstrip(".") for s in supported_suffixes())


def _overview(library: Library, store: IndexStore) -> None:
    summary = corpus_summary(store)
    cols = st.columns(4)
    cols[0].metric("Documents", f"{summary.n_documents:,}")
    cols[1].metric("Pages", f"{summary.n_pages:,}")
    cols[2].metric("Chunks", f"{summary.n_chunks:,}")
    cols[3].metric("Sentences", f"{summary.n_sentences:,}")
    st.html(caption_html(f"Index built {summary.built_at.replace('T', ' ')} with the embedding model "
                         f"{summary.model}. Documents folder: {library.docs_dir}"))
    for problem in library.problems:
        st.html(notice_html("warning", f"Could not index {problem.doc}: {problem.reason}"))
    for record in store.docs:
        for note in record.notes:
            st.html(notice_html("warning", f"Indexed {record.doc}, but {note}"))
    rows = [{"File": d.doc, "Title": d.title, "Date": d.date or "—", "Date from": d.date_source or "no date found",
             "Pages": d.pages, "Chunks": d.chunks,
             "Indexed": d.indexed_at.replace("T", " ")[:16]} for d in summary.documents]
    st.dataframe(rows, hide_index=True, width="stretch", column_config={
        "File": st.column_config.TextColumn(width=262), "Title": st.column_config.TextColumn(width=238),
        "Date": st.column_config.TextColumn(width=90, help="The document's own date: the last day of an "
                                            "inspection, a dateline, the file's creation date or a date in its "
                                            "name, in that order of trust. Answers across documents are in this "
                                            "order."),
        "Date from": st.column_config.TextColumn(width=105),
        "Pages": st.column_config.NumberColumn(width=55),
        "Chunks": st.column_config.NumberColumn(width=60), "Indexed": st.column_config.TextColumn(width=125)})


def _reindex(library: Library, label: str) -> BuildReport | None:
    with library.lock:
        return update_index(library, label)


def _notice(results: list[UploadResult], report: BuildReport | None, removed: str | None = None) -> None:
    st.session_state[NOTICE_KEY] = (results, report, removed)


def _show_notice() -> None:
    if NOTICE_KEY not in st.session_state:
        return
    results, report, removed = st.session_state[NOTICE_KEY]
    if removed:
        st.html(notice_html("success", f"Removed {removed} from the documents folder and the index."))
    kinds = {"added": "success", "renamed": "success", "duplicate": "info", "rejected": "error"}
    for r in results:  # file names come from the browser: shown as text, never as Markdown
        st.html(notice_html(kinds[r.status], f"{r.name}: {r.message}"))
    if report is not None and report.written:
        st.caption(f"Index updated in {report.seconds:.1f} s: {len(report.added)} added, {len(report.changed)} "
                   f"changed, {len(report.removed)} removed, {report.n_documents} documents in all.")
    elif report is not None:
        st.caption("The index is up to date: no new, changed or removed files.")


def _upload(library: Library) -> None:
    st.subheader("Add documents")
    limit = st.get_option("server.maxUploadSize")
    with st.form("upload", clear_on_submit=True, border=True):
        files = st.file_uploader(
            f"{SUPPORTED_LABEL} files, several at once (up to {limit} MB each)", type=UPLOAD_TYPES,
            accept_multiple_files=True,
            help="Files are saved under uploads/ in the documents folder and indexed straight away. "
                 "A file already in the library is not added twice; a different file with a name already in use "
                 "is saved under a numbered name, never over the existing one.")
        submitted = st.form_submit_button("Add to the library", type="primary", icon=":material/upload:")
    if submitted and not files:  # nothing reached the server: say so rather than do nothing
        st.html(notice_html("warning", f"Nothing was added: no file was uploaded. Choose files first; a file over "
                                       f"{limit} MB is refused by the browser and never sent (the uploader marks it)."))
        return
    if not (submitted and files):
        return
    results = save_uploads(library.docs_dir, [(f.name, f.getvalue()) for f in files], max_bytes=limit * 2**20)
    report = _reindex(library, "Indexing new documents") if any(r.saved for r in results) else None
    _notice(results, report)
    st.rerun()


def _remove(library: Library, store: IndexStore) -> None:
    st.subheader("Remove a document")
    if len(store.docs) < 2:
        st.caption("The last document cannot be removed: add another one first.")
        return
    labels = {d.doc: doc_label(d) for d in store.docs}
    doc = st.selectbox("Document to remove", options=list(labels), format_func=labels.__getitem__, index=None,
                       placeholder="Choose a document", key="remove_doc")
    sure = st.checkbox("I understand this deletes the file from the documents folder", key="remove_sure")
    if st.button("Remove document", disabled=not (doc and sure), icon=":material/delete:", key="remove_go"):
        try:
            remove_document(library.docs_dir, doc)
        except LibraryError as exc:
            st.html(notice_html("error", f"Cannot remove {doc}: {exc}"))
            return
        report = _reindex(library, "Updating the index")
        _notice([], report, removed=doc)
        for key in ("remove_doc", "remove_sure"):
            st.session_state.pop(key, None)
        st.rerun()


def main() -> None:
    st.title("Documents")
    library = get_library()
    _show_notice()
    store = current_store(library)
    if store is not None and store.docs:
        _overview(library, store)
    else:
        st.info("The library is empty. Add documents below.")
    if st.button("Re-scan the documents folder", icon=":material/refresh:", key="rescan",
                 help="Index files added to or changed in the documents folder outside the app."):
        _notice([], _reindex(library, "Updating the index"))
        st.rerun()
    _upload(library)
    if store is not None:
        _remove(library, store)


main()
