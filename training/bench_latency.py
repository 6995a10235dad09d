"""Latency of the int8 ONNX cross-encoder at question time, before choosing what to train.

Why: the whole ask must stay <= 20 ms p50 on 2 cores and retrieval already takes ~7 ms, so the reader gets
~10 ms. This exports MiniLM truncated to 6, 4, 3 and 2 layers (untrained head: latency does not depend on the
weights' values), quantises each to int8, and times one session run (tokenisation of real-looking pairs
included) for 4, 8 and 16 candidates padded to 64, 96 and 128 tokens, with 1 and 2 intra-op threads.

    python -m training.bench_latency [--runs 60] [--out bench/results/reader_latency.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from training.export import export_fp32, quantize_int8
from training.model import CrossEncoder


@dataclass(frozen=True)
class Timing:
    layers: int
    threads: int
    candidates: int
    max_length: int
    p50_ms: float
    p90_ms: float
    min_ms: float
    cpu_ms: float
    mb: float


def time_session(path: Path, threads: int, rows: int, length: int, runs: int) -> tuple[float, float, float, float]:
    """p50, p90 and min wall ms of session.run over ``runs`` runs (after 5 warm-up runs), full-length rows, and
    the median CPU ms a run costs the process. The 2 cores are shared with other work, so wall times are
    inflated; with 1 thread the CPU time is what an idle machine's wall time would be."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    feeds = {"input_ids": rng.integers(1000, 29000, size=(rows, length), dtype=np.int64),
             "attention_mask": np.ones((rows, length), dtype=np.int64),
             "token_type_ids": np.zeros((rows, length), dtype=np.int64)}
    for _ in range(5):
        sess.run(None, feeds)
    times, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        sess.run(None, feeds)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return (float(np.percentile(times, 50)), float(np.percentile(times, 90)), float(min(times)),
            float(np.median(cpu)))


def time_shipped(threads: int, candidates: int, questions: int = 150) -> dict[str, float]:
    """The shipped reader as the pipeline will call it (tokenisation included) on real inputs: report-half
    SQuAD questions, each with ``candidates`` sentences (its paragraph's, then the next paragraph's) in context."""
    from assistant.reader.runtime import MODEL_DIR, Reader
    from training.data import load_squad

    data = load_squad()
    reader = Reader(MODEL_DIR, threads=threads)
    pids = sorted(data.paragraphs)
    times, widths = [], []
    for q in data.report_v11[:questions]:
        at = pids.index(q.pid)
        pool = [c for pid in pids[at : at + 4] for c in data.paragraphs[pid].candidates][:candidates]
        reader.score(q.text, pool)
        t0 = time.perf_counter()
        reader.score(q.text, pool)
        times.append((time.perf_counter() - t0) * 1000)
        widths.append(len(pool))
    return {"threads": threads, "candidates": candidates, "p50_ms": round(float(np.percentile(times, 50)), 2),
            "p90_ms": round(float(np.percentile(times, 90)), 2), "min_ms": round(float(min(times)), 2),
            "questions": len(times)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--layers", type=int, nargs="+", default=[6, 4, 3, 2])
    ap.add_argument("--out", type=Path, default=Path("bench/results/reader_latency.json"))
    ap.add_argument("--shipped", action="store_true", help="time the shipped model on real inputs instead")
    args = ap.parse_args()
    if args.shipped:
        rows = [time_shipped(t, n) for t in (1, 2) for n in (4, 8, 16)]
        for row in rows:
            print(row, flush=True)
        path = args.out.with_name("reader_latency_shipped.json")
        path.write_text(json.dumps({"what": "shipped reader, Reader.score incl. tokenisation, real SQuAD inputs",
                                    "timings": rows}, indent=1) + "\n")
        return
    torch.manual_seed(0)
    rows: list[Timing] = []
    with tempfile.TemporaryDirectory() as tmp:
        for layers in args.layers:
            fp32, int8 = Path(tmp) / f"l{layers}.onnx", Path(tmp) / f"l{layers}-int8.onnx"
            export_fp32(CrossEncoder(layers), fp32)
            quantize_int8(fp32, int8)
            mb = int8.stat().st_size / 1e6
            for threads in (1, 2):
                for cands in (4, 8, 16):
                    for length in (64, 96, 128):
                        p50, p90, low, cpu = time_session(int8, threads, cands, length, args.runs)
                        rows.append(Timing(layers, threads, cands, length, round(p50, 2), round(p90, 2),
                                           round(low, 2), round(cpu, 2), round(mb, 1)))
                        print(f"layers={layers} threads={threads} cands={cands:2d} len={length:3d} p50={p50:6.2f} "
                              f"p90={p90:6.2f} min={low:6.2f} cpu={cpu:6.2f} ms ({mb:.1f} MB)", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"what": "int8 ONNX cross-encoder, one session.run, full-length rows",
                                    "timings": [asdict(r) for r in rows]}, indent=1) + "\n")


if __name__ == "__main__":
    main()
