"""The Ray build's throughput on a local cluster, beside the plain build of the same documents, same machine.

    .venv/bin/python bench/bench_ray.py [--docs documents] [--workers 2]

Two clean builds of the documents folder into temporary index folders: the plain build (``build_index``) and the
Ray build (``build_index(..., ray="local:N")``: a local cluster started for the build, load + split + embed as
Ray Data batches on N worker actors, then the same write). Both are timed end to end (the Ray one includes
starting and stopping its cluster, timed alone as well: ``cluster_start_stop_s``). The two builds' units are
compared (identical tables) and their vectors (cosine per unit). Writes bench/results/ray.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.config import IndexSettings  # noqa: E402
from assistant.index.build import BuildReport, build_index  # noqa: E402
from assistant.index.ray_build import RayCluster  # noqa: E402
from assistant.index.storage import LocalFolder  # noqa: E402

OUT = ROOT / "bench" / "results" / "ray.json"


def _build(docs: Path, index: Path, ray: str | None) -> tuple[BuildReport, float]:
    t0 = time.perf_counter()
    report = build_index(docs, index, IndexSettings(), ray=ray)
    return report, time.perf_counter() - t0


def _row(report: BuildReport, seconds: float) -> dict[str, object]:
    return {
        "seconds": round(seconds, 1), "documents": report.n_documents, "pages": report.n_pages,
        "sentences": report.n_sentences, "chunks": report.n_chunks, "texts_embedded": report.embedded,
        "texts_per_s": round(report.embedded / seconds, 1), "chunks_per_s": round(report.n_chunks / seconds, 2),
        "hours_per_million_chunks": round(seconds / report.n_chunks * 1e6 / 3600, 1),
    }


def _compare(plain: Path, ray: Path) -> dict[str, object]:
    a, b = LocalFolder(plain).load(), LocalFolder(ray).load()
    same_units = all(np.array_equal(a.arrays[k], b.arrays[k]) for k in a.arrays)
    out: dict[str, object] = {"same_unit_tables": same_units}
    for name in ("sent_vectors", "chunk_vectors"):
        x, y = getattr(a, name), getattr(b, name)
        cos = (x * y).sum(1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)
        out[f"{name}_min_cosine"] = round(float(cos.min()), 6)
        out[f"{name}_bit_identical_share"] = round(float(np.mean(np.all(x == y, axis=1))), 4)
    return out


def _cluster_start_stop(workers: int, cache: Path) -> float:
    t0 = time.perf_counter()
    with RayCluster(f"local:{workers}", IndexSettings(), cache) as cluster:
        cluster.connect()
        _ = cluster.workers
    return round(time.perf_counter() - t0, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, default=ROOT / "documents")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as tmp:
        plain, plain_s = _build(args.docs, Path(tmp) / "plain", None)
        print(f"plain build: {plain_s:.1f} s, {plain.embedded} texts", flush=True)
        ray, ray_s = _build(args.docs, Path(tmp) / "ray", f"local:{args.workers}")
        print(f"Ray build (local:{args.workers}): {ray_s:.1f} s, {ray.embedded} texts", flush=True)
        result = {
            "bench": "bench_ray.py",
            "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                     text=True).stdout.strip(),
            "date": time.strftime("%Y-%m-%d %H:%M"),
            "machine": f"{os.cpu_count()} CPU cores, no GPU; load average at start {load:.2f} (shared machine)",
            "docs": str(args.docs.relative_to(ROOT) if args.docs.is_relative_to(ROOT) else args.docs),
            "settings": IndexSettings().as_dict(),
            "plain": _row(plain, plain_s),
            "ray_local": {"workers": args.workers, **_row(ray, ray_s),
                          "cluster_start_stop_s": _cluster_start_stop(args.workers, Path(tmp) / "ray" / ".models")},
            "same_result": _compare(Path(tmp) / "plain", Path(tmp) / "ray"),
        }
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
