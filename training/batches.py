"""Turning listwise groups into tensors, and the listwise loss with a learned no-answer logit.

Why a no-answer logit: softmax over (candidates + "none answers") trains ranking and refusal at once, and the
learned logit is a calibrated threshold the runtime can read from reader.json (a candidate scoring above it is
more likely to answer than "none").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from assistant.reader.inputs import encode_pairs
from training.groups import Group


def group_tensors(tokenizer, groups: Sequence[Group], size: int, max_length: int,
                  fmt: int) -> tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor]:
    """Model inputs for all candidates of ``groups`` (rows = groups x size, empty slots all padding), the
    (groups x size) mask of real candidates, and the targets (``size`` = none answers)."""
    encs = [encode_pairs(tokenizer, g.question, g.candidates, max_length, fmt) for g in groups]
    width = max(e["input_ids"].shape[1] for e in encs)
    rows = len(groups) * size
    arrays = {k: np.zeros((rows, width), dtype=np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
    valid = np.zeros((len(groups), size), dtype=bool)
    for gi, enc in enumerate(encs):
        n, w = enc["input_ids"].shape
        for k, v in enc.items():
            arrays[k][gi * size : gi * size + n, :w] = v
        arrays["attention_mask"][gi * size + n : (gi + 1) * size, 0] = 1  # an empty slot attends to one pad token
        valid[gi, :n] = True
    targets = [g.target if g.target < len(g.candidates) else size for g in groups]
    return ({k: torch.from_numpy(v) for k, v in arrays.items()}, torch.from_numpy(valid),
            torch.tensor(targets, dtype=torch.long))


def listwise_loss(logits: torch.Tensor, valid: torch.Tensor, targets: torch.Tensor,
                  no_answer: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over each group's candidates plus the no-answer logit (empty slots masked out)."""
    scores = logits.view(valid.shape).masked_fill(~valid, -1e4)
    full = torch.cat([scores, no_answer.expand(valid.shape[0], 1)], dim=1)
    return torch.nn.functional.cross_entropy(full, targets)
