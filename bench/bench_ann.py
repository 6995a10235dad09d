"""Vector search at 1k, 10k, 100k and 1M vectors: exact against approximate (assistant/index/vector_index.py).

    .venv/bin/python bench/bench_ann.py [--sizes 1000,10000,100000,1000000] [--queries 200]

Vectors are real all-MiniLM-L6-v2 embeddings of SciFact and SQuAD sentences and chunks, taken from the product's
SciFact and SQuAD bench indexes (~78k; built by public_data.py when missing, ~30 min the first time). 1k and
10k are random samples of them. 100k and 1M hold all real vectors plus SYNTHETIC ones (normalised mixtures of two
random real vectors plus small noise), generated once with a fixed seed and cached in
~/.cache/bradford-assistant-bench/scale/. Queries are real: SQuAD v1.1 dev questions embedded with the
product's Embedder (cached there too).

For each kind: build time, single-query latency p50/p95 at k=10 and k=60 with 1 thread and with the default
(all cores), recall@10 against exact search, and RAM bytes a vector (the faiss index's serialised size; the
approximate kinds also memory-map the float32 rows, 1,536 B a vector on disk, paged in on demand). Writes
bench/results/ann.json (or --out) after each size, so a long run keeps what it measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from metrics import pct  # noqa: E402
from public_data import data_root, require_data  # noqa: E402
from scale_stores import SEED, read_raw, scale_root, source_index  # noqa: E402

from assistant.index.vector_index import IndexSpec, VectorIndex  # noqa: E402

OUT = ROOT / "bench" / "results" / "ann.json"
REAL_SOURCES = ("scifact", "squad")  # squad-md holds the same paragraphs as squad: left out


def real_vectors() -> np.ndarray:
    """Every chunk and sentence vector of the real bench indexes (built here when missing)."""
    parts = []
    for source in REAL_SOURCES:
        raw = read_raw(source_index(source))
        parts += [raw.chunk_vectors, raw.sent_vectors]
    return np.concatenate(parts).astype(np.float32)


def synthetic(real: np.ndarray, n: int) -> np.ndarray:
    """``n`` vectors: all real ones, then normalised mixtures a*x + (1-a)*y + noise of random real pairs."""
    path = scale_root() / f"vectors_{n}.npy"
    if path.is_file():
        return np.load(path, mmap_mode="r")
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    out = np.empty((n, real.shape[1]), np.float32)
    out[: len(real)] = real
    for start in range(len(real), n, 100_000):
        m = min(100_000, n - start)
        a = rng.uniform(0.55, 0.95, size=(m, 1)).astype(np.float32)
        x = real[rng.integers(0, len(real), m)]
        y = real[rng.integers(0, len(real), m)]
        v = a * x + (1 - a) * y + rng.normal(0, 0.01, size=x.shape).astype(np.float32)
        out[start : start + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, out)
    os.replace(tmp, path)
    return np.load(path, mmap_mode="r")


def vectors_for(real: np.ndarray, n: int) -> tuple[np.ndarray, str]:
    if n <= len(real):
        pick = np.sort(np.random.default_rng(SEED).choice(len(real), n, replace=False))
        return np.ascontiguousarray(real[pick]), "real"
    big = synthetic(real, 1_000_000 if n <= 1_000_000 else n)
    return np.ascontiguousarray(big[:n]), f"{len(real)} real + {n - len(real)} synthetic"


def queries(n: int) -> np.ndarray:
    path = scale_root() / f"queries_squad_{n}.npy"
    if path.is_file():
        return np.load(path)
    from assistant.embedding.embedder import Embedder

    data = json.loads(require_data(data_root(), "squad/dev-v1.1.json").read_text())["data"]
    questions = [qa["question"] for art in data for para in art["paragraphs"] for qa in para["qas"]]
    questions = random.Random(SEED).sample(questions, n)
    vectors = np.stack([Embedder().encode_query(q) for q in questions]).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def candidates(n: int) -> list[tuple[str, IndexSpec]]:
    out = [("flat", IndexSpec("flat"))]
    if n >= 10_000:
        for m in (16, 32):
            base = IndexSpec("hnsw_sq8", m=m, ef_construction=80)
            out += [(f"hnsw_sq8 M={m} ef={ef} rerank={rr}", replace(base, ef_search=ef, rerank=rr))
                    for ef, rr in ((64, 0), (100, 100), (200, 100))]
    if n >= 100_000:
        nlist = 2 ** round(np.log2(2 * np.sqrt(n)))
        base = IndexSpec("ivf_pq", nlist=int(nlist), pq_bytes=48)
        out += [(f"ivf_pq nlist={nlist} 48B nprobe={p} rerank={rr}", replace(base, nprobe=p, rerank=rr))
                for p, rr in ((16, 100), (32, 100), (64, 200))]
    return out


def timed_searches(index: VectorIndex, qs: np.ndarray, k: int, threads: int) -> tuple[list[float], np.ndarray]:
    faiss.omp_set_num_threads(threads)
    index.search(qs[0], k)  # warm-up (and page-in of the touched rows)
    lat, ids = [], []
    for q in qs:
        t0 = time.perf_counter()
        _, i = index.search(q, k)
        lat.append((time.perf_counter() - t0) * 1e3)
        ids.append(i[0])
    return lat, np.stack(ids)


def measure(vectors: np.ndarray, spec: IndexSpec, qs: np.ndarray, truth: np.ndarray,
            built: dict[tuple, VectorIndex], lat_queries: int) -> dict[str, object]:
    key = (spec.kind, spec.m, spec.ef_construction, spec.nlist, spec.pq_bytes)
    build_s = 0.0
    if key not in built:  # efSearch, nprobe and rerank are search-time settings: one build serves them all
        built.clear()
        faiss.omp_set_num_threads(os.cpu_count() or 1)
        t0 = time.perf_counter()
        built[key] = VectorIndex.build(vectors, spec)
        build_s = time.perf_counter() - t0
    index = replace(built[key], spec=spec)
    row: dict[str, object] = {"build_s": round(build_s, 2)}
    for threads, label in ((1, "1t"), (os.cpu_count() or 1, "default")):
        for k in (10, 60):
            lat, ids = timed_searches(index, qs[:lat_queries], k, threads)
            row[f"p50_ms_k{k}_{label}"] = round(pct(lat, 0.5), 3)
            row[f"p95_ms_k{k}_{label}"] = round(pct(lat, 0.95), 3)
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    _, ids = index.search(qs, 10)
    row["recall_at_10"] = round(float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, truth, strict=True)])), 4)
    row["index_bytes_per_vector"] = round(index.memory_bytes() / len(vectors), 1)
    row["mmap_float32_bytes_per_vector"] = 0 if spec.kind == "flat" else 4 * vectors.shape[1]
    row["build_s_note"] = "shared with the row above (search-time setting)" if not build_s else ""
    return row


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def print_table(results: list[dict]) -> None:
    head = f"{'size':>8} {'kind':<42} {'build s':>8} {'p50 k10':>8} {'p50 k60':>8} {'p95 k60':>8} " \
           f"{'p50 k60 2t':>10} {'rec@10':>7} {'B/vec':>7}"
    print(head)
    for r in results:
        print(f"{r['size']:>8} {r['name']:<42} {r['build_s']:>8.2f} {r['p50_ms_k10_1t']:>8.3f} "
              f"{r['p50_ms_k60_1t']:>8.3f} {r['p95_ms_k60_1t']:>8.3f} {r['p50_ms_k60_default']:>10.3f} "
              f"{r['recall_at_10']:>7.4f} {r['index_bytes_per_vector']:>7.0f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000,1000000")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--lat-queries", type=int, default=200, help="queries timed one by one (fewer for flat at 1M)")
    ap.add_argument("--only", default="", help="re-measure only these kinds (comma-separated), merging into ann.json")
    ap.add_argument("--out", type=Path, default=OUT, help="results file (default bench/results/ann.json)")
    args = ap.parse_args()
    real = real_vectors()
    qs = queries(args.queries)
    meta = {
        "commit": git_commit(), "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, faiss {faiss.__version__}; shared with other "
                   f"engineers' jobs (load average at start {os.getloadavg()[0]:.1f}): timings are loaded",
        "vectors": f"all-MiniLM-L6-v2 (384-d): {len(real)} real SciFact+SQuAD sentence/chunk vectors; sizes above "
                   "that add SYNTHETIC mixtures of two real vectors + noise (seed {SEED})".replace("{SEED}", str(SEED)),
        "queries": f"{len(qs)} SQuAD v1.1 dev questions embedded with the product Embedder",
        "latency": "single queries through VectorIndex.search (approximate kinds include the exact re-rank)",
        "memory": "index_bytes_per_vector = len(faiss.serialize_index)/n, held in RAM; approximate kinds also "
                  "memory-map the float32 vectors (1536 B/vector on disk, page cache on demand)",
    }
    only = {k for k in args.only.split(",") if k}
    results: list[dict] = []
    if only and args.out.is_file():
        old = json.loads(args.out.read_text())
        results = old["results"]
        meta = {**old["meta"], "rerun": f"{','.join(sorted(only))} re-measured {meta['date']} at {meta['commit']} "
                                       f"({meta['machine'].split('(')[-1].rstrip(')')})"}
    for n in (int(s) for s in args.sizes.split(",")):
        vectors, origin = vectors_for(real, n)
        faiss.omp_set_num_threads(os.cpu_count() or 1)
        _, truth = faiss.knn(qs, vectors, 10, metric=faiss.METRIC_INNER_PRODUCT)
        built: dict[tuple, VectorIndex] = {}
        for name, spec in candidates(n):
            if only and spec.kind not in only:
                continue
            lat_q = min(args.lat_queries, 50) if spec.kind == "flat" and n >= 1_000_000 else args.lat_queries
            row = {"size": n, "origin": origin, "name": name, "spec": spec.to_json(),
                   **measure(vectors, spec, qs, truth, built, lat_q)}
            results = [r for r in results if (r["size"], r["name"]) != (n, name)] + [row]
            results.sort(key=lambda r: r["size"])
            print_table([row])
            sys.stdout.flush()
            args.out.write_text(json.dumps({"meta": meta, "results": results}, indent=1) + "\n")
        del built, vectors
    print()
    print_table(results)


if __name__ == "__main__":
    main()
