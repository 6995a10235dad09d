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


TOKEN_PROJECTION, TOKEN_SCORES = "token_projection", "token_scores"


def add_token_scores(model_file: Path) -> dict[str, object]:
    """Give the graph a second input and output: ``token_scores = last_layer_states @ token_projection`` (fp32).

    Why in the graph: the highlight head (assistant/query/highlight.py) needs each token's state only through a
    few dot products, so the runtime feeds the head's state weights as ``token_projection`` [width, k] and reads
    [rows, tokens, k] back from the run that scores, instead of every state (8 x 64 x 384 floats a question);
    training feeds the identity to read the states themselves. The logits are unchanged."""
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load(str(model_file))
    names = [o for node in model.graph.node if node.op_type == "LayerNormalization" for o in node.output
             if "/output/LayerNorm/" in o and "/attention/" not in o]
    if not names:
        raise ValueError(f"{model_file}: no encoder layer output found")
    hidden = max(names, key=lambda o: int(o.split("/layer.")[1].split("/")[0]))
    norm = next(n for n in model.graph.node if hidden in n.output)
    width = next(int(t.dims[0]) for t in model.graph.initializer if t.name == norm.input[1])  # LayerNorm scale
    if TOKEN_SCORES not in [o.name for o in model.graph.output]:
        model.graph.input.append(helper.make_tensor_value_info(TOKEN_PROJECTION, TensorProto.FLOAT, ["width", "k"]))
        model.graph.node.append(helper.make_node("MatMul", [hidden, TOKEN_PROJECTION], [TOKEN_SCORES],
                                                 name="token_scores_matmul"))
        model.graph.output.append(helper.make_tensor_value_info(TOKEN_SCORES, TensorProto.FLOAT,
                                                                ["batch", "seq", "k"]))
        onnx.save(model, str(model_file))
    return {"input": TOKEN_PROJECTION, "output": TOKEN_SCORES, "states": hidden, "width": width}


def main() -> None:
    """``python -m training.export --token-scores DIR``: add_token_scores on DIR's int8 model, reader.json updated."""
    import argparse
    import json

    from assistant.digest import file_sha256
    from assistant.reader.runtime import META_FILE, MODEL_FILE

    ap = argparse.ArgumentParser()
    ap.add_argument("--token-scores", type=Path, required=True, metavar="MODEL_DIR")
    args = ap.parse_args()
    meta_path = args.token_scores / META_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["token_scores"] = add_token_scores(args.token_scores / MODEL_FILE)
    meta["sha256"] = file_sha256(args.token_scores / MODEL_FILE)
    meta_path.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(f"{meta_path}: token_scores {meta['token_scores']}, sha256 {meta['sha256']}")


if __name__ == "__main__":
    main()
