"""Quick look at a training checkpoint with torch (no export): the report-half figures on a sample.

Why: a long run on a shared machine should be checked mid-way (is it learning at all?) without waiting for the
export; a sample of a few hundred questions a half is enough to see that.

    python -m training.eval_checkpoint build/reader/checkpoint.pt --questions 300
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from assistant.reader.inputs import Candidate, encode_pairs, load_tokenizer
from training.data import load_squad
from training.evaluate import measure
from training.model import CrossEncoder, base_model_path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkpoint", type=Path)
    ap.add_argument("--questions", type=int, default=300)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    state = torch.load(args.checkpoint, weights_only=False)
    cfg = state["config"]
    model = CrossEncoder(cfg["layers"])
    model.load_state_dict(state["model"])
    model.eval()
    tok = load_tokenizer(str(base_model_path() / "tokenizer.json"))

    def score(question: str, cands: Sequence[Candidate]) -> np.ndarray:
        enc = encode_pairs(tok, question, cands, cfg["max_length"], cfg.get("input_format", 1))
        with torch.no_grad():
            return model(**{k: torch.from_numpy(v) for k, v in enc.items()}).numpy()

    figures = measure(load_squad(), score, args.questions)
    print(json.dumps({"step": state["step"], "no_answer": float(state["no_answer"]), **asdict(figures)}, indent=1))


if __name__ == "__main__":
    main()
