"""Choose the sentence-scoring weights and the abstention model on the TUNING half of the gold set only.

    .venv/bin/python bench/tune_answering.py [--index index] [--gold eval/bundled_gold_tune.jsonl]

Candidates and their features do not depend on the weights, so they are computed once per question; the
weights are then chosen by coordinate ascent on answer@1 (+ answer@3 and MRR as tie-breaks), and the evidence
model by logistic regression (answerable vs not) on the best sentence's features. Prints the values to paste
into assistant/answering.py and writes bench/results/tune_answering.json. The test half is never read here.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.api import Assistant  # noqa: E402
from assistant.evaluation import first_hit_rank, load_gold  # noqa: E402
from assistant.index.lexical import tokenize  # noqa: E402
from assistant.query.answer_types import question_type  # noqa: E402
from assistant.query.answering import (  # noqa: E402
    DEFAULT_WEIGHTS,
    EVIDENCE_FEATURES,
    Extractor,
    evidence_features,
    score_candidates,
)
from assistant.query.retrieval import Query  # noqa: E402

# Signals comparable across questions; max-normalised BM25 features are 1.0 for every question's best hit.
ABSOLUTE_SIGNALS = ("sent_dense", "chunk_dense", "cover", "cover_context", "doc_match", "answer_type", "bm25_strength")
MAX_WRONGLY_REFUSED = 0.07  # a little under the 0.10 goal, to leave a margin for unseen questions


def prepare(assistant: Assistant, items):
    snap = assistant._snapshot()
    cfg = assistant.settings
    out = []
    for item in items:
        vec = snap.embedder.encode_query(item.question)
        query = Query(item.question, vec, tuple(tokenize(item.question)), question_type(item.question))
        cands = snap.searcher.candidates(query, cfg.chunk_candidates, cfg.sentence_candidates)
        out.append((item, query, cands))
    return out


def ranks(assistant: Assistant, prepared, weights) -> list[int | None]:
    extractor = Extractor(assistant.store, assistant.settings)
    res = []
    for item, query, cands in prepared:
        if not item.answerable:
            continue
        quotes = extractor.quotes(query, cands, score_candidates(cands, weights), 3)
        res.append(first_hit_rank([(q.text, q.doc) for q in quotes], item))
    return res


def objective(rs: list[int | None]) -> tuple[float, float, float]:
    n = len(rs) or 1
    a1 = sum(r == 1 for r in rs) / n
    a3 = sum(r is not None for r in rs) / n
    mrr = sum(1 / r for r in rs if r) / n
    return a1, a3, mrr


def tune_weights(assistant, prepared, start: dict[str, float], passes: int = 3) -> dict[str, float]:
    best = dict(start)

    def key(w):
        a1, a3, mrr = objective(ranks(assistant, prepared, w))
        return a1 + 0.3 * a3 + 0.1 * mrr

    best_val = key(best)
    for _ in range(passes):
        improved = False
        for name in list(best):
            for mult in (0.0, 0.5, 0.75, 1.5, 2.0, 3.0):
                trial = {**best, name: round(best[name] * mult if best[name] else 0.25 * mult, 4)}
                val = key(trial)
                if val > best_val + 1e-9:
                    best, best_val, improved = trial, val, True
        if not improved:
            break
    return best


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 0.05, steps: int = 4000) -> tuple[np.ndarray, float]:
    """Class-balanced, L2-regularised logistic regression with non-negative weights (on ~50 examples a free
    fit flips signs, e.g. penalising a sentence for covering the question)."""
    mu, sd = x.mean(0), x.std(0) + 1e-6
    balance = np.where(y == 1, 0.5 / max(1.0, y.mean()), 0.5 / max(1e-6, 1 - y.mean()))
    z = (x - mu) / sd
    w = np.zeros(z.shape[1])
    b = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        g = (p - y) * balance
        w -= 0.1 * (z.T @ g / len(y) + l2 * w)
        w = np.maximum(w, 0.0)  # every signal may only raise the odds of answering: no overfit sign flips
        b -= 0.1 * g.mean()
    return w / sd, b - float((w / sd) @ mu)  # back to raw feature units


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=ROOT / "index")
    ap.add_argument("--gold", type=Path, default=ROOT / "eval" / "bundled_gold_tune.jsonl")
    args = ap.parse_args()
    assert "test" not in args.gold.name, "never tune on the test half"
    assistant = Assistant(args.index)
    items = load_gold(args.gold)
    prepared = prepare(assistant, items)
    before = objective(ranks(assistant, prepared, DEFAULT_WEIGHTS))
    weights = tune_weights(assistant, prepared, DEFAULT_WEIGHTS)
    after = objective(ranks(assistant, prepared, weights))
    print(f"answer@1/@3/MRR on tune half: before {before}, after {after}")
    print("DEFAULT_WEIGHTS =", json.dumps(weights))

    xs, ys = [], []
    for item, _, cands in prepared:
        scores = score_candidates(cands, weights)
        if len(scores):
            xs.append(evidence_features(cands, int(scores.argmax())))
            ys.append(1.0 if item.answerable else 0.0)
    cols = [EVIDENCE_FEATURES.index(f) for f in ABSOLUTE_SIGNALS]
    x, y = np.array(xs)[:, cols], np.array(ys)
    coef, bias = fit_logistic(x, y)
    logits = x @ coef + bias
    table = []
    chosen = None
    for t in np.linspace(-3, 3, 49):
        refused_unans = float(((logits < t) & (y == 0)).sum() / max(1, (y == 0).sum()))
        refused_ans = float(((logits < t) & (y == 1)).sum() / max(1, (y == 1).sum()))
        table.append({"threshold": round(float(t), 3), "unanswerable_refused": round(refused_unans, 3),
                      "answerable_refused": round(refused_ans, 3)})
        if refused_ans <= MAX_WRONGLY_REFUSED and (chosen is None or refused_unans > chosen[1]):
            chosen = (float(t), refused_unans, refused_ans)
        print(f"threshold {t:+.2f}: unanswerable refused {refused_unans:.2f}, answerable refused {refused_ans:.2f}")
    assert chosen is not None
    bias -= chosen[0]  # so that the default threshold 0 is the chosen operating point
    print(f"chosen operating point: unanswerable refused {chosen[1]:.2f}, answerable refused {chosen[2]:.2f}")
    ev = {f: round(float(c), 4) for f, c in zip(ABSOLUTE_SIGNALS, coef, strict=True)}
    print("EVIDENCE_WEIGHTS =", json.dumps(ev))
    print("EVIDENCE_BIAS =", round(bias, 4))
    out = ROOT / "bench" / "results" / "tune_answering.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "gold": str(args.gold.relative_to(ROOT)), "n": len(items), "before": before, "after": after,
        "weights": weights, "evidence_weights": ev, "evidence_bias": bias, "thresholds": table,
    }, indent=1))


if __name__ == "__main__":
    main()
