"""Measurement on the report halves (odd-numbered articles), closed setting: only the gold paragraph's sentences.

Figures, each for the reader and for the bi-encoder baseline (all-MiniLM-L6-v2 cosine between question and
sentence, what the product's dense score is):
- v1.1 best sentence: share of questions whose top-scored sentence holds a gold answer (as bench_squad counts);
- v2.0 refusal AUROC of the top score (answerable vs unanswerable), and the share of unanswerable ones refused
  when 80% of answerable ones are answered;
- adversarial AUROC: each v1.1 report question against its twin with a year, number or name swapped for one of
  the same article that the paragraph lacks (top score of the original vs of the twin): does it check
  constraints?
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.reader.inputs import Candidate
from training.data import Question, SquadData
from training.groups import GroupMaker

Scorer = Callable[[str, Sequence[Candidate]], np.ndarray]


@dataclass(frozen=True)
class Figures:
    best_sentence_v11: float
    best_sentence_v11_answerable_in_one: float  # among questions whose answer lies inside one sentence
    refusal_auroc_v20: float
    refused_at_80_answered_v20: float
    best_sentence_v20_answerable: float
    adversarial_auroc_v11: float
    questions_v11: int
    questions_v20: int
    adversarial_pairs: int


def auroc(pos: np.ndarray, neg: np.ndarray) -> float:
    """P(score of a positive > score of a negative), ties counted half (Mann-Whitney)."""
    if not len(pos) or not len(neg):
        return float("nan")
    allv = np.concatenate([pos, neg])
    order = allv.argsort(kind="mergesort")
    ranks = np.empty(len(allv))
    sorted_v = allv[order]
    i = 0
    while i < len(allv):
        j = i
        while j + 1 < len(allv) and sorted_v[j + 1] == sorted_v[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def sample(questions: list[Question], n: int | None, seed: int = 0) -> list[Question]:
    if n is None or n >= len(questions):
        return questions
    return random.Random(seed).sample(questions, n)


def adversarial_pairs(data: SquadData, questions: list[Question], seed: int = 0) -> list[tuple[Question, str]]:
    """(question, its swapped twin) for every answerable report question that has a swap (fixed seed)."""
    maker = GroupMaker(data, 1, random.Random(seed))
    out = []
    for q in questions:
        if q.positives:
            twin = maker.adversarial(q)
            if twin is not None:
                out.append((q, twin.question))
    return out


def top_scores(data: SquadData, scorer: Scorer, items: list[tuple[str, int]]) -> list[np.ndarray]:
    return [scorer(text, data.paragraphs[pid].candidates) for text, pid in items]


def measure(data: SquadData, scorer: Scorer, n: int | None = None) -> Figures:
    """All figures for one scorer; ``n`` samples that many questions of each half (None: all)."""
    v11 = sample(data.report_v11, n)
    s11 = top_scores(data, scorer, [(q.text, q.pid) for q in v11])
    hits = np.array([int(s.argmax()) in q.positives for q, s in zip(v11, s11, strict=True)])
    one = np.array([bool(q.positives) for q in v11])
    v20 = sample(data.report_v20, n)
    s20 = top_scores(data, scorer, [(q.text, q.pid) for q in v20])
    top20 = np.array([float(s.max()) for s in s20])
    ans = np.array([bool(q.answers) for q in v20])
    cut = np.quantile(top20[ans], 0.2) if ans.any() else 0.0
    hits20 = [int(s.argmax()) in q.positives for q, s in zip(v20, s20, strict=True) if q.positives]
    pairs = adversarial_pairs(data, v11)
    orig = np.array([float(s.max()) for s in top_scores(data, scorer, [(q.text, q.pid) for q, _ in pairs])])
    twin = np.array([float(s.max()) for s in top_scores(data, scorer, [(t, q.pid) for q, t in pairs])])
    return Figures(
        round(float(hits.mean()), 4), round(float(hits[one].mean()), 4), round(auroc(top20[ans], top20[~ans]), 4),
        round(float((top20[~ans] < cut).mean()), 4), round(float(np.mean(hits20)), 4),
        round(auroc(orig, twin), 4), len(v11), len(v20), len(pairs))


def bi_encoder_scorer() -> Scorer:
    """Cosine of all-MiniLM-L6-v2 embeddings (question vs sentence alone), cached per text."""
    from sentence_transformers import SentenceTransformer

    from training.model import base_model_path

    model = SentenceTransformer(str(base_model_path()), device="cpu")
    cache: dict[str, np.ndarray] = {}

    def embed(texts: list[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in cache]
        if new:
            for t, v in zip(new, model.encode(new, batch_size=64, normalize_embeddings=True), strict=True):
                cache[t] = v
        return np.stack([cache[t] for t in texts])

    def score(question: str, cands: Sequence[Candidate]) -> np.ndarray:
        return embed([c.sentence for c in cands]) @ embed([question])[0]

    return score


def agreement(data: SquadData, a: Scorer, b: Scorer, n: int = 300) -> dict[str, float]:
    """Spearman correlation and max |difference| of two scorers' raw scores (int8 vs fp32) over the sentences of
    ``n`` report questions' paragraphs, and how often their top sentence agrees."""
    qs = sample(data.report_v11, n, seed=1)
    sa = top_scores(data, a, [(q.text, q.pid) for q in qs])
    sb = top_scores(data, b, [(q.text, q.pid) for q in qs])
    flat_a, flat_b = np.concatenate(sa), np.concatenate(sb)
    ra, rb = flat_a.argsort().argsort().astype(float), flat_b.argsort().argsort().astype(float)
    rho = float(np.corrcoef(ra, rb)[0, 1])  # Spearman (float scores: ties are negligible)
    same_top = float(np.mean([int(x.argmax()) == int(y.argmax()) for x, y in zip(sa, sb, strict=True)]))
    return {"spearman": round(rho, 4), "max_abs_diff": round(float(np.abs(flat_a - flat_b).max()), 4),
            "same_top_sentence": round(same_top, 4), "pairs": int(len(flat_a))}
