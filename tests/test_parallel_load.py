"""Reading a folder's files in worker processes gives exactly what reading them one by one gives.

The bad-file corpus of test_reliability (corrupt, encrypted, empty, binary, scanned files beside good ones) is
read both ways; every document (pages, offsets' text, title, hash) and every reason must be the same, in the
same order. The bundled corpus, big enough to start workers by itself, is built through them by conftest.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_reliability import shared_drive  # noqa: F401  (a fixture)

from assistant.ingest.documents import Document, DocumentError, scan
from assistant.ingest.parallel import PARALLEL_MIN_BYTES, WORKERS_ENV, _workers, load_documents


def _seen(outcome: Document | DocumentError) -> tuple:
    if isinstance(outcome, DocumentError):
        return ("error", outcome.reason)
    return ("doc", outcome.doc, outcome.title, outcome.context, outcome.content_hash,
            [(p.number, p.text) for p in outcome.pages])


def test_workers_read_bad_and_good_files_exactly_as_one_process_does(
        shared_drive: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    paths = scan(shared_drive).files
    monkeypatch.setenv(WORKERS_ENV, "1")
    one = [(p, _seen(o)) for p, o in load_documents(paths, shared_drive)]
    monkeypatch.setenv(WORKERS_ENV, "2")
    assert _workers(paths) == 2
    two = [(p, _seen(o)) for p, o in load_documents(paths, shared_drive)]
    assert two == one
    kinds = {seen[0] for _, seen in one}
    assert kinds == {"doc", "error"}, "the corpus holds both good and bad files"
    assert [p for p, _ in two] == list(paths)


def test_workers_start_only_when_there_is_enough_to_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WORKERS_ENV, raising=False)
    documents = Path(__file__).resolve().parent.parent / "documents"
    pdfs = sorted(documents.rglob("*.pdf"))
    assert sum(p.stat().st_size for p in pdfs) >= PARALLEL_MIN_BYTES
    assert _workers(pdfs[:1]) == 1  # one report: reading it here is quicker than starting a process
    assert _workers(pdfs) == min(len(pdfs), os.cpu_count() or 1)
