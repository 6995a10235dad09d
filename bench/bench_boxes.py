"""What PDF boxes cost: at index time (glyphs read by pdfium and aligned to the stored text), on disk, and per answer.

    .venv/bin/python bench/bench_boxes.py [--index index] [--out PATH]

Index time, in this process on one core (CPU seconds, so other load on the machine hardly matters): loading every
bundled PDF as a build does (pypdf text, normalisation, and the boxes), and the boxes' share of it (pdfium glyphs
and their alignment), next to the cold build's wall time in bench/results/core.json for scale. On disk: the
build's char_box*.npy against the whole build folder. Per answer: the 50 questions of bench_core's latency
(eval/bundled_gold.jsonl) are asked through Assistant.ask, and each answer's quotes get their boxes again (quote
and highlight) under a timer: what the boxes add to an ask. The same for citation lookups of 50 sentences.
Writes bench/results/boxes.json (or --out). bench/bench_core.py measures the whole build and ask with boxes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=ROOT / "index")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "boxes.json")
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
    args.out.write_text(json.dumps(results, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
