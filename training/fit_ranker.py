"""Fit the learned ranker (assistant/query/ranker.py) on the product's own candidates for SQuAD training articles.

    python -m training.fit_ranker            # the full fit (`make reader`, after the reader): ~10 min
    python -m training.fit_ranker --tiny     # seconds: one training and one report article (test suite)

Examples: training/ranker_data.py (the product's stages on the SQuAD bench index; fit on articles even in every
dev file, report on the odd-numbered ones). Model: a linear conditional logit over each question's candidates and
a "none answers" option (training/listwise.py) on standardised RANK_FEATURES, compared on the report halves with a
pointwise logistic regression and gradient-boosted trees fitted on the same rows (scikit-learn, fixed seed; the
figures go to --results and the card). Operating points: the shares of
answerable training questions answered at each strictness level, with the unanswerable and adversarial ones
refused there, measured on the training rows and stored beside the model; the bias is shifted so that logit 0 is
the default level's threshold. Writes ranker.json (--out) and RANKER_CARD.md beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from assistant.query.ranker import RANKER_FILE, parse_ranker  # noqa: E402
from assistant.query.reading import RANK_FEATURES  # noqa: E402
from training.listwise import fit_listwise  # noqa: E402
from training.ranker_card import card  # noqa: E402
from training.ranker_data import Rows, asks_for, collect  # noqa: E402
from training.ranker_eval import group_metrics, level_table  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
LEVELS = (("Lenient", 0.97), ("Balanced", 0.90), ("Strict", 0.80), ("Very strict", 0.60))
DEFAULT_LEVEL = "Balanced"


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tiny", action="store_true", help="one training and one report article, a small index")
    ap.add_argument("--read-k", type=int, default=8, help="first-stage candidates the reader reads")
    ap.add_argument("--l2", type=float, default=1e-3, help="L2 strength of the listwise model")
    ap.add_argument("--c", type=float, default=1.0, help="inverse L2 strength of the pointwise comparison")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--adversarial-rate", type=float, default=0.5)
    ap.add_argument("--closed-rate", type=float, default=0.5)
    ap.add_argument("--keyword-rate", type=float, default=0.0,
                    help="share of answerable training questions also asked as keywords (ranker_data.asks_for)")
    ap.add_argument("--topic-rate", type=float, default=0.0,
                    help="share of open training asks also asked naming their article (ranker_data.asks_for)")
    ap.add_argument("--rows-cache", type=Path, default=None, help="folder of collected rows (npz), reused when present")
    ap.add_argument("--max-questions", type=int, default=0, help="read at most this many questions per half")
    ap.add_argument("--fold-readers", type=Path, nargs="*", default=[],
                    help="readers trained on folds i/n of the training articles (train_reader --fold i/n), in "
                         "order: training questions are read by the other fold's reader (cross-fitting)")
    ap.add_argument("--out", type=Path, default=RANKER_FILE)
    ap.add_argument("--results", type=Path, default=REPO / "bench" / "results" / "ranker_fit.json")
    return ap.parse_args()


def fit_pointwise(x: np.ndarray, y: np.ndarray, c: float, seed: int) -> dict[str, np.ndarray | float]:
    """The comparison fit: each candidate on its own (measured, not shipped)."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(0), x.std(0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=c, max_iter=2000, random_state=seed).fit((x - mean) / scale, y)
    return {"mean": mean, "scale": scale, "weights": model.coef_[0], "bias": float(model.intercept_[0])}


def logits_of(model: dict, x: np.ndarray) -> np.ndarray:
    return ((x - model["mean"]) / model["scale"]) @ model["weights"] + model["bias"]


def gbdt_logits(x: np.ndarray, y: np.ndarray, seed: int, x_eval: np.ndarray) -> np.ndarray:
    """The comparison model: gradient-boosted trees on the same rows (measured, not shipped)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, max_leaf_nodes=31,
                                           l2_regularization=1.0, random_state=seed).fit(x, y)
    return model.decision_function(x_eval)


def rows_for(args: argparse.Namespace, index_dir: Path, data, questions, seed: int, name: str,
             adversarial_rate: float, closed_rate: float) -> Rows:
    """The rows of ``questions`` (read from --rows-cache when it holds them; the cache is the caller's to clear
    when the product's stages change)."""
    training = name == "training"  # the twins and the fold readers are the training rows' alone
    keyword_rate, topic_rate = (args.keyword_rate, args.topic_rate) if training else (0.0, 0.0)
    tag = "-crossfit" if training and args.fold_readers else ""
    tag += f"-kw{keyword_rate}" if keyword_rate else ""
    tag += f"-topic{topic_rate}" if topic_rate else ""
    cached = args.rows_cache / f"{name}-k{args.read_k}{tag}.npz" if args.rows_cache else None
    if cached is not None and cached.is_file():
        return Rows.load(cached)
    asks = asks_for(data, questions, seed, adversarial_rate, closed_rate, keyword_rate, topic_rate)
    if args.max_questions:
        asks = asks[: args.max_questions]
    print(f"{name}: {len(asks)} questions to read", flush=True)
    if training and args.fold_readers:
        rows = cross_fitted(args, index_dir, data, asks)
    else:
        rows = collect(index_dir, data, asks, args.read_k)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        rows.save(cached)
    return rows


def cross_fitted(args: argparse.Namespace, index_dir: Path, data, asks: list) -> Rows:
    """Each training article's questions read by the reader trained on the other articles (fold i's questions by
    the reader of fold 1-i), so the ranker learns how far to trust the reader on text it has not seen. Fitted on
    the shipped reader's own training questions, it trusted it far too much: that reader's best sentence is 0.88
    on its training questions and 0.80 on the report halves, below the first stage's 0.87."""
    titles = data.train_titles
    n = len(args.fold_readers)
    fold_of = {t: i % n for i, t in enumerate(titles)}
    rows = Rows()
    for i in range(n):
        mine = [a for a in asks if fold_of[data.paragraphs[a.pid].title] == i]
        reader_dir = args.fold_readers[(i + 1) % n]
        print(f"  fold {i}: {len(mine)} questions read by {reader_dir}", flush=True)
        rows.extend(collect(index_dir, data, mine, args.read_k, reader_dir))
    return rows


def ranker_json(args: argparse.Namespace, model: dict, levels: list[dict], shift: float, meta: dict) -> dict:
    vec = {k: {f: round(float(v), 6) for f, v in zip(RANK_FEATURES, model[k], strict=True)}
           for k in ("mean", "scale", "weights")}
    return {
        "about": "The learned ranker of the question path (assistant/query/ranker.py). Written by "
                 "training/fit_ranker.py from SQuAD training articles; do not edit by hand.",
        "model": {"read_k": args.read_k, "features": list(RANK_FEATURES), **vec,
                  "bias": round(float(model["bias"]) - shift, 6)},
        "strictness": {"default": DEFAULT_LEVEL, "measured_on": meta["measured_on"], "levels": levels},
        "fit": meta,
    }


def main() -> None:
    args = parse_args()
    from training.data import load_squad
    from training.ranker_index import index_for

    t0 = time.perf_counter()
    if args.tiny:
        args.max_questions = args.max_questions or 80
    data = load_squad(max_articles=1 if args.tiny else None)
    index_dir = index_for(data, args.tiny)
    train = rows_for(args, index_dir, data, data.train, args.seed, "training", args.adversarial_rate,
                     args.closed_rate)
    report = rows_for(args, index_dir, data, data.report_v11 + data.report_v20, args.seed + 1, "report", 0.5, 0.5)
    x, y, g = train.arrays()
    model = fit_listwise(x, y, g, args.l2)
    levels, shift = level_table(train, logits_of(model, x), LEVELS, DEFAULT_LEVEL)
    xr, _, _ = report.arrays()
    pointwise = fit_pointwise(x, y, args.c, args.seed)
    figures = {"listwise logistic (shipped)": group_metrics(report, logits_of(model, xr) - shift),
               "pointwise logistic": group_metrics(report, logits_of(pointwise, xr)),
               "gradient-boosted trees (pointwise)": group_metrics(report, gbdt_logits(x, y, args.seed, xr)),
               "first stage alone": group_metrics(report, xr[:, RANK_FEATURES.index("first_stage")]),
               "reader alone": group_metrics(report, xr[:, RANK_FEATURES.index("reader")])}
    meta = {"measured_on": f"the open-setting SQuAD training questions ({len(train.asks)} asks incl. closed and "
                           "adversarial; levels use the open ones), the data the ranker was fitted on",
            "training_rows": int(len(y)), "positives": int(y.sum()), "report_figures": figures,
            "seconds": round(time.perf_counter() - t0, 1), "tiny": args.tiny, "seed": args.seed,
            "fold_readers": [str(p) for p in args.fold_readers], "l2": args.l2,
            "keyword_rate": args.keyword_rate, "topic_rate": args.topic_rate,
            "training_loss": round(float(model["loss"]), 4),
            "questions": {"train": len(train.asks), "report": len(report.asks)}}
    out = ranker_json(args, model, levels, shift, meta)
    parse_ranker(out)  # the product must read what is written
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    args.out.with_name("RANKER_CARD.md").write_text(card(out), encoding="utf-8")
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=1))
    print(f"wrote {args.out} and {args.results} ({meta['seconds']} s)")


if __name__ == "__main__":
    main()
