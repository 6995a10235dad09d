"""BEIR SciFact: the reader rerank of bench_scifact.py, and the scoring helpers both share.

Why a module of its own: the rerank searches 1,308 settings on the TRAIN queries (documents reread, sentences
read per document, how a document's reader score pools its sentences, the reader's weight, a joint reweighting
of the hybrid's signals), reads each query once and scores the grid vectorised; bench_scifact.py reports the
train-chosen setting on test. See bench_scifact.py's docstring for the protocol.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from metrics import dcg, ndcg_at_k, recall_at_k
from public_data import SciFact, scifact_train_halves

from assistant.api import Assistant
from assistant.query.reading import reader_candidate
from assistant.reader.runtime import load_reader

RERANK_TOPS, RERANK_SENTENCES = (20, 30), (2, 3)  # documents reread per query, sentences read per document
MAX_TOP, MAX_SENTENCES = max(RERANK_TOPS), max(RERANK_SENTENCES)  # read once; every candidate uses a prefix
POOL_DOC = {"max": "max reader logit over its sentences", "mean2": "mean of its best two sentences' logits",
            "lse": "log-sum-exp of its sentences' logits"}
POOLS = tuple(POOL_DOC)
LAM_GRID = (0.0, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, 4.0, None)  # z(reader) vs z(hybrid); None: alone
JOINT_A = (0.3, 0.5, 0.7, 0.9)  # share of sentence vs chunk cosine, reweighted together with the reader
JOINT_W = (0.2, 0.3, 0.4, 0.6)  # weight of z(BM25 doc)
JOINT_LAM = (0.1, 0.2, 0.3, 0.5, 0.75, 1.0)  # weight of z(reader)


def zscore(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / (x.std() + 1e-9)


def ranked(scores: np.ndarray, ids: list[str], k: int = 100) -> list[str]:
    top = np.argpartition(-scores, k)[:k]
    return [ids[i] for i in top[np.argsort(-scores[top], kind="stable")]]


def evaluate(score_fn, sig: dict[str, dict[str, np.ndarray]], qrels: dict[str, dict[str, int]],
             ids: list[str]) -> dict[str, float]:
    nd, rc = [], []
    for qid, rel in qrels.items():
        ranking = ranked(score_fn(sig[qid]), ids)
        nd.append(ndcg_at_k(ranking, rel, 10))
        rc.append(recall_at_k(ranking, rel, 100))
    return {"ndcg@10": round(float(np.mean(nd)), 4), "recall@100": round(float(np.mean(rc)), 4)}


Scorer = Callable[[dict[str, np.ndarray]], np.ndarray]


class DocReader:
    """Reads, once per query, the sentences every candidate reader configuration could use: the base ranking's
    MAX_TOP documents and, in each, its MAX_SENTENCES sentences closest (cosine) to the query. Every searched
    (documents, sentences) pair is a prefix of these, so the train grid never runs the reader again."""

    def __init__(self, store) -> None:
        self.store, self.reader = store, load_reader()
        sent_doc = np.asarray(store.sent_doc)
        self.order = np.argsort(sent_doc, kind="stable")
        self.starts = np.searchsorted(sent_doc[self.order], np.arange(len(store.docs) + 1))
        self.candidates = 0

    def sentences(self, doc: int, qvec: np.ndarray) -> list[int]:
        sids = self.order[self.starts[doc]:self.starts[doc + 1]]
        cos = self.store.sent_vectors[sids] @ qvec
        return [int(sids[i]) for i in np.argsort(-cos, kind="stable")[:MAX_SENTENCES]]

    def top(self, question: str, qvec: np.ndarray, base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The base ranking's MAX_TOP documents (best first) and a [documents x MAX_SENTENCES] array of reader
        logits, sentences in cosine order, NaN where a document has fewer sentences."""
        docs = np.argsort(-base, kind="stable")[:MAX_TOP]
        picks = [(i, j, sid) for i, d in enumerate(docs) for j, sid in enumerate(self.sentences(int(d), qvec))]
        logits = np.full((len(docs), MAX_SENTENCES), np.nan)
        if picks:
            scores = self.reader.score(question, [reader_candidate(self.store, sid) for *_, sid in picks])
            logits[[i for i, _, _ in picks], [j for _, j, _ in picks]] = scores.astype(np.float64)
        self.candidates += len(picks)
        return docs, logits


def pool(logits: np.ndarray, how: str) -> np.ndarray:
    """A document's reader score from its read sentences' logits (rows; NaN: no such sentence). "max" trusts the
    single best sentence; "mean2" and "lse" also credit a second supporting sentence (mean of the best two; a soft
    max). A document with no sentence gets the query's lowest score, below every read document."""
    x = np.where(np.isnan(logits), -np.inf, logits)
    if how == "max":
        out = x.max(axis=1)
    elif how == "mean2":
        best = -np.sort(-x, axis=1)[:, :2]
        n = np.isfinite(best).sum(axis=1)
        out = np.where(n > 0, np.where(np.isfinite(best), best, 0.0).sum(axis=1) / np.maximum(n, 1), -np.inf)
    elif how == "lse":
        m = x.max(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):  # a row without sentences: -inf
            out = (m + np.log(np.exp(x - np.where(np.isfinite(m), m, 0.0)).sum(axis=1, keepdims=True)))[:, 0]
    else:
        raise ValueError(f"unknown pooling {how!r}")
    read = np.isfinite(out)
    return np.where(read, out, out[read].min() if read.any() else 0.0)


@dataclass(frozen=True)
class Rerank:
    """One candidate reranking: the base's ``top`` documents reordered by ``weights`` . z(FEATURES), each feature
    z-scored over those documents; the reader score pools the ``sentences`` best-cosine sentences with ``pool``."""

    top: int
    sentences: int
    pool: str
    weights: tuple[float, ...]  # over FEATURES
    label: str

    @property
    def reader_config(self) -> str:
        return f"top {self.top}, {self.sentences} sentences, {self.pool}"


FEATURES = ("hybrid", "dense_chunk", "dense_sent", "bm25_doc", "reader")


def candidates() -> list[Rerank]:
    """Every candidate, fixed before anything is scored: z(hybrid) + lam z(reader) (lam 0 is the hybrid itself;
    "reader only" orders the top by the reader alone), and the joint family that reweights the hybrid's own
    signals together with the reader, (1-a) z(cos chunk) + a z(cos sent) + w z(BM25) + lam z(reader)."""
    out = []
    for top, sents, how in itertools.product(RERANK_TOPS, RERANK_SENTENCES, POOLS):
        for lam in LAM_GRID:
            w, label = ((0.0, 0.0, 0.0, 0.0, 1.0), "reader only") if lam is None else ((1.0, 0.0, 0.0, 0.0, lam),
                                                                                        f"lam {lam}")
            out.append(Rerank(top, sents, how, w, label))
        for a, w, lam in itertools.product(JOINT_A, JOINT_W, JOINT_LAM):
            out.append(Rerank(top, sents, how, (0.0, 1 - a, a, w, lam), f"joint a {a} w {w} lam {lam}"))
    return out


def top_features(s: dict[str, np.ndarray], base: np.ndarray, top: int, sentences: int, how: str) -> np.ndarray:
    """[top x FEATURES] z-scores over the base's top documents (one code path for the grid and the final rows)."""
    docs = s["reader_docs"][:top]
    cols = [base[docs], s["dense_chunk"][docs], s["dense_sent"][docs], s["bm25_doc"][docs],
            pool(s["reader_logits"][:top, :sentences], how)]
    return np.stack([zscore(c) for c in cols], axis=1)


def reranked(base: Scorer, cfg: Rerank) -> Scorer:
    """``base`` with its ``cfg.top`` documents put first, ordered by ``cfg``; the rest keep the base order."""
    w = np.asarray(cfg.weights)

    def fn(s: dict[str, np.ndarray]) -> np.ndarray:
        b, top = base(s), s["reader_docs"][:cfg.top]
        mixed = top_features(s, b, cfg.top, cfg.sentences, cfg.pool) @ w
        out = b - b.max() - 1.0  # below every reranked document, in the base order
        out[top] = mixed - mixed.min() + 1.0
        return out
    return fn


def grid_ndcg(base: Scorer, sig: dict[str, dict[str, np.ndarray]], qrels: dict[str, dict[str, int]],
              ids: list[str], cands: list[Rerank]) -> list[float]:
    """Mean nDCG@10 of each candidate, vectorised over queries and weights. A rerank only permutes the top
    (>= 10) documents, so nDCG@10 depends on their order alone (and recall@100 is the base's): the same figure
    ``evaluate`` gives, at a fraction of its cost."""
    qids = list(qrels)
    discount = 1.0 / np.log2(np.arange(2, 12))
    out = [0.0] * len(cands)
    groups: dict[tuple[int, int, str], list[int]] = {}
    for i, c in enumerate(cands):
        groups.setdefault((c.top, c.sentences, c.pool), []).append(i)
    for (top, sents, how), members in groups.items():
        gain = np.array([[max(0, qrels[q].get(ids[d], 0)) for d in sig[q]["reader_docs"][:top]] for q in qids],
                        dtype=np.float64)
        ideal = np.array([dcg(sorted((r for r in qrels[q].values() if r > 0), reverse=True)[:10]) for q in qids])
        feats = np.stack([top_features(sig[q], base(sig[q]), top, sents, how) for q in qids])  # [Q, top, F]
        mixed = feats @ np.array([cands[i].weights for i in members]).T  # [Q, top, K]
        order = np.argsort(-mixed, axis=1, kind="stable")[:, :10, :]
        got = (np.take_along_axis(gain[:, :, None], order, axis=1) * discount[None, :, None]).sum(axis=1)
        nd = np.where(ideal[:, None] > 0, got / np.where(ideal > 0, ideal, 1.0)[:, None], 0.0).mean(axis=0)
        for i, v in zip(members, nd, strict=True):
            out[i] = float(v)
    return out


def reader_rerank(assistant: Assistant, data: SciFact, sig: dict[str, dict[str, np.ndarray]],
                  fns: dict[str, Scorer], results: dict[str, dict], ids: list[str]) -> dict:
    """Adds the reranked rows to ``results`` and returns the record for the JSON. Every choice (documents,
    sentences, pooling, weights) is the candidate with the best nDCG@10 on the selection half of TRAIN, the
    claims the reader may not train on (public_data.scifact_train_halves); test is computed once, for it. The
    rows' "train" figures are that half's."""
    _, train = scifact_train_halves(data)
    test = data.qrels["test"]
    hybrids = [n for n in results if n.startswith("hybrid:")]
    base_name = max(hybrids, key=lambda n: results[n]["train"]["ndcg@10"])  # chosen on train
    base, reader = fns[base_name], DocReader(assistant.snapshot().store)
    t0 = time.perf_counter()
    for n, qid in enumerate(sorted(sig)):
        sig[qid]["reader_docs"], sig[qid]["reader_logits"] = reader.top(
            data.queries[qid], sig[qid]["query_vector"], base(sig[qid]))
        if (n + 1) % 200 == 0:
            print(f"  reader: {n + 1}/{len(sig)} queries ({time.perf_counter() - t0:.0f} s)", flush=True)
    t_read = time.perf_counter() - t0
    cands = candidates()
    scores = grid_ndcg(base, sig, train, ids, cands)  # TRAIN only
    best = max(range(len(cands)), key=lambda i: scores[i])  # ties: the first, i.e. the simpler candidate
    cfg = cands[best]
    grid: dict[str, dict[str, float]] = {}
    for c, v in zip(cands, scores, strict=True):
        grid.setdefault(c.reader_config, {})[c.label] = round(v, 4)
    alone = next(c for c in cands if c.reader_config == cfg.reader_config and c.label == "reader only")
    chosen = f"hybrid + reader rerank ({cfg.reader_config}; {cfg.label}; chosen on the selection half of train)"
    rows = {chosen: reranked(base, cfg),
            f"reader only, {cfg.reader_config} of the hybrid (reference)": reranked(base, alone)}
    for name, fn in rows.items():
        results[name] = {"test": evaluate(fn, sig, test, ids), "train": evaluate(fn, sig, train, ids)}
    chosen_row, alone_row = (results[name] for name in rows)
    if abs(chosen_row["train"]["ndcg@10"] - scores[best]) > 1e-4:  # the grid's shortcut must be the metric itself
        raise RuntimeError(f"grid nDCG {scores[best]:.5f} != evaluate {chosen_row['train']['ndcg@10']}")
    per_config = {k: max(v.items(), key=lambda kv: kv[1]) for k, v in grid.items()}
    print(f"reader rerank of '{base_name}': {len(cands)} candidates on train; best per reader configuration "
          f"{per_config}; chosen {cfg.reader_config}, {cfg.label} (train nDCG@10 {scores[best]:.4f})", flush=True)
    return {
        "base": base_name, "base_test": results[base_name]["test"], "selection": (
            f"every candidate below fixed before scoring; the one with the best nDCG@10 on the selection half "
            f"of TRAIN ({len(train)} claims the reader never trains on) is chosen, and test is computed for it "
            f"alone"),
        "searched": {"top_documents": list(RERANK_TOPS), "sentences_per_document": list(RERANK_SENTENCES),
                     "document_score": POOL_DOC, "lam": [("reader only" if g is None else g) for g in LAM_GRID],
                     "joint": {"formula": "(1-a) z(cos chunk) + a z(cos sent) + w z(BM25 doc) + lam z(reader)",
                               "a": list(JOINT_A), "w": list(JOINT_W), "lam": list(JOINT_LAM)},
                     "features_z_scored_over": "the base's top documents of the query",
                     "candidates": len(cands)},
        "top_documents": cfg.top, "sentences_per_document": cfg.sentences,
        "document_score": f"{cfg.pool}: {POOL_DOC[cfg.pool]}", "chosen_lam": cfg.label,
        "chosen_weights": dict(zip(FEATURES, cfg.weights, strict=True)),
        "train_ndcg@10": round(scores[best], 4), "test_ndcg@10": chosen_row["test"]["ndcg@10"],
        "test_recall@100": chosen_row["test"]["recall@100"], "reader_only_test": alone_row["test"],
        "best_train_per_reader_config": {k: {"label": lab, "ndcg@10": v} for k, (lab, v) in per_config.items()},
        "grid_train_ndcg@10": grid,
        "reader_candidates": reader.candidates, "seconds_reading": round(t_read, 1),
        "ms_per_query": round(1000 * t_read / max(len(sig), 1), 1),
    }
