"""How a (question, candidate) pair is turned into model input: shared by training and question time.

Why one function: a cross-encoder only works on inputs shaped exactly as in training, so the training script
imports ``encode_pairs`` from here instead of re-implementing it. The candidate is rendered as

    [CLS] question [SEP] title | tail of previous sentence [SEP] sentence [SEP] head of next sentence [SEP]

with the question in segment 0 and the rest in segment 1 (format 1). Format 2 puts the sentence right after the
question and alone in segment 1, its context after it in segment 0:

    [CLS] question [SEP] sentence [SEP] title | tail of previous sentence [SEP] head of next sentence [SEP]

because the 2-layer model trained on format 1 let a neighbour's words lift a sentence that does not answer (the
sentence after the answer won "who keeps a logbook"); in format 2 the segment ids say which tokens are the
candidate, and the same training gave 0.823 closed best sentence against format 1's 0.765 (MODEL_CARD.md).
Tokens are assembled by hand rather than by the tokenizer's pair truncation, because longest-first truncation
would cut the candidate sentence itself while keeping its neighbours; here the budget goes to the sentence first,
then the title, then the neighbours (the previous one keeps its end, the next one its start: the words nearest
the sentence). Any change is a new format number: reader.json names the format its model was trained on, and a
runtime that cannot build it refuses the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tokenizers import Encoding, Tokenizer

FORMAT_VERSION = 2  # what training builds by default (the shipped model's); the runtime builds whichever of
# SUPPORTED_FORMATS the model's reader.json names
SUPPORTED_FORMATS = (1, 2)
MAX_QUESTION_TOKENS = 24
MAX_TITLE_TOKENS = 10
_SPECIALS = 5  # [CLS] q [SEP] title|prev [SEP] sentence [SEP] next [SEP]


@dataclass(frozen=True)
class Candidate:
    """One quotable sentence with the context a reader needs to judge it (DESIGN.md: context lives outside the
    sentence, in its neighbours and its document's title)."""

    sentence: str
    title: str = ""
    previous: str = ""
    next: str = ""


def _budget(n_sentence: int, n_title: int, n_prev: int, n_next: int, room: int) -> tuple[int, int, int, int]:
    """Token counts kept for sentence, title, previous and next, in that order of priority; the neighbours
    share what is left, either one taking the other's unused share."""
    s = min(n_sentence, room)
    t = min(n_title, MAX_TITLE_TOKENS, room - s)
    left = room - s - t
    p = min(n_prev, left // 2)
    n = min(n_next, left - p)
    p = min(n_prev, left - n)
    return s, t, p, n


def _assemble(q: list[int], sent: list[int], title: list[int], prev: list[int], nxt: list[int],
              ids: dict[str, int], max_length: int, fmt: int) -> tuple[list[int], list[int]]:
    """Token ids and segment ids of one pair, at most ``max_length`` long, in input format ``fmt``."""
    q = q[:MAX_QUESTION_TOKENS]
    bar = [ids["|"]] if title else []
    room = max(0, max_length - _SPECIALS - len(q) - len(bar))
    s, t, p, n = _budget(len(sent), len(title), len(prev), len(nxt), room)
    head = [ids["[CLS]"], *q, ids["[SEP]"]]
    before = [*title[:t], *(bar if t else []), *(prev[len(prev) - p:] if p else [])]
    if fmt == 1:
        tail = [*before, ids["[SEP]"], *sent[:s], ids["[SEP]"], *nxt[:n], ids["[SEP]"]]
        return head + tail, [0] * len(head) + [1] * len(tail)
    middle = [*sent[:s], ids["[SEP]"]]
    tail = [*before, ids["[SEP]"], *nxt[:n], ids["[SEP]"]]
    return head + middle + tail, [0] * len(head) + [1] * len(middle) + [0] * len(tail)


def encode_pairs(tokenizer: Tokenizer, question: str, candidates: Sequence[Candidate],
                 max_length: int, fmt: int = FORMAT_VERSION) -> dict[str, np.ndarray]:
    """input_ids, attention_mask, token_type_ids (int64, rows x longest row) for one question's candidates.

    ``tokenizer`` is the model's ``tokenizer.json`` loaded with the ``tokenizers`` library, with truncation and
    padding switched off (see load_tokenizer)."""
    return encode_pairs_with_tokens(tokenizer, question, candidates, max_length, fmt)[0]


def encode_pairs_with_tokens(tokenizer: Tokenizer, question: str, candidates: Sequence[Candidate], max_length: int,
                             fmt: int = FORMAT_VERSION) -> tuple[dict[str, np.ndarray], list[Encoding], list[Encoding]]:
    """``encode_pairs``'s arrays, plus the question's and each candidate sentence's own encodings (tokens and
    character offsets, for the highlight head), from the one tokenizer pass."""
    if fmt not in SUPPORTED_FORMATS:
        raise ValueError(f"unknown reader input format {fmt}")
    ids = {tok: int(tokenizer.token_to_id(tok)) for tok in ("[CLS]", "[SEP]", "[PAD]", "|")}
    texts = [question] + [x for c in candidates for x in (c.sentence, c.title, c.previous, c.next)]
    # each text once: the candidates of a question share their document's title, and a candidate's neighbour is
    # often another candidate (the tokenizer is deterministic, so this changes no id)
    unique = list(dict.fromkeys(texts))
    encoded = dict(zip(unique, tokenizer.encode_batch(unique, add_special_tokens=False), strict=True))
    encodings = [encoded[t] for t in texts]
    enc = [e.ids for e in encodings]
    q = enc[0]
    rows = [_assemble(q, *enc[1 + 4 * i: 5 + 4 * i], ids=ids, max_length=max_length, fmt=fmt)
            for i in range(len(candidates))]
    width = max((len(r[0]) for r in rows), default=0)
    out = {name: np.zeros((len(rows), width), dtype=np.int64)
           for name in ("input_ids", "attention_mask", "token_type_ids")}
    out["input_ids"].fill(ids["[PAD]"])
    for i, (tok, seg) in enumerate(rows):
        out["input_ids"][i, : len(tok)] = tok
        out["attention_mask"][i, : len(tok)] = 1
        out["token_type_ids"][i, : len(seg)] = seg
    return out, encodings[:1], encodings[1::4]


def load_tokenizer(path: str) -> Tokenizer:
    """The ``tokenizer.json`` at ``path`` with its own truncation and padding switched off (we assemble rows)."""
    from tokenizers import Tokenizer as HfTokenizer

    tok = HfTokenizer.from_file(path)
    tok.no_truncation()
    tok.no_padding()
    return tok
