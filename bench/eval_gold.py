"""Answer quality on the bundled gold set, reported separately for the tuning and the test half.

    .venv/bin/python bench/eval_gold.py [--index index]

answer@1 / answer@3 by the DESIGN.md rule (quote contains a gold answer, folded, from the gold document), share
of unanswerable questions refused, share of answerable questions wrongly refused. Weights were tuned on the
tuning half only; the test half is reported, never tuned on. Writes bench/results/bundled_gold.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.api import Assistant  # noqa: E402
from assistant.evaluation import first_hit_rank, load_gold  # noqa: E402


def evaluate(assistant: Assistant, gold: Path) -> dict[str, float]:
    items = load_gold(gold)
    hits1 = hits3 = answerable = unanswerable = refused_right = refused_wrong = 0
    for item in items:
        answer = assistant.ask(item.question)
        if item.answerable:
            answerable += 1
            rank = first_hit_rank([(q.text, q.doc) for q in answer.quotes], item)
            hits1 += rank == 1
            hits3 += rank is not None
            refused_wrong += not answer.answered
        else:
            unanswerable += 1
            refused_right += not answer.answered
    return {
        "answerable": answerable, "unanswerable": unanswerable,
        "answer@1": round(hits1 / max(1, answerable), 3), "answer@3": round(hits3 / max(1, answerable), 3),
        "unanswerable_refused": round(refused_right / max(1, unanswerable), 3),
        "answerable_wrongly_refused": round(refused_wrong / max(1, answerable), 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=ROOT / "index")
    args = ap.parse_args()
    assistant = Assistant(args.index)
    results = {half: evaluate(assistant, ROOT / "eval" / f"bundled_gold_{half}.jsonl") for half in ("tune", "test")}
    for half, r in results.items():
        print(f"{half:5s} {r}")
    (ROOT / "bench" / "results" / "bundled_gold.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
