"""Measure an already exported reader (the figures training would write), e.g. after a run stopped before its
evaluation, or with more threads once the machine is free.

    python -m training.evaluate_model --model build/reader-v2/model --fp32 build/reader-v2/reader-fp32.onnx \\
        --baseline-from bench/results/reader_training.json --results bench/results/reader_training.json

The bi-encoder baseline does not depend on the reader, so --baseline-from reuses figures measured on the same
report questions instead of recomputing them (~5 min).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from training.data import load_squad
from training.publish import SPLIT, evaluate_all, record


def main() -> None:
    from bench.public_data import provenance

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--fp32", type=Path, required=True)
    ap.add_argument("--baseline-from", type=Path, default=None)
    ap.add_argument("--results", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--questions", type=int, default=None)
    args = ap.parse_args()
    meta = json.loads((args.model / "reader.json").read_text(encoding="utf-8"))
    data = load_squad()
    baseline: bool | dict = True
    if args.baseline_from:
        baseline = json.loads(args.baseline_from.read_text(encoding="utf-8"))["figures"]["bi_encoder_cosine"]
    figures = evaluate_all(data, args.model, args.fp32.resolve(), args.questions, baseline, args.threads)
    training = {**meta["training"], "train_titles": list(data.train_titles)}
    report = {"config": meta["config"], "training": training, "model_mb": round(
        (args.model / "reader-int8.onnx").stat().st_size / 1e6, 2), "figures": figures, "split": SPLIT,
        **provenance()}
    record(args.model, report, args.results, card=True)


if __name__ == "__main__":
    main()
