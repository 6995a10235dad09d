"""Answer quality on the bundled gold set, reported separately for the tuning and the test half.

    .venv/bin/python bench/eval_gold.py [--index index]

The metrics of `assistant eval` (assistant/evaluation.py): answer@1 / answer@3 by the DESIGN.md rule (an answered
quote contains a gold answer, folded, from the gold document), document hit@k, MRR, highlight EM/F1, share of
unanswerable questions refused, share of answerable questions wrongly refused, latency. Weights were tuned on the
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
from assistant.evaluation import evaluate, load_gold  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=ROOT / "index")
    args = ap.parse_args()
    assistant = Assistant(args.index)
    results = {}
    for half in ("tune", "test"):
        results[half] = evaluate(assistant, load_gold(ROOT / "eval" / f"bundled_gold_{half}.jsonl")).metrics
        print(f"{half:5s} {results[half]}")
    (ROOT / "bench" / "results" / "bundled_gold.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
