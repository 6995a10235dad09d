"""Latency of questions asked across documents (``assistant ask --per-doc``), model and index warm.

    .venv/bin/python bench/bench_per_document.py [--index index] [--repeat 5] [--out PATH]

Each question is asked ``--repeat`` times through Assistant.ask_per_document after one warm-up; the table gives the
median and worst total, how many documents were in the question's scope (each is read by the reader: the cost
grows with them), how many answered, and one plain ask of the same question for comparison. The questions are a
fixed spread: one council (the issue's example), one council and a year, every document (no name in the
question), and a council the library does not hold. Writes bench/results/per_document.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from public_data import existing_index  # noqa: E402

from assistant.api import Assistant  # noqa: E402

QUESTIONS = (
    "What did inspectors say about social worker caseloads in Bradford?",
    "What did inspectors say about staff turnover in Bradford?",
    "What did inspectors say about caseloads in Bradford in 2018?",
    "Who was the lead inspector?",
    "What did inspectors say about social worker caseloads?",
    "What did inspectors say about social worker caseloads in Sheffield?",
)


def measure(assistant: Assistant, question: str, repeat: int) -> dict[str, object]:
    assistant.ask_per_document(question)  # warm-up: first use of this question's postings
    totals = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = assistant.ask_per_document(question)
        totals.append((time.perf_counter() - t0) * 1e3)
    t0 = time.perf_counter()
    assistant.ask(question)
    plain = (time.perf_counter() - t0) * 1e3
    return {"question": question, "median_ms": round(statistics.median(totals), 1), "max_ms": round(max(totals), 1),
            "documents": len(result.answers) + len(result.refused), "documents_read": result.documents_read,
            "answered": len(result.answers), "scope_words": list(result.scope_words),
            "plain_ask_ms": round(plain, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", type=Path, default=ROOT / "index")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "per_document.json")
    args = ap.parse_args()
    assistant = Assistant(existing_index(args.index))
    assistant.warm_up()
    rows = [measure(assistant, q, args.repeat) for q in QUESTIONS]
    for r in rows:
        print(f"{r['median_ms']:7.1f} ms (max {r['max_ms']:7.1f}, plain ask {r['plain_ask_ms']:5.1f})  "
              f"{r['documents_read']:2d}/{r['documents']} read, {r['answered']:2d} answer  {r['question']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"repeat": args.repeat, "questions": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
