"""Refusal AUROC on SQuAD v2.0's report half: how well the product's evidence separates answerable from
unanswerable questions, with the reader and learned ranker (now) and without them (``--no-reader``, before).

    .venv/bin/python bench/squad_v20_auroc.py [--every 2] [--out bench/results/squad_v20_auroc.json]

Open setting (all 2,067 paragraphs), odd-numbered articles of dev-v2.0 (never fitted on), every n-th question.
The evidence is ``Assistant.trace(...).decision.evidence``, the score the strictness levels threshold.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from public_data import data_root, squad_index, squad_questions  # noqa: E402

from assistant.api import Assistant  # noqa: E402
from training.evaluate import auroc  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--every", type=int, default=2, help="every n-th report-half question")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "squad_v20_auroc.json")
    args = ap.parse_args()
    paragraphs, index_dir, _ = squad_index()
    questions = [q for q in squad_questions(data_root(), "2.0", paragraphs) if q.article % 2 == 1][:: args.every]
    answerable = np.array([bool(q.answers) for q in questions])
    assistant = Assistant(index_dir)
    assistant.warm_up()
    out: dict[str, float] = {}
    for name, settings in (("before: first stage and evidence model (--no-reader)",
                            replace(assistant.settings, reader=False)),
                           ("now: reader and learned ranker", assistant.settings)):
        t0 = time.perf_counter()
        ev = np.array([assistant.trace(q.question, settings=settings).decision.evidence for q in questions])
        out[name] = round(auroc(ev[answerable], ev[~answerable]), 4)
        print(f"{name}: refusal AUROC {out[name]} ({time.perf_counter() - t0:.0f} s)", flush=True)
    args.out.write_text(json.dumps({
        "questions": len(questions), "answerable": int(answerable.sum()),
        "which": f"every {args.every}th dev-v2.0 question of the odd-numbered articles, open setting",
        "refusal_auroc": out, "date": time.strftime("%Y-%m-%d"),
        "command": "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]])}, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
