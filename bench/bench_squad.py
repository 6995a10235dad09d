"""SQuAD v1.1 and v2.0 dev through the product's own index and answering, with our variants side by side.

    .venv/bin/python bench/bench_squad.py [--version 1.1|2.0|both] [--sample 2000] [--seed 0] [--data DIR]

Documents: every dev-v1.1 paragraph (2,067; dev-v2.0's 1,204 are a subset) is one Markdown file, ``# <article
title>`` then the paragraph verbatim (see public_data.py), indexed with ``assistant.index.build_index`` into a
cache outside the repository. Answers come from a mirror of ``Assistant.ask`` (same calls in the same order, so
features and scores can be read as well); the script checks it against ``Assistant.ask`` on the first questions.

v1.1, open (a seeded sample of questions; the index holds all 2,067 paragraphs):
  * paragraph recall@1/5/20 (document score = max over its chunks): BM25, dense, the product's chunk fusion
    (cosine + 0.3 * BM25/max), weighted fusion with the weight tuned on OTHER questions, RRF; and the product
    itself (the paragraphs its quotes come from).
  * answer@1 / answer@3 (DESIGN.md rule: a quote contains a gold answer, folded, and comes from the gold
    paragraph), counted on the returned quotes whether or not the product abstained (as bench/eval_gold.py does);
    ``highlight`` EM/F1 (official SQuAD normalisation; the whole quote when there is no highlight).
v1.1, closed (only the gold paragraph, via the ``docs`` filter): the product's top quote, and the single best
  sentence by the product's score, by BM25 alone and by dense alone.
v2.0 (all 11,873 questions, closed and open): share of answerable questions answered and of unanswerable ones
  refused, official v2.0 EM/F1 (a refusal on an unanswerable question scores 1; a prediction is the top quote's
  highlight, else its text). With the product's threshold untouched, and with thresholds / an abstention model
  chosen on the even-numbered articles (tune half) and reported on the odd-numbered ones (report half).
Writes bench/results/squad_v11.json and/or bench/results/squad_v20.json.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from metrics import doc_max, squad_em, squad_f1  # noqa: E402
from public_data import (  # noqa: E402
    SquadParagraph,
    SquadQuestion,
    cache_root,
    data_root,
    ensure_index,
    provenance,
    squad_paragraphs,
    squad_questions,
    write_squad_docs,
)

from assistant.api import Assistant, check_question  # noqa: E402
from assistant.evaluation import GoldItem, fold, quote_hits  # noqa: E402
from assistant.index.lexical import tokenize  # noqa: E402
from assistant.query.answer_types import question_type  # noqa: E402
from assistant.query.answering import (  # noqa: E402
    DEFAULT_WEIGHTS,
    EVIDENCE_FEATURES,
    EVIDENCE_WEIGHTS,
    Answer,
    Extractor,
    evidence_features,
    evidence_score,
    score_candidates,
)
from assistant.query.retrieval import FEATURES, Candidates, Query  # noqa: E402

RESULTS = ROOT / "bench" / "results"
RRF_K = 60
WEIGHT_GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0)
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_NEGATION = re.compile(r"\b(?:not|never|no|none|nor|cannot|without)\b|n't\b", re.IGNORECASE)


# --- the product, mirrored so its intermediate values can be read ------------------------------------------


@dataclass
class Run:
    answer: Answer
    query: Query
    cands: Candidates
    scores: np.ndarray


class Product:
    """Assistant.ask, step by step (api.py), keeping the candidates and scores."""

    def __init__(self, index_dir: Path) -> None:
        self.assistant = Assistant(index_dir)
        self.snap = self.assistant._snapshot()
        self.store = self.snap.store
        self.cfg = self.assistant.settings
        self.weights = {**DEFAULT_WEIGHTS, **self.cfg.weights}
        self.extractor = Extractor(self.store, self.cfg)
        self.doc_index = {d.doc: i for i, d in enumerate(self.store.docs)}

    def search(self, question: str, docs: set[int] | None = None) -> tuple[Query, Candidates]:
        """Everything of ask() that does not depend on the weights: the query and its candidate features."""
        question = check_question(question)
        vector = self.snap.embedder.encode_query(question)
        query = Query(question, vector, tuple(tokenize(question)), question_type(question))
        return query, self.snap.searcher.candidates(query, self.cfg.chunk_candidates, self.cfg.sentence_candidates,
                                                    docs)

    def answer(self, query: Query, cands: Candidates, weights: dict[str, float] | None = None, k: int = 3) -> Run:
        scores = score_candidates(cands, weights or self.weights)
        if len(scores) == 0:
            return Run(Answer(query.text, False, (), float("-inf")), query, cands, scores)
        evidence = evidence_score(evidence_features(cands, int(scores.argmax())))
        quotes = self.extractor.quotes(query, cands, scores, k)
        answered = evidence >= self.cfg.abstain_threshold and bool(quotes)
        return Run(Answer(query.text, answered, tuple(quotes), evidence), query, cands, scores)

    def ask(self, question: str, docs: set[int] | None = None, k: int = 3) -> Run:
        return self.answer(*self.search(question, docs), k=k)

    def check_mirror(self, questions: list[tuple[str, str | None]]) -> int:
        """The mirror returns what Assistant.ask returns (quotes, offsets, decision) on these questions."""
        for text, doc in questions:
            want = self.assistant.ask(text, k=3, docs=[doc] if doc else None)
            got = self.ask(text, {self.doc_index[doc]} if doc else None).answer
            same = [(q.doc, q.start, q.end, q.highlight) for q in want.quotes] == [
                (q.doc, q.start, q.end, q.highlight) for q in got.quotes]
            if not same or want.answered != got.answered or abs(want.evidence - got.evidence) > 1e-4:
                raise SystemExit(f"bench mirror differs from Assistant.ask on {text!r}")
        return len(questions)


def prediction(answer: Answer) -> str:
    """The span we would submit to the SQuAD scorer: the top quote's highlight, else its whole text."""
    if not answer.quotes:
        return ""
    q = answer.quotes[0]
    return q.highlight if q.highlight is not None else q.text


def hit_rank(answer: Answer, item: GoldItem, k: int = 3) -> int | None:
    for rank, q in enumerate(answer.quotes[:k], 1):
        if quote_hits(q.text, q.doc, item):
            return rank
    return None


# --- document ranking from the product's primitives -------------------------------------------------------


def rank_of(scores: np.ndarray, gold: int) -> int:
    """1-based rank of ``gold`` (ties broken against it)."""
    return int((scores >= scores[gold]).sum())


def rrf(*score_lists: np.ndarray) -> np.ndarray:
    total = np.zeros(len(score_lists[0]))
    for s in score_lists:
        order = np.argsort(-s, kind="stable")
        ranks = np.empty(len(s))
        ranks[order] = np.arange(1, len(s) + 1)
        total += 1.0 / (RRF_K + ranks)
    return total


@dataclass
class QuestionSignals:
    """Per-question raw unit scores for the ranking variants (open setting)."""

    chunk_bm25: np.ndarray  # BM25 / max BM25 over chunks
    chunk_dense: np.ndarray
    sent_bm25: np.ndarray
    sent_dense: np.ndarray


def signals(product: Product, query: Query) -> QuestionSignals:
    s = product.store
    toks = list(query.tokens)
    cb = s.chunk_bm25.scores(toks)
    sb = s.sent_bm25.scores(toks)
    q = query.vector.astype(np.float32)
    return QuestionSignals(cb / (cb.max() or 1.0), s.chunk_vectors @ q, sb / (sb.max() or 1.0), s.sent_vectors @ q)


def doc_rankings(product: Product, sig: QuestionSignals, weight: float) -> dict[str, np.ndarray]:
    s = product.store
    n = len(s.docs)
    bm25 = doc_max(sig.chunk_bm25, s.chunk_doc, n)
    dense = doc_max(sig.chunk_dense, s.chunk_doc, n)
    return {
        "BM25": bm25,
        "dense": dense,
        "hybrid (product fusion, w=0.3)": doc_max(sig.chunk_dense + 0.3 * sig.chunk_bm25, s.chunk_doc, n),
        "hybrid, weighted (w tuned)": doc_max(sig.chunk_dense + weight * sig.chunk_bm25, s.chunk_doc, n),
        "hybrid, RRF": rrf(bm25, dense),
        "hybrid, weighted, chunks+sentences": np.maximum(
            doc_max(sig.chunk_dense + weight * sig.chunk_bm25, s.chunk_doc, n),
            doc_max(sig.sent_dense + weight * sig.sent_bm25, s.sent_doc, n)),
    }


def sentence_rrf_top(product: Product, sig: QuestionSignals, k: int) -> list[int]:
    """DESIGN.md's baseline: RRF of BM25 and dense over all sentences."""
    fused = rrf(sig.sent_bm25, sig.sent_dense)
    return [int(i) for i in np.argsort(-fused)[:k]]


def tune_weight(product: Product, items: list[tuple[SquadQuestion, QuestionSignals, int]]) -> tuple[float, dict]:
    """Fusion weight with the best paragraph MRR on the tuning questions."""
    s = product.store
    table = {}
    for w in WEIGHT_GRID:
        mrr = 0.0
        for _, sig, gold in items:
            mrr += 1.0 / rank_of(doc_max(sig.chunk_dense + w * sig.chunk_bm25, s.chunk_doc, len(s.docs)), gold)
        table[w] = round(mrr / len(items), 4)
    best = max(table, key=lambda w: table[w])
    return best, table


# --- v1.1 ---------------------------------------------------------------------------------------------------


def gold_item(q: SquadQuestion, paragraphs: list[SquadParagraph], layout: str) -> GoldItem:
    return GoldItem(q.qid, q.question, q.answers, paragraphs[q.pid].doc_name(layout))


def answer_in_one_sentence(product: Product, doc_id: int, answers: tuple[str, ...]) -> bool:
    s = product.store
    ids = np.flatnonzero(s.sent_doc == doc_id)
    texts = [fold(s.sentence_text(int(i))) for i in ids]
    return any(fold(a) in t for a in answers for t in texts)


def sentence_hits(product: Product, cands: Candidates, answers: tuple[str, ...], gold: int) -> np.ndarray:
    """For each candidate sentence: it is in the gold paragraph and holds a gold answer (folded)."""
    s = product.store
    folded = [fold(a) for a in answers]
    return np.array([int(s.sent_doc[i]) == gold and any(a in fold(s.sentence_text(int(i))) for a in folded)
                     for i in cands.ids], dtype=bool)


MISS_KINDS = ("answer quoted from another paragraph (fact repeated)", "wrong paragraph",
              "right paragraph, answer in a neighbouring sentence", "right paragraph, answer further away",
              "answer crosses a sentence break")


def miss_kind(product: Product, ans: Answer, answers: tuple[str, ...], gold: int) -> str:
    """Why the top quote does not count: where it came from, and where the answer sat."""
    s = product.store
    if not ans.quotes:
        return "wrong paragraph"
    top = ans.quotes[0]
    if product.doc_index[top.doc] != gold:
        held = any(fold(a) in fold(top.text) for a in answers)
        return MISS_KINDS[0] if held else MISS_KINDS[1]
    if not answer_in_one_sentence(product, gold, answers):
        return MISS_KINDS[4]
    ids = np.flatnonzero(s.sent_doc == gold)
    page = int(s.sent_page[ids[0]])
    inside = [int(i) for i in ids if int(s.sent_page[i]) == page
              and top.start <= int(s.sent_start[i]) and int(s.sent_end[i]) <= top.end]
    near = [int(i) for i in ids if inside and (int(i) == inside[0] - 1 or int(i) == inside[-1] + 1)]
    held = any(fold(a) in fold(s.sentence_text(i)) for i in near for a in answers)
    return MISS_KINDS[2] if held else MISS_KINDS[3]


class SentenceSets:
    """Candidate features and answer-holding flags of many questions, to score weight vectors quickly."""

    def __init__(self) -> None:
        self.features: list[np.ndarray] = []
        self.hits: list[np.ndarray] = []

    def add(self, features: np.ndarray, hits: np.ndarray) -> None:
        self.features.append(features)
        self.hits.append(hits)

    def accuracy(self, w: np.ndarray, k: int = 1) -> float:
        got = 0
        for f, h in zip(self.features, self.hits, strict=True):
            if len(h) == 0:
                continue
            sc = f @ w
            top = np.argsort(-sc)[:k] if k > 1 else [int(sc.argmax())]
            got += bool(h[top].any())
        return got / max(1, len(self.hits))


def retune_weights(open_sets: SentenceSets, closed_sets: SentenceSets, names: tuple[str, ...],
                   start: dict[str, float], passes: int = 3) -> tuple[dict[str, float], dict[str, float]]:
    """Coordinate ascent (as bench/tune_answering.py) on best-sentence accuracy, open + closed + 0.3 * open top-3."""

    def vec(w: dict[str, float]) -> np.ndarray:
        return np.array([w.get(f, 0.0) for f in names])

    def value(w: dict[str, float]) -> float:
        v = vec(w)
        return open_sets.accuracy(v) + closed_sets.accuracy(v) + 0.3 * open_sets.accuracy(v, 3)

    best = {f: start.get(f, 0.0) for f in names}
    before = value(best)
    best_val = before
    for _ in range(passes):
        improved = False
        for name in names:
            for mult in (0.0, 0.5, 0.75, 1.5, 2.0, 3.0):
                trial = {**best, name: round(best[name] * mult if best[name] else 0.25 * mult, 4)}
                val = value(trial)
                if val > best_val + 1e-9:
                    best, best_val, improved = trial, val, True
        if not improved:
            break
    v = vec(best)
    return best, {"objective_before": round(before, 4), "objective_after": round(best_val, 4),
                  "open_best_sentence": round(open_sets.accuracy(v), 4),
                  "closed_best_sentence": round(closed_sets.accuracy(v), 4)}


def quote_summary(rows: list[tuple[int | None, float, float, bool]],
                  any_rows: list[int | None] | None = None) -> dict[str, float]:
    n = len(rows) or 1
    extra = {}
    if any_rows is not None:
        extra = {"answer@1_any_paragraph": round(sum(r == 1 for r in any_rows) / n, 4),
                 "answer@3_any_paragraph": round(sum(r is not None for r in any_rows) / n, 4)}
    return extra | {"answer@1": round(sum(r == 1 for r, *_ in rows) / n, 4),
            "answer@3": round(sum(r is not None for r, *_ in rows) / n, 4),
            "highlight_em": round(sum(e for _, e, _, _ in rows) / n, 4),
            "highlight_f1": round(sum(f for _, _, f, _ in rows) / n, 4),
            "refused": round(sum(not a for *_, a in rows) / n, 4)}


def bench_v11(product: Product, paragraphs, questions, args) -> dict:
    rng = random.Random(args.seed)
    order = list(range(len(questions)))
    rng.shuffle(order)
    report_ids = sorted(order[: args.sample])
    tune_ids = sorted(order[args.sample : args.sample + args.tune_sample])
    doc_of_pid = {p.pid: product.doc_index[p.doc_name(args.layout)] for p in paragraphs}
    s = product.store
    n_docs = len(s.docs)

    # --- tuning, on questions disjoint from everything reported ---
    t0 = time.perf_counter()
    tune_signals = []
    open_sets, closed_sets = SentenceSets(), SentenceSets()
    for i in tune_ids:
        q = questions[i]
        gold = doc_of_pid[q.pid]
        query, cands = product.search(q.question)
        tune_signals.append((q, signals(product, query), gold))
        open_sets.add(cands.features, sentence_hits(product, cands, q.answers, gold))
        _, closed_cands = product.search(q.question, {gold})
        closed_sets.add(closed_cands.features, sentence_hits(product, closed_cands, q.answers, gold))
    weight, weight_table = tune_weight(product, tune_signals)
    retuned, retune_info = retune_weights(open_sets, closed_sets, FEATURES, product.weights)
    t_tune = time.perf_counter() - t0
    print(f"fusion weight tuned on {len(tune_ids)} other questions: w={weight}; sentence weights re-tuned: "
          f"{retuned} {retune_info}", flush=True)

    # merge_margin is in score units, so re-tuned weights of a larger total also merge fewer neighbours into a
    # quote; the rescaled copy ranks exactly as the re-tuned one but keeps the product's score scale
    scale = sum(abs(v) for v in product.weights.values()) / (sum(abs(v) for v in retuned.values()) or 1.0)
    rescaled = {k: round(v * scale, 4) for k, v in retuned.items()}
    variants = {"product": product.weights, "product, sentence weights re-tuned on SQuAD": retuned,
                "product, re-tuned, at product's scale": rescaled}
    para_ranks: dict[str, list[int]] = {}
    quote_rows: dict[str, list[tuple[int | None, float, float, bool]]] = {v: [] for v in variants}
    quote_rows["baseline: RRF over all sentences"] = []
    any_rows: dict[str, list[int | None]] = {v: [] for v in variants}
    failures = dict.fromkeys(MISS_KINDS, 0)
    examples: list[dict] = []
    t0 = time.perf_counter()
    for n, i in enumerate(report_ids):
        q = questions[i]
        item = gold_item(q, paragraphs, args.layout)
        gold = doc_of_pid[q.pid]
        query, cands = product.search(q.question)
        for name, weights in variants.items():
            ans = product.answer(query, cands, weights).answer
            rank = hit_rank(ans, item)
            pred = prediction(ans)
            quote_rows[name].append((rank, squad_em(pred, q.answers), squad_f1(pred, q.answers), ans.answered))
            any_rows[name].append(hit_rank(ans, GoldItem(q.qid, q.question, q.answers, None)))
            if name == "product":
                default = ans
        ans = default
        rank = quote_rows["product"][-1][0]
        sig = signals(product, query)
        for name, scores in doc_rankings(product, sig, weight).items():
            para_ranks.setdefault(name, []).append(rank_of(scores, gold))
        quote_docs = list(dict.fromkeys(product.doc_index[x.doc] for x in ans.quotes))
        para_ranks.setdefault("product (docs of its quotes)", []).append(
            quote_docs.index(gold) + 1 if gold in quote_docs else n_docs)
        top = sentence_rrf_top(product, sig, 3)
        base_rank = next((r for r, sid in enumerate(top, 1) if int(s.sent_doc[sid]) == gold and
                          any(fold(a) in fold(s.sentence_text(sid)) for a in q.answers)), None)
        quote_rows["baseline: RRF over all sentences"].append((base_rank, float("nan"), float("nan"), True))
        if rank != 1:
            kind = miss_kind(product, ans, q.answers, gold)
            failures[kind] += 1
            if len(examples) < args.examples:
                examples.append({"kind": kind, "question": q.question, "answers": list(q.answers),
                                 "gold_doc": item.doc, "top_quote": ans.quotes[0].text if ans.quotes else None,
                                 "top_doc": ans.quotes[0].doc if ans.quotes else None,
                                 "highlight": prediction(ans)})
        if (n + 1) % 500 == 0:
            print(f"  open: {n + 1}/{len(report_ids)} ({time.perf_counter() - t0:.0f} s)", flush=True)
    t_open = time.perf_counter() - t0

    n = len(report_ids)
    paragraph = {name: {f"recall@{k}": round(sum(r <= k for r in rs) / n, 4) for k in (1, 5, 20)}
                 | {"mrr": round(sum(1 / r for r in rs) / n, 4)} for name, rs in para_ranks.items()}
    paragraph["product (docs of its quotes)"]["note"] = "k=3 quotes, so recall@5/20 = recall@3"
    quotes = {name: quote_summary(rows, any_rows.get(name)) for name, rows in quote_rows.items()}
    for key in ("highlight_em", "highlight_f1", "refused"):
        quotes["baseline: RRF over all sentences"].pop(key)

    # --- closed: only the gold paragraph; every dev question except the tuning ones ---
    tune_set = set(tune_ids)
    closed_ids = report_ids if args.closed == "sample" else [i for i in range(len(questions)) if i not in tune_set]
    closed_rows: dict[str, list] = {v: [] for v in variants}
    best_sentence = {**dict.fromkeys(variants, 0), "BM25 only": 0, "dense only": 0,
                     "answer inside one sentence (ceiling)": 0}
    multi_sentence_top = 0
    bm25_col, dense_col = FEATURES.index("sent_bm25"), FEATURES.index("sent_dense")
    t0 = time.perf_counter()
    for n_done, i in enumerate(closed_ids):
        q = questions[i]
        item = gold_item(q, paragraphs, args.layout)
        gold = doc_of_pid[q.pid]
        query, c = product.search(q.question, {gold})
        hits = sentence_hits(product, c, q.answers, gold)
        for name, weights in variants.items():
            run = product.answer(query, c, weights)
            pred = prediction(run.answer)
            closed_rows[name].append((hit_rank(run.answer, item), squad_em(pred, q.answers),
                                      squad_f1(pred, q.answers), run.answer.answered))
            if len(hits):
                best_sentence[name] += bool(hits[int(run.scores.argmax())])
            if name == "product" and run.answer.quotes:
                top = run.answer.quotes[0]
                multi_sentence_top += top.end - top.start > len(s.sentence_text(int(c.ids[int(run.scores.argmax())])))
        if len(hits):
            best_sentence["BM25 only"] += bool(hits[int(c.features[:, bm25_col].argmax())])
            best_sentence["dense only"] += bool(hits[int(c.features[:, dense_col].argmax())])
            best_sentence["answer inside one sentence (ceiling)"] += bool(hits.any())
        if (n_done + 1) % 2000 == 0:
            print(f"  closed: {n_done + 1}/{len(closed_ids)} ({time.perf_counter() - t0:.0f} s)", flush=True)
    t_closed = time.perf_counter() - t0
    nc = len(closed_ids)
    closed = {"questions": nc, "which": ("the reported open sample" if args.closed == "sample"
                                         else "all dev questions except the tuning ones"),
              "best_sentence": {k: round(v / nc, 4) for k, v in best_sentence.items()},
              "top_quote": {k: quote_summary(rows) for k, rows in closed_rows.items()},
              "top_quote_spans_several_sentences": round(multi_sentence_top / nc, 4)}

    return {
        "open": {
            "questions": n, "sample": f"seeded random sample (seed {args.seed}) of the {len(questions)} dev questions",
            "paragraph_ranking": paragraph, "quotes": quotes,
            "answer@1_misses_of_product": {k: round(v / n, 4) for k, v in failures.items()}, "examples": examples,
        },
        "closed": closed,
        "tuned": {"tuned_on": f"{len(tune_ids)} other v1.1 dev questions (seeded, disjoint from every reported "
                              "question; same paragraphs)",
                  "fusion_weight": weight, "fusion_weight_grid_paragraph_mrr": weight_table,
                  "sentence_weights": retuned, "sentence_weights_rescaled": rescaled,
                  "sentence_weights_objective": retune_info},
        "seconds": {"tune": round(t_tune, 1), "open": round(t_open, 1), "closed": round(t_closed, 1)},
    }


def print_v11(res: dict) -> None:
    o, c = res["open"], res["closed"]
    print(f"\nSQuAD v1.1 dev, open over 2,067 paragraphs ({o['questions']} questions)")
    print(f"{'paragraph ranking':46s} {'R@1':>6s} {'R@5':>6s} {'R@20':>6s} {'MRR':>6s}")
    for name, r in o["paragraph_ranking"].items():
        print(f"{name:46s} {r['recall@1']:6.3f} {r['recall@5']:6.3f} {r['recall@20']:6.3f} {r['mrr']:6.3f}")
    print(f"{'quotes (any@k: answer from any paragraph)':46s} {'ans@1':>6s} {'ans@3':>6s} {'any@1':>6s} "
          f"{'any@3':>6s} {'hl EM':>6s} {'hl F1':>6s} {'refuse':>6s}")
    nan = float("nan")
    for name, r in o["quotes"].items():
        print(f"{name:46s} {r['answer@1']:6.3f} {r['answer@3']:6.3f} {r.get('answer@1_any_paragraph', nan):6.3f} "
              f"{r.get('answer@3_any_paragraph', nan):6.3f} {r.get('highlight_em', nan):6.3f} "
              f"{r.get('highlight_f1', nan):6.3f} {r.get('refused', nan):6.3f}")
    print("product answer@1 misses (share of all questions):")
    for k, v in o["answer@1_misses_of_product"].items():
        print(f"  {k:60s} {v:6.3f}")
    print(f"\nSQuAD v1.1 dev, closed (gold paragraph only, {c['questions']} questions)")
    print(f"{'best single sentence':46s} {'acc':>6s}")
    for k, v in c["best_sentence"].items():
        print(f"{k:46s} {v:6.3f}")
    print(f"{'top quote':46s} {'ans@1':>6s} {'ans@3':>6s} {'hl EM':>6s} {'hl F1':>6s}")
    for name, r in c["top_quote"].items():
        print(f"{name:46s} {r['answer@1']:6.3f} {r['answer@3']:6.3f} {r['highlight_em']:6.3f} {r['highlight_f1']:6.3f}")
    print(f"top quotes spanning more than the best sentence: {c['top_quote_spans_several_sentences']:.3f}")


# --- v2.0 ---------------------------------------------------------------------------------------------------


def abstain_features(product: Product, run: Run, docs: set[int] | None) -> np.ndarray:
    """The product's evidence inputs plus candidate signals it does not use yet (measured here as a variant).

    * missing: IDF share of the question's content words found nowhere in the best sentence's document
      (words unknown to the whole index count at the highest IDF, which the product's cover features skip);
    * max_missing: the rarest such word's IDF over the question's rarest word's;
    * ctx_missing: the same share against the best sentence plus its neighbours;
    * margin: best minus second-best sentence score; negation: the question negates and the sentence does not;
    * number_missing: a number in the question appears nowhere in the best sentence or its neighbours.
    """
    s = product.store
    c = run.cands
    best = int(run.scores.argmax())
    sid = int(c.ids[best])
    doc_id = int(s.sent_doc[sid])
    toks = list(dict.fromkeys(run.query.tokens))
    n = s.sent_bm25.size
    top_idf = float(np.log(1 + (n + 0.5) / 0.5))
    idf = s.sent_bm25.idf(toks)
    weights = {t: idf.get(t, top_idf) for t in toks}
    total = sum(weights.values()) or 1.0
    doc_toks = set(tokenize(" ".join(s.docs[doc_id].pages)))
    ctx_toks = set()
    for j in (sid - 1, sid, sid + 1):
        if 0 <= j < s.n_sentences and int(s.sent_doc[j]) == doc_id:
            ctx_toks.update(tokenize(s.sentence_text(j)))
    missing = [t for t in toks if t not in doc_toks]
    missing_share = sum(weights[t] for t in missing) / total
    max_missing = max((weights[t] for t in missing), default=0.0) / (max(weights.values()) if weights else 1.0)
    ctx_missing = sum(weights[t] for t in toks if t not in ctx_toks) / total
    second = np.partition(run.scores, -2)[-2] if len(run.scores) > 1 else run.scores[best] - 1.0
    margin = float(run.scores[best] - second)
    neg = float(bool(_NEGATION.search(run.query.text)) and not _NEGATION.search(s.sentence_text(sid)))
    ctx_text = " ".join(s.sentence_text(j) for j in (sid - 1, sid, sid + 1)
                        if 0 <= j < s.n_sentences and int(s.sent_doc[j]) == doc_id)
    q_numbers = set(_NUMBER.findall(run.query.text))
    number_missing = float(any(n not in set(_NUMBER.findall(ctx_text)) for n in q_numbers))
    base = evidence_features(c, best)
    # doc_match as retrieval computes it without a filter (with one, the product sets it to 1.0)
    doc_toks_meta = product.snap.searcher._doc_tokens[doc_id]
    q_idf = s.sent_bm25.idf(list(run.query.tokens))
    natural = sum(w for t, w in q_idf.items() if t in doc_toks_meta) / (sum(q_idf.values()) or 1.0)
    dm = FEATURES.index("doc_match")
    natural_evidence = run.answer.evidence - EVIDENCE_WEIGHTS.get("doc_match", 0.0) * (float(base[dm]) - natural)
    return np.concatenate([base, [run.answer.evidence, missing_share, max_missing, ctx_missing, margin, neg,
                                  float(run.query.kind is not None), len(toks), number_missing,
                                  natural_evidence]]).astype(np.float64)


EXTRA_FEATURES = (*EVIDENCE_FEATURES, "evidence", "missing", "max_missing", "ctx_missing", "margin", "negation",
                  "typed_question", "n_tokens", "number_missing", "evidence_natural_doc_match")
MODEL_FEATURES = EXTRA_FEATURES[:-1]  # the new evidence model's inputs


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, steps: int = 3000) -> tuple[np.ndarray, float]:
    """Class-balanced, L2-regularised logistic regression (plain gradient descent on standardised inputs)."""
    mu, sd = x.mean(0), x.std(0) + 1e-9
    z = (x - mu) / sd
    bal = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(z @ w + b, -30, 30)))
        g = (p - y) * bal
        w -= 0.5 * (z.T @ g / len(y) + l2 * w)
        b -= 0.5 * g.mean()
    return w / sd, b - float((w / sd) @ mu)


def v2_scores(answerable: np.ndarray, answered: np.ndarray, f1_if_answered: np.ndarray,
              em_if_answered: np.ndarray, hit1: np.ndarray) -> dict[str, float]:
    has, no = answerable, ~answerable
    f1 = np.where(has, np.where(answered, f1_if_answered, 0.0), np.where(answered, 0.0, 1.0))
    em = np.where(has, np.where(answered, em_if_answered, 0.0), np.where(answered, 0.0, 1.0))
    return {
        "HasAns_answered": round(float(answered[has].mean()), 4),
        "NoAns_refused": round(float((~answered[no]).mean()), 4),
        "HasAns_answer@1_if_answered": round(float((hit1 & answered)[has].mean()), 4),
        "HasAns_F1": round(100 * float(f1[has].mean()), 2), "NoAns_F1": round(100 * float(f1[no].mean()), 2),
        "EM": round(100 * float(em.mean()), 2), "F1": round(100 * float(f1.mean()), 2),
        "questions": int(len(answerable)),
    }


def threshold_for(scores: np.ndarray, answerable: np.ndarray, answer_rate: float) -> float:
    """Highest threshold that still answers ``answer_rate`` of the answerable questions."""
    return float(np.quantile(scores[answerable], 1 - answer_rate, method="lower"))


def threshold_best_f1(scores: np.ndarray, answerable: np.ndarray, f1_ans: np.ndarray) -> float:
    cands = np.unique(np.quantile(scores, np.linspace(0, 1, 201)))
    vals = [np.where(answerable, np.where(scores >= t, f1_ans, 0.0), scores < t).mean() for t in cands]
    return float(cands[int(np.argmax(vals))])


def bench_v20(product: Product, paragraphs, questions, args) -> dict:
    doc_of_pid = {p.pid: product.doc_index[p.doc_name(args.layout)] for p in paragraphs}
    tune = np.array([q.article % 2 == 0 for q in questions])
    answerable = np.array([bool(q.answers) for q in questions])
    out: dict = {"questions": len(questions), "answerable": int(answerable.sum()),
                 "split": "tune half = even-numbered articles of dev-v2.0 (0, 2, ...), report half = odd-numbered",
                 "tune_questions": int(tune.sum()), "report_questions": int((~tune).sum()), "settings": {}}
    for setting in args.v2_settings:
        t0 = time.perf_counter()
        rows = []
        for n_done, q in enumerate(questions):
            docs = {doc_of_pid[q.pid]} if setting == "closed" else None
            run = product.ask(q.question, docs)
            item = gold_item(q, paragraphs, args.layout)
            pred = prediction(run.answer)
            rows.append((run.answer.answered, squad_f1(pred, q.answers) if q.answers else 0.0,
                         squad_em(pred, q.answers) if q.answers else 0.0,
                         bool(q.answers) and hit_rank(run.answer, item, 1) == 1,
                         abstain_features(product, run, docs),
                         run.answer.quotes[0].text if run.answer.quotes else None))
            if (n_done + 1) % 2000 == 0:
                print(f"  v2.0 {setting}: {n_done + 1}/{len(questions)} ({time.perf_counter() - t0:.0f} s)",
                      flush=True)
        secs = time.perf_counter() - t0
        answered = np.array([r[0] for r in rows])
        f1a = np.array([r[1] for r in rows])
        ema = np.array([r[2] for r in rows])
        hit1 = np.array([r[3] for r in rows])
        x = np.array([r[4] for r in rows])
        rep = ~tune
        ev = x[:, EXTRA_FEATURES.index("evidence")]
        variants: dict[str, dict] = {}
        variants["product, default threshold (all questions)"] = v2_scores(answerable, answered, f1a, ema, hit1)
        variants["product, default threshold"] = v2_scores(answerable[rep], answered[rep], f1a[rep], ema[rep],
                                                           hit1[rep])
        t80 = threshold_for(ev[tune], answerable[tune], 0.80)
        variants["product evidence, threshold for 80% answered (tuned)"] = v2_scores(
            answerable[rep], ev[rep] >= t80, f1a[rep], ema[rep], hit1[rep]) | {"threshold": round(t80, 4)}
        tf1 = threshold_best_f1(ev[tune], answerable[tune], f1a[tune])
        variants["product evidence, threshold for best F1 (tuned)"] = v2_scores(
            answerable[rep], ev[rep] >= tf1, f1a[rep], ema[rep], hit1[rep]) | {"threshold": round(tf1, 4)}
        if setting == "closed":
            nat = x[:, EXTRA_FEATURES.index("evidence_natural_doc_match")]
            variants["product, default threshold, filter not counted as doc match"] = v2_scores(
                answerable[rep], nat[rep] >= 0.0, f1a[rep], ema[rep], hit1[rep])
        for name in ("sent_dense", "bm25_strength", "cover_context"):
            col = x[:, EXTRA_FEATURES.index(name)]
            t = threshold_for(col[tune], answerable[tune], 0.80)
            variants[f"single raw score {name}, 80% answered (tuned)"] = v2_scores(
                answerable[rep], col[rep] >= t, f1a[rep], ema[rep], hit1[rep])
        xm = x[:, : len(MODEL_FEATURES)]
        coef, bias = fit_logistic(xm[tune], answerable[tune].astype(float))
        logit = xm @ coef + bias
        t80 = threshold_for(logit[tune], answerable[tune], 0.80)
        variants["new evidence model, 80% answered (tuned)"] = v2_scores(
            answerable[rep], logit[rep] >= t80, f1a[rep], ema[rep], hit1[rep])
        tf1 = threshold_best_f1(logit[tune], answerable[tune], f1a[tune])
        variants["new evidence model, best F1 (tuned)"] = v2_scores(
            answerable[rep], logit[rep] >= tf1, f1a[rep], ema[rep], hit1[rep])
        # NoAns refused where exactly 80% of the report half's answerable questions are answered: a point on the
        # curve, for comparing scores (the threshold is read off the report half, so it is not deployable)
        curve = {"product evidence": ev, "single raw score sent_dense": x[:, EXTRA_FEATURES.index("sent_dense")],
                 "new evidence model": logit}
        if setting == "closed":
            curve["product evidence, filter not counted as doc match"] = nat
        at80 = {}
        for name, sc in curve.items():
            t = threshold_for(sc[rep], answerable[rep], 0.80)
            at80[name] = round(float((sc[rep & ~answerable] < t).mean()), 4)
        std = xm[tune].std(0)
        # the most confident mistakes of the product as it is: unanswerable questions it answered, and
        # answerable ones it refused (report half only)
        rep_ids = np.flatnonzero(rep)
        wrong_answers = sorted((i for i in rep_ids if not answerable[i] and answered[i]), key=lambda i: -ev[i])
        wrong_refusals = sorted((i for i in rep_ids if answerable[i] and not answered[i]), key=lambda i: ev[i])
        examples = {
            "unanswerable_answered": [{"question": questions[i].question, "evidence": round(float(ev[i]), 3),
                                       "top_quote": rows[i][5]} for i in wrong_answers[: args.examples // 4]],
            "answerable_refused": [{"question": questions[i].question, "answers": list(questions[i].answers),
                                    "evidence": round(float(ev[i]), 3), "top_quote": rows[i][5]}
                                   for i in wrong_refusals[: args.examples // 4]],
        }
        out["settings"][setting] = {
            "variants": variants, "NoAns_refused_at_80pct_HasAns_answered_report_half": at80,
            "seconds": round(secs, 1), "examples": examples,
            "new_evidence_model": {"features": list(MODEL_FEATURES),
                                   "standardised_weights": {f: round(float(c * s), 3) for f, c, s in
                                                            zip(MODEL_FEATURES, coef, std, strict=True)},
                                   "trained_on": "tune half (even articles)"},
        }
    return out


def print_v20(res: dict) -> None:
    for setting, r in res["settings"].items():
        where = "gold paragraph only" if setting == "closed" else "open over 2,067 paragraphs"
        print(f"\nSQuAD v2.0 dev, {setting} ({where}); report half = odd articles unless marked 'all'")
        print(f"{'variant':62s} {'HasAns':>7s} {'NoAns':>6s} {'ans@1':>6s} {'HasF1':>6s} {'EM':>6s} {'F1':>6s}")
        for name, v in r["variants"].items():
            print(f"{name:62s} {v['HasAns_answered']:7.3f} {v['NoAns_refused']:6.3f} "
                  f"{v['HasAns_answer@1_if_answered']:6.3f} {v['HasAns_F1']:6.1f} {v['EM']:6.1f} {v['F1']:6.1f}")
        print("NoAns refused at exactly 80% HasAns answered (report half; curve point, not a deployable threshold):")
        for name, v in r["NoAns_refused_at_80pct_HasAns_answered_report_half"].items():
            print(f"  {name:60s} {v:6.3f}")


# --- main ---------------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--version", choices=("1.1", "2.0", "both"), default="both")
    ap.add_argument("--data", type=Path, default=None, help="folder holding squad/ (default ../shared/bench)")
    ap.add_argument("--cache", type=Path, default=None, help="documents and index cache (outside the repo)")
    ap.add_argument("--sample", type=int, default=2000, help="v1.1 open: questions reported")
    ap.add_argument("--tune-sample", type=int, default=1000, help="v1.1 open: other questions to tune the weight")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--closed", choices=("sample", "all"), default="all", help="v1.1 closed: which questions")
    ap.add_argument("--v2-settings", nargs="+", choices=("closed", "open"), default=["closed", "open"])
    ap.add_argument("--v2-limit", type=int, default=0, help="v2.0: every n-th question only (0 = all)")
    ap.add_argument("--layout", choices=("html", "md"), default="html",
                    help="html: title as metadata only (default); md: '# title' line in every paragraph's text")
    ap.add_argument("--examples", type=int, default=60)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()

    root = data_root(args.data)
    if not (root / "squad" / "dev-v1.1.json").is_file():
        raise SystemExit(f"SQuAD not found under {root}; pass --data or set ASSISTANT_BENCH_DATA")
    cache = cache_root(args.cache) / ("squad" if args.layout == "html" else "squad-md")
    t0 = time.perf_counter()
    paragraphs = squad_paragraphs(root)
    write_squad_docs(paragraphs, cache / "docs", args.layout)
    build = ensure_index(cache / "docs", cache / "index")
    print(f"index: {build}", flush=True)
    product = Product(cache / "index")
    product.snap.embedder.encode_query("warm up")
    v11 = squad_questions(root, "1.1", paragraphs)
    checked = product.check_mirror([(q.question, None) for q in v11[:15]]
                                   + [(q.question, paragraphs[q.pid].doc_name(args.layout)) for q in v11[15:30]])
    meta = {"command": "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
            "date": time.strftime("%Y-%m-%d"), **provenance(), "data": str(root), "index": build,
            "documents": ("one HTML file per dev-v1.1 paragraph: <title> the article title (context line only), "
                          "<p> the paragraph" if args.layout == "html" else
                          "one Markdown file per dev-v1.1 paragraph: '# <article title>', blank line, paragraph"),
            "mirror_checked_against_Assistant.ask": checked, "machine": "2 cores, CPU only, torch backend"}
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.layout == "html" else "_layout-md"
    if args.version in ("1.1", "both"):
        t1 = time.perf_counter()
        res = bench_v11(product, paragraphs, v11, args)
        res = {**meta, **res, "total_seconds": round(time.perf_counter() - t1 + (t1 - t0), 1)}
        print_v11(res)
        if not args.no_write:
            (RESULTS / f"squad_v11{suffix}.json").write_text(json.dumps(res, indent=1, ensure_ascii=False))
    if args.version in ("2.0", "both"):
        t1 = time.perf_counter()
        v20 = squad_questions(root, "2.0", paragraphs)
        if args.v2_limit:
            v20 = v20[:: args.v2_limit]
        res = bench_v20(product, paragraphs, v20, args)
        res = {**meta, **res, "total_seconds": round(time.perf_counter() - t1, 1)}
        print_v20(res)
        if not args.no_write:
            (RESULTS / f"squad_v20{suffix}.json").write_text(json.dumps(res, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
