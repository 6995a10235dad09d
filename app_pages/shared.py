"""What every page shares: the folders, the one cached Assistant (index built on first start), settings keys.

The documents and index folders come from ASSISTANT_DOCS_DIR and ASSISTANT_INDEX_DIR (default: documents/ and
index/ next to app.py), so tests can point the app at an already built index or at a temporary copy;
ASSISTANT_STORE puts the index on Qdrant instead (``qdrant://HOST:PORT``, as ``assistant --store``).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

from assistant.api import Assistant
from assistant.config import STORE_ENV
from assistant.errors import IndexUnavailable
from assistant.index.build import BuildReport, Problem
from assistant.index.store import IndexStore
from assistant.ingest.documents import discover
from assistant.library import DEFAULT_STRICTNESS
from assistant.render import notice_html

ROOT = Path(__file__).resolve().parent.parent
DOCS_ENV = "ASSISTANT_DOCS_DIR"
INDEX_ENV = "ASSISTANT_INDEX_DIR"

# Session-state keys of the chat settings in the sidebar; kept when the user visits another page.
K_KEY, STRICTNESS_KEY, FILTER_KEY = "setting_k", "setting_strictness", "setting_docs"
ACROSS_KEY = "setting_across"  # the Ask page's "Across documents" toggle (app_pages/across.py)
SETTINGS_DEFAULTS: dict[str, object] = {K_KEY: 3, STRICTNESS_KEY: DEFAULT_STRICTNESS, FILTER_KEY: [],
                                        ACROSS_KEY: False}


def folders() -> tuple[Path, Path]:
    """(documents folder, index folder) from the environment, else next to app.py."""
    docs = os.environ.get(DOCS_ENV) or str(ROOT / "documents")
    index = os.environ.get(INDEX_ENV) or str(ROOT / "index")
    return Path(docs), Path(index)


@dataclass
class BuildJob:
    """An index build in a thread of its own. Why not in the script run of the session that asked: Streamlit stops
    a session's script when its tab is closed or reloaded, which stopped the build with it, so a user who reloaded
    during the first two minutes of indexing started them again (measured: the build's CPU time stood still once
    the tab closed). Here the build goes on without any session, and the next session follows it."""

    thread: threading.Thread | None = None
    done: int = 0
    total: int = 0
    report: BuildReport | None = None
    error: Exception | None = None

    @classmethod
    def start(cls, assistant: Assistant, docs_dir: Path) -> BuildJob:
        job = cls()

        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total

        def run() -> None:
            try:
                job.report = assistant.build(docs_dir, on_progress=progress)
            except Exception as exc:  # reported by the session that follows the job
                job.error = exc

        job.thread = threading.Thread(target=run, name="index-build", daemon=True)
        job.thread.start()
        return job

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()


@dataclass
class Library:
    """The process-wide Assistant over one documents folder; ``lock`` serialises builds across sessions."""

    assistant: Assistant
    docs_dir: Path
    lock: threading.Lock = field(default_factory=threading.Lock)
    ready: bool = False
    problems: tuple[Problem, ...] = ()  # files the last build could not read
    job: BuildJob | None = None  # the latest build, which may outlive the session that started it


@st.cache_resource(show_spinner=False)
def _library(docs_dir: str, index_dir: str, store: str) -> Library:
    return Library(Assistant(index_dir, store=store or None), Path(docs_dir))


def _follow(job: BuildJob, bar, label: str) -> None:  # noqa: ANN001  (a Streamlit progress element)
    """Show ``job``'s progress until it ends (if this session is stopped meanwhile, the job goes on)."""
    while job.running:
        if job.total:
            bar.progress(job.done / job.total,
                         text=f"{label}: {job.done:,} of {job.total:,} sentences and passages embedded")
        job.thread.join(0.25)


def update_index(library: Library, label: str, first_start: bool = False) -> BuildReport | None:
    """Incremental build with a visible progress bar; the caller holds ``library.lock``.

    Only new or changed files are embedded, so after the first start this is a quick hash check. A build that a
    closed session left running is followed to its end first, then checked again by a build of this session's
    own (quick, since that one indexed the files), so files added meanwhile are not missed. Returns None (after
    saying why) when there is nothing to index or the build failed; the previous index stays in use.
    """
    if not discover(library.docs_dir):
        library.problems = ()
        return None
    note = st.empty()
    if first_start:
        note.info("Reading and indexing the documents. This happens once: about two minutes for the bundled "
                  "corpus on a laptop, after which the app starts at once and only new or changed files are "
                  "indexed.", icon=":material/hourglass_top:")
    bar = st.progress(0.0, text=f"{label}: reading documents…")
    try:
        if library.job is not None:
            _follow(library.job, bar, label)
        job = library.job = BuildJob.start(library.assistant, library.docs_dir)
        _follow(job, bar, label)
    finally:
        bar.empty()
        note.empty()
    if job.error is not None or job.report is None:  # a failed build must not take the page down
        st.html(notice_html("error", f"Indexing failed: {job.error}"))
        return None
    library.problems = job.report.problems
    if job.report.n_documents:
        library.assistant.warm_up()
    return job.report


def current_store(library: Library) -> IndexStore | None:
    """The index snapshot in use, or None when there is no index yet (an empty library)."""
    try:
        return library.assistant.store
    except IndexUnavailable:
        return None


def get_library() -> Library:
    """The cached Library; on the first start in this process, build or check the index first."""
    docs_dir, index_dir = folders()
    if not docs_dir.is_dir():
        st.html(notice_html("error", f"The documents folder {docs_dir} does not exist. Create it, or set {DOCS_ENV}."))
        st.stop()
    library = _library(str(docs_dir), str(index_dir), os.environ.get(STORE_ENV, ""))
    if not library.ready:
        waiting = st.empty()
        if library.lock.locked():
            waiting.info("The index is being built in another tab or session; this page opens when it is done.",
                         icon=":material/hourglass_top:")
        with library.lock:  # a second session opened during the first build waits for it instead of racing it
            waiting.empty()
            if not library.ready:
                try:
                    first = not library.assistant.storage.current()
                except IndexUnavailable:  # a Qdrant server that is down: the build below says so
                    first = True
                update_index(library, "Building the index" if first else "Checking the index for changed documents",
                             first_start=first)
                library.ready = True  # only now: a session opened meanwhile waited on the lock, not on an empty index
    return library


def keep_settings() -> None:
    """Set the sidebar settings' defaults once, and keep their values while their widgets are not drawn
    (Streamlit drops the state of widgets a page does not render)."""
    for key, default in SETTINGS_DEFAULTS.items():
        st.session_state[key] = st.session_state.get(key, default)
