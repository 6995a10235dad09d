"""Core figures: cold index build of the bundled corpus, and ask latency with the model warm.

    .venv/bin/python bench/bench_core.py [--skip-build] [--index index]

Cold build: `assistant index documents` in a fresh temporary index folder, as a subprocess (includes starting
Python and loading the model), wall time and chunks/s. Latency: 50 questions from eval/bundled_gold.jsonl asked
through Assistant.ask after a warm-up, p50/p95 of the total and of its parts, next to one raw query embedding.
Writes bench/results/core.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.api import Assistant  # noqa: E402
from assistant.evaluation import load_gold  # noqa: E402


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def cold_build() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "assistant", "index", str(ROOT / "documents"), "--index", tmp, "--json", "--quiet"],
            check=True, capture_output=True, text=True,
        )
        wall = time.perf_counter() - t0
    report = json.loads(out.stdout)
    return {"wall_s": round(wall, 1), "chunks": report["n_chunks"], "sentences": report["n_sentences"],
            "pages": report["n_pages"], "documents": report["n_documents"],
            "chunks_per_s": round(report["n_chunks"] / wall, 1),
            "units_per_s": round((report["n_chunks"] + report["n_sentences"]) / wall, 1)}


def latency(index: Path, n: int = 50) -> dict[str, float]:
    assistant = Assistant(index)
    assistant.warm_up()
    questions = [g.question for g in load_gold(ROOT / "eval" / "bundled_gold.jsonl")][:n]
    embedder = assistant._snapshot().embedder
    raw = []
    for q in questions:
        t0 = time.perf_counter()
        embedder.encode_query(q)
        raw.append((time.perf_counter() - t0) * 1e3)
    parts: dict[str, list[float]] = {}
    for q in questions:
        for key, value in assistant.ask(q).timings_ms.items():
            parts.setdefault(key, []).append(value)
    out = {"questions": len(questions), "raw_query_embedding_p50_ms": round(statistics.median(raw), 2)}
    for key, values in parts.items():
        out[f"{key}_p50_ms"] = round(statistics.median(values), 2)
        out[f"{key}_p95_ms"] = round(pct(values, 0.95), 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=ROOT / "index")
    ap.add_argument("--skip-build", action="store_true")
    args = ap.parse_args()
    results: dict[str, object] = {"machine": "2 cores, CPU only, torch backend"}
    if not args.skip_build:
        results["cold_build"] = cold_build()
        print("cold build:", results["cold_build"])
    results["ask_latency"] = latency(args.index)
    print("ask latency:", results["ask_latency"])
    out = ROOT / "bench" / "results" / "core.json"
    out.write_text(json.dumps(results, indent=1))
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
