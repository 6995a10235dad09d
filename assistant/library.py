"""The document library behind the app: safe upload names, saving uploads, removing a document, the corpus at a
glance, and the user-facing answer settings.

None of this is UI, so it lives in the package where it can be tested without a browser. The app only calls
these functions and shows their results.

Uploads are untrusted: a browser sends whatever file name it likes ("../../.bashrc", "C:\\evil\\x.pdf", names
with NUL or control characters). Only the base name is kept, cleaned to a plain file name, and the file is saved
under ``<documents>/uploads/``. A file is never overwritten: identical content already anywhere in the library is
reported as a duplicate and not saved again; a different file with a name already taken is saved as
``name (2).pdf`` and the message says so. A file that cannot be read as a document (a corrupt or encrypted PDF,
a file with no text) is rejected before it is saved, so it never sits in the documents folder failing every
later build.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Literal

import numpy as np

from assistant.config import AnswerSettings
from assistant.digest import file_sha256
from assistant.index.backend import DocRecord
from assistant.index.store import IndexStore
from assistant.ingest.documents import (
    DocumentError,
    discover,
    is_ignored,
    load_document,
)
from assistant.ingest.registry import kind_label, supported_label, supported_suffixes
from assistant.query.decision import (
    UnknownStrictness,
    default_strictness,
    strictness_help,
    strictness_levels,
    threshold_for,
)

UPLOADS_FOLDER = "uploads"
MAX_NAME_CHARS = 120
SUPPORTED_LABEL = supported_label()
_UNSAFE_CHARS = re.compile(r"[^\w .,()+&'@-]")
_DOTS = re.compile(r"\.{2,}")
_SPACES = re.compile(r"\s+")

# Abstention strictness, as the app offers it: named levels on the calibrated evidence score, with a help text
# written from their measured shares. All of it comes from the decision stage (assistant/query/decision.py).
STRICTNESS_LEVELS: dict[str, float] = strictness_levels()
DEFAULT_STRICTNESS = default_strictness()
STRICTNESS_HELP = strictness_help()


class LibraryError(ValueError):
    """A request the library refuses (unsafe name, unsupported type, unknown document); str() is the reason."""


@dataclass(frozen=True)
class UploadResult:
    """What happened to one uploaded file; ``message`` is a sentence for the user."""

    name: str  # the name the browser sent
    status: Literal["added", "renamed", "duplicate", "rejected"]
    doc: str | None  # path relative to the documents folder: the saved file, or the existing duplicate
    message: str

    @property
    def saved(self) -> bool:
        return self.status in ("added", "renamed")


@dataclass(frozen=True)
class DocumentSummary:
    doc: str
    title: str
    kind: str  # "PDF", "Text", "Markdown", "HTML"
    pages: int  # PDF pages; 1 for text files
    chunks: int
    indexed_at: str
    date: str | None = None  # the document's own date (ingest.dates), ISO
    date_source: str | None = None  # where it was read: "inspection dates", "dateline", "file metadata", "file name"


@dataclass(frozen=True)
class CorpusSummary:
    documents: tuple[DocumentSummary, ...]
    n_pages: int
    n_chunks: int
    n_sentences: int
    model: str
    built_at: str

    @property
    def n_documents(self) -> int:
        return len(self.documents)


def safe_upload_name(name: str) -> str:
    """A plain file name for an uploaded file, or LibraryError saying why it cannot be accepted.

    Keeps only the base name (after the last ``/`` or ``\\``), drops NUL, control and invisible format
    characters, replaces characters other than letters, digits and ``.,()+&'@-_`` and spaces with ``_``, folds
    runs of dots (no ``..``) and strips leading dots (no hidden files). The extension must be a supported one.
    """
    if not isinstance(name, str):
        raise LibraryError("the file name must be text")
    text = unicodedata.normalize("NFC", name)
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    text = re.split(r"[/\\]", text)[-1]
    text = _SPACES.sub(" ", _DOTS.sub(".", _UNSAFE_CHARS.sub("_", text))).strip(" .")
    if not text:
        raise LibraryError(f"{name!r} is not a usable file name")
    path = PurePosixPath(text)
    suffix = path.suffix.lower()
    if suffix not in supported_suffixes() or not path.stem.strip(" ._"):
        shown = suffix or "no extension"
        raise LibraryError(f"unsupported file type ({shown}); supported types are {SUPPORTED_LABEL}")
    if is_ignored(text):
        raise LibraryError(f"'{text}' is treated as corpus metadata (attribution, licence) and never quoted; "
                           "rename the file to add it as a document")
    if len(text) > MAX_NAME_CHARS:
        text = path.stem[: MAX_NAME_CHARS - len(path.suffix)].rstrip(" .") + path.suffix
    return text


def _size(n: int) -> str:
    return f"{n / 2**20:g} MB" if n >= 2**20 else f"{n / 2**10:g} KB"


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def document_path(docs_dir: Path, doc: str) -> Path:
    """The file of document ``doc`` (a path relative to the documents folder), refusing anything outside it."""
    rel = PurePosixPath(doc)
    if not doc or rel.is_absolute() or ".." in rel.parts or "\\" in doc or "\x00" in doc:
        raise LibraryError(f"not a document path: {doc!r}")
    path = docs_dir / rel
    if not _inside(path, docs_dir):
        raise LibraryError(f"{doc!r} is outside the documents folder")
    if not path.is_file() or path.suffix.lower() not in supported_suffixes():
        raise LibraryError(f"no document {doc!r} in the documents folder")
    return path


def _numbered(folder: Path, name: str) -> tuple[Path, bool]:
    """The first free path for ``name`` in ``folder``: ``name`` itself, else ``stem (2).ext``, ``stem (3).ext``…"""
    path = PurePosixPath(name)
    candidate = folder / name
    n = 1
    while candidate.exists() or candidate.is_symlink():
        n += 1
        candidate = folder / f"{path.stem} ({n}){path.suffix}"
    return candidate, n > 1


def _existing_hashes(docs_dir: Path) -> dict[str, str]:
    """sha256 -> relative path of every document already in the library."""
    out: dict[str, str] = {}
    for path in discover(docs_dir):
        try:
            out.setdefault(file_sha256(path), path.relative_to(docs_dir).as_posix())
        except OSError:
            continue
    return out


def _check_readable(folder: Path, suffix: str, data: bytes, docs_dir: Path) -> None:
    """Load the bytes as a document (from a hidden temporary file, which builds ignore); DocumentError if bad."""
    tmp = folder / f".upload-{uuid.uuid4().hex}{suffix}"
    try:
        tmp.write_bytes(data)
        load_document(tmp, docs_dir)
    finally:
        tmp.unlink(missing_ok=True)


def _write_new(folder: Path, name: str, data: bytes) -> tuple[Path, bool]:
    """Write ``data`` to a fresh file (never replacing one), numbering the name if it is taken."""
    while True:
        path, renamed = _numbered(folder, name)
        try:
            with path.open("xb") as handle:  # exclusive create: a file that appeared meanwhile is not replaced
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            return path, renamed
        except FileExistsError:
            continue


def save_uploads(docs_dir: Path, files: Iterable[tuple[str, bytes]],
                 max_bytes: int | None = None) -> list[UploadResult]:
    """Save uploaded ``(name, bytes)`` pairs under ``<docs_dir>/uploads/``; one result per file, in order.

    A bad file is reported and skipped; every other file is still saved. Indexing is the caller's next step
    (``Assistant.build``), so a batch is embedded in one incremental build.
    """
    folder = docs_dir / UPLOADS_FOLDER
    results: list[UploadResult] = []
    known: dict[str, str] | None = None
    for raw_name, data in files:
        try:
            name = safe_upload_name(raw_name)
        except LibraryError as exc:
            results.append(UploadResult(raw_name, "rejected", None, str(exc)))
            continue
        if not data:
            results.append(UploadResult(raw_name, "rejected", None, "the file is empty"))
            continue
        if max_bytes is not None and len(data) > max_bytes:
            results.append(UploadResult(raw_name, "rejected", None,
                                        f"the file is larger than the upload limit ({_size(max_bytes)})"))
            continue
        if known is None:
            known = _existing_hashes(docs_dir)
        digest = hashlib.sha256(data).hexdigest()
        if digest in known:
            results.append(UploadResult(raw_name, "duplicate", known[digest],
                                        f"already in the library as {known[digest]}; not added again"))
            continue
        folder.mkdir(parents=True, exist_ok=True)
        if not _inside(folder, docs_dir):
            raise LibraryError(f"the uploads folder {folder} leads outside the documents folder")
        try:
            _check_readable(folder, PurePosixPath(name).suffix, data, docs_dir)
        except DocumentError as exc:
            results.append(UploadResult(raw_name, "rejected", None, f"cannot be read as a document: {exc}"))
            continue
        path, renamed = _write_new(folder, name, data)
        doc = path.relative_to(docs_dir).as_posix()
        known[digest] = doc
        if renamed:
            message = f"a different file named {name} is already in the library; saved this one as {path.name}"
        else:
            message = f"saved as {doc}"
        results.append(UploadResult(raw_name, "renamed" if renamed else "added", doc, message))
    return results


def remove_document(docs_dir: Path, doc: str) -> Path:
    """Delete document ``doc``'s file from the documents folder; the next build drops it from the index."""
    path = document_path(docs_dir, doc)
    path.unlink()
    return path




def corpus_summary(store: IndexStore) -> CorpusSummary:
    """Documents, pages, chunks, when indexed and with which model: the corpus at a glance."""
    chunks = np.bincount(store.chunk_doc, minlength=len(store.docs)) if store.docs else []
    docs = tuple(
        DocumentSummary(d.doc, d.title, kind_label(d.doc), len(d.pages),
                        int(chunks[i]), d.indexed_at, d.date, d.date_source)
        for i, d in enumerate(store.docs)
    )
    return CorpusSummary(docs, sum(d.pages for d in docs), store.n_chunks, store.n_sentences,
                         str(store.manifest.get("model", "?")), str(store.manifest.get("built_at", "?")))


def doc_label(record: DocRecord | DocumentSummary, width: int = 90) -> str:
    """A one-line label for pickers: the file name first (it carries authority and date), then the title."""
    label = f"{PurePosixPath(record.doc).name} — {' '.join(record.title.split())}"
    return label if len(label) <= width else label[: width - 1].rstrip() + "…"


def answer_settings(strictness: str = DEFAULT_STRICTNESS, base: AnswerSettings | None = None) -> AnswerSettings:
    """AnswerSettings whose abstention threshold is the named strictness level's (see STRICTNESS_LEVELS)."""
    try:
        threshold = threshold_for(strictness)
    except UnknownStrictness as exc:
        raise LibraryError(str(exc)) from None
    return replace(base or AnswerSettings(), abstain_threshold=threshold)
