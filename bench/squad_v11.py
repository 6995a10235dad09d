"""SQuAD v1.1 dev through the product: open (all 2,067 paragraphs indexed) and closed (the gold paragraph only).

Tuning (the fusion weight, a re-tuned set of sentence weights) uses a seeded set of questions disjoint from every
reported one. Reported: paragraph recall@1/5/20 and MRR of each ranking variant, answer@1/@3 and highlight EM/F1
of the product and of the product with re-tuned weights, why the product's top quote missed, and in the closed
setting the best single sentence by each score.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from metrics import rank_of, squad_em, squad_f1
from public_data import SquadParagraph, SquadQuestion
from squad_common import SquadProduct, gold_item, hit_rank, prediction, sentence_hits
from squad_signals import (
    MISS_KINDS,
    SentenceSets,
    doc_rankings,
    miss_kind,
    retune_weights,
    sentence_rrf_top,
    signals,
    tune_weight,
)

from assistant.evaluation import GoldItem
from assistant.query.pipeline import Trace
from assistant.query.types import FEATURES

Row = tuple[int | None, float, float, bool]  # rank of the first right quote, highlight EM, F1, answered
BASELINE = "baseline: RRF over all sentences"
PRODUCT = "product"


@dataclass(frozen=True)
class Tuned:
    """What was chosen on the tuning questions (never on a reported one)."""

    questions: int
    weight: float
    weight_table: dict[float, float]
    retuned: dict[str, float]
    info: dict[str, float]
    rescaled: dict[str, float]
    seconds: float

    def variants(self, product: SquadProduct) -> dict[str, dict[str, float]]:
        return {PRODUCT: product.weights, "product, sentence weights re-tuned on SQuAD": self.retuned,
                "product, re-tuned, at product's scale": self.rescaled}

    def to_json(self) -> dict[str, object]:
        return {"tuned_on": f"{self.questions} other v1.1 dev questions (seeded, disjoint from every reported "
                            "question; same paragraphs)",
                "fusion_weight": self.weight, "fusion_weight_grid_paragraph_mrr": self.weight_table,
                "sentence_weights": self.retuned, "sentence_weights_rescaled": self.rescaled,
                "sentence_weights_objective": self.info}


def tune_v11(product: SquadProduct, questions: list[SquadQuestion], tune_ids: list[int],
             doc_of_pid: dict[int, int]) -> Tuned:
    t0 = time.perf_counter()
    tune_signals = []
    open_sets, closed_sets = SentenceSets(), SentenceSets()
    for i in tune_ids:
        q = questions[i]
        gold = doc_of_pid[q.pid]
        query, cands = product.candidates(q.question)
        tune_signals.append((q, signals(product, query.tokens, query.vector), gold))
        open_sets.add(cands.features, sentence_hits(product, cands, q.answers, gold))
        _, closed_cands = product.candidates(q.question, gold)
        closed_sets.add(closed_cands.features, sentence_hits(product, closed_cands, q.answers, gold))
    weight, table = tune_weight(product, tune_signals)
    retuned, info = retune_weights(open_sets, closed_sets, FEATURES, product.weights)
    # merge_margin is in score units, so re-tuned weights of a larger total also merge fewer neighbours into a
    # quote; the rescaled copy ranks exactly as the re-tuned one but keeps the product's score scale
    scale = sum(abs(v) for v in product.weights.values()) / (sum(abs(v) for v in retuned.values()) or 1.0)
    rescaled = {k: round(v * scale, 4) for k, v in retuned.items()}
    print(f"fusion weight tuned on {len(tune_ids)} other questions: w={weight}; sentence weights re-tuned: "
          f"{retuned} {info}", flush=True)
    return Tuned(len(tune_ids), weight, table, retuned, info, rescaled, time.perf_counter() - t0)


def quote_row(answer_trace: Trace, item: GoldItem, answers: tuple[str, ...]) -> Row:
    ans = answer_trace.answer
    pred = prediction(ans)
    return hit_rank(ans, item), squad_em(pred, answers), squad_f1(pred, answers), ans.answered


def quote_summary(rows: list[Row], any_rows: list[int | None] | None = None) -> dict[str, float]:
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


@dataclass
class OpenTally:
    """Everything counted over the open-setting questions, one ``add`` per question."""

    variants: dict[str, dict[str, float]]
    weight: float
    max_examples: int
    para_ranks: dict[str, list[int]] = field(default_factory=dict)
    quote_rows: dict[str, list[Row]] = field(default_factory=dict)
    any_rows: dict[str, list[int | None]] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MISS_KINDS, 0))
    examples: list[dict] = field(default_factory=list)

    def add(self, product: SquadProduct, q: SquadQuestion, item: GoldItem, gold: int) -> None:
        trace = product.trace(q.question)
        anywhere = GoldItem(q.qid, q.question, q.answers, None)
        for name, weights in self.variants.items():
            run = trace if name == PRODUCT else product.reweighted(trace, weights)
            self.quote_rows.setdefault(name, []).append(quote_row(run, item, q.answers))
            self.any_rows.setdefault(name, []).append(hit_rank(run.answer, anywhere))
        self._paragraphs(product, trace, q, gold)
        rank = self.quote_rows[PRODUCT][-1][0]
        if rank != 1:
            self._miss(product, trace, q, item, gold)

    def _paragraphs(self, product: SquadProduct, trace: Trace, q: SquadQuestion, gold: int) -> None:
        s = product.store
        sig = signals(product, trace.query.tokens, trace.query.vector)
        for name, scores in doc_rankings(product, sig, self.weight).items():
            self.para_ranks.setdefault(name, []).append(rank_of(scores, gold))
        quote_docs = list(dict.fromkeys(product.doc_index[x.doc] for x in trace.answer.quotes))
        self.para_ranks.setdefault("product (docs of its quotes)", []).append(
            quote_docs.index(gold) + 1 if gold in quote_docs else len(s.docs))
        top = sentence_rrf_top(sig, 3)
        base_rank = next((r for r, sid in enumerate(top, 1) if int(s.sent_doc[sid]) == gold
                          and product.sentence_holds(sid, q.answers)), None)
        self.quote_rows.setdefault(BASELINE, []).append((base_rank, float("nan"), float("nan"), True))

    def _miss(self, product: SquadProduct, trace: Trace, q: SquadQuestion, item: GoldItem, gold: int) -> None:
        ans = trace.answer
        kind = miss_kind(product, ans, q.answers, gold)
        self.failures[kind] += 1
        if len(self.examples) < self.max_examples:
            top = ans.quotes[0] if ans.quotes else None
            self.examples.append({"kind": kind, "question": q.question, "answers": list(q.answers),
                                  "gold_doc": item.doc, "top_quote": top.text if top else None,
                                  "top_doc": top.doc if top else None, "highlight": prediction(ans)})

    def summary(self) -> dict[str, object]:
        n = len(self.quote_rows[PRODUCT])
        paragraph = {name: {f"recall@{k}": round(sum(r <= k for r in rs) / n, 4) for k in (1, 5, 20)}
                     | {"mrr": round(sum(1 / r for r in rs) / n, 4)} for name, rs in self.para_ranks.items()}
        paragraph["product (docs of its quotes)"]["note"] = "k=3 quotes, so recall@5/20 = recall@3"
        quotes = {name: quote_summary(rows, self.any_rows.get(name)) for name, rows in self.quote_rows.items()}
        for key in ("highlight_em", "highlight_f1", "refused"):
            quotes[BASELINE].pop(key)
        return {"questions": n, "paragraph_ranking": paragraph, "quotes": quotes,
                "answer@1_misses_of_product": {k: round(v / n, 4) for k, v in self.failures.items()},
                "examples": self.examples}


@dataclass
class ClosedTally:
    """The closed setting (only the gold paragraph, through the ``docs`` filter), one ``add`` per question."""

    variants: dict[str, dict[str, float]]
    rows: dict[str, list[Row]] = field(default_factory=dict)
    best_sentence: dict[str, int] = field(default_factory=dict)
    multi_sentence_top: int = 0
    questions: int = 0

    def add(self, product: SquadProduct, q: SquadQuestion, item: GoldItem, gold: int) -> None:
        self.questions += 1
        trace = product.trace(q.question, item.doc)
        cands = trace.candidates
        hits = sentence_hits(product, cands, q.answers, gold)
        for name, weights in self.variants.items():
            run = trace if name == PRODUCT else product.reweighted(trace, weights)
            self.rows.setdefault(name, []).append(quote_row(run, item, q.answers))
            if len(hits):
                self._count(name, bool(hits[int(run.scores.argmax())]))
        if trace.answer.quotes:
            top = trace.answer.quotes[0]
            best_text = product.store.sentence_text(int(cands.ids[int(trace.scores.argmax())]))
            self.multi_sentence_top += top.end - top.start > len(best_text)
        if len(hits):
            self._count("BM25 only", bool(hits[int(cands.features[:, FEATURES.index("sent_bm25")].argmax())]))
            self._count("dense only", bool(hits[int(cands.features[:, FEATURES.index("sent_dense")].argmax())]))
            self._count("answer inside one sentence (ceiling)", bool(hits.any()))

    def _count(self, name: str, hit: bool) -> None:
        self.best_sentence[name] = self.best_sentence.get(name, 0) + hit

    def summary(self, which: str) -> dict[str, object]:
        n = self.questions or 1
        return {"questions": self.questions, "which": which,
                "best_sentence": {k: round(v / n, 4) for k, v in self.best_sentence.items()},
                "top_quote": {k: quote_summary(rows) for k, rows in self.rows.items()},
                "top_quote_spans_several_sentences": round(self.multi_sentence_top / n, 4)}


def _progress(label: str, done: int, total: int, t0: float, every: int) -> None:
    if done % every == 0:
        print(f"  {label}: {done}/{total} ({time.perf_counter() - t0:.0f} s)", flush=True)


def bench_v11(product: SquadProduct, paragraphs: list[SquadParagraph], questions: list[SquadQuestion],
              sample: int, tune_sample: int, seed: int, closed: str, max_examples: int) -> dict:
    order = list(range(len(questions)))
    random.Random(seed).shuffle(order)
    report_ids, tune_ids = sorted(order[:sample]), sorted(order[sample : sample + tune_sample])
    doc_of_pid = {p.pid: product.doc_id(p) for p in paragraphs}
    tuned = tune_v11(product, questions, tune_ids, doc_of_pid)
    variants = tuned.variants(product)

    t0 = time.perf_counter()
    open_tally = OpenTally(variants, tuned.weight, max_examples)
    for n, i in enumerate(report_ids, 1):
        q = questions[i]
        open_tally.add(product, q, gold_item(q, paragraphs, product.layout), doc_of_pid[q.pid])
        _progress("open", n, len(report_ids), t0, 500)
    t_open = time.perf_counter() - t0

    t0 = time.perf_counter()
    tune_set = set(tune_ids)
    closed_ids = report_ids if closed == "sample" else [i for i in range(len(questions)) if i not in tune_set]
    closed_tally = ClosedTally(variants)
    for n, i in enumerate(closed_ids, 1):
        q = questions[i]
        closed_tally.add(product, q, gold_item(q, paragraphs, product.layout), doc_of_pid[q.pid])
        _progress("closed", n, len(closed_ids), t0, 2000)
    which = "the reported open sample" if closed == "sample" else "all dev questions except the tuning ones"
    return {
        "open": {"sample": f"seeded random sample (seed {seed}) of the {len(questions)} dev questions",
                 **open_tally.summary()},
        "closed": closed_tally.summary(which),
        "tuned": tuned.to_json(),
        "seconds": {"tune": round(tuned.seconds, 1), "open": round(t_open, 1),
                    "closed": round(time.perf_counter() - t0, 1)},
    }


def print_v11(res: dict) -> None:
    o, c = res["open"], res["closed"]
    nan = float("nan")
    print(f"\nSQuAD v1.1 dev, open over 2,067 paragraphs ({o['questions']} questions)")
    print(f"{'paragraph ranking':46s} {'R@1':>6s} {'R@5':>6s} {'R@20':>6s} {'MRR':>6s}")
    for name, r in o["paragraph_ranking"].items():
        print(f"{name:46s} {r['recall@1']:6.3f} {r['recall@5']:6.3f} {r['recall@20']:6.3f} {r['mrr']:6.3f}")
    print(f"{'quotes (any@k: answer from any paragraph)':46s} {'ans@1':>6s} {'ans@3':>6s} {'any@1':>6s} "
          f"{'any@3':>6s} {'hl EM':>6s} {'hl F1':>6s} {'refuse':>6s}")
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
