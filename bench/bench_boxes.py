"""What PDF boxes cost: at index time (glyphs read by pdfium and aligned to the stored text), on disk, and per answer.

    .venv/bin/python bench/bench_boxes.py [--index index] [--out PATH]

Index time, in this process on one core (CPU seconds, so other load on the machine hardly matters): loading every
bundled PDF as a build does (pypdf text, normalisation, and the boxes), and the boxes' share of it (pdfium glyphs
and their alignment). On disk: the
build's char_box*.npy against the whole build folder. Per answer: the 50 questions of bench_core's latency
(eval/bundled_gold.jsonl) are asked through Assistant.ask, and each answer's quotes get their boxes again (quote
and highlight) under a timer: what the boxes add to an ask. The same for citation lookups of 50 sentences.

With ``--compare-with DIR`` (a checkout of the code before boxes, e.g. ``git worktree add /tmp/base <commit>``):
paired cold builds of the bundled corpus, this checkout and that one taking turns (``--rounds`` each, after one
warm-up build each; a shared, already exported model cache), as ``assistant index`` subprocesses: wall seconds and
CPU seconds of the whole process tree (os.wait4, workers included). Then bench_core's ask latency (50 gold
questions, model warm) in each checkout over its own last build, taking turns the same way. Taking turns matters
on a machine shared with other jobs: their load then falls on both sides alike.
Writes bench/results/boxes.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import os
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
from assistant.evaluation import load_gold  # noqa: E402
from assistant.index.page_boxes import BOXES_FILE, PAGES_FILE  # noqa: E402
from assistant.ingest.char_boxes import page_boxes  # noqa: E402
from assistant.ingest.documents import load_document  # noqa: E402
from assistant.ingest.pdf_glyphs import pdf_glyphs  # noqa: E402


def index_time() -> dict[str, float]:
    """CPU seconds to load every bundled PDF (with boxes), and of that the glyphs and the alignment alone."""
    pdfs = sorted((ROOT / "documents").rglob("*.pdf"))
    t0 = time.process_time()
    docs = [load_document(p, ROOT / "documents") for p in pdfs]
    load_s = time.process_time() - t0
    t0 = time.process_time()
    glyphs = [pdf_glyphs(p.read_bytes()) for p in pdfs]
    glyph_s = time.process_time() - t0
    t0 = time.process_time()
    for doc, g in zip(docs, glyphs, strict=True):
        page_boxes([page.text for page in doc.pages], g)
    align_s = time.process_time() - t0
    chars = sum(len(page.text) for d in docs for page in d.pages)
    matched = sum(int((page.boxes[:, 0] != 65535).sum()) for d in docs for page in d.pages if page.boxes is not None)
    visible = sum(sum(not c.isspace() for c in page.text) for d in docs for page in d.pages)
    return {"pdfs": len(pdfs), "pages": sum(len(d.pages) for d in docs), "stored_chars": chars,
            "load_with_boxes_cpu_s": round(load_s, 2), "glyphs_cpu_s": round(glyph_s, 2),
            "align_cpu_s": round(align_s, 2), "boxes_cpu_s": round(glyph_s + align_s, 2),
            "boxes_share_of_load": round((glyph_s + align_s) / load_s, 3),
            "visible_chars_with_a_box": round(matched / visible, 5)}


def on_disk(index: Path) -> dict[str, float]:
    folder = index / (index / "CURRENT").read_text().strip()
    boxes = sum((folder / name).stat().st_size for name in (BOXES_FILE, PAGES_FILE))
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return {"boxes_mb": round(boxes / 2**20, 2), "build_mb": round(total / 2**20, 2),
            "boxes_share_of_build": round(boxes / total, 3)}


def per_answer(index: Path, n: int = 50) -> dict[str, float]:
    """Milliseconds the boxes of an answer's quotes (and highlights), and of a lookup's matches, take."""
    assistant = Assistant(index)
    assistant.warm_up()
    store = assistant.store
    doc_ids = {d.doc: i for i, d in enumerate(store.docs)}
    ask_ms, totals = [], []
    for gold in load_gold(ROOT / "eval" / "bundled_gold.jsonl")[:n]:
        answer = assistant.ask(gold.question)
        totals.append(answer.timings_ms["total"])
        t0 = time.perf_counter()
        for q in answer.quotes:
            page_idx = store.docs[doc_ids[q.doc]].page_numbers.index(q.page)
            store.page_boxes.boxes(doc_ids[q.doc], page_idx, q.start, q.end)
            if q.highlight_start is not None and q.highlight_end is not None:
                store.page_boxes.boxes(doc_ids[q.doc], page_idx, q.highlight_start, q.highlight_end)
        ask_ms.append((time.perf_counter() - t0) * 1e3)
    cite_ms = []
    for i in range(0, store.n_sentences, max(1, store.n_sentences // n))[:n]:
        citation = assistant.cite(store.sentence_text(i))
        t0 = time.perf_counter()
        for m in citation.matches:
            for p in m.parts:
                store.page_boxes.boxes(doc_ids[m.doc], store.docs[doc_ids[m.doc]].page_numbers.index(p.page),
                                       p.start, p.end)
        cite_ms.append((time.perf_counter() - t0) * 1e3)
    return {"questions": len(ask_ms), "ask_boxes_p50_ms": round(statistics.median(ask_ms), 3),
            "ask_boxes_p95_ms": round(pct(ask_ms, 0.95), 3), "ask_total_p50_ms": round(statistics.median(totals), 2),
            "lookups": len(cite_ms), "cite_boxes_p50_ms": round(statistics.median(cite_ms), 3),
            "cite_boxes_p95_ms": round(pct(cite_ms, 0.95), 3)}


def _cold_build(code: Path, docs: Path, index: Path, cache: Path) -> tuple[float, float]:
    """Wall and CPU seconds (the whole process tree) of one clean ``assistant index`` run by the code in ``code``."""
    env = {**os.environ, "PYTHONPATH": str(code), "XDG_CACHE_HOME": str(cache)}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "index", str(docs), "--index", str(index), "--quiet"],
                            cwd=code, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"index build failed in {code}")
    return time.perf_counter() - t0, usage.ru_utime + usage.ru_stime


def _latency(code: Path, index: Path) -> dict[str, float]:
    run = ("import json, sys; sys.path.insert(0, 'bench'); from bench_core import latency; "
           f"print(json.dumps(latency(__import__('pathlib').Path({str(index)!r}))))")
    out = subprocess.run([sys.executable, "-c", run], cwd=code, env={**os.environ, "PYTHONPATH": str(code)},
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def paired(other: Path, rounds: int) -> dict[str, object]:
    """Cold builds and ask latency of this checkout and ``other``, taking turns; medians and each run."""
    sides = {"boxes": ROOT, "before": other.resolve()}
    builds: dict[str, list[tuple[float, float]]] = {k: [] for k in sides}
    asks: dict[str, list[dict[str, float]]] = {k: [] for k in sides}
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        for n in range(rounds + 1):
            for name, code in sides.items():
                index = Path(tmp) / f"{name}-{n}"
                result = _cold_build(code, ROOT / "documents", index, cache)
                if n:  # round 0 warms the model cache and the file cache
                    builds[name].append(result)
        for _ in range(rounds):
            for name, code in sides.items():
                asks[name].append(_latency(code, Path(tmp) / f"{name}-{rounds}"))
    out: dict[str, object] = {"rounds": rounds, "before_checkout": str(other)}
    for name in sides:
        walls, cpus = [w for w, _ in builds[name]], [c for _, c in builds[name]]
        out[name] = {"cold_build_wall_s": [round(w, 1) for w in walls], "cold_build_cpu_s": [round(c, 1) for c in cpus],
                     "cold_build_wall_median_s": round(statistics.median(walls), 1),
                     "cold_build_cpu_median_s": round(statistics.median(cpus), 1),
                     "ask_total_p50_ms": [a["total_p50_ms"] for a in asks[name]],
                     "ask_total_p50_median_ms": round(statistics.median(a["total_p50_ms"] for a in asks[name]), 2),
                     "ask_extract_p50_median_ms": round(statistics.median(a["extract_p50_ms"] for a in asks[name]), 2)}
    b, a = out["boxes"], out["before"]  # type: ignore[index]
    out["cold_build_wall_added"] = round(b["cold_build_wall_median_s"] / a["cold_build_wall_median_s"] - 1, 3)
    out["cold_build_cpu_added"] = round(b["cold_build_cpu_median_s"] / a["cold_build_cpu_median_s"] - 1, 3)
    out["ask_p50_added_ms"] = round(b["ask_total_p50_median_ms"] - a["ask_total_p50_median_ms"], 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=ROOT / "index")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "boxes.json")
    ap.add_argument("--compare-with", type=Path, help="a checkout of the code before boxes (paired builds and asks)")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    index = existing_index(args.index)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    results: dict[str, object] = {"machine": "2 cores, CPU only", "commit": commit.stdout.strip(),
                                  "date": time.strftime("%Y-%m-%d")}
    results["index_time"] = index_time()
    print("index time:", results["index_time"])
    results["on_disk"] = on_disk(index)
    print("on disk:", results["on_disk"])
    results["per_answer"] = per_answer(index)
    print("per answer:", results["per_answer"])
    if args.compare_with:
        results["paired"] = paired(args.compare_with, args.rounds)
        print("paired:", results["paired"])
    args.out.write_text(json.dumps(results, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
