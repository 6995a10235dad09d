"""Answer quality on the bundled gold set, reported separately for the tuning and the test half.

    .venv/bin/python bench/eval_gold.py [--index index] [--set bundled_gold|natural_gold] [--out PATH]

The metrics of `assistant eval` (assistant/evaluation.py): answer@1 / answer@3 by the DESIGN.md rule (an answered
quote contains a gold answer, folded, from the gold document), document hit@k, MRR, highlight EM/F1, share of
unanswerable questions refused, share of answerable questions wrongly refused, latency. Weights were tuned on the
tuning half only; the test half is reported, never tuned on. Writes bench/results/bundled_gold.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "bench"))

from public_data import existing_index  # noqa: E402

from assistant.api import Assistant  # noqa: E402
from assistant.evaluation import evaluate, load_gold  # noqa: E402

FORMS = (("how many", "how many/much"), ("how much", "how many/much"), ("who", "who"), ("when", "when"),
         ("why", "why"), ("which", "which"), ("where", "where"), ("what", "what"), ("how", "how"))


def question_form(question: str) -> str:
    """The question's wh-form, found anywhere in it ("According to X, who ..." is a who-question)."""
    low = question.lower()
    hits = [(low.find(k), -len(k), label) for k, label in FORMS if re.search(rf"\b{k}\b", low)]
    return min(hits)[2] if hits else "other"


def by_form(report) -> dict[str, dict[str, object]]:
    """answer@1 per question form over the answerable questions, with the failing question ids."""
    out: dict[str, dict[str, object]] = {}
    for r in report.results:
        if not r.answerable:
            continue
        row = out.setdefault(question_form(r.question), {"n": 0, "answer@1": 0.0, "failures": []})
        row["n"] += 1
        if r.passed:
            row["answer@1"] += 1
        else:
            row["failures"].append(r.id)
    for row in out.values():
        row["answer@1"] = round(row["answer@1"] / row["n"], 3)
    return dict(sorted(out.items(), key=lambda kv: kv[1]["answer@1"]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=ROOT / "index")
    ap.add_argument("--set", default="bundled_gold", choices=("bundled_gold", "natural_gold"),
                    help="eval/<set>_tune.jsonl and eval/<set>_test.jsonl")
    ap.add_argument("--out", type=Path, help="default: bench/results/<set>.json")
    args = ap.parse_args()
    assistant = Assistant(existing_index(args.index))
    results = {}
    for half in ("tune", "test"):
        report = evaluate(assistant, load_gold(ROOT / "eval" / f"{args.set}_{half}.jsonl"))
        forms = by_form(report)
        if half == "test":  # a test half is reported, never read question by question (eval/README.md)
            forms = {form: {k: v for k, v in row.items() if k != "failures"} for form, row in forms.items()}
        results[half] = {**report.metrics, "by_question_form": forms}
        print(f"{half:5s} {report.metrics}")
        for form, row in forms.items():
            failures = row.get('failures', '-')
            print(f"      {form:14s} n={row['n']:3d} answer@1={row['answer@1']:.3f} failures={failures}")
    (args.out or ROOT / "bench" / "results" / f"{args.set}.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
