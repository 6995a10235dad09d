"""The Python API the CLI, the app and the tests share: ``Assistant(index_dir).ask(question)``.

An Assistant holds one loaded index snapshot and the model (both loaded lazily, once). Before each question it
checks the index pointer, so a build finished by another process or thread is picked up whole; a question that
is already running keeps the snapshot it started with, so nobody ever sees a half-built index. Whatever a
question would otherwise redo over every document (the document-name lookup) is built once per snapshot.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from assistant.cite.citations import Citer
from assistant.cite.types import Citation
from assistant.config import DEFAULT_INDEX_DIR, AnswerSettings, IndexSettings
from assistant.embedding.embedder import Embedder, index_cache_dir
from assistant.errors import ReaderUnavailable
from assistant.index.build import BuildReport, Problem, build_index
from assistant.index.storage import open_storage
from assistant.index.store import IndexStore
from assistant.query.per_document import PerDocumentAnswer, ask_per_document
from assistant.query.pipeline import Pipeline, Trace
from assistant.query.question import MAX_QUESTION_CHARS, BadQuestion, check_question
from assistant.query.types import Answer

__all__ = ["MAX_QUESTION_CHARS", "Assistant", "BadQuestion", "Snapshot", "check_question"]


@dataclass(frozen=True)
class Snapshot:
    """One loaded build and everything made from it; a question keeps the snapshot it started with."""

    folder: str
    store: IndexStore
    embedder: Embedder
    pipeline: Pipeline
    citer: Citer


class Assistant:
    def __init__(self, index_dir: Path | str = DEFAULT_INDEX_DIR, settings: AnswerSettings | None = None,
                 store: str | None = None) -> None:
        """``store``: None for the local folder ``index_dir``, or a Qdrant store (``storage.open_storage``)."""
        self.index_dir = Path(index_dir)
        self.settings = settings or AnswerSettings()
        self._lock = threading.Lock()
        self._snap: Snapshot | None = None
        self.storage = open_storage(self.index_dir, store)  # index.backend.BuildStorage: where builds are loaded from

    def snapshot(self) -> Snapshot:
        """The current build, loaded once; reloaded whole when another build has replaced it."""
        current = self.storage.current()
        snap = self._snap
        if snap is not None and snap.folder == current:
            return snap
        with self._lock:
            if self._snap is None or self._snap.folder != current:
                store = self.storage.load()
                backend = store.manifest.get("settings", {}).get("backend", "torch")  # older indexes: torch
                embedder = Embedder(store.manifest["model"], backend, index_cache_dir(self.index_dir))
                self._snap = Snapshot(store.path.name, store, embedder, Pipeline(store, embedder),
                                      Citer(store, embedder))
            return self._snap

    @property
    def store(self) -> IndexStore:
        return self.snapshot().store

    def warm_up(self) -> None:
        """Load index and model now, so the first question (or citation lookup) is as fast as the rest."""
        snap = self.snapshot()
        snap.embedder.encode_query("warm up")
        snap.citer.prepare()
        try:  # the reader and ranker too; if either is damaged, asking says so (citation lookup does not need them)
            _ = snap.pipeline.reader, snap.pipeline.ranker
        except ReaderUnavailable:
            pass

    def build(self, docs_dir: Path | str, settings: IndexSettings | None = None,
              on_progress: Callable[[int, int], None] | None = None,
              on_problem: Callable[[Problem], None] | None = None) -> BuildReport:
        return build_index(Path(docs_dir), self.index_dir, settings, on_progress, on_problem, storage=self.storage)

    def cite(self, quote: str) -> Citation:
        """Where the quote occurs: exact (folded), near (with a word diff) or not_found (closest passages)."""
        return self.snapshot().citer.cite(quote)

    def ask(self, question: str, k: int | None = None, docs: Iterable[str] | None = None,
            settings: AnswerSettings | None = None) -> Answer:
        """Answer with up to ``k`` verbatim quotes, or abstain (``answered=False``) with the closest passages."""
        return self.trace(question, k, docs, settings).answer

    def ask_per_document(self, question: str, docs: Iterable[str] | None = None,
                         settings: AnswerSettings | None = None) -> PerDocumentAnswer:
        """The best quote of each document that answers (of ``docs``, all by default), oldest document first."""
        return ask_per_document(self.snapshot().pipeline, question, settings or self.settings, docs)

    def trace(self, question: str, k: int | None = None, docs: Iterable[str] | None = None,
              settings: AnswerSettings | None = None) -> Trace:
        """``ask`` with every stage's output kept (query, candidates, scores, decision), for bench scripts."""
        return self.snapshot().pipeline.run(question, settings or self.settings, k, docs)
