"""Experiment (not shipped): the first stage's sentence weights fitted on SQuAD training articles instead of the
gold tuning half. Writes a params file beside the product's, never over it.

    .venv/bin/python bench/first_stage_squad.py [--tiny] [--out build/first_stage_squad/params.json]

Why it was tried: the first stage (assistant/query/ranking.py, a linear score over retrieval's FEATURES) chooses
the 8 candidates the reader reads, and its ten weights were chosen by coordinate search on the 43 answerable
questions of the bundled tuning half (bench/tune_answering.py). Here they are fitted on every answerable SQuAD
training-article question (3,506), through the product's own ``prepare`` and ``candidates`` stages on the SQuAD
bench index, labelled as the ranker's examples are (training/ranker_data.py), with the ranker's listwise objective
(training/listwise.py); a feature SQuAD never varies (``boilerplate``) keeps its weight; the weights are scaled
to the old spread of a question's scores (``merge_margin`` is a distance on that scale).

What it gave (2026-12-02, README "Tried and not shipped"): the answer was among the best 8 more often (SQuAD odd
articles 0.943 -> 0.958; tuning halves 0.860 -> 0.907 and 0.768 -> 0.821), and with the ranker refitted on it
(cross-fitted) and recalibrated, refusal AUROC rose on all four gold halves, but answer@1 and answer@3 fell on
both test halves (bundled 0.767 / 0.860 -> 0.721 / 0.767, natural 0.625 / 0.750 -> 0.554 / 0.732): Wikipedia
does not teach the first stage what the reports' cover lines and grade tables look like. The figures and the
files it produced are in bench/results/first_stage_squad/.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from assistant.api import Assistant  # noqa: E402
from assistant.folding import fold_text  # noqa: E402
from assistant.query.params import PARAMS_FILE, parse_params  # noqa: E402
from assistant.query.types import FEATURES  # noqa: E402
from training.data import Question, SquadData  # noqa: E402
from training.listwise import fit_listwise  # noqa: E402

RECALL_AT = (1, 3, 8, 16)


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tiny", action="store_true", help="one training and one report article, a small index")
    ap.add_argument("--l2", type=float, default=1e-3, help="L2 strength on the standardised weights")
    ap.add_argument("--max-report", type=int, default=0, help="report on at most this many questions per half")
    ap.add_argument("--params", type=Path, default=PARAMS_FILE, help="the params to start from (not rewritten)")
    ap.add_argument("--out", type=Path, default=REPO / "build" / "first_stage_squad" / "params.json",
                    help="where to write the experiment's params")
    ap.add_argument("--results", type=Path, default=REPO / "bench" / "results" / "first_stage_squad" /
                    "first_stage_fit.json")
    return ap.parse_args()


def collect(index_dir: Path, data: SquadData, questions: list[Question]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each question's candidates (FEATURES rows) and which of them hold its answer, by the product's stages."""
    from bench.public_data import squad_doc_name

    assistant = Assistant(index_dir)
    snap = assistant.snapshot()
    pipe, store = snap.pipeline, snap.store
    settings = replace(assistant.settings, reader=True)
    by_doc = {d.doc: i for i, d in enumerate(store.docs)}
    out = []
    for q in questions:
        gold = by_doc[squad_doc_name(data.paragraphs[q.pid].title, q.pid)]
        answers = [a for a in (fold_text(x) for x in q.answers) if a]
        cands = pipe.candidates(pipe.prepare(q.text), settings)
        y = np.array([int(store.sent_doc[i]) == gold and any(a in fold_text(store.sentence_text(int(i)))
                                                             for a in answers) for i in cands.ids], dtype=bool)
        out.append((np.asarray(cands.features, dtype=np.float64), y))
    return out


def recall(groups: list[tuple[np.ndarray, np.ndarray]], weights: np.ndarray) -> dict[str, float]:
    """Share of questions with an answering sentence among the first stage's best k."""
    out = {}
    for k in RECALL_AT:
        hits = [bool(y[np.argsort(-(x @ weights), kind="stable")[:k]].any()) for x, y in groups if len(y)]
        out[f"recall@{k}"] = round(sum(hits) / max(len(groups), 1), 4)
    out["among_candidates"] = round(sum(bool(y.any()) for _, y in groups) / max(len(groups), 1), 4)
    return out


def within_question_spread(groups: list[tuple[np.ndarray, np.ndarray]], weights: np.ndarray) -> float:
    """Mean standard deviation of one question's candidate scores."""
    return float(np.mean([np.std(x @ weights) for x, _ in groups if len(x) > 1]))


def fit_weights(groups: list[tuple[np.ndarray, np.ndarray]], old: np.ndarray, l2: float) -> np.ndarray:
    """Raw-feature weights from the listwise fit, old weights kept for constant features, old spread kept."""
    kept = [(x, y) for x, y in groups if y.any()]
    x = np.concatenate([x for x, _ in kept])
    y = np.concatenate([y for _, y in kept]).astype(np.int8)
    g = np.concatenate([np.full(len(yy), i, dtype=np.int32) for i, (_, yy) in enumerate(kept)])
    model = fit_listwise(x, y, g, l2)
    weights = model["weights"] / model["scale"]
    constant = x.std(0) < 1e-9
    scale = within_question_spread(kept, np.where(constant, 0.0, old)) / within_question_spread(kept, np.where(
        constant, 0.0, weights))
    return np.where(constant, old, weights * scale)


def main() -> None:
    args = parse_args()
    from training.data import load_squad
    from training.ranker_index import index_for

    t0 = time.perf_counter()
    raw = json.loads(args.params.read_text(encoding="utf-8"))
    old = np.array([float(raw["weights"].get(f, 0.0)) for f in FEATURES])
    data = load_squad(max_articles=1 if args.tiny else None)
    index_dir = index_for(data, args.tiny)
    train = collect(index_dir, data, [q for q in data.train if q.answers])
    report_qs = [q for q in data.report_v11 if q.answers]
    if args.max_report or args.tiny:
        report_qs = report_qs[: args.max_report or 60]
    report = collect(index_dir, data, report_qs)
    weights = fit_weights(train, old, args.l2)
    figures = {"old weights": recall(report, old), "fitted weights": recall(report, weights)}
    fitted = {f: round(float(w), 4) for f, w in zip(FEATURES, weights, strict=True)}
    meta = {"command": ".venv/bin/python bench/first_stage_squad.py" + (" --tiny" if args.tiny else ""),
            "training_questions": len(train), "with_answer_among_candidates": int(sum(y.any() for _, y in train)),
            "report_questions (SQuAD v1.1 odd articles, open)": len(report), "l2": args.l2,
            "kept_from_params (constant on SQuAD)": [f for f, w, o in zip(FEATURES, weights, old, strict=True)
                                                     if w == o and f in raw["weights"]],
            "weights": fitted, "report": figures, "seconds": round(time.perf_counter() - t0, 1), "tiny": args.tiny}
    raw["weights"] = fitted
    raw.setdefault("source", {})["first_stage"] = "bench/first_stage_squad.py (SQuAD training articles; experiment)"
    parse_params(raw, {"default": "", "measured_on": "", "levels": []})  # the product must read what is written
    out = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(raw, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=1))
    print(f"wrote {out} and {args.results} ({meta['seconds']} s)")


if __name__ == "__main__":
    main()
