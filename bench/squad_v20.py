"""SQuAD v2.0 dev: does the product answer the answerable questions and refuse the unanswerable ones?

Per setting (closed: the gold paragraph only; open: all paragraphs) every question is asked once through
``Assistant.trace``; the product's decision is scored as it is, and thresholds or a new abstention model are
chosen on the even-numbered articles (tune half) and reported on the odd-numbered ones (report half). Official
v2.0 EM/F1: a refusal on an unanswerable question scores 1; a prediction is the top quote's highlight, else its text.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import numpy as np
from fitting import fit_logistic
from metrics import squad_em, squad_f1
from public_data import SquadParagraph, SquadQuestion
from squad_common import SquadProduct, gold_item, hit_rank, prediction

from assistant.index.lexical import tokenize
from assistant.query.decision import EVIDENCE_FEATURES, evidence_features
from assistant.query.pipeline import Trace
from assistant.query.types import FEATURES

_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_NEGATION = re.compile(r"\b(?:not|never|no|none|nor|cannot|without)\b|n't\b", re.IGNORECASE)
EXTRA_FEATURES = (*EVIDENCE_FEATURES, "evidence", "missing", "max_missing", "ctx_missing", "margin", "negation",
                  "typed_question", "n_tokens", "number_missing", "evidence_natural_doc_match")
MODEL_FEATURES = EXTRA_FEATURES[:-1]  # the new evidence model's inputs


def _context(product: SquadProduct, sid: int, doc_id: int) -> list[int]:
    """The sentence and its neighbours in the same document."""
    s = product.store
    return [j for j in (sid - 1, sid, sid + 1) if 0 <= j < s.n_sentences and int(s.sent_doc[j]) == doc_id]


def _missing(product: SquadProduct, trace: Trace, sid: int, doc_id: int) -> list[float]:
    """missing, max_missing and ctx_missing (see abstain_features); unknown words count at the highest IDF."""
    s = product.store
    toks = list(dict.fromkeys(trace.query.tokens))
    n = s.sent_bm25.size
    top_idf = float(np.log(1 + (n + 0.5) / 0.5))
    idf = s.sent_bm25.idf(toks)
    weights = {t: idf.get(t, top_idf) for t in toks}
    total = sum(weights.values()) or 1.0
    doc_toks = set(tokenize(" ".join(s.docs[doc_id].pages)))
    ctx_toks = {t for j in _context(product, sid, doc_id) for t in tokenize(s.sentence_text(j))}
    missing = [t for t in toks if t not in doc_toks]
    max_missing = max((weights[t] for t in missing), default=0.0) / (max(weights.values()) if weights else 1.0)
    return [sum(weights[t] for t in missing) / total, max_missing,
            sum(weights[t] for t in toks if t not in ctx_toks) / total]


def _natural_evidence(product: SquadProduct, trace: Trace, base: np.ndarray, doc_id: int) -> float:
    """The evidence with doc_match as retrieval computes it without a filter (with one, the product sets it to 1):
    the IDF share of the question's tokens found in the document's title and context line. Restated here because
    a filter makes retrieval set doc_match to 1."""
    s = product.store
    doc_toks = product.pipeline.searcher.doc_tokens[doc_id]
    q_idf = s.sent_bm25.idf(list(trace.query.tokens))
    natural = sum(w for t, w in q_idf.items() if t in doc_toks) / (sum(q_idf.values()) or 1.0)
    w_doc = product.pipeline.params.evidence_weights.get("doc_match", 0.0)
    return trace.decision.evidence - w_doc * (float(base[FEATURES.index("doc_match")]) - natural)


def abstain_features(product: SquadProduct, trace: Trace) -> np.ndarray:
    """The product's evidence inputs plus candidate signals it does not use yet (measured here as a variant).

    * missing: IDF share of the question's content words found nowhere in the best sentence's document
      (words unknown to the whole index count at the highest IDF, which the product's cover features skip);
    * max_missing: the rarest such word's IDF over the question's rarest word's;
    * ctx_missing: the same share against the best sentence plus its neighbours;
    * margin: best minus second-best sentence score; negation: the question negates and the sentence does not;
    * number_missing: a number in the question appears nowhere in the best sentence or its neighbours.
    """
    s = product.store
    best = int(trace.scores.argmax())
    sid = int(trace.candidates.ids[best])
    doc_id = int(s.sent_doc[sid])
    question = trace.query.text
    second = np.partition(trace.scores, -2)[-2] if len(trace.scores) > 1 else trace.scores[best] - 1.0
    neg = float(bool(_NEGATION.search(question)) and not _NEGATION.search(s.sentence_text(sid)))
    ctx_numbers = set(_NUMBER.findall(" ".join(s.sentence_text(j) for j in _context(product, sid, doc_id))))
    number_missing = float(any(n not in ctx_numbers for n in set(_NUMBER.findall(question))))
    base = evidence_features(trace.candidates, best)
    return np.concatenate([base, [trace.decision.evidence, *_missing(product, trace, sid, doc_id),
                                  float(trace.scores[best] - second), neg, float(trace.query.kind is not None),
                                  len(set(trace.query.tokens)), number_missing,
                                  _natural_evidence(product, trace, base, doc_id)]]).astype(np.float64)


@dataclass(frozen=True)
class V20Rows:
    """One setting's questions, asked once: the product's decision and what answering would have scored."""

    answered: np.ndarray
    f1: np.ndarray  # F1 / EM of the prediction if answered (0 for unanswerable questions)
    em: np.ndarray
    hit1: np.ndarray  # answerable and the top quote is right (DESIGN.md rule)
    x: np.ndarray  # EXTRA_FEATURES
    top_quotes: list[str | None]
    seconds: float

    def column(self, name: str) -> np.ndarray:
        return self.x[:, EXTRA_FEATURES.index(name)]


def ask_all(product: SquadProduct, paragraphs: list[SquadParagraph], questions: list[SquadQuestion],
            setting: str) -> V20Rows:
    t0 = time.perf_counter()
    rows = []
    for n, q in enumerate(questions, 1):
        item = gold_item(q, paragraphs, product.layout)
        trace = product.trace(q.question, item.doc if setting == "closed" else None)
        ans, pred = trace.answer, prediction(trace.answer)
        rows.append((ans.answered, squad_f1(pred, q.answers) if q.answers else 0.0,
                     squad_em(pred, q.answers) if q.answers else 0.0,
                     bool(q.answers) and hit_rank(ans, item, 1) == 1, abstain_features(product, trace),
                     ans.quotes[0].text if ans.quotes else None))
        if n % 2000 == 0:
            print(f"  v2.0 {setting}: {n}/{len(questions)} ({time.perf_counter() - t0:.0f} s)", flush=True)
    cols = list(zip(*rows, strict=True))
    return V20Rows(np.array(cols[0]), np.array(cols[1]), np.array(cols[2]), np.array(cols[3]), np.array(cols[4]),
                   list(cols[5]), time.perf_counter() - t0)


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


def variants_v20(r: V20Rows, answerable: np.ndarray, tune: np.ndarray, setting: str,
                 ) -> tuple[dict[str, dict], np.ndarray, np.ndarray, np.ndarray]:
    """Every abstention variant scored on the report half (thresholds and the new model fitted on the tune half).
    Also returns the new model's logits, its coefficients and the tune half's feature spread."""
    rep = ~tune
    ev = r.column("evidence")

    def scored(answered: np.ndarray) -> dict[str, float]:
        return v2_scores(answerable[rep], answered, r.f1[rep], r.em[rep], r.hit1[rep])

    out: dict[str, dict] = {
        "product, default threshold (all questions)": v2_scores(answerable, r.answered, r.f1, r.em, r.hit1),
        "product, default threshold": scored(r.answered[rep]),
    }
    t80 = threshold_for(ev[tune], answerable[tune], 0.80)
    out["product evidence, threshold for 80% answered (tuned)"] = scored(ev[rep] >= t80) | {"threshold": round(t80, 4)}
    tf1 = threshold_best_f1(ev[tune], answerable[tune], r.f1[tune])
    out["product evidence, threshold for best F1 (tuned)"] = scored(ev[rep] >= tf1) | {"threshold": round(tf1, 4)}
    if setting == "closed":
        out["product, default threshold, filter not counted as doc match"] = scored(
            r.column("evidence_natural_doc_match")[rep] >= 0.0)
    for name in ("sent_dense", "bm25_strength", "cover_context"):
        col = r.column(name)
        out[f"single raw score {name}, 80% answered (tuned)"] = scored(
            col[rep] >= threshold_for(col[tune], answerable[tune], 0.80))
    xm = r.x[:, : len(MODEL_FEATURES)]
    coef, bias = fit_logistic(xm[tune], answerable[tune].astype(float))
    logit = xm @ coef + bias
    out["new evidence model, 80% answered (tuned)"] = scored(
        logit[rep] >= threshold_for(logit[tune], answerable[tune], 0.80))
    out["new evidence model, best F1 (tuned)"] = scored(
        logit[rep] >= threshold_best_f1(logit[tune], answerable[tune], r.f1[tune]))
    return out, logit, coef, xm[tune].std(0)


def refused_at_80(r: V20Rows, logit: np.ndarray, answerable: np.ndarray, rep: np.ndarray,
                  setting: str) -> dict[str, float]:
    """NoAns refused where exactly 80% of the report half's answerable questions are answered: a point on the
    curve, for comparing scores (the threshold is read off the report half, so it is not deployable)."""
    curve = {"product evidence": r.column("evidence"), "single raw score sent_dense": r.column("sent_dense"),
             "new evidence model": logit}
    if setting == "closed":
        curve["product evidence, filter not counted as doc match"] = r.column("evidence_natural_doc_match")
    return {name: round(float((sc[rep & ~answerable] < threshold_for(sc[rep], answerable[rep], 0.80)).mean()), 4)
            for name, sc in curve.items()}


def worst_examples(r: V20Rows, questions: list[SquadQuestion], answerable: np.ndarray, rep: np.ndarray,
                   n: int) -> dict[str, list[dict]]:
    """The product's most confident mistakes on the report half: unanswerable questions it answered, and
    answerable ones it refused."""
    ev = r.column("evidence")
    rep_ids = np.flatnonzero(rep)
    wrong_answers = sorted((i for i in rep_ids if not answerable[i] and r.answered[i]), key=lambda i: -ev[i])
    wrong_refusals = sorted((i for i in rep_ids if answerable[i] and not r.answered[i]), key=lambda i: ev[i])
    return {
        "unanswerable_answered": [{"question": questions[i].question, "evidence": round(float(ev[i]), 3),
                                   "top_quote": r.top_quotes[i]} for i in wrong_answers[:n]],
        "answerable_refused": [{"question": questions[i].question, "answers": list(questions[i].answers),
                                "evidence": round(float(ev[i]), 3), "top_quote": r.top_quotes[i]}
                               for i in wrong_refusals[:n]],
    }


def bench_v20(product: SquadProduct, paragraphs: list[SquadParagraph], questions: list[SquadQuestion],
              settings: list[str], max_examples: int) -> dict:
    tune = np.array([q.article % 2 == 0 for q in questions])
    answerable = np.array([bool(q.answers) for q in questions])
    out: dict = {"questions": len(questions), "answerable": int(answerable.sum()),
                 "split": "tune half = even-numbered articles of dev-v2.0 (0, 2, ...), report half = odd-numbered",
                 "tune_questions": int(tune.sum()), "report_questions": int((~tune).sum()), "settings": {}}
    for setting in settings:
        r = ask_all(product, paragraphs, questions, setting)
        variants, logit, coef, std = variants_v20(r, answerable, tune, setting)
        out["settings"][setting] = {
            "variants": variants,
            "NoAns_refused_at_80pct_HasAns_answered_report_half": refused_at_80(r, logit, answerable, ~tune, setting),
            "seconds": round(r.seconds, 1),
            "examples": worst_examples(r, questions, answerable, ~tune, max_examples // 4),
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
