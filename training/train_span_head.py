"""Fit the highlight head (assistant/query/highlight.py) on the shipped reader's token states, SQuAD training articles.

    python -m training.train_span_head [--reader DIR] [--results PATH] [--max-articles N] [--report-questions N]

Rows: each answerable training question's first answer-bearing sentence, read after its question by the reader
(as at question time, where the scoring run gives the states too); the label is the first and the last token of
the gold answer's first occurrence in the sentence. Loss: softmax cross-entropy over the sentence's tokens, for
the start and the end independently, plus L2; full-batch L-BFGS (scipy), deterministic. The L2 strength, the
neighbour window and the longest highlight are chosen on a dev quarter of the training articles (every 4th
title), the head is then refitted on all of them and measured on the odd-numbered v1.1 articles (bench_squad's
report half, never fitted on) given the gold sentence: SQuAD token F1 of its span against the whole sentence
and against the answer-type pattern's first span. Writes span_head.json and SPAN_HEAD_CARD.md beside the reader
(the head is tied to that reader's checksum) and the figures to --results. Offline; ~5 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from assistant.evaluation import squad_f1
from assistant.ingest.normalise import normalise_text
from assistant.query.answer_types import answer_spans, question_type
from assistant.query.highlight import choose_span, feature_count, token_features
from assistant.reader.runtime import MODEL_DIR, SPAN_FILE, Reader, SentenceTokens, SpanWeights
from training.data import Question, SquadData, load_squad

REPO = Path(__file__).resolve().parents[1]
CARD = "SPAN_HEAD_CARD.md"


@dataclass(frozen=True)
class Row:
    """One question's gold sentence as the reader read it, with the answer's first and last token."""

    question: Question
    sentence: str
    tokens: SentenceTokens
    start: int
    end: int


def _answer_in(sentence: str, answers: tuple[str, ...]) -> tuple[int, int] | None:
    for a in answers:
        a = normalise_text(a)
        i = sentence.find(a)
        if i < 0:
            i = sentence.lower().find(a.lower())
        if i >= 0 and a:
            return i, i + len(a)
    return None


def rows_of(data: SquadData, reader: Reader, questions: list[Question]) -> list[Row]:
    """The rows of ``questions``, their sentences read with the identity projection (the states themselves)."""
    identity = np.eye(reader.state_width or 0, dtype=np.float32)
    out = []
    for q in questions:
        if not q.answers or not q.positives:
            continue
        cand = data.paragraphs[q.pid].candidates[q.positives[0]]
        span = _answer_in(cand.sentence, q.answers)
        tokens = reader.read(q.text, [cand], projection=identity).sentences[0] if span else None
        if span is None or tokens is None:
            continue
        starts = [i for i, (_, b) in enumerate(tokens.offsets) if b > span[0]]
        ends = [i for i, (a, _) in enumerate(tokens.offsets) if a < span[1]]
        if starts and ends and starts[0] <= ends[-1]:
            out.append(Row(q, cand.sentence, tokens, starts[0], ends[-1]))
    return out


def features(rows: list[Row], window: tuple[int, ...]) -> list[np.ndarray]:
    return [token_features(r.tokens, r.sentence, answer_spans(r.sentence, question_type(r.question.text),
                                                              r.question.text), window).astype(np.float64)
            for r in rows]


def fit(xs: list[np.ndarray], rows: list[Row], l2: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Start and end weights minimising the mean softmax cross-entropy over tokens, plus L2."""
    d = xs[0].shape[1]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.0, np.zeros_like(w)
        for x, r in zip(xs, rows, strict=True):
            for label, lo in ((r.start, 0), (r.end, d)):
                z = x @ w[lo: lo + d]
                z -= z.max()
                p = np.exp(z)
                p /= p.sum()
                total -= float(np.log(p[label] + 1e-12))
                grad[lo: lo + d] += x.T @ p - x[label]
        n = len(xs)
        return total / n + l2 * float(w @ w) / 2, grad / n + l2 * w

    res = minimize(loss, np.zeros(2 * d), jac=True, method="L-BFGS-B", options={"maxiter": 400})
    return res.x[:d], res.x[d:], float(res.fun)


def decoded(weights: SpanWeights, rows: list[Row], xs: list[np.ndarray]) -> list[tuple[float, float, float]]:
    """Per row: SQuAD F1 of the decoded span (the sentence when none), F1 of the whole sentence, and the span's
    probability (1 for an answer-type span, which is always shown). ``xs``: the rows' token_features."""
    out = []
    for r, x in zip(rows, xs, strict=True):
        typed = answer_spans(r.sentence, question_type(r.question.text), r.question.text)
        hl = choose_span(r.tokens, r.sentence, typed, x @ weights.start, x @ weights.end, weights.max_tokens)
        whole = squad_f1(r.sentence, r.question.answers)
        out.append((squad_f1(r.sentence[hl.start:hl.end], r.question.answers) if hl else whole, whole,
                    1.0 if hl is None or hl.typed else hl.probability))
    return out


def shown_f1(got: list[tuple[float, float, float]], cutoff: float) -> float:
    """Mean SQuAD F1 of ``decoded`` rows when a free span under ``cutoff`` is not shown (the whole sentence is
    what the reader then reads)."""
    return float(np.mean([f if p >= cutoff else w for f, w, p in got])) if got else 0.0


def span_f1(weights: SpanWeights, rows: list[Row], xs: list[np.ndarray]) -> float:
    """Mean SQuAD F1 of the highlights shown at the head's own cut-off."""
    return shown_f1(decoded(weights, rows, xs), weights.min_probability)


MIN_PROBABILITY_GRID = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3)


def choose_min_probability(weights: SpanWeights, rows: list[Row], xs: list[np.ndarray]) -> tuple[float, dict]:
    """The largest cut-off whose dev F1 is within 0.005 of the best: a doubtful highlight (the head spread over
    the sentence, as for "what did inspectors say about ...") is dropped unless it pays on SQuAD."""
    got = decoded(weights, rows, xs)
    table = {c: shown_f1(got, c) for c in MIN_PROBABILITY_GRID}
    best = max(table.values())
    return max(c for c, v in table.items() if v >= best - 0.005), {str(c): round(v, 4) for c, v in table.items()}


def baselines(rows: list[Row]) -> dict[str, float]:
    whole, pattern = [], []
    for r in rows:
        spans = answer_spans(r.sentence, question_type(r.question.text), r.question.text)
        whole.append(squad_f1(r.sentence, r.question.answers))
        pattern.append(squad_f1(r.sentence[spans[0][0]:spans[0][1]] if spans else r.sentence, r.question.answers))
    return {"whole_sentence_f1": round(float(np.mean(whole)), 4),
            "pattern_else_sentence_f1": round(float(np.mean(pattern)), 4)}


def choose(fit_rows: list[Row], dev_rows: list[Row], args: argparse.Namespace, width: int,
           ) -> tuple[dict[str, float], tuple[tuple[int, ...], float, int], SpanWeights]:
    """Every (window, L2, longest highlight) of the grid fitted on ``fit_rows``, scored on ``dev_rows``; the grid's
    F1s, the best setting and its head (fitted on ``fit_rows``)."""
    windows = [tuple(int(v) for v in w.split(",")) for w in args.windows.split(";")]
    grid: dict[str, float] = {}
    best: tuple[float, tuple[int, ...], float, int] | None = None
    best_head: SpanWeights | None = None
    for window in windows:
        xs, dev_xs = features(fit_rows, window), features(dev_rows, window)
        for l2 in (float(v) for v in args.l2.split(",")):
            start, end, _ = fit(xs, fit_rows, l2)
            for max_tokens in (int(v) for v in args.max_tokens.split(",")):
                head = SpanWeights(start.astype(np.float32), end.astype(np.float32), window, max_tokens, width)
                f1 = span_f1(head, dev_rows, dev_xs)
                grid[f"window {window} l2 {l2} max_tokens {max_tokens}"] = round(f1, 4)
                if best is None or f1 > best[0]:
                    best, best_head = (f1, window, l2, max_tokens), head
            shown = [v for k, v in grid.items() if k.startswith(f"window {window} l2 {l2} ")]
            print(f"dev: window {window} l2 {l2}: {shown}", flush=True)
    assert best is not None and best_head is not None
    return grid, best[1:], best_head


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reader", type=Path, default=MODEL_DIR, help="reader model folder (span_head.json goes here)")
    ap.add_argument("--results", type=Path, default=None, help="figures as JSON (e.g. bench/results/span_head.json)")
    ap.add_argument("--max-articles", type=int, default=None, help="tiny run: the first N articles of each half")
    ap.add_argument("--report-questions", type=int, default=None, help="measure on the first N report questions")
    ap.add_argument("--windows", default="1;1,2", help="neighbour windows to try, ';'-separated")
    ap.add_argument("--l2", default="0.01,0.03", help="L2 strengths to try")
    ap.add_argument("--max-tokens", default="8,12,20", help="longest highlights to try, in tokens")
    args = ap.parse_args()
    t0 = time.perf_counter()
    reader = Reader(args.reader)
    if reader.state_width is None:
        raise SystemExit(f"{args.reader}: the reader gives no token scores (python -m training.export "
                         f"--token-scores {args.reader})")
    data = load_squad(max_articles=args.max_articles)
    train = rows_of(data, reader, data.train)
    report = rows_of(data, reader, data.report_v11[: args.report_questions])
    titles = sorted({data.paragraphs[r.question.pid].title for r in train})
    dev_titles = set(titles[::4])
    fit_rows = [r for r in train if data.paragraphs[r.question.pid].title not in dev_titles]
    dev_rows = [r for r in train if data.paragraphs[r.question.pid].title in dev_titles]
    if not fit_rows or not dev_rows:
        raise SystemExit(f"need at least 2 training articles to fit and choose (got {len(titles)})")
    width = reader.state_width
    grid, (window, l2, max_tokens), dev_head = choose(fit_rows, dev_rows, args, width)
    min_probability, cutoffs = choose_min_probability(dev_head, dev_rows, features(dev_rows, window))
    start, end, final_loss = fit(features(train, window), train, l2)
    weights = SpanWeights(start.astype(np.float32), end.astype(np.float32), window, max_tokens, width,
                          min_probability)
    report_f1 = span_f1(weights, report, features(report, window))
    seconds = round(time.perf_counter() - t0, 1)
    figures = {"report_v11_odd": {"questions": len(report), "head_f1": round(report_f1, 4), **baselines(report)},
               "dev_grid": grid, "dev_min_probability": cutoffs,
               "chosen": {"window": list(window), "l2": l2, "max_tokens": max_tokens,
                          "min_probability": min_probability},
               "rows": {"train": len(train), "fit": len(fit_rows), "dev": len(dev_rows)},
               "dev_titles": sorted(dev_titles), "final_loss": round(final_loss, 4), "seconds": seconds,
               "tiny": args.max_articles is not None}
    head = {"about": "Highlight head of assistant/query/highlight.py, written by training/train_span_head.py; "
                     "do not edit by hand.", "reader_sha256": reader.info.sha256,
            "features": feature_count(width, window), "width": width, "window": list(window),
            "max_tokens": max_tokens, "min_probability": min_probability,
            "start": [round(float(v), 6) for v in start], "end": [round(float(v), 6) for v in end],
            "figures": figures}
    (args.reader / SPAN_FILE).write_text(json.dumps(head) + "\n", encoding="utf-8")
    (args.reader / CARD).write_text(card(figures), encoding="utf-8")
    if args.results:
        args.results.parent.mkdir(parents=True, exist_ok=True)
        args.results.write_text(json.dumps({"command": "python -m training.train_span_head", **figures}, indent=1)
                                + "\n", encoding="utf-8")
    rep = figures["report_v11_odd"]
    print(f"report (odd v1.1 articles, gold sentence, {rep['questions']} questions): head F1 {rep['head_f1']}, "
          f"whole sentence {rep['whole_sentence_f1']}, pattern else sentence {rep['pattern_else_sentence_f1']}; "
          f"{seconds} s")


def card(f: dict) -> str:
    rep, ch = f["report_v11_odd"], f["chosen"]
    lines = [
        "# Highlight head: model card", "",
        "Marks the answer-bearing span inside a quote, for any question (issue 14, item 4). Code: "
        "`assistant/query/highlight.py`; weights: `span_head.json` (tied to `reader-int8.onnx` by its SHA-256).", "",
        "## Model",
        f"- Two linear scores per token (start, end) over: the reader's last-layer state of the token and of its "
        f"neighbours at distances {ch['window']}, question-word flags (the token, its neighbours, its distance to the "
        "nearest one), shape (capital, digit, punctuation, word piece, first, last; read from the text) and whether "
        "the token lies in a span of the question's answer type (`answer_types.py`).",
        "- Decoding: for a typed question with pattern spans in the sentence, the pattern span with the best start + "
        f"end score; otherwise the best span of at most {ch['max_tokens']} tokens, widened to whole words, never "
        "made only of the question's own words, shown "
        f"only when its start and end softmax probabilities multiply to at least {ch['min_probability']} (the "
        f"largest cut-off within 0.005 of the best dev F1; dev F1 by cut-off: {json.dumps(f['dev_min_probability'])})"
        ".", "",
        "## Data and split",
        "- SQuAD v1.1 and v2.0 dev (CC BY-SA 4.0), the reader's training articles (even-numbered in every file): "
        f"{f['rows']['train']} answerable questions whose answer lies in one sentence; the dev quarter for the "
        f"choices: {', '.join(f['dev_titles'])}.",
        "- Reported on the odd-numbered articles of dev-v1.1 (never fitted on), given the gold sentence.", "",
        "## Fit",
        f"Softmax cross-entropy over the sentence's tokens (start and end independently), L2 {ch['l2']}, full-batch "
        f"L-BFGS (scipy); final loss {f['final_loss']}; {f['seconds']} s on 2 cores including reading. Reproduce: "
        "`make reader` (`python -m training.train_span_head --results bench/results/span_head.json`).", "",
        f"## Figures (SQuAD token F1 of the highlight, {rep['questions']} report questions, gold sentence)", "",
        "| highlight | F1 |", "|---|---|",
        f"| this head | {rep['head_f1']} |",
        f"| answer-type pattern's first span, else the whole sentence (before) | {rep['pattern_else_sentence_f1']} |",
        f"| the whole sentence | {rep['whole_sentence_f1']} |", "",
        f"Dev grid (F1 on the dev quarter): {json.dumps(f['dev_grid'])}", "",
        "## Limits",
        "- Fitted on Wikipedia questions; on inspection reports the span is a reading aid, the quote is the answer.",
        "- The head reads the states of the reader's 64-token input: words of a long sentence past that budget are "
        "never highlighted.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
