"""Loading many documents at once, on every core.

PDF text extraction (pypdf) is pure Python and single-threaded: on the bundled corpus it is ~10 s of a clean
build, a sixth of it. A build that has at least PARALLEL_MIN_BYTES of files to read spreads them over worker
processes (spawned, not forked: the parent may hold ONNX Runtime and Streamlit threads). Results come back in
the files' order whatever order they finish in, and a file that cannot be read comes back as its DocumentError,
exactly as a load in this process would give it. If a worker dies (a reader crash on a hostile file), the files
not yet returned are read again here, one by one, as they were before this module existed. If this process dies
(``kill -9`` of a build), its workers die with it instead of lingering at ~80 MB each (see _die_with_parent).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from assistant.ingest.documents import Document, DocumentError, load_document

PARALLEL_MIN_BYTES = 1_000_000  # below this (one 30-page PDF is ~0.4 MB) starting workers costs more than it saves
WORKERS_ENV = "ASSISTANT_LOAD_WORKERS"  # a number of processes: 1 reads every file here
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_PARENT_POLL_S = 1.0


def _die_with_parent(parent: int) -> None:
    """Worker initialiser: end this worker when the process that started it ends, however it ends.

    A pool's workers wait on a queue whose write end they hold themselves, so a parent killed with SIGKILL never
    closes it and they would wait forever (and keep multiprocessing's resource tracker alive with them). Linux
    delivers SIGKILL on the parent's death (PR_SET_PDEATHSIG); elsewhere, and as a fallback, a thread polls.
    """
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="watch-parent").start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL_S)
    os._exit(1)


def failure_reason(exc: BaseException) -> str:
    """A one-line reason for a file that could not be loaded (no paths, no errno numbers)."""
    if isinstance(exc, DocumentError):
        return exc.reason
    if isinstance(exc, OSError):
        return f"cannot read file: {exc.strerror or exc}"
    return str(exc)


def _load(path: Path, root: Path) -> Document | str:
    """In a worker: the document, or the reason it cannot be loaded (a str pickles; DocumentError does not)."""
    try:
        return load_document(path, root)
    except (DocumentError, OSError) as exc:
        return failure_reason(exc)


def _outcome(path: Path, result: Document | str) -> Document | DocumentError:
    return DocumentError(path, result) if isinstance(result, str) else result


def _workers(paths: Sequence[Path]) -> int:
    """How many processes read ``paths``: ASSISTANT_LOAD_WORKERS if set, else one per core once there is enough
    to read."""
    chosen = os.environ.get(WORKERS_ENV, "").strip()
    if chosen.isdigit():  # anything else (a typo, "-1") is ignored rather than stopping the build
        return max(1, min(int(chosen), len(paths)))
    enough = sum(_size(p) for p in paths) >= PARALLEL_MIN_BYTES
    return min(os.cpu_count() or 1, len(paths)) if enough else 1


def load_documents(paths: Sequence[Path], root: Path) -> Iterator[tuple[Path, Document | DocumentError]]:
    """Each path with its loaded document or the DocumentError saying why it could not be loaded, in order."""
    workers = _workers(paths)
    done = 0
    if workers > 1:
        try:
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                     initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
                by_size = sorted(paths, key=lambda p: -_size(p))  # biggest first: the last to finish is small
                futures: dict[Path, Future[Document | str]] = {p: pool.submit(_load, p, root) for p in by_size}
                for path in paths:
                    outcome = _outcome(path, futures[path].result())
                    done += 1
                    yield path, outcome
        except BrokenProcessPool:
            pass  # a worker died: read what is left here
    for path in paths[done:]:
        yield path, _outcome(path, _load(path, root))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
