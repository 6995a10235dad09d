"""Dense vector search that scales: exact while it is fast enough, approximate beyond a measured size.

One rule (``choose``) picks the index kind from the number of vectors, so sentences and chunks of the same build
may use different kinds. Vectors are unit length, so inner product is cosine similarity. The float32 vectors are
held in RAM once at most:

- ``flat``: an exact faiss.IndexFlatIP; ``vectors`` is a read-only view of the index's own storage.
- ``hnsw_sq8``: HNSW graph over 8-bit scalar-quantised codes (~4x smaller than float32); the float32 vectors
  are memory-mapped from ``*_vectors.npy`` (pages load on demand) and re-rank the graph's candidates exactly,
  so returned scores are exact cosines and SQ8 rounding costs no recall.
- ``ivf_pq``: inverted lists of 4-bit fast-scan PQ codes (~68 bytes a vector with ids), for sizes where even an HNSW
  graph would not fit (e.g. ~5M sentence vectors at 1M chunks); also re-ranked exactly.

Measurements (bench/bench_ann.py, bench/results/ann.json) set the thresholds below.
"""

from __future__ import annotations

import math
import mmap
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

ANN_MIN_ENV = "ASSISTANT_ANN_MIN_VECTORS"  # overrides ANN_MIN_VECTORS (tests force the approximate kind with it)
IVF_MIN_ENV = "ASSISTANT_IVF_MIN_VECTORS"

# Thresholds and defaults from bench/results/ann.json (real MiniLM vectors up to 78k, synthetic mixtures beyond;
# 2 cores shared with other jobs, load average ~11, so absolute times are pessimistic). Single queries, k=60:
#   flat:             1k 0.05 ms, 10k 0.3-0.5 ms, 100k 14-66 ms, 1M 320-480 ms (two runs, one thread); 1,536 B a
#                     vector. With two threads one query took 32 ms at 10k: hence _one_thread below
#   hnsw_sq8 M=16:    10k 0.2-0.3 ms, 100k 0.4 ms, 1M 0.8 ms at efSearch 200 + re-rank of 100, recall@10 0.998 /
#                     0.983 / 0.966; 528 B a vector; build ~0.4 ms a vector at 10k, 0.6 at 100k, 1.2 at 1M (loaded)
#   ivf_pq 48 B:      nprobe 64 + re-rank of 200: 100k (512 lists) 0.3 ms, recall@10 0.987, 68 B a vector;
#                     1M (2048 lists) 0.7 ms, recall@10 0.980, 61 B a vector; build 300 s at 1M (loaded)
# Exact search costs ~0.14-0.6 us a vector (loaded): up to 20k vectors it takes ~1-10 ms, is exact and builds
# instantly (the bundled corpus, 7k sentences and 800 chunks, stays exact). Beyond, HNSW answers in under a
# millisecond up to 1M at the price of ~0.5-1 ms of build time a vector.
ANN_MIN_VECTORS = 20_000
# HNSW-SQ8 up to this many vectors: 2M take ~1 GB. Beyond (e.g. the ~5M sentence vectors of 1M chunks) IVF-PQ,
# ~68 B a vector: 5M sentences ~340 MB beside 1M chunks in HNSW-SQ8 ~530 MB, well inside the 2 GiB target.
IVF_MIN_VECTORS = 2_000_000

KINDS = ("flat", "hnsw_sq8", "ivf_pq")


@dataclass(frozen=True)
class IndexSpec:
    """Which index and its parameters; recorded in the manifest so a load searches with the same settings."""

    kind: str = "flat"
    m: int = 16  # HNSW: graph degree (level 0 holds 2*m neighbours); M=32 costs 128 B a vector more
    ef_construction: int = 80
    ef_search: int = 200  # HNSW: raised to the candidate count when that is larger (recall@10 0.966 at 1M)
    nlist: int = 0  # IVF: number of inverted lists
    pq_bytes: int = 48  # IVF-PQ: code bytes a vector
    nprobe: int = 32
    rerank: int = 100  # approximate kinds fetch max(k, rerank) candidates and re-rank them exactly

    def to_json(self) -> dict[str, object]:
        d = asdict(self)
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
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


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
    # probe 1/32 of the lists (64 of 2048 measured at 1M: recall@10 0.980; 1/64 of them gave 0.968)
    return IndexSpec("ivf_pq", nlist=nlist, nprobe=max(64, nlist // 32), rerank=200)


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


def random_access(array: np.ndarray) -> np.ndarray:
    """Tell the kernel a memory-mapped array is read at random rows (madvise MADV_RANDOM), so a row read from disk
    does not read ahead its neighbours: 250 random rows of the 1M store's sentence vectors, cold cache, mapped
    22 MB without it and 7 MB with it. Other arrays are returned unchanged."""
    mapping = getattr(array, "_mmap", None)
    advice = getattr(mmap, "MADV_RANDOM", None)
    if mapping is not None and advice is not None:
        with suppress(OSError, ValueError):
            mapping.madvise(advice)
    return array


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
        return cls(spec, index, random_access(np.load(vectors_file, mmap_mode="r")))

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
