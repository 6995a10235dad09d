"""The Python API the CLI, the app and the tests share: ``Assistant(index_dir).ask(question)``.

An Assistant holds one loaded index snapshot and the model (both loaded lazily, once). Before each question it
checks the index pointer, so a build finished by another process or thread is picked up whole; a question that
is already running keeps the snapshot it started with, so nobody ever sees a half-built index. Whatever a
question would otherwise redo over every document (the document-name lookup) is built once per snapshot.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from assistant.cite.citations import Citation, Citer
from assistant.config import DEFAULT_INDEX_DIR, AnswerSettings, IndexSettings
from assistant.embedding.embedder import Embedder, index_cache_dir
from assistant.index.build import BuildReport, Problem, build_index
from assistant.index.lexical import tokenize
from assistant.index.store import POINTER, IndexStore, load_store
from assistant.query.answer_types import question_type
from assistant.query.answering import (
    DEFAULT_WEIGHTS,
    Answer,
    Extractor,
    evidence_features,
    evidence_score,
    score_candidates,
)
from assistant.query.retrieval import Query, Searcher

MAX_QUESTION_CHARS = 2000


class BadQuestion(ValueError):
    """The question cannot be asked as given (empty, too long, or not text)."""


def match_docs(store: IndexStore, names: Iterable[str]) -> set[int]:
    """Index positions of documents named by path or by path suffix (a bare file name works)."""
    wanted = list(names)
    return {i for i, d in enumerate(store.docs) if any(d.doc == w or d.doc.endswith("/" + w) for w in wanted)}


class DocNames:
    """``match_docs`` by dictionary look-up: every document under its path and each of its path suffixes."""

    def __init__(self, store: IndexStore) -> None:
        self._ids: dict[str, set[int]] = defaultdict(set)
        for i, d in enumerate(store.docs):
            parts = d.doc.split("/")
            for j in range(len(parts)):
                self._ids["/".join(parts[j:])].add(i)

    def match(self, names: Iterable[str]) -> set[int]:
        return set().union(*(self._ids.get(w, ()) for w in names))


@dataclass(frozen=True)
class _Snapshot:
    folder: str
    store: IndexStore
    searcher: Searcher
    embedder: Embedder
    citer: Citer
    names: DocNames


def check_question(question: str) -> str:
    if not isinstance(question, str):
        raise BadQuestion("the question must be text")
    cleaned = "".join(c if c.isprintable() or c in "\n\t" else " " for c in question).strip()
    if not cleaned:
        raise BadQuestion("the question is empty")
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise BadQuestion(f"the question is {len(cleaned)} characters long; the limit is {MAX_QUESTION_CHARS}")
    return " ".join(cleaned.split())


class Assistant:
    def __init__(self, index_dir: Path | str = DEFAULT_INDEX_DIR, settings: AnswerSettings | None = None) -> None:
        self.index_dir = Path(index_dir)
        self.settings = settings or AnswerSettings()
        self._lock = threading.Lock()
        self._snap: _Snapshot | None = None

    def _snapshot(self) -> _Snapshot:
        pointer = self.index_dir / POINTER
        current = pointer.read_text().strip() if pointer.is_file() else ""
        snap = self._snap
        if snap is not None and snap.folder == current:
            return snap
        with self._lock:
            if self._snap is None or self._snap.folder != current:
                store = load_store(self.index_dir)
                backend = store.manifest.get("settings", {}).get("backend", "torch")  # older indexes: torch
                embedder = Embedder(store.manifest["model"], backend, index_cache_dir(self.index_dir))
                self._snap = _Snapshot(store.path.name, store, Searcher(store), embedder, Citer(store, embedder),
                                       DocNames(store))
            return self._snap

    @property
    def store(self) -> IndexStore:
        return self._snapshot().store

    def warm_up(self) -> None:
        """Load index and model now, so the first question (or citation lookup) is as fast as the rest."""
        snap = self._snapshot()
        snap.embedder.encode_query("warm up")
        snap.citer.prepare()

    def build(self, docs_dir: Path | str, settings: IndexSettings | None = None,
              on_progress: Callable[[int, int], None] | None = None,
              on_problem: Callable[[Problem], None] | None = None) -> BuildReport:
        return build_index(Path(docs_dir), self.index_dir, settings, on_progress, on_problem)

    def cite(self, quote: str) -> Citation:
        """Where the quote occurs: exact (folded), near (with a word diff) or not_found (closest passages)."""
        return self._snapshot().citer.cite(quote)

    def ask(self, question: str, k: int | None = None, docs: Iterable[str] | None = None,
            settings: AnswerSettings | None = None) -> Answer:
        """Answer with up to ``k`` verbatim quotes, or abstain (``answered=False``) with the closest passages."""
        t0 = time.perf_counter()
        question = check_question(question)
        cfg = settings or self.settings
        k = k or cfg.k
        snap = self._snapshot()
        vector = snap.embedder.encode_query(question)
        t1 = time.perf_counter()
        query = Query(question, vector, tuple(tokenize(question)), question_type(question))
        doc_filter = snap.names.match(docs) if docs is not None else None
        cands = snap.searcher.candidates(query, cfg.chunk_candidates, cfg.sentence_candidates, doc_filter)
        t2 = time.perf_counter()
        weights = {**DEFAULT_WEIGHTS, **cfg.weights}
        scores = score_candidates(cands, weights)
        if len(scores) == 0:
            return Answer(question, False, (), float("-inf"), _ms(t0, t1, t2, time.perf_counter()))
        best = int(scores.argmax())
        evidence = evidence_score(evidence_features(cands, best))
        quotes = Extractor(snap.store, cfg).quotes(query, cands, scores, k)
        answered = evidence >= cfg.abstain_threshold and bool(quotes)
        return Answer(question, answered, tuple(quotes), evidence, _ms(t0, t1, t2, time.perf_counter()))


def _ms(t0: float, t1: float, t2: float, t3: float) -> dict[str, float]:
    return {"embed": (t1 - t0) * 1e3, "search": (t2 - t1) * 1e3, "extract": (t3 - t2) * 1e3, "total": (t3 - t0) * 1e3}

