"""Building the index: load documents, split, embed what is new, and write a complete new build atomically.

Incremental by content hash: a document whose bytes and index settings are unchanged keeps its sentences,
chunks and vectors from the previous build; only added or changed documents are embedded; removed documents
leave. A change of model or chunking settings (or format version) triggers a clean rebuild. Bad files are
reported once each, by name and reason, and skipped; every other file is still indexed. One build at a time
runs per index folder (``LocalFolder.lock``, the storage seam of backend.py), whichever thread or process starts it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.config import IndexSettings
from assistant.digest import file_sha256
from assistant.embedding.embedder import Embedder, index_cache_dir
from assistant.index.backend import BuildStorage, DocRecord
from assistant.index.boilerplate import boilerplate_flags
from assistant.index.lexical import tokenize
from assistant.index.page_boxes import PageBoxes
from assistant.index.storage import LocalFolder
from assistant.index.store import (
    ARRAY_NAMES,
    IndexStore,
    IndexUnavailable,
    versions,
)
from assistant.ingest.documents import Document, DocumentError, check_size, display_name, scan
from assistant.ingest.parallel import failure_reason, load_documents
from assistant.ingest.splitting import chunk_sentences, split_sentences

if TYPE_CHECKING:
    from assistant.index.ray_build import RayCluster

ProgressFn = Callable[[int, int], None]
BatchEncoder = Callable[[list[list[str]]], Iterator[tuple[int, np.ndarray]]]  # batches -> (batch number, vectors)


class EmptyBuildRefused(ValueError):
    """A build would remove every document of a non-empty index (an empty, wrong or unmounted documents folder).

    Refused unless asked for explicitly: an index takes minutes to rebuild, and a folder that is merely not
    mounted says nothing about whether the user wants the documents gone."""


@dataclass(frozen=True)
class Problem:
    doc: str
    reason: str


@dataclass(frozen=True)
class BuildReport:
    """What one `assistant index` run did; the CLI prints it and the app shows it."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: tuple[str, ...]
    problems: tuple[Problem, ...]
    n_documents: int
    n_pages: int
    n_sentences: int
    n_chunks: int
    embedded: int
    seconds: float
    rebuild_reason: str | None
    written: bool
    index_path: str | None
    notes: tuple[Problem, ...] = ()  # documents indexed without all of their text (e.g. scanned pages not read)


@dataclass
class _Units:
    """One document's sentences and chunks (page-local offsets, document-local sentence numbers) and vectors."""

    record: DocRecord
    sents: list[tuple[int, int, int]] = field(default_factory=list)  # (page_idx, start, end)
    chunks: list[tuple[int, int, int, int, int]] = field(default_factory=list)  # (page_idx, first, last, s, e)
    sent_vectors: np.ndarray | None = None
    chunk_vectors: np.ndarray | None = None
    boxes: list[np.ndarray | None] = field(default_factory=list)  # per page: character boxes, None if not a PDF


def collapse_whitespace(text: str) -> str:
    return " ".join(text.split())


def _record(document: Document) -> DocRecord:
    return DocRecord(
        doc=document.doc, title=document.title, context=document.context,
        content_hash=document.content_hash,
        page_numbers=tuple(p.number for p in document.pages), pages=tuple(p.text for p in document.pages),
        indexed_at=time.strftime("%Y-%m-%dT%H:%M:%S"), date=document.date, date_source=document.date_source,
        ocr_pages=document.ocr_pages, notes=document.notes,
    )


def _prepare(document: Document, settings: IndexSettings, embedder: Embedder) -> _Units:
    """A loaded document's units (no vectors yet) and its pages' character boxes: what the plain build does per
    document, and what each Ray worker does (ray_build.py)."""
    units = _split(_record(document), settings, embedder)
    units.boxes = [page.boxes for page in document.pages]
    return units


def _split(record: DocRecord, settings: IndexSettings, embedder: Embedder) -> _Units:
    units = _Units(record)
    context_tokens = embedder.count_tokens([record.context])[0] + 2
    budget = max(32, min(settings.chunk_tokens, embedder.max_tokens - 2) - context_tokens)
    for page_idx, text in enumerate(record.pages):
        spans = split_sentences(text, settings.max_sentence_chars)
        if not spans:
            continue
        tokens = embedder.count_tokens([collapse_whitespace(text[s.start : s.end]) for s in spans])
        base = len(units.sents)
        units.sents.extend((page_idx, s.start, s.end) for s in spans)
        for c in chunk_sentences(spans, tokens, budget, settings.chunk_overlap):
            units.chunks.append((page_idx, base + c.first, base + c.last, c.start, c.end))
    return units


def chunk_embedding_text(record: DocRecord, page_text: str, start: int, end: int) -> str:
    """What a chunk is embedded (and BM25-indexed) as: its document's context line, then its text."""
    return f"{record.context}\n{collapse_whitespace(page_text[start:end])}"


def _reuse(store: IndexStore, doc_id: int) -> _Units:
    a = store.arrays
    units = _Units(store.docs[doc_id])
    s_idx = np.flatnonzero(a["sent_doc"] == doc_id)
    c_idx = np.flatnonzero(a["chunk_doc"] == doc_id)
    first = int(s_idx[0]) if len(s_idx) else 0
    units.sents = [(int(a["sent_page"][i]), int(a["sent_start"][i]), int(a["sent_end"][i])) for i in s_idx]
    units.chunks = [
        (int(a["chunk_page"][j]), int(a["chunk_first"][j]) - first, int(a["chunk_last"][j]) - first,
         int(a["chunk_start"][j]), int(a["chunk_end"][j]))
        for j in c_idx
    ]
    units.boxes = [store.page_boxes.page(doc_id, p) for p in range(len(units.record.pages))]
    units.sent_vectors = store.sent_vectors[s_idx]
    units.chunk_vectors = store.chunk_vectors[c_idx]
    return units


def _embed_new(units: list[_Units], embedder: Embedder, on_progress: ProgressFn | None,
               encode: BatchEncoder | None = None) -> int:
    """Embed sentences and chunks of documents that have no vectors yet, longest first in batches; returns how
    many texts got vectors (progress counts the distinct texts actually embedded). ``encode`` embeds the same
    batches elsewhere (a Ray cluster): int8 vectors depend a little on a text's batch, so the batches are made
    here, once, whoever embeds them."""
    todo = [u for u in units if u.sent_vectors is None]
    texts: list[str] = []
    for u in todo:
        texts += [collapse_whitespace(u.record.pages[p][s:e]) for p, s, e in u.sents]
        texts += [chunk_embedding_text(u.record, u.record.pages[p], s, e) for p, _, _, s, e in u.chunks]
    if not texts:
        return 0
    # a text met again (a repeated heading, a sentence a news article quotes) is embedded once
    distinct: dict[str, int] = {}
    slot = np.array([distinct.setdefault(t, len(distinct)) for t in texts], dtype=np.int64)
    unique = list(distinct)
    order = sorted(range(len(unique)), key=lambda i: -len(unique[i]))
    unique_vectors = np.zeros((len(unique), embedder.dimension), dtype=np.float32)
    batch = 64
    batches = [order[b : b + batch] for b in range(0, len(order), batch)]
    encoded = (encode([[unique[i] for i in ids] for ids in batches]) if encode is not None else
               ((n, embedder.encode([unique[i] for i in ids], batch_size=batch)) for n, ids in enumerate(batches)))
    done = 0
    for n, vectors in encoded:
        unique_vectors[batches[n]] = vectors
        done += len(batches[n])
        if on_progress:
            on_progress(done, len(order))
    vectors = unique_vectors[slot]
    pos = 0
    for u in todo:
        u.sent_vectors = vectors[pos : pos + len(u.sents)]
        pos += len(u.sents)
        u.chunk_vectors = vectors[pos : pos + len(u.chunks)]
        pos += len(u.chunks)
    return len(texts)


def _assemble(units: list[_Units], settings: IndexSettings, dim: int) -> tuple[dict, np.ndarray, np.ndarray]:
    cols: dict[str, list[int]] = {k: [] for k in ARRAY_NAMES}
    offset = 0
    for doc_id, u in enumerate(units):
        for p, s, e in u.sents:
            cols["sent_doc"].append(doc_id)
            cols["sent_page"].append(p)
            cols["sent_start"].append(s)
            cols["sent_end"].append(e)
        for p, f, la, s, e in u.chunks:
            cols["chunk_doc"].append(doc_id)
            cols["chunk_page"].append(p)
            cols["chunk_first"].append(offset + f)
            cols["chunk_last"].append(offset + la)
            cols["chunk_start"].append(s)
            cols["chunk_end"].append(e)
        offset += len(u.sents)
    arrays = {k: np.asarray(v, dtype=np.int32) for k, v in cols.items()}
    arrays["sent_boilerplate"] = boilerplate_flags(
        (u.record.pages[p][s:e] for u in units for p, s, e in u.sents), arrays["sent_doc"], len(units))

    def stack(vs: list[np.ndarray | None]) -> np.ndarray:
        parts = [v for v in vs if v is not None and len(v)]
        return np.vstack(parts).astype(np.float32) if parts else np.zeros((0, dim), dtype=np.float32)

    return arrays, stack([u.sent_vectors for u in units]), stack([u.chunk_vectors for u in units])


def _rebuild_reason(manifest: dict | None, settings: IndexSettings) -> str | None:
    if manifest is None:
        return None
    for key, value in versions().items():
        if manifest.get(key) != value:
            return f"{key.replace('_', ' ')} changed ({manifest.get(key)} -> {value})"
    old = manifest.get("settings", {})
    for key, value in settings.as_dict().items():
        if old.get(key) != value:
            return f"setting {key} changed ({old.get(key)!r} -> {value!r})"
    return None


def build_index(
    docs_dir: Path,
    index_dir: Path,
    settings: IndexSettings | None = None,
    on_progress: ProgressFn | None = None,
    on_problem: Callable[[Problem], None] | None = None,
    allow_empty: bool = False,
    storage: BuildStorage | None = None,
    ray: str | None = None,
) -> BuildReport:
    """Bring the index at ``index_dir`` up to date with ``docs_dir``; see the module docstring.

    Raises EmptyBuildRefused rather than remove every document of a non-empty index, unless ``allow_empty``.
    ``storage`` is where builds are kept (``storage.open_storage``; default: the local folder ``index_dir``).
    ``ray`` (a Ray address or ``local[:N]``): new and changed documents are loaded, split and embedded on that
    Ray cluster (ray_build.py); the rest of the build is the same.
    """
    if not docs_dir.is_dir():
        raise FileNotFoundError(f"documents folder not found: {docs_dir}")
    settings = settings or IndexSettings()
    storage = storage or LocalFolder(index_dir)
    with storage.lock(), _on_ray(ray, settings, index_dir) as cluster:
        return _build(docs_dir, index_dir, storage, settings, on_progress, on_problem, allow_empty, cluster)


def _on_ray(address: str | None, settings: IndexSettings, index_dir: Path) -> AbstractContextManager[RayCluster | None]:
    """The Ray cluster a build loads, splits and embeds on (started or joined for the build), or None."""
    if address is None:
        return nullcontext(None)
    from assistant.index.ray_build import RayCluster

    return RayCluster(address, settings, index_cache_dir(index_dir))


def _refuse_empty(manifest: dict | None, units: list[_Units], docs_dir: Path, allow_empty: bool) -> None:
    """EmptyBuildRefused when this build would leave no document of an index that has some."""
    before = len((manifest or {}).get("documents") or {})
    if units or not before or allow_empty:
        return
    raise EmptyBuildRefused(f"refusing to remove all {before} documents from the index: no file in {docs_dir} "
                            "could be indexed (an empty, wrong or unmounted documents folder?)")


def _build(docs_dir: Path, index_dir: Path, storage: BuildStorage, settings: IndexSettings,
           on_progress: ProgressFn | None, on_problem: Callable[[Problem], None] | None,
           allow_empty: bool = False, cluster: RayCluster | None = None) -> BuildReport:
    t0 = time.perf_counter()
    manifest, old, rebuild_reason = _previous(storage, settings)
    old_ids = {d.doc: i for i, d in enumerate(old.docs)} if old else {}
    embedder = Embedder(settings.model, settings.backend, index_cache_dir(index_dir))

    units: list[_Units] = []
    added: list[str] = []
    changed: list[str] = []
    unchanged: list[str] = []
    problems: list[Problem] = []

    def report(rel: str, exc: BaseException) -> None:
        problem = Problem(rel, failure_reason(exc))
        problems.append(problem)
        if on_problem:
            on_problem(problem)

    found = scan(docs_dir)
    for error in found.problems:
        report(display_name(error.path.relative_to(docs_dir).as_posix()), error)
    kept, to_load = _unchanged_or_to_load(found.files, docs_dir, settings, old, old_ids, report)
    loaded: dict[str, Document | DocumentError | _Units]
    if cluster is not None:  # loaded and split on the Ray cluster's workers
        loaded = dict(cluster.load_split(to_load, docs_dir, settings, embedder))
    else:
        loaded = {path.relative_to(docs_dir).as_posix(): doc for path, doc in load_documents(to_load, docs_dir)}
    for path in found.files:  # the folder's order, as before: unit ids follow it
        rel = path.relative_to(docs_dir).as_posix()
        if rel in kept:
            units.append(kept[rel])
            unchanged.append(rel)
        elif isinstance(loaded.get(rel), DocumentError):
            report(rel, loaded[rel])
        elif rel in loaded:
            done = loaded[rel]
            units.append(done if isinstance(done, _Units) else _prepare(done, settings, embedder))
            (changed if rel in old_ids else added).append(rel)
    removed = sorted(set(old_ids) - {u.record.doc for u in units})
    _refuse_empty(manifest, units, docs_dir, allow_empty)

    nothing_to_do = old is not None and not added and not changed and not removed
    embedded = 0
    folder = storage.where(old.path.name) if old is not None else None
    if nothing_to_do:
        storage.clean(keep=old.path.name)  # what an interrupted build left behind
    else:
        embedded, folder = _write_new_build(storage, units, settings, embedder, problems, on_progress,
                                            cluster.encode if cluster is not None else None)
    return BuildReport(
        added=tuple(added), changed=tuple(changed), removed=tuple(removed), unchanged=tuple(unchanged),
        problems=tuple(sorted(problems, key=lambda p: p.doc)), n_documents=len(units),
        n_pages=sum(len(u.record.pages) for u in units),
        n_sentences=sum(len(u.sents) for u in units), n_chunks=sum(len(u.chunks) for u in units),
        embedded=embedded, seconds=time.perf_counter() - t0, rebuild_reason=rebuild_reason,
        written=not nothing_to_do, index_path=folder,
        notes=tuple(Problem(u.record.doc, note) for u in units for note in u.record.notes),
    )


def _previous(storage: BuildStorage, settings: IndexSettings,
              ) -> tuple[dict | None, IndexStore | None, str | None]:
    """The current build's manifest, the build itself when it can be reused, and why not when it cannot."""
    manifest = storage.read_manifest()
    rebuild_reason = _rebuild_reason(manifest, settings)
    old: IndexStore | None = None
    if manifest is not None and rebuild_reason is None:
        try:
            old = storage.load()
        except IndexUnavailable as exc:
            rebuild_reason = str(exc)
    return manifest, old, rebuild_reason


def _unchanged_or_to_load(files: tuple[Path, ...], docs_dir: Path, settings: IndexSettings, old: IndexStore | None,
                          old_ids: dict[str, int], report: Callable[[str, BaseException], None],
                          ) -> tuple[dict[str, _Units], list[Path]]:
    """Documents whose bytes are unchanged (their units reused, by path) and the files to load; a file too large
    or unreadable is reported."""
    kept: dict[str, _Units] = {}
    to_load: list[Path] = []
    for path in files:
        rel = path.relative_to(docs_dir).as_posix()
        try:
            check_size(path, settings.max_file_bytes)
            digest = file_sha256(path)
        except (DocumentError, OSError) as exc:
            report(rel, exc)
            continue
        if old is not None and rel in old_ids and old.docs[old_ids[rel]].content_hash == digest:
            kept[rel] = _reuse(old, old_ids[rel])
        else:
            to_load.append(path)
    return kept, to_load


def _write_new_build(storage: BuildStorage, units: list[_Units], settings: IndexSettings, embedder: Embedder,
                     problems: list[Problem], on_progress: ProgressFn | None,
                     encode: BatchEncoder | None = None) -> tuple[int, str]:
    """Embed what is new, assemble every unit and write the build; (texts embedded, where the new build is)."""
    embedded = _embed_new(units, embedder, on_progress, encode)
    arrays, sent_vectors, chunk_vectors = _assemble(units, settings, embedder.dimension)
    sent_tokens = [tokenize(u.record.pages[p][s:e]) for u in units for p, s, e in u.sents]
    chunk_tokens = [
        tokenize(chunk_embedding_text(u.record, u.record.pages[p], s, e))
        for u in units
        for p, _, _, s, e in u.chunks
    ]
    new_manifest = {
        "model": settings.model, "dimension": embedder.dimension, "settings": settings.as_dict(),
        **versions(),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "documents": {u.record.doc: {"content_hash": u.record.content_hash, "title": u.record.title,
                                     "pages": len(u.record.pages), "chunks": len(u.chunks),
                                     "indexed_at": u.record.indexed_at, "date": u.record.date} for u in units},
        "counts": {"documents": len(units), "sentences": len(sent_tokens), "chunks": len(chunk_tokens)},
        "problems": [{"doc": p.doc, "reason": p.reason} for p in problems],
    }
    boxes = PageBoxes.from_pages([u.boxes for u in units], [u.record.page_numbers for u in units])
    name = storage.write(new_manifest, [u.record for u in units], arrays, sent_vectors, chunk_vectors,
                         storage.lexical(sent_tokens), storage.lexical(chunk_tokens), boxes)
    return embedded, storage.where(name)
