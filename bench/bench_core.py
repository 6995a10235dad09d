"""Core figures: cold and incremental index builds of the bundled corpus, model load, ask latency (model warm).

    .venv/bin/python bench/bench_core.py [--skip-build] [--index index] [--out PATH]

Cold build: `assistant index documents` in a fresh temporary index folder, as a subprocess (includes starting
Python and loading the model), wall time, chunks/s and the child's peak RSS; twice, with a fresh machine-wide
model cache: first as on a new machine (the ONNX export is made), then as any later new index (export cached).
Build profile: cumulative seconds of each phase of an in-process clean build (cProfile).
Incremental add: the corpus without ofsted-bradford-23-may-2014.pdf (34 pages) is indexed, then that PDF is
copied in and `assistant index` run again, as a user would (new process, model load included); the same add is
also timed in-process with the model already loaded, as the app's upload does.
Model load: a fresh process loads the embedder and embeds one sentence.
Latency: 50 questions from eval/bundled_gold.jsonl asked through Assistant.ask after a warm-up, p50/p95 of the
total and of its parts, next to one raw query embedding with the index's backend and one with torch (the issue's
"raw MiniLM query embedding"). Writes bench/results/core.json (or --out).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "bench"))

from metrics import pct  # noqa: E402
from public_data import existing_index  # noqa: E402

from assistant.api import Assistant  # noqa: E402
from assistant.config import IndexSettings  # noqa: E402
from assistant.embedding.embedder import Embedder  # noqa: E402
from assistant.evaluation import load_gold  # noqa: E402

ADDED_PDF = "ofsted-bradford-23-may-2014.pdf"  # 34 pages: the "one 30-page PDF"


def _index_cmd(docs: Path, index: Path) -> list[str]:
    return [sys.executable, "-m", "assistant", "index", str(docs), "--index", str(index), "--json", "--quiet"]


def _timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, dict, float]:
    """Wall seconds, the JSON report and the child's own peak RSS in MB (os.wait4: this child alone)."""
    with tempfile.TemporaryFile("w+") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, text=True,
                                env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise subprocess.CalledProcessError(proc.returncode, cmd)
        out.seek(0)
        return wall, json.loads(out.read()), usage.ru_maxrss / 1024


def _build_row(wall: float, report: dict, peak_mb: float) -> dict[str, float]:
    return {"wall_s": round(wall, 1), "chunks": report["n_chunks"], "sentences": report["n_sentences"],
            "pages": report["n_pages"], "documents": report["n_documents"],
            "chunks_per_s": round(report["n_chunks"] / wall, 1),
            "units_per_s": round((report["n_chunks"] + report["n_sentences"]) / wall, 1),
            "peak_rss_mb": round(peak_mb)}


def cold_build() -> dict[str, dict[str, float]]:
    """Two clean builds in fresh index folders, sharing a fresh machine-wide model cache (XDG_CACHE_HOME): the
    first is a new machine's (it exports the model to ONNX), the second any later new index's (the export is
    linked from the cache)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {"XDG_CACHE_HOME": str(Path(tmp) / "cache")}
        first = _build_row(*_timed(_index_cmd(ROOT / "documents", Path(tmp) / "first"), env))
        later = _build_row(*_timed(_index_cmd(ROOT / "documents", Path(tmp) / "later"), env))
    return {"first_on_machine": first, "export_cached": later}


PHASES = {  # function name in assistant/ -> what it does in a build
    "load_documents": "read files (PDF text extraction, in worker processes)",
    "_split": "split into sentences and chunks (token counts)",
    "_embed_new": "embed sentences and chunks",
    "boilerplate_flags": "boilerplate flags",
    "tokenize": "BM25 tokenising",
    "write_store": "write the build (BM25, vector indexes, checksums)",
}


def build_profile() -> dict[str, float]:
    """Where a clean build's time goes: cProfile cumulative seconds of its phases, in process, model loaded,
    export cached (the load_documents figure is the parent's wait for its workers)."""
    from assistant.embedding.embedder import Embedder, index_cache_dir
    from assistant.index.build import build_index

    with tempfile.TemporaryDirectory() as tmp:
        settings = IndexSettings()
        Embedder(settings.model, settings.backend, index_cache_dir(Path(tmp))).encode_query("warm")
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        build_index(ROOT / "documents", Path(tmp), settings)
        prof.disable()
        total = time.perf_counter() - t0
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    out = {"total_s": round(total, 1)}
    for (path, _, name), (_, _, _, cum, _) in stats.items():
        if name in PHASES and "/assistant/" in path:
            out[f"{name}_s"] = round(out.get(f"{name}_s", 0.0) + cum, 1)
    return out


def model_load() -> dict[str, float]:
    code = ("import time; t=time.perf_counter(); from assistant.embedding.embedder import Embedder; "
            "from assistant.config import IndexSettings; s=IndexSettings(); "
            "e=Embedder(s.model, backend=s.backend, cache_dir=__import__('pathlib').Path(__import__('sys').argv[1])); "
            "e.encode_query('warm'); print(time.perf_counter()-t)")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-c", code, tmp], check=True, capture_output=True, text=True)  # exports
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code, tmp], check=True, capture_output=True, text=True)
        wall = time.perf_counter() - t0
    return {"process_wall_s": round(wall, 2), "import_and_load_s": round(float(out.stdout.split()[-1]), 2)}


def incremental_add() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        docs, index = Path(tmp) / "docs", Path(tmp) / "index"
        shutil.copytree(ROOT / "documents", docs)
        pdf = next(docs.rglob(ADDED_PDF))
        held = Path(tmp) / ADDED_PDF
        shutil.move(pdf, held)
        subprocess.run(_index_cmd(docs, index), check=True, capture_output=True)
        shutil.copy(held, pdf)
        wall, report, _ = _timed(_index_cmd(docs, index))
        assert len(report["added"]) == 1 and report["embedded"] > 0, report
        # in-process, model loaded (as the app's upload does): remove it, re-index, then add it again
        assistant = Assistant(index)
        assistant.warm_up()
        pdf.unlink()
        assistant.build(docs)
        shutil.copy(held, pdf)
        t0 = time.perf_counter()
        warm = assistant.build(docs)
        warm_s = time.perf_counter() - t0
    return {"pdf": ADDED_PDF, "pages": 34, "cli_wall_s": round(wall, 1), "in_process_warm_s": round(warm_s, 1),
            "embedded": warm.embedded}


def query_embedding_ms(embedder: Embedder, questions: list[str]) -> list[float]:
    """Milliseconds of one raw query embedding per question (the embedder already loaded)."""
    out = []
    for q in questions:
        t0 = time.perf_counter()
        embedder.encode_query(q)
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def torch_query_embedding_ms(questions: list[str]) -> list[float]:
    """The issue's yardstick, "one raw MiniLM query embedding": the torch backend, loaded and warmed first, in a
    pass of its own (two thread pools taking turns would slow both)."""
    torch = Embedder(IndexSettings().model, "torch")
    torch.encode_query("warm up")
    return query_embedding_ms(torch, questions)


def latency(index: Path, n: int = 50) -> dict[str, float]:
    assistant = Assistant(index)
    assistant.warm_up()
    questions = [g.question for g in load_gold(ROOT / "eval" / "bundled_gold.jsonl")][:n]
    raw = query_embedding_ms(assistant.snapshot().embedder, questions)
    parts: dict[str, list[float]] = {}
    for q in questions:
        for key, value in assistant.ask(q).timings_ms.items():
            parts.setdefault(key, []).append(value)
    torch_raw = torch_query_embedding_ms(questions)
    out = {"questions": len(questions), "raw_query_embedding_p50_ms": round(statistics.median(raw), 2),
           "torch_raw_query_embedding_p50_ms": round(statistics.median(torch_raw), 2)}
    for key, values in parts.items():
        out[f"{key}_p50_ms"] = round(statistics.median(values), 2)
        out[f"{key}_p95_ms"] = round(pct(values, 0.95), 2)
    out["ratio_to_raw_embedding"] = round(out["total_p50_ms"] / out["raw_query_embedding_p50_ms"], 2)
    out["ratio_to_torch_raw_embedding"] = round(out["total_p50_ms"] / out["torch_raw_query_embedding_p50_ms"], 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=ROOT / "index")
    ap.add_argument("--skip-build", action="store_true")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "core.json")
    args = ap.parse_args()
    index = existing_index(args.index)  # checked first: a missing index should not cost the builds below
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    results: dict[str, object] = {"machine": "2 cores, CPU only", "commit": commit.stdout.strip(),
                                  "date": time.strftime("%Y-%m-%d"), "settings": IndexSettings().as_dict()}
    if not args.skip_build:
        results["cold_build"] = cold_build()
        print("cold build:", results["cold_build"])
        results["build_profile"] = build_profile()
        print("build profile:", results["build_profile"])
        results["incremental_add"] = incremental_add()
        print("incremental add:", results["incremental_add"])
    results["model_load"] = model_load()
    print("model load:", results["model_load"])
    results["ask_latency"] = latency(index)
    print("ask latency:", results["ask_latency"])
    args.out.write_text(json.dumps(results, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
