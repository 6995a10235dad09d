"""BEIR SciFact (test) document ranking with the product's index primitives: BM25, dense, and hybrids.

    .venv/bin/python bench/bench_scifact.py [--data DIR] [--cache DIR] [--out PATH]

Each abstract is one Markdown document (``# <title>``, blank line, abstract; see public_data.py) indexed with
``assistant.index.build_index`` into a cache outside the repository (about 15 minutes the first time on 2 cores,
seconds after). A document's score is the max over its units (chunks carry the document's context line, i.e.
its title). Variants, side by side:

* BM25 over whole documents (the product's tokeniser and bm25s, built here over title + abstract) and the
  product's chunk BM25 (max over chunks); dense = MiniLM cosine, max over chunks or over sentences;
* the product's own chunk fusion (cosine + params.json's fusion weight * BM25/max), RRF (k=60) of document
  BM25 and dense, and weighted score fusions whose weights are chosen on the 809 TRAIN queries (grid search on
  nDCG@10) and then reported on the 300 test queries. Nothing is tuned on test;
* hybrid + reader rerank: the hybrid with the best train nDCG@10 keeps its order except for its top N documents,
  which are reordered by a weighted sum of z-scores taken over those N documents. A document's reader score pools
  the product's cross-encoder logits over its S sentences closest (cosine) to the query. Searched jointly, all on
  the selection half of the TRAIN queries (public_data.scifact_train_halves: 418 claims the reader never trains
  on, since it may train on the other half; 1,308 candidates fixed up front): N in (20, 30); S in (2, 3); pooling
  max, mean of the best two, or log-sum-exp; then either z(hybrid) + lam z(reader), lam in (0, 0.1, 0.2, 0.25,
  0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 4) or the reader alone, or the joint family (1-a) z(cos chunk) + a z(cos sent)
  + w z(BM25) + lam z(reader), which reweights the hybrid's own signals together with the reader (a, w, lam on
  small grids). The candidate with the best selection-half nDCG@10 is the reported "hybrid + reader rerank"; test
  is computed for it alone, with "reader only" (same N, S and pooling) for reference. The reader runs once per
  query (30 documents x 3 sentences; every candidate uses a prefix of those) and the grid is scored vectorised.
  The JSON keeps the whole selection grid, the chosen configuration and its test figure.

nDCG@10 and recall@100 as BEIR/pytrec_eval compute them (bench/metrics.py). Writes bench/results/scifact.json
(or --out). The index is built here when missing.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from metrics import doc_max, rrf  # noqa: E402
from public_data import SciFact, data_root, provenance, scifact_index  # noqa: E402
from scifact_rerank import Scorer, evaluate, reader_rerank, zscore  # noqa: E402

from assistant.api import Assistant  # noqa: E402
from assistant.index.lexical import Bm25Index, tokenize  # noqa: E402

RESULTS = ROOT / "bench" / "results"
W_GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5, 2.0)
Z_GRID = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.2, 1.5, 2.0)
A_GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)  # share of sentence vs chunk cosine
PUBLISHED = {"BM25 (Anserini, multifield)": 0.665, "BM25 (Anserini, flat)": 0.679,
             "all-MiniLM-L6-v2 (MTEB)": 0.645, "bge-small-en-v1.5 (MTEB)": 0.713}


class Signals:
    """Per-query document-level signals from the product's stored units (computed once, then fused freely)."""

    NAMES = ("bm25_doc", "bm25_chunk", "dense_chunk", "dense_sent", "product_fusion")

    def __init__(self, assistant: Assistant) -> None:
        snap = assistant.snapshot()
        self.store = snap.store
        self.embedder = snap.embedder
        self.ids = [d.doc.removesuffix(".md") for d in self.store.docs]
        self.n = len(self.ids)
        # BM25 over each whole document (title + abstract), the product's tokeniser: built here, cheap
        self.doc_bm25 = Bm25Index.build([tokenize(" ".join(d.pages)) for d in self.store.docs])
        self.fusion = snap.pipeline.params.fusion_bm25_weight  # the product's chunk fusion weight (params.json)

    def of(self, query: str) -> dict[str, np.ndarray]:
        s = self.store
        toks = tokenize(query)
        q = self.embedder.encode_query(query)
        cb = s.chunk_bm25.scores(toks)
        cb = cb / (cb.max() or 1.0)
        cd = s.chunk_vectors @ q
        db = self.doc_bm25.scores(toks)
        return {
            "bm25_doc": db / (db.max() or 1.0),
            "bm25_chunk": doc_max(cb, s.chunk_doc, self.n),
            "dense_chunk": doc_max(cd, s.chunk_doc, self.n),
            "dense_sent": doc_max(s.sent_vectors @ q, s.sent_doc, self.n),
            "product_fusion": doc_max(cd + self.fusion * cb, s.chunk_doc, self.n),
            "query_vector": q,  # not a document signal: kept for the reader rerank's choice of sentences
        }


def tune_on_train(sig: dict[str, dict[str, np.ndarray]], train: dict[str, dict[str, int]],
                  ids: list[str]) -> dict[str, dict]:
    """Grid search of each weighted fusion on the TRAIN queries' nDCG@10 (test is never looked at here)."""
    tuned: dict[str, dict] = {}

    def tune(name: str, grid, make) -> None:
        table = {str(g): evaluate(make(*g) if isinstance(g, tuple) else make(g), sig, train, ids)["ndcg@10"]
                 for g in grid}
        best = max(grid, key=lambda g: table[str(g)])
        tuned[name] = {"chosen": best, "train_ndcg@10": table[str(best)], "grid": table}

    tune("weighted", W_GRID, lambda w: lambda s: s["dense_chunk"] + w * s["bm25_doc"])
    tune("weighted_z", Z_GRID, lambda w: lambda s: zscore(s["dense_chunk"]) + w * zscore(s["bm25_doc"]))
    tune("weighted_z3", list(itertools.product(A_GRID, Z_GRID)), lambda a, w: lambda s: (
        (1 - a) * zscore(s["dense_chunk"]) + a * zscore(s["dense_sent"]) + w * zscore(s["bm25_doc"])))
    return tuned


def variants(tuned: dict[str, dict], fusion: float) -> dict[str, Scorer]:
    w1, wz = tuned["weighted"]["chosen"], tuned["weighted_z"]["chosen"]
    a3, w3 = tuned["weighted_z3"]["chosen"]
    return {
        "BM25, whole documents": lambda s: s["bm25_doc"],
        "BM25, max over chunks (product index)": lambda s: s["bm25_chunk"],
        "dense MiniLM, max over chunks": lambda s: s["dense_chunk"],
        "dense MiniLM, max over sentences": lambda s: s["dense_sent"],
        f"hybrid: product chunk fusion (cos + {fusion} BM25/max)": lambda s: s["product_fusion"],
        "hybrid: RRF (k=60) of doc BM25 and dense chunks": lambda s: rrf(s["bm25_doc"], s["dense_chunk"]),
        f"hybrid: cos + {w1} BM25/max (w tuned on train)": lambda s: s["dense_chunk"] + w1 * s["bm25_doc"],
        f"hybrid: z(cos) + {wz} z(BM25) (w tuned on train)": (
            lambda s: zscore(s["dense_chunk"]) + wz * zscore(s["bm25_doc"])),
        f"hybrid: {1 - a3:.1f} z(cos chunk) + {a3} z(cos sent) + {w3} z(BM25) (tuned on train)": (
            lambda s: (1 - a3) * zscore(s["dense_chunk"]) + a3 * zscore(s["dense_sent"]) + w3 * zscore(s["bm25_doc"])),
    }


def product_precision_at_1(assistant: Assistant, data: SciFact, test: dict[str, dict[str, int]]) -> float:
    """The product end to end: is the top quote's document relevant? (precision@1 on test)"""
    p1 = []
    for qid, rel in test.items():
        ans = assistant.ask(data.queries[qid], k=3)
        p1.append(float(bool(ans.quotes) and rel.get(ans.quotes[0].doc.removesuffix(".md"), 0) > 0))
    return float(np.mean(p1))


def print_results(results: dict[str, dict], p1: float, n_test: int, n_train: int, n_docs: int) -> None:
    print(f"\nBEIR SciFact test ({n_test} queries, {n_docs} abstracts); settings tuned on {n_train} train queries")
    print(f"{'variant':80s} {'nDCG@10':>8s} {'R@100':>7s}")
    for name, r in results.items():
        print(f"{name:80s} {r['test']['ndcg@10']:8.3f} {r['test']['recall@100']:7.3f}")
    print(f"{'product ask(): top quote from a relevant abstract (P@1)':80s} {p1:8.3f}")
    print("published nDCG@10: " + ", ".join(f"{k} {v}" for k, v in PUBLISHED.items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=None, help="folder holding scifact/ (default ../shared/bench)")
    ap.add_argument("--cache", type=Path, default=None, help="documents and index cache (outside the repo)")
    ap.add_argument("--out", type=Path, default=RESULTS / "scifact.json", help="results file")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    t0 = time.perf_counter()
    data, index_dir, build = scifact_index(args.data, args.cache)
    print(f"index: {build}", flush=True)
    assistant = Assistant(index_dir)
    signals = Signals(assistant)
    t1 = time.perf_counter()
    sig = {qid: signals.of(data.queries[qid]) for qid in sorted(set(data.qrels["train"]) | set(data.qrels["test"]))}
    t_queries = time.perf_counter() - t1
    train, test, ids = data.qrels["train"], data.qrels["test"], signals.ids
    tuned = tune_on_train(sig, train, ids)
    fns = variants(tuned, signals.fusion)
    results = {name: {"test": evaluate(fn, sig, test, ids), "train": evaluate(fn, sig, train, ids)}
               for name, fn in fns.items()}
    t_rr = time.perf_counter()
    rerank = reader_rerank(assistant, data, sig, fns, results, ids)
    t_rr = time.perf_counter() - t_rr
    t2 = time.perf_counter()
    p1 = product_precision_at_1(assistant, data, test)
    t_ask = time.perf_counter() - t2
    print_results(results, p1, len(test), len(train), len(ids))
    out = {
        "command": "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        "date": time.strftime("%Y-%m-%d"), **provenance(), "data": str(data_root(args.data)), "index": build,
        "documents": "one Markdown file per abstract: '# <title>', blank line, abstract",
        "queries": {"train": len(train), "test": len(test)}, "abstracts": len(ids),
        "results": results, "product_ask_p@1_test": round(p1, 4),
        "tuned_on_train": tuned, "reader_rerank": rerank, "published_ndcg@10": PUBLISHED,
        "seconds": {"query_signals": round(t_queries, 1), "reader_rerank": round(t_rr, 1),
                    "product_ask_test": round(t_ask, 1),
                    "total": round(time.perf_counter() - t0, 1)},
        "machine": "2 cores, CPU only",
    }
    if not args.no_write:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
