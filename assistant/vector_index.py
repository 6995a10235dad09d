"""Dense vector search that scales: exact while it is fast enough, approximate beyond a measured size.

One rule (``choose``) picks the index kind from the number of vectors, so sentences and chunks of the same build
may use different kinds. Vectors are unit length, so inner product is cosine similarity. The float32 vectors are
held in RAM once at most:

- ``flat``: an exact faiss.IndexFlatIP; ``vectors`` is a read-only view of the index's own storage.
- ``hnsw_sq8``: HNSW graph over 8-bit scalar-quantised codes (~4x smaller than float32); the float32 vectors
  are memory-mapped from ``*_vectors.npy`` (pages load on demand) and re-rank the graph's candidates exactly,
  so returned scores are exact cosines and SQ8 rounding costs no recall.
- ``ivf_pq``: inverted lists of 4-bit fast-scan PQ codes (~56 bytes a vector with ids), for sizes where even an HNSW
  graph would not fit (e.g. ~5M sentence vectors at 1M chunks); also re-ranked exactly.

Measurements (bench/bench_ann.py, bench/results/ann.json) set the thresholds below.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import faiss
import numpy as np

ANN_MIN_ENV = "ASSISTANT_ANN_MIN_VECTORS"  # overrides ANN_MIN_VECTORS (tests force the approximate kind with it)
IVF_MIN_ENV = "ASSISTANT_IVF_MIN_VECTORS"

# Exact search up to this many vectors. Measured (bench/results/ann.json, 2 loaded cores, k=60, 1 thread):
# flat p50 ~0.2 ms at 10k, ~4 ms at 100k, ~45 ms at 1M; hnsw_sq8 M=32 ~0.5-1 ms from 100k to 1M with recall@10
# >= 0.99. Below ~50k, flat costs under 2 ms, is exact and builds instantly; above it flat grows linearly.
ANN_MIN_VECTORS = 50_000
# HNSW up to this many vectors: at 2M an HNSW-SQ8 graph with M=32 is ~1.3 GB; beyond, IVF-PQ (~60 B a vector).
IVF_MIN_VECTORS = 2_000_000

KINDS = ("flat", "hnsw_sq8", "ivf_pq")


@dataclass(frozen=True)
class IndexSpec:
    """Which index and its parameters; recorded in the manifest so a load rebuilds the same search."""

    kind: str = "flat"
    m: int = 32  # HNSW: graph degree (level 0 holds 2*m neighbours)
    ef_construction: int = 80
    ef_search: int = 96  # HNSW: raised to the candidate count when that is larger
    nlist: int = 0  # IVF: number of inverted lists
    pq_bytes: int = 48  # IVF-PQ: code bytes a vector
    nprobe: int = 32
    rerank: int = 100  # approximate kinds fetch max(k, rerank) candidates and re-rank them exactly
    extra: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        d = asdict(self)
        d.pop("extra")
        if self.kind == "flat":
            return {"kind": "flat"}
        if self.kind == "hnsw_sq8":
            return {k: d[k] for k in ("kind", "m", "ef_construction", "ef_search", "rerank")}
        return {k: d[k] for k in ("kind", "nlist", "pq_bytes", "nprobe", "rerank")}

    @classmethod
    def from_json(cls, d: dict | None) -> IndexSpec:
        """Builds written before this module existed have no entry: they hold IndexFlatIP files."""
        if not d:
            return cls()
        if d.get("kind") not in KINDS:
            raise ValueError(f"unknown vector index kind {d.get('kind')!r}")
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__ and k != "extra"})


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def choose(n: int) -> IndexSpec:
    """The index kind for ``n`` vectors, by the measured thresholds (overridable by environment)."""
    if n < max(1, _env_int(ANN_MIN_ENV, ANN_MIN_VECTORS)):
        return IndexSpec("flat")
    if n < max(10_000, _env_int(IVF_MIN_ENV, IVF_MIN_VECTORS)):
        return IndexSpec("hnsw_sq8")
    nlist = 2 ** round(math.log2(2 * math.sqrt(n)))  # ~2*sqrt(n) lists: 4096 at 5M, ~1,200 vectors each
    return IndexSpec("ivf_pq", nlist=nlist)


@contextmanager
def _one_thread(n_queries: int) -> Iterator[None]:
    """One OpenMP thread for a single query. Measured on the loaded 2-core machine, exact search of one query
    over 10k vectors took 0.3 ms on one thread and 32-90 ms on two (threads waiting on each other while other
    processes hold the cores); HNSW searches one query on one thread anyway. Batches keep all threads."""
    if n_queries != 1:
        yield
        return
    previous = faiss.omp_get_max_threads()  # OpenMP keeps this per calling thread
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)


def _readonly_view(index: faiss.IndexFlat) -> np.ndarray:
    """The flat index's vectors as a numpy array without a copy; the array keeps the index alive."""
    n, d = index.ntotal, index.d
    if n == 0:
        return np.zeros((0, d), np.float32)
    ptr = faiss.rev_swig_ptr(index.get_xb(), n * d)

    class _Owner:
        def __init__(self) -> None:
            self.index = index
            self.__array_interface__ = {
                "shape": (n, d), "typestr": "<f4", "version": 3,
                "data": (ptr.__array_interface__["data"][0], True),
            }

    return np.asarray(_Owner())


def build_faiss(vectors: np.ndarray, spec: IndexSpec) -> faiss.Index:
    """A faiss index of ``spec.kind`` holding ``vectors`` (float32, unit length)."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    d = vectors.shape[1]
    if spec.kind == "flat":
        index = faiss.IndexFlatIP(d)
    elif spec.kind == "hnsw_sq8":
        index = faiss.IndexHNSWSQ(d, faiss.ScalarQuantizer.QT_8bit, spec.m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = spec.ef_construction
    elif spec.kind == "ivf_pq":
        # 4-bit fast-scan PQ (2*pq_bytes sub-quantisers): trains in seconds where 8-bit PQ took minutes here
        index = faiss.index_factory(d, f"IVF{spec.nlist},PQ{2 * spec.pq_bytes}x4fs", faiss.METRIC_INNER_PRODUCT)
    else:
        raise ValueError(f"unknown vector index kind {spec.kind!r}")
    if len(vectors) and not index.is_trained:
        sample, size = vectors, max(65_536, 40 * spec.nlist)  # k-means needs ~40 points a centroid, not all
        if len(vectors) > size:
            sample = vectors[np.sort(np.random.default_rng(0).choice(len(vectors), size, replace=False))]
        index.train(sample)
    if len(vectors):
        index.add(vectors)
    return index


@dataclass
class VectorIndex:
    """Search over one set of vectors; ``vectors`` gives cheap row access by id (exact float32 rows)."""

    spec: IndexSpec
    index: faiss.Index
    vectors: np.ndarray

    @classmethod
    def build(cls, vectors: np.ndarray, spec: IndexSpec | None = None) -> VectorIndex:
        spec = spec or choose(len(vectors))
        index = build_faiss(vectors, spec)
        return cls(spec, index, _readonly_view(index) if spec.kind == "flat" else vectors)

    @classmethod
    def load(cls, index_file: Path, vectors_file: Path, spec: IndexSpec) -> VectorIndex:
        """Flat: the faiss file is the only in-RAM copy. Approximate: codes in RAM, float32 rows memory-mapped."""
        index = faiss.read_index(str(index_file))
        if spec.kind == "flat":
            return cls(spec, index, _readonly_view(index))
        return cls(spec, index, np.load(vectors_file, mmap_mode="r"))

    def save(self, index_file: Path) -> None:
        faiss.write_index(self.index, str(index_file))

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    def memory_bytes(self) -> int:
        """Bytes the index holds in RAM (its serialised size); memory-mapped rows are page cache, not counted."""
        return int(faiss.serialize_index(self.index).nbytes)

    def search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` by cosine for each query row, best first, as faiss does: (scores, ids), ids -1 when short.

        Accepts one query (d,) or a batch (n, d). Approximate kinds return exact scores of re-ranked candidates.
        """
        qs = np.ascontiguousarray(np.atleast_2d(q), dtype=np.float32)
        k = max(1, int(k))
        if self.spec.kind == "flat" or self.ntotal == 0:
            with _one_thread(len(qs)):
                return self.index.search(qs, k)
        fetch = min(max(k, self.spec.rerank), self.ntotal)
        if self.spec.kind == "hnsw_sq8":
            params = faiss.SearchParametersHNSW(efSearch=max(self.spec.ef_search, fetch))
        else:
            params = faiss.SearchParametersIVF(nprobe=self.spec.nprobe)
        with _one_thread(len(qs)):
            _, cand = self.index.search(qs, fetch, params=params)
        scores = np.full((len(qs), k), -np.inf, np.float32)
        ids = np.full((len(qs), k), -1, np.int64)
        for r, row in enumerate(cand):
            row = row[row >= 0]
            exact = self.vectors[row] @ qs[r]
            order = np.argsort(-exact)[:k]
            scores[r, : len(order)], ids[r, : len(order)] = exact[order], row[order]
        return scores, ids
