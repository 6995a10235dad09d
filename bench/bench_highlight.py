"""Highlight quality end to end: the product's top quote's highlight against SQuAD answers, odd-numbered articles.

    .venv/bin/python bench/bench_highlight.py [--sample 1000] [--seed 0] [--compare-without-head] [--out PATH]

Questions: a seeded sample of dev-v1.1 questions from its odd-numbered articles (bench_squad's report half; the
highlight head is fitted on even ones, training/train_span_head.py). Each is asked through ``Assistant.trace``
over the whole SQuAD bench index (open) and over its gold paragraph only (closed, the ``docs`` filter). Scored:
SQuAD token F1 and EM of the top quote's highlight (its whole text when it has none, as bench_squad does), the
share of top quotes with a highlight, and the F1 over the top quotes that hold the answer (the highlight's own
quality, apart from retrieval). With --compare-without-head the same runs repeat with a copy of the reader that
has no highlight head (the answer-type patterns alone: the product before the head). Writes
bench/results/highlight.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from public_data import data_root, squad_index, squad_questions  # noqa: E402
from squad_common import SquadProduct, gold_item, hit_rank, prediction  # noqa: E402

from assistant.evaluation import squad_em, squad_f1  # noqa: E402
from assistant.reader.runtime import MODEL_DIR, READER_ENV, SPAN_FILE  # noqa: E402

OUT = ROOT / "bench" / "results" / "highlight.json"


def measure(sample: int, seed: int) -> dict[str, dict[str, float]]:
    paragraphs, index_dir, _ = squad_index()
    questions = [q for q in squad_questions(data_root(), "1.1", paragraphs) if q.article % 2 == 1]
    random.Random(seed).shuffle(questions)
    questions = questions[:sample]
    product = SquadProduct.open(index_dir, "html")
    out: dict[str, dict[str, float]] = {}
    for setting in ("open", "closed"):
        f1s, ems, marked, right_f1 = [], [], [], []
        for q in questions:
            item = gold_item(q, paragraphs, "html")
            answer = product.trace(q.question, item.doc if setting == "closed" else None).answer
            pred = prediction(answer)
            f1s.append(squad_f1(pred, q.answers))
            ems.append(squad_em(pred, q.answers))
            marked.append(bool(answer.quotes) and answer.quotes[0].highlight is not None)
            if hit_rank(answer, item, 1) == 1:
                right_f1.append(f1s[-1])
        n = len(questions)
        out[setting] = {"questions": n, "highlight_f1": round(sum(f1s) / n, 4), "highlight_em": round(sum(ems) / n, 4),
                        "top_quote_marked": round(sum(marked) / n, 4),
                        "f1_when_top_quote_answers": round(sum(right_f1) / max(len(right_f1), 1), 4),
                        "top_quote_answers": round(len(right_f1) / n, 4)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sample", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--compare-without-head", action="store_true")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.sample, args.seed)))
        return
    t0 = time.perf_counter()
    result = {"bench": "bench_highlight.py", "date": time.strftime("%Y-%m-%d %H:%M"), "sample": args.sample,
              "seed": args.seed, "questions": "dev-v1.1, odd-numbered articles (never fitted on)",
              "with_head": measure(args.sample, args.seed)}
    if args.compare_without_head:
        with tempfile.TemporaryDirectory() as tmp:
            bare = Path(tmp) / "reader"
            shutil.copytree(MODEL_DIR, bare)
            (bare / SPAN_FILE).unlink(missing_ok=True)
            run = subprocess.run([sys.executable, __file__, "--child", "--sample", str(args.sample), "--seed",
                                  str(args.seed)], capture_output=True, text=True, check=True, cwd=ROOT,
                                 env={**os.environ, READER_ENV: str(bare)})
            result["without_head"] = json.loads(run.stdout.strip().splitlines()[-1])
    result["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(result, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
