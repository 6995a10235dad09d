"""ONNX export (fp32) and per-channel dynamic int8 quantisation of the cross-encoder.

As the project's embedding export (assistant/embedding/onnx_backend.py): the TorchScript exporter (dynamo=False) with
eager attention, which ONNX Runtime fuses better than the SDPA graph; the graph includes pooling and the head, so
the runtime only feeds token ids and reads one logit per row.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from pathlib import Path

import torch

from training.model import CrossEncoder

OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def export_fp32(model: CrossEncoder, dest: Path) -> None:
    """Write the fp32 graph with dynamic batch and length."""
    model = model.eval()
    sample = (torch.ones(2, 16, dtype=torch.long), torch.ones(2, 16, dtype=torch.long),
              torch.zeros(2, 16, dtype=torch.long))
    log = logging.getLogger("torch.onnx")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        with torch.no_grad(), warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            torch.onnx.export(model, sample, str(dest), input_names=list(INPUTS), output_names=["logits"],
                              opset_version=OPSET, dynamo=False,
                              dynamic_axes={**{n: {0: "batch", 1: "seq"} for n in INPUTS}, "logits": {0: "batch"}})
    finally:
        log.setLevel(level)


def quantize_int8(fp32: Path, dest: Path) -> None:
    """Per-channel dynamic int8 (QInt8 weights, activations quantised at run time)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.disable(logging.WARNING)
    try:
        quantize_dynamic(fp32, dest, per_channel=True, weight_type=QuantType.QInt8,
                         extra_options={"DefaultTensorType": 1})
    finally:
        logging.disable(logging.NOTSET)
