"""The product opened on the SQuAD bench index, and what every SQuAD measurement needs from it.

Answers come from the product itself: ``Assistant.trace`` for the product as configured, and the public stages of
``assistant.query.pipeline.Pipeline`` (rank -> decide -> quote) on the same candidates for the variants that only
change the sentence weights. So no copy of the question path lives in bench, and nothing here can drift from
``Assistant.ask``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from public_data import SquadParagraph, SquadQuestion  # noqa: E402

from assistant.api import Assistant  # noqa: E402
from assistant.config import AnswerSettings  # noqa: E402
from assistant.evaluation import GoldItem, quote_hits  # noqa: E402
from assistant.folding import fold_text as fold  # noqa: E402
from assistant.index.store import IndexStore  # noqa: E402
from assistant.query.pipeline import Pipeline, Trace  # noqa: E402
from assistant.query.types import Answer, Candidates, Query  # noqa: E402

K = 3  # quotes per answer, as DESIGN.md's answer@3


@dataclass(frozen=True)
class SquadProduct:
    """One loaded SQuAD index and its pipeline; ``doc_index`` maps a document path to its id in the store."""

    assistant: Assistant
    pipeline: Pipeline
    store: IndexStore
    settings: AnswerSettings
    doc_index: dict[str, int]
    layout: str

    @classmethod
    def open(cls, index_dir: Path, layout: str) -> SquadProduct:
        assistant = Assistant(index_dir)
        assistant.warm_up()
        snap = assistant.snapshot()
        return cls(assistant, snap.pipeline, snap.store, assistant.settings,
                   {d.doc: i for i, d in enumerate(snap.store.docs)}, layout)

    @property
    def weights(self) -> dict[str, float]:
        """The sentence weights the product ranks with (params.json, then any settings override)."""
        return {**self.pipeline.params.weights, **self.settings.weights}

    def doc_id(self, p: SquadParagraph) -> int:
        return self.doc_index[p.doc_name(self.layout)]

    def trace(self, question: str, doc: str | None = None, k: int = K) -> Trace:
        """The product's answer (``Assistant.trace``), optionally restricted to one document (closed setting)."""
        return self.assistant.trace(question, k, [doc] if doc else None)

    def candidates(self, question: str, doc_id: int | None = None) -> tuple[Query, Candidates]:
        """Stages 1-2 only: what does not depend on the sentence weights (for tuning them)."""
        query = self.pipeline.prepare(question)
        return query, self.pipeline.candidates(query, self.settings, {doc_id} if doc_id is not None else None)

    def reweighted(self, trace: Trace, weights: dict[str, float], k: int = K) -> Trace:
        """The product's rank, decide and quote stages on ``trace``'s candidates with other sentence weights."""
        return self.pipeline.answer(trace.query, trace.candidates, replace(self.settings, weights=weights), k)

    def sentence_holds(self, sid: int, answers: tuple[str, ...]) -> bool:
        text = fold(self.store.sentence_text(sid))
        return any(fold(a) in text for a in answers)


def gold_item(q: SquadQuestion, paragraphs: list[SquadParagraph], layout: str) -> GoldItem:
    return GoldItem(q.qid, q.question, q.answers, paragraphs[q.pid].doc_name(layout))


def prediction(answer: Answer) -> str:
    """The span submitted to the SQuAD scorer: the top quote's highlight, else its whole text."""
    if not answer.quotes:
        return ""
    q = answer.quotes[0]
    return q.highlight if q.highlight is not None else q.text


def hit_rank(answer: Answer, item: GoldItem, k: int = K) -> int | None:
    """1-based rank of the first of the first ``k`` quotes that answers ``item`` (DESIGN.md rule), or None."""
    for rank, q in enumerate(answer.quotes[:k], 1):
        if quote_hits(q.text, q.doc, item):
            return rank
    return None


def sentence_hits(product: SquadProduct, cands: Candidates, answers: tuple[str, ...], gold: int) -> np.ndarray:
    """For each candidate sentence: it is in the gold paragraph and holds a gold answer (folded)."""
    s = product.store
    return np.array([int(s.sent_doc[i]) == gold and product.sentence_holds(int(i), answers) for i in cands.ids],
                    dtype=bool)
