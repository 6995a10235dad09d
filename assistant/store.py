"""The on-disk index and its loaded snapshot.

Layout under the index root (``index/`` by default)::

    CURRENT                 name of the live build folder, replaced atomically (os.replace)
    build-<time>-<pid>/     manifest.json, docs.json, units.npz, *_vectors.npy, *.faiss, bm25_*/

A build writes a complete new folder, fsyncs it, then swaps ``CURRENT``; a crash at any moment leaves the
previous build in place and answering. The manifest records the model, the chunking settings, each document's
content hash and a checksum of every file, so a damaged or foreign index is refused with a clear message.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from .config import FORMAT_VERSION
from .documents import file_sha256
from .lexical import Bm25Index

POINTER = "CURRENT"
ARRAY_NAMES = (
    "sent_doc", "sent_page", "sent_start", "sent_end",
    "chunk_doc", "chunk_page", "chunk_first", "chunk_last", "chunk_start", "chunk_end",
)


class IndexUnavailable(Exception):
    """The index is missing, damaged, or was built with settings this program cannot use."""


@dataclass(frozen=True)
class DocRecord:
    """One indexed document with its stored (normalised) page texts; all offsets refer to these strings."""

    doc: str
    title: str
    context: str
    content_hash: str
    page_numbers: tuple[int | None, ...]
    pages: tuple[str, ...]
    indexed_at: str

    def to_json(self) -> dict[str, object]:
        return {
            "doc": self.doc, "title": self.title, "context": self.context, "content_hash": self.content_hash,
            "page_numbers": list(self.page_numbers), "pages": list(self.pages), "indexed_at": self.indexed_at,
        }

    @classmethod
    def from_json(cls, d: dict) -> DocRecord:
        return cls(d["doc"], d["title"], d["context"], d["content_hash"], tuple(d["page_numbers"]),
                   tuple(d["pages"]), d["indexed_at"])


@dataclass
class IndexStore:
    """A complete, immutable snapshot of one build: documents, units, vectors and both search indexes.

    Sentence ``i`` is ``docs[sent_doc[i]].pages[sent_page[i]][sent_start[i]:sent_end[i]]``; chunk ``j`` spans
    sentences ``chunk_first[j]..chunk_last[j]`` (global indices) of one page.
    """

    path: Path
    manifest: dict
    docs: list[DocRecord]
    arrays: dict[str, np.ndarray]
    sent_vectors: np.ndarray
    chunk_vectors: np.ndarray
    sent_faiss: faiss.Index
    chunk_faiss: faiss.Index
    sent_bm25: Bm25Index
    chunk_bm25: Bm25Index

    def __getattr__(self, name: str) -> np.ndarray:
        arrays = self.__dict__.get("arrays")
        if arrays is not None and name in arrays:
            return arrays[name]
        raise AttributeError(name)

    @property
    def n_sentences(self) -> int:
        return int(self.arrays["sent_doc"].shape[0])

    @property
    def n_chunks(self) -> int:
        return int(self.arrays["chunk_doc"].shape[0])

    def sentence_text(self, i: int) -> str:
        a = self.arrays
        return self.docs[a["sent_doc"][i]].pages[a["sent_page"][i]][a["sent_start"][i] : a["sent_end"][i]]

    def page_text(self, doc_id: int, page_idx: int) -> str:
        return self.docs[doc_id].pages[page_idx]


def flat_index(vectors: np.ndarray) -> faiss.Index:
    """Exact inner-product search; vectors are unit length so scores are cosines."""
    index = faiss.IndexFlatIP(vectors.shape[1])
    if len(vectors):
        index.add(vectors)
    return index


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "manifest.json")


def _fsync_tree(folder: Path) -> None:
    for p in [*_files(folder), folder / "manifest.json"]:
        with p.open("rb") as f:
            os.fsync(f.fileno())
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_store(root: Path, manifest: dict, docs: list[DocRecord], arrays: dict[str, np.ndarray],
                sent_vectors: np.ndarray, chunk_vectors: np.ndarray,
                sent_bm25: Bm25Index, chunk_bm25: Bm25Index) -> Path:
    """Write a new build folder and make it current atomically; returns the new folder."""
    root.mkdir(parents=True, exist_ok=True)
    folder = root / f"build-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    folder.mkdir()
    (folder / "docs.json").write_text(json.dumps([d.to_json() for d in docs], ensure_ascii=False))
    np.savez(folder / "units.npz", **arrays)
    np.save(folder / "sentence_vectors.npy", sent_vectors)
    np.save(folder / "chunk_vectors.npy", chunk_vectors)
    faiss.write_index(flat_index(sent_vectors), str(folder / "sentences.faiss"))
    faiss.write_index(flat_index(chunk_vectors), str(folder / "chunks.faiss"))
    sent_bm25.save(folder / "bm25_sentences")
    chunk_bm25.save(folder / "bm25_chunks")
    manifest = {**manifest, "format_version": FORMAT_VERSION,
                "checksums": {str(p.relative_to(folder)): file_sha256(p) for p in _files(folder)}}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    _fsync_tree(folder)
    tmp = root / f".{POINTER}.{os.getpid()}.tmp"
    tmp.write_text(folder.name)
    with tmp.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, root / POINTER)
    _remove_stale(root, keep=folder.name)
    return folder


def _remove_stale(root: Path, keep: str) -> None:
    """Drop build folders other than the current one (older builds, or ones a crash left half-written)."""
    for p in root.glob("build-*"):
        if p.is_dir() and p.name != keep:
            shutil.rmtree(p, ignore_errors=True)


def current_folder(root: Path) -> Path | None:
    pointer = root / POINTER
    if not pointer.is_file():
        return None
    folder = root / pointer.read_text().strip()
    return folder if folder.is_dir() else None


def read_manifest(root: Path) -> dict | None:
    folder = current_folder(root)
    if folder is None:
        return None
    try:
        return json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return None


def load_store(root: Path, verify: bool = True) -> IndexStore:
    """Load the current build; raises IndexUnavailable with a one-line reason when it cannot be used."""
    folder = current_folder(root)
    if folder is None:
        raise IndexUnavailable(f"no index in {root}: run `assistant index` first")
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise IndexUnavailable(
            f"index manifest in {folder} is unreadable ({exc}); rebuild with `assistant index`"
        ) from exc
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexUnavailable(
            f"index format {manifest.get('format_version')} is not {FORMAT_VERSION}; rebuild with `assistant index`"
        )
    if verify:
        for name, digest in manifest.get("checksums", {}).items():
            p = folder / name
            if not p.is_file() or file_sha256(p) != digest:
                raise IndexUnavailable(f"index file {name} is missing or damaged; rebuild with `assistant index`")
    try:
        docs = [DocRecord.from_json(d) for d in json.loads((folder / "docs.json").read_text())]
        with np.load(folder / "units.npz") as z:
            arrays = {k: z[k] for k in ARRAY_NAMES}
        sent_vectors = np.load(folder / "sentence_vectors.npy")
        chunk_vectors = np.load(folder / "chunk_vectors.npy")
        return IndexStore(
            path=folder, manifest=manifest, docs=docs, arrays=arrays,
            sent_vectors=sent_vectors, chunk_vectors=chunk_vectors,
            sent_faiss=faiss.read_index(str(folder / "sentences.faiss")),
            chunk_faiss=faiss.read_index(str(folder / "chunks.faiss")),
            sent_bm25=Bm25Index.load(folder / "bm25_sentences"),
            chunk_bm25=Bm25Index.load(folder / "bm25_chunks"),
        )
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise IndexUnavailable(f"index in {folder} cannot be read ({exc}); rebuild with `assistant index`") from exc
