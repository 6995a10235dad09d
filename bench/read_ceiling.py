"""How far down the first stage the answer sits: the ceiling the reader and ranker work under.

    .venv/bin/python bench/read_ceiling.py [--index index] [--out bench/results/read_ceiling.json]

The reader reads only the first stage's best ``read_k`` candidates (the ranker's setting), and every other
candidate stays below the read ones, so a gold question whose answer-bearing sentence is not among them is
answered right only through a quote that spans it. For every answerable question of both gold sets' halves this
runs the product's own stages (``Pipeline.prepare`` -> ``candidates`` -> ``first_stage``), finds the first-stage
rank of the highest-ranked sentence holding a gold answer from the gold document (``evaluation.first_hit_rank``), and
reports the share within the first k, for k around ``read_k``. Nothing is tuned here; the test halves are
measured, not fitted.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from public_data import existing_index  # noqa: E402

from assistant.api import Assistant  # noqa: E402
from assistant.evaluation import GoldItem, first_hit_rank, load_gold  # noqa: E402

DEPTHS = (1, 3, 8, 12, 16, 20, 30, 50)
SETS = ("bundled_gold", "natural_gold")


def answer_rank(assistant: Assistant, item: GoldItem) -> int | None:
    """1-based first-stage rank of the first candidate sentence holding a gold answer, None when none does."""
    snap = assistant.snapshot()
    pipe, store = snap.pipeline, snap.store
    query = pipe.prepare(item.question)
    cands = pipe.candidates(query, assistant.settings)
    first = pipe.first_stage(cands, assistant.settings)
    sids = [int(cands.ids[row]) for row in np.argsort(-first, kind="stable")]
    return first_hit_rank([(store.sentence_text(sid), store.docs[int(store.sent_doc[sid])].doc) for sid in sids], item)


def ceiling(ranks: list[int | None]) -> dict[str, float]:
    return {f"within_{k}": round(sum(1 for r in ranks if r is not None and r <= k) / len(ranks), 3)
            for k in DEPTHS}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=ROOT / "index")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "read_ceiling.json")
    args = ap.parse_args()
    assistant = Assistant(existing_index(args.index))
    read_k = assistant.snapshot().pipeline.ranker.read_k
    report: dict[str, object] = {"command": "python bench/read_ceiling.py", "read_k": read_k, "sets": {}}
    for name in SETS:
        for half in ("tune", "test"):
            items = [it for it in load_gold(ROOT / "eval" / f"{name}_{half}.jsonl") if it.answerable]
            ranks = [answer_rank(assistant, it) for it in items]
            row = {"answerable": len(items), **ceiling(ranks),
                   "not_among_candidates": sum(1 for r in ranks if r is None)}
            report["sets"][f"{name}_{half}"] = row
            print(f"{name}_{half}", row)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print("wrote", args.out)


if __name__ == "__main__":
    main()
