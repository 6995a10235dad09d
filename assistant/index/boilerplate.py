"""Which sentences are boilerplate (copyright lines, addresses): a property of the whole corpus, computed by the
build and stored with the units, so no question ever has to look at every sentence."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np

_DIGITS = re.compile(r"\d+")


def boilerplate_flags(texts: Iterable[str], docs: Sequence[int], n_docs: int) -> np.ndarray:
    """1 for sentences whose words (digits masked) recur in 40% of documents (and 3+): copyright lines,
    addresses. Rarer repeats are often answers ("Overall effectiveness Good" on several cover pages). A property
    of the whole corpus, so the index build computes it (units.npz ``sent_boilerplate``), never a query."""
    docs_by_text: dict[str, set[int]] = defaultdict(set)
    keys = []
    for text, doc in zip(texts, docs, strict=True):
        key = _DIGITS.sub("#", " ".join(text.lower().split()))
        keys.append(key)
        docs_by_text[key].add(int(doc))
    floor = max(3, int(0.4 * n_docs))
    return np.array([1 if len(docs_by_text[k]) >= floor else 0 for k in keys], dtype=np.uint8)
