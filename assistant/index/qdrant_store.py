"""``backend.BuildStorage`` on Qdrant: each build is three versioned collections, made current by one alias swap.

``--store qdrant+local:PATH`` is qdrant-client's embedded local mode (the same API in-process; tests use it);
``--store qdrant://HOST:PORT`` a server or cluster. A build ``v<time>`` writes

    assistant-docs-v<time>       no vectors; point 0: the manifest and both BM25 vocabularies; point d+1: document
                                 d's record (page texts, title, date...) and its pages' character boxes
    assistant-sentences-v<time>  point i = sentence i: dense vector, sparse BM25 vector (modifier IDF), payload
                                 doc, doc_name, title, date, page, start, end, boilerplate
    assistant-chunks-v<time>     point j = chunk j: the same, with first and last (its sentences)

then moves the aliases ``assistant-docs``, ``-sentences`` and ``-chunks`` to them in one
``update_collection_aliases`` call (atomic on the server; one meta.json replace in local mode). A build killed
at any moment leaves the aliases on the previous build, which keeps answering; the next build drops what the
killed one left. A reader resolves the alias once and reads the versioned collections, so it never mixes two
builds. Loading checks the format versions, the dense dimension against the manifest's model, and every count.
Builds on one machine are serialised by a file lock in the ``--index`` folder (local mode also locks its folder).
"""

from __future__ import annotations

import atexit
import base64
import io
import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np
from qdrant_client import QdrantClient, models

from assistant.errors import IndexUnavailable
from assistant.index.backend import DocRecord
from assistant.index.page_boxes import PageBoxes
from assistant.index.qdrant_search import DENSE, SPARSE, QdrantDense, QdrantLexical, SparseUnits, server_call
from assistant.index.store import ARRAY_NAMES, REBUILD, IndexStore, build_lock, versions
from assistant.index.vector_index import choose

PREFIX = "assistant"
KINDS = ("docs", "sentences", "chunks")
_BATCH = max(1, int(os.environ.get("ASSISTANT_QDRANT_BATCH", "256")))  # points per upsert request
_CLIENTS: dict[str, QdrantClient] = {}  # one per store and process: local mode locks its folder per client
_UNIT_FIELDS = {"sentences": ("page", "start", "end", "boilerplate"), "chunks": ("page", "first", "last", "start",
                                                                                   "end")}


def _close_all() -> None:
    """Close the clients before the interpreter tears modules down (local mode's close needs its imports)."""
    for client in _CLIENTS.values():
        client.close()
    _CLIENTS.clear()


atexit.register(_close_all)


def disconnect(spec: str) -> None:
    """Close this process's client of ``spec``: local mode then lets another process open the folder. Indexes
    loaded through it can no longer search."""
    client = _CLIENTS.pop(spec, None)
    if client is not None:
        client.close()


def connect(spec: str) -> QdrantClient:
    """The client for ``qdrant+local:PATH`` or ``qdrant://HOST:PORT`` (made once per process)."""
    if spec not in _CLIENTS:
        if spec.startswith("qdrant+local:"):
            path = spec.removeprefix("qdrant+local:")
            try:
                _CLIENTS[spec] = QdrantClient(path=path)
            except (RuntimeError, OSError, ValueError) as exc:
                raise IndexUnavailable(f"the Qdrant store {path} cannot be opened ({exc})") from exc
        elif spec.startswith("qdrant://"):
            host, _, port = spec.removeprefix("qdrant://").rstrip("/").partition(":")
            _CLIENTS[spec] = QdrantClient(host=host, port=int(port or 6333), timeout=30, prefer_grpc=False)
        else:
            raise IndexUnavailable(f"unknown store {spec!r}: use qdrant+local:PATH or qdrant://HOST:PORT")
    return _CLIENTS[spec]


def _name(kind: str, build: str = "") -> str:
    return f"{PREFIX}-{kind}-{build}" if build else f"{PREFIX}-{kind}"


def _boxes_blob(pages: list[np.ndarray | None]) -> str:
    buf = io.BytesIO()
    np.savez_compressed(buf, **{f"p{i}": p for i, p in enumerate(pages) if p is not None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _boxes_pages(blob: str, n_pages: int) -> list[np.ndarray | None]:
    with np.load(io.BytesIO(base64.b64decode(blob))) as z:
        return [np.asarray(z[f"p{i}"], dtype=np.uint16) if f"p{i}" in z.files else None for i in range(n_pages)]


class QdrantStorage:
    """``backend.BuildStorage`` on a Qdrant store (module docstring)."""

    def __init__(self, spec: str, lock_dir: Path) -> None:
        self.spec, self.lock_dir = spec, Path(lock_dir)
        self.client = connect(spec)

    def _call(self, fn):  # noqa: ANN001, ANN202
        return server_call(fn, self.spec)

    def lock(self) -> AbstractContextManager[None]:
        return build_lock(self.lock_dir)

    def where(self, build: str) -> str:
        return f"{self.spec} ({_name('*', build)})"

    def current(self) -> str:
        aliases = self._call(lambda: self.client.get_aliases().aliases)
        target = next((a.collection_name for a in aliases if a.alias_name == _name("docs")), "")
        return target.removeprefix(_name("docs") + "-")

    def _meta(self, build: str) -> dict:
        points = self._call(lambda: self.client.retrieve(_name("docs", build), [0], with_payload=True))
        if not points or "manifest" not in (points[0].payload or {}):
            raise IndexUnavailable(f"collection {_name('docs', build)} in {self.spec} is not an assistant index; "
                                   f"{REBUILD}")
        return points[0].payload

    def read_manifest(self) -> dict | None:
        build = self.current()
        if not build:
            return None
        try:
            return self._meta(build)["manifest"]
        except IndexUnavailable:
            return None

    def lexical(self, token_lists: list[list[str]]) -> SparseUnits:
        return SparseUnits.build(token_lists)

    def write(self, manifest: dict, docs: list[DocRecord], arrays: dict[str, np.ndarray], sent_vectors: np.ndarray,
              chunk_vectors: np.ndarray, sent_lexical: SparseUnits, chunk_lexical: SparseUnits,
              page_boxes: PageBoxes | None = None) -> str:
        build = f"v{time.strftime('%Y%m%d%H%M%S')}{os.getpid()}{time.monotonic_ns() % 10**6}"
        dim = int(manifest["dimension"])
        boxes = page_boxes or PageBoxes.empty([d.page_numbers for d in docs])
        manifest = {**manifest, "store": "qdrant", "build": build}
        meta = {"manifest": manifest, "sentences_vocab": sent_lexical.vocab, "sentences_df": sent_lexical.df,
                "chunks_vocab": chunk_lexical.vocab, "chunks_df": chunk_lexical.df}
        self._call(lambda: self.client.create_collection(_name("docs", build), vectors_config={}))
        doc_points = [models.PointStruct(id=0, vector={}, payload=meta)] + [
            models.PointStruct(id=i + 1, vector={}, payload={
                "record": d.to_json(),
                "boxes": _boxes_blob([boxes.page(i, p) for p in range(len(d.pages))])})
            for i, d in enumerate(docs)]
        self._upsert(_name("docs", build), doc_points)
        for kind, vectors, lexical in (("sentences", sent_vectors, sent_lexical),
                                       ("chunks", chunk_vectors, chunk_lexical)):
            self._write_units(kind, build, dim, docs, arrays, vectors, lexical)
        self._swap(build)
        self.clean(keep=build)
        return build

    def _write_units(self, kind: str, build: str, dim: int, docs: list[DocRecord], arrays: dict[str, np.ndarray],
                     vectors: np.ndarray, lexical: SparseUnits) -> None:
        name = _name(kind, build)
        self._call(lambda: self.client.create_collection(
            name, vectors_config={DENSE: models.VectorParams(size=dim, distance=models.Distance.DOT)},
            sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)}))
        if not self.spec.startswith("qdrant+local:"):  # a server filters questions by document on this index
            self._call(lambda: self.client.create_payload_index(name, "doc", models.PayloadSchemaType.INTEGER))
        short = "sent" if kind == "sentences" else "chunk"
        cols = {f: arrays[f"{short}_{f}"].tolist() for f in _UNIT_FIELDS[kind]}
        unit_doc = arrays[f"{short}_doc"].tolist()
        for lo in range(0, len(unit_doc), _BATCH):
            points = []
            for i in range(lo, min(lo + _BATCH, len(unit_doc))):
                d = docs[unit_doc[i]]
                payload = {"doc": unit_doc[i], "doc_name": d.doc, "title": d.title, "date": d.date,
                           **{f: cols[f][i] for f in cols}}
                idx, weights = lexical.rows[i]
                points.append(models.PointStruct(id=i, payload=payload, vector={
                    DENSE: vectors[i].tolist(), SPARSE: models.SparseVector(indices=idx, values=weights)}))
            self._upsert(name, points)

    def _upsert(self, name: str, points: list[models.PointStruct]) -> None:
        for lo in range(0, len(points), _BATCH):
            self._call(lambda lo=lo: self.client.upsert(name, points[lo : lo + _BATCH], wait=True))

    def _swap(self, build: str) -> None:
        """Every alias to the new build in one call: a reader sees the old build or the new one, never a mix."""
        old = {a.alias_name for a in self._call(lambda: self.client.get_aliases().aliases)}
        ops: list = [models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=_name(k)))
                     for k in KINDS if _name(k) in old]
        ops += [models.CreateAliasOperation(create_alias=models.CreateAlias(
            collection_name=_name(k, build), alias_name=_name(k))) for k in KINDS]
        self._call(lambda: self.client.update_collection_aliases(change_aliases_operations=ops))

    def clean(self, keep: str) -> None:
        """Drop this store's collections of builds other than ``keep`` (older ones, or a killed build's)."""
        names = [c.name for c in self._call(lambda: self.client.get_collections().collections)]
        for name in names:
            if name.startswith(f"{PREFIX}-") and not name.endswith(f"-{keep}"):
                self._call(lambda name=name: self.client.delete_collection(name))

    def load(self) -> IndexStore:
        build = self.current()
        if not build:
            raise IndexUnavailable(f"no index in {self.spec}: run `assistant index --store {self.spec}` first")
        meta = self._meta(build)
        manifest = meta["manifest"]
        for key, value in versions().items():
            if manifest.get(key) != value:
                raise IndexUnavailable(f"the index in {self.spec} was built with {key.replace('_', ' ')} "
                                       f"{manifest.get(key)}, this program uses {value}; {REBUILD}")
        docs, pages = self._docs(build, manifest)
        arrays, sent_vectors = self._units("sentences", build, manifest)
        chunk_arrays, chunk_vectors = self._units("chunks", build, manifest)
        arrays.update(chunk_arrays)
        n_sent, n_chunk = len(sent_vectors), len(chunk_vectors)
        local = self.spec.startswith("qdrant+local:")  # brute force there; a server searches its HNSW graph unless
        # the local backend would search this many vectors exactly too (vector_index.choose)
        store = IndexStore(
            path=Path(build), manifest=manifest, docs=docs, arrays=arrays,
            sent_index=QdrantDense(self.client, _name("sentences", build), sent_vectors,
                                    None if local else choose(n_sent).kind == "flat"),
            chunk_index=QdrantDense(self.client, _name("chunks", build), chunk_vectors,
                                     None if local else choose(n_chunk).kind == "flat"),
            sent_bm25=QdrantLexical(self.client, _name("sentences", build), meta["sentences_vocab"],
                                    meta["sentences_df"], n_sent),
            chunk_bm25=QdrantLexical(self.client, _name("chunks", build), meta["chunks_vocab"], meta["chunks_df"],
                                     n_chunk),
            page_boxes=PageBoxes.from_pages(pages, [d.page_numbers for d in docs]))
        self._check(store)
        return store

    def _scroll(self, name: str, with_vectors: list[str] | bool) -> Iterator[models.Record]:
        offset = None
        while True:
            records, offset = self._call(lambda offset=offset: self.client.scroll(
                name, limit=1024, offset=offset, with_payload=True, with_vectors=with_vectors))
            yield from records
            if offset is None:
                return

    def _docs(self, build: str, manifest: dict) -> tuple[list[DocRecord], list[list[np.ndarray | None]]]:
        records = sorted((r for r in self._scroll(_name("docs", build), False) if int(r.id) > 0),
                         key=lambda r: int(r.id))
        docs = [DocRecord.from_json(r.payload["record"]) for r in records]
        return docs, [_boxes_pages(r.payload["boxes"], len(d.pages)) for r, d in zip(records, docs, strict=True)]

    def _units(self, kind: str, build: str, manifest: dict) -> tuple[dict[str, np.ndarray], np.ndarray]:
        records = sorted(self._scroll(_name(kind, build), [DENSE]), key=lambda r: int(r.id))
        dim = int(manifest.get("dimension", 0))
        if [int(r.id) for r in records] != list(range(len(records))):
            raise IndexUnavailable(f"collection {_name(kind, build)} has gaps in its unit ids; {REBUILD}")
        vectors = np.array([r.vector[DENSE] for r in records], dtype=np.float32).reshape(len(records), -1)
        if len(records) and vectors.shape[1] != dim:
            raise IndexUnavailable(f"collection {_name(kind, build)} holds {vectors.shape[1]}-dimensional vectors, "
                                   f"but its manifest's model {manifest.get('model')!r} gives {dim}; {REBUILD}")
        short = "sent" if kind == "sentences" else "chunk"
        arrays = {f"{short}_{f}": np.array([r.payload[f] for r in records], dtype=np.int32).reshape(-1)
                  for f in ("doc", *_UNIT_FIELDS[kind])}
        return arrays, vectors.reshape(len(records), dim) if dim else vectors

    def _check(self, store: IndexStore) -> None:
        """The counts of the manifest, the collections and the documents agree (a damaged or partial build)."""
        counts = store.manifest.get("counts") or {}
        found = {"documents": len(store.docs), "sentences": store.n_sentences, "chunks": store.n_chunks}
        missing = set(ARRAY_NAMES) - set(store.arrays)
        if missing or any(counts.get(k) != v for k, v in found.items()):
            raise IndexUnavailable(f"the index in {self.spec} is inconsistent (counts {found} differ from the "
                                   f"manifest's {counts}); {REBUILD}")
