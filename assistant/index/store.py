"""The on-disk index and its loaded snapshot.

Layout under the index root (``index/`` by default)::

    CURRENT                 name of the live build folder, replaced atomically (os.replace)
    build-<time>-<pid>/     manifest.json, docs.json, units.npz, *_vectors.npy, *.faiss, bm25_*/, char_box*.npy

``*_vectors.npy`` hold the float32 vectors; ``*.faiss`` the search index vector_index.py chose for their count
(recorded under ``vector_index`` in the manifest); ``char_box*.npy`` where each PDF character is on its page
(page_boxes.py). Loaded, each set of vectors is in RAM once at most: an exact
index's own storage, or the memory-mapped ``.npy`` beside an approximate (compressed) index.

A build writes a complete new folder, fsyncs it, then swaps ``CURRENT``; a crash at any moment leaves the
previous build in place and answering. The manifest records the model, the chunking settings, each document's
content hash and a checksum of every file (``manifest.sha256`` holds the manifest's own), so a damaged or foreign
index is refused with a clear message. Builds hold an exclusive lock on ``.build.lock`` (threads and processes
alike), so two builds never interleave and one never deletes another's folder; readers take no lock: a reader
whose folder is replaced and removed while it loads simply loads the new current build.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import faiss  # noqa: F401  (test_crash_safety.py wraps store.faiss.write_index to stop a build between writes)
import numpy as np

from assistant.config import EXPORT_VERSION, FORMAT_VERSION
from assistant.digest import file_sha256
from assistant.errors import IndexUnavailable
from assistant.index.backend import DocRecord
from assistant.index.lexical import Bm25Index
from assistant.index.page_boxes import BOXES_FILE, PAGES_FILE, PageBoxes
from assistant.index.vector_index import IndexSpec, VectorIndex
from assistant.index.write_guard import discarded_on_failure
from assistant.ingest.documents import LOADER_VERSION
from assistant.ingest.splitting import SPLITTER_VERSION

try:
    import fcntl
except ImportError:  # Windows: builds in one process are still serialised by _THREAD_LOCK
    fcntl = None  # type: ignore[assignment]
_THREAD_LOCK = threading.Lock()

POINTER = "CURRENT"
LOCK_FILE = ".build.lock"
MANIFEST_DIGEST = "manifest.sha256"
REBUILD = "rebuild with `assistant index`"
_LOAD_ATTEMPTS = 5  # a reader whose build is replaced while it loads retries with the new one
# One load at a time in a process: numpy reads a .npy header with ast.literal_eval, and CPython 3.11's parser is
# not safe to run in two threads at once ("SystemError: AST constructor recursion depth mismatch", seen in
# test_concurrency when questions reload the index during uploads). Loads are rare; asks are not serialised.
_LOAD_LOCK = threading.RLock()
VECTOR_SETS = (("sentences", "sentence_vectors.npy"), ("chunks", "chunk_vectors.npy"))  # (stem, vectors file)
ARRAY_NAMES = (
    "sent_doc", "sent_page", "sent_start", "sent_end",
    "chunk_doc", "chunk_page", "chunk_first", "chunk_last", "chunk_start", "chunk_end",
    "sent_boilerplate",  # 1 for boilerplate sentences (index.boilerplate.boilerplate_flags), computed at build time
)


def versions() -> dict[str, int]:
    """Versions of everything that shapes stored units; an index built under others is refused and rebuilt."""
    return {"format_version": FORMAT_VERSION, "loader_version": LOADER_VERSION, "splitter_version": SPLITTER_VERSION,
            "export_version": EXPORT_VERSION}


@contextmanager
def build_lock(root: Path) -> Iterator[None]:
    """Exclusive lock for one build of the index at ``root`` (released by the OS if the process dies)."""
    root.mkdir(parents=True, exist_ok=True)
    if fcntl is None:
        with _THREAD_LOCK:
            yield
        return
    with open(root / LOCK_FILE, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@dataclass
class IndexStore:
    """A complete, immutable snapshot of one build: documents, units, vectors and both search indexes.

    The local implementation of ``index.backend.IndexBackend`` (FAISS + bm25s files in a build folder).

    Sentence ``i`` is ``docs[sent_doc[i]].pages[sent_page[i]][sent_start[i]:sent_end[i]]``; chunk ``j`` spans
    sentences ``chunk_first[j]..chunk_last[j]`` (global indices) of one page.
    """

    path: Path
    manifest: dict
    docs: list[DocRecord]
    arrays: dict[str, np.ndarray]
    sent_index: VectorIndex
    chunk_index: VectorIndex
    sent_bm25: Bm25Index
    chunk_bm25: Bm25Index
    page_boxes: PageBoxes  # where each PDF page's characters are drawn (None-like for other formats)

    # Typed views of the unit arrays (units.npz): sentence i and chunk j, by global id.
    @property
    def sent_doc(self) -> np.ndarray:
        return self.arrays["sent_doc"]

    @property
    def sent_page(self) -> np.ndarray:
        return self.arrays["sent_page"]

    @property
    def sent_start(self) -> np.ndarray:
        return self.arrays["sent_start"]

    @property
    def sent_end(self) -> np.ndarray:
        return self.arrays["sent_end"]

    @property
    def sent_boilerplate(self) -> np.ndarray:
        return self.arrays["sent_boilerplate"]

    @property
    def chunk_doc(self) -> np.ndarray:
        return self.arrays["chunk_doc"]

    @property
    def chunk_page(self) -> np.ndarray:
        return self.arrays["chunk_page"]

    @property
    def chunk_first(self) -> np.ndarray:
        return self.arrays["chunk_first"]

    @property
    def chunk_last(self) -> np.ndarray:
        return self.arrays["chunk_last"]

    @property
    def chunk_start(self) -> np.ndarray:
        return self.arrays["chunk_start"]

    @property
    def chunk_end(self) -> np.ndarray:
        return self.arrays["chunk_end"]

    @property
    def sent_vectors(self) -> np.ndarray:
        """Float32 sentence vectors by id (read-only; rows are cheap, the whole array may be memory-mapped)."""
        return self.sent_index.vectors

    @property
    def chunk_vectors(self) -> np.ndarray:
        return self.chunk_index.vectors

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


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in ("manifest.json", MANIFEST_DIGEST))


def _fsync_tree(folder: Path) -> None:
    for p in [*_files(folder), folder / "manifest.json", folder / MANIFEST_DIGEST]:
        with p.open("rb") as f:
            os.fsync(f.fileno())
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_store(root: Path, manifest: dict, docs: list[DocRecord], arrays: dict[str, np.ndarray],
                sent_vectors: np.ndarray, chunk_vectors: np.ndarray,
                sent_bm25: Bm25Index, chunk_bm25: Bm25Index, page_boxes: PageBoxes | None = None) -> Path:
    """Write a new build folder and make it current atomically; returns the new folder. A failed write (a full
    disk) removes the folder and raises OSError; the previous build stays current (write_guard.py)."""
    root.mkdir(parents=True, exist_ok=True)
    folder = root / f"build-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    folder.mkdir()
    with discarded_on_failure(folder, root / POINTER):  # a failed write leaves nothing behind
        (folder / "docs.json").write_text(json.dumps([d.to_json() for d in docs], ensure_ascii=False))
        np.savez(folder / "units.npz", **arrays)
        np.save(folder / "sentence_vectors.npy", sent_vectors)
        np.save(folder / "chunk_vectors.npy", chunk_vectors)
        kinds = {}
        for (stem, _), vectors in zip(VECTOR_SETS, (sent_vectors, chunk_vectors), strict=True):
            index = VectorIndex.build(vectors)  # one at a time: the larger build's memory is freed before the next
            index.save(folder / f"{stem}.faiss")
            kinds[stem] = index.spec.to_json()
            del index
        sent_bm25.save(folder / "bm25_sentences")
        chunk_bm25.save(folder / "bm25_chunks")
        (page_boxes or PageBoxes.empty([d.page_numbers for d in docs])).save(folder)
        manifest = {**manifest, "format_version": FORMAT_VERSION, "vector_index": kinds,
                    "checksums": {str(p.relative_to(folder)): file_sha256(p) for p in _files(folder)}}
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
        (folder / MANIFEST_DIGEST).write_text(file_sha256(folder / "manifest.json"))
        _fsync_tree(folder)
        tmp = root / f".{POINTER}.{os.getpid()}.tmp"
        tmp.write_text(folder.name)
        with tmp.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, root / POINTER)
    remove_stale(root, keep=folder.name)
    return folder


def remove_stale(root: Path, keep: str) -> None:
    """Drop build folders other than the current one (older builds, or ones a crash left half-written) and
    pointer files a crash left behind. Only called under the build lock, so no other build is in progress."""
    for p in root.glob("build-*"):
        if p.is_dir() and p.name != keep:
            shutil.rmtree(p, ignore_errors=True)
    for p in root.glob(f".{POINTER}.*.tmp"):
        p.unlink(missing_ok=True)


def _pointer(root: Path) -> str | None:
    try:
        return (root / POINTER).read_text().strip()
    except OSError:
        return None


def current_name(root: Path) -> str:
    """Name of the current build folder ('' when there is none): readers reload when it changes."""
    return _pointer(root) or ""


def current_folder(root: Path) -> Path | None:
    name = _pointer(root)
    if not name:
        return None
    folder = root / name
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
    """Load the current build; raises IndexUnavailable with a one-line reason when it cannot be used.

    A build that another process makes current (and whose predecessor it removes) while this one loads is not
    an error: the load starts again from the new pointer.
    """
    with _LOAD_LOCK:
        for _ in range(_LOAD_ATTEMPTS - 1):
            name = _pointer(root)
            try:
                return _load_build(root, name, verify)
            except IndexUnavailable:
                if _pointer(root) == name:
                    raise
        return _load_build(root, _pointer(root), verify)


def _load_build(root: Path, name: str | None, verify: bool) -> IndexStore:
    if not name:
        raise IndexUnavailable(f"no index in {root}: run `assistant index` first")
    folder = root / name
    if not folder.is_dir():
        raise IndexUnavailable(f"the index in {root} names build {name!r}, which is missing; {REBUILD}")
    try:
        raw = (folder / "manifest.json").read_bytes()
        manifest = json.loads(raw)
        if not isinstance(manifest, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        raise IndexUnavailable(f"index manifest in {folder} is unreadable ({exc}); {REBUILD}") from exc
    try:  # every read below, the checksums included, may meet a folder another build has just removed: retried
        _check_manifest(folder, raw, manifest, verify)
        docs = [DocRecord.from_json(d) for d in json.loads((folder / "docs.json").read_text())]
        with np.load(folder / "units.npz") as z:
            arrays = {k: z[k] for k in ARRAY_NAMES}
        kinds = manifest.get("vector_index") or {}  # builds without it (older programs) hold exact indexes
        sent_index, chunk_index = (
            VectorIndex.load(folder / f"{stem}.faiss", folder / npy, IndexSpec.from_json(kinds.get(stem)))
            for stem, npy in VECTOR_SETS
        )
        store = IndexStore(
            path=folder, manifest=manifest, docs=docs, arrays=arrays,
            sent_index=sent_index, chunk_index=chunk_index,
            sent_bm25=Bm25Index.load(folder / "bm25_sentences"),
            chunk_bm25=Bm25Index.load(folder / "bm25_chunks"),
            page_boxes=PageBoxes.load(folder, [d.page_numbers for d in docs]),
        )
        _check_consistent(store)  # reads the .npy headers: inside the try, so a folder removed meanwhile is retried
    except (OSError, ValueError, KeyError, TypeError, IndexError, RuntimeError) as exc:
        raise IndexUnavailable(f"index in {folder} cannot be read ({exc}); {REBUILD}") from exc
    return store


def _check_manifest(folder: Path, raw: bytes, manifest: dict, verify: bool) -> None:
    """Refuse a foreign (other format, loader or splitter version) or damaged build before loading it."""
    for key, value in versions().items():
        if manifest.get(key) != value:
            what = key.replace("_", " ")
            raise IndexUnavailable(
                f"the index was built with {what} {manifest.get(key)}, this program uses {value}; {REBUILD}"
            )
    if not verify:
        return
    digest_file = folder / MANIFEST_DIGEST
    if digest_file.is_file() and digest_file.read_text().strip() != hashlib.sha256(raw).hexdigest():
        raise IndexUnavailable(f"index file manifest.json is damaged; {REBUILD}")
    checksums = manifest.get("checksums")
    required = {"docs.json", "units.npz", "sentence_vectors.npy", "chunk_vectors.npy", "sentences.faiss",
                "chunks.faiss", BOXES_FILE, PAGES_FILE}
    if not isinstance(checksums, dict) or not required <= set(checksums):
        raise IndexUnavailable(f"index manifest in {folder} has no checksums for its files; {REBUILD}")
    for name, digest in checksums.items():
        p = folder / name
        if not p.is_file() or file_sha256(p) != digest:
            raise IndexUnavailable(f"index file {name} is missing or damaged; {REBUILD}")


def _npy_shape(path: Path) -> tuple[int, ...]:
    """The array shape from a .npy header, without reading (or mapping) the data."""
    with path.open("rb") as f:
        major, _ = np.lib.format.read_magic(f)
        read = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
        shape, _, _ = read(f)
    return tuple(shape)


def _check_consistent(store: IndexStore) -> None:
    """Shapes and offsets agree with each other: a build that passes cannot slice outside its own text."""
    a, dim = store.arrays, store.manifest.get("dimension")
    sizes = [[len(text) for text in d.pages] for d in store.docs]
    problems = []
    if store.sent_vectors.shape != (store.n_sentences, dim) or store.chunk_vectors.shape != (store.n_chunks, dim):
        problems.append("vector counts or dimension differ from the manifest")
    files = {stem: _npy_shape(store.path / npy) for stem, npy in VECTOR_SETS}
    if files["sentences"] != (store.n_sentences, dim) or files["chunks"] != (store.n_chunks, dim):
        problems.append("vector files differ from the unit counts or the manifest's dimension")
    if store.sent_index.ntotal != store.n_sentences or store.chunk_index.ntotal != store.n_chunks:
        problems.append("search index sizes differ from the unit counts")
    if store.sent_bm25.size != store.n_sentences or store.chunk_bm25.size != store.n_chunks:
        problems.append("keyword index sizes differ from the unit counts")
    for kind in ("sent", "chunk"):
        doc, page, start, end = (a[f"{kind}_{k}"] for k in ("doc", "page", "start", "end"))
        if len(doc) and (doc.min() < 0 or page.min() < 0):
            problems.append(f"{kind} document or page numbers out of range")
            continue
        try:
            lengths = np.array([sizes[d][p] for d, p in zip(doc.tolist(), page.tolist(), strict=True)], np.int64)
        except IndexError:
            problems.append(f"{kind} document or page numbers out of range")
            continue
        if len(doc) and ((start < 0) | (start > end) | (end > lengths)).any():
            problems.append(f"{kind} offsets fall outside their page text")
    boxes = store.page_boxes.problem([[len(text) for text in d.pages] for d in store.docs])
    if boxes:
        problems.append(boxes)
    if problems:
        raise IndexUnavailable(f"index in {store.path} is inconsistent ({problems[0]}); {REBUILD}")

