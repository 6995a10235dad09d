"""RANKER_CARD.md: what the learned ranker is, what it was fitted on, and how it measured (from ranker.json)."""

from __future__ import annotations


def _figures_table(figures: dict[str, dict[str, float]]) -> list[str]:
    names = list(next(iter(figures.values())))
    lines = ["| model | " + " | ".join(n.replace("_", " ") for n in names) + " |",
             "|---|" + "---|" * len(names)]
    lines += [f"| {model} | " + " | ".join(f"{row[n]:.3f}" for n in names) + " |" for model, row in figures.items()]
    return lines


def _data_lines(fit: dict) -> list[str]:
    return [
        "## Data and split",
        "- SQuAD v1.1 and v2.0 dev (`../shared/bench/squad`, CC BY-SA 4.0), one file per paragraph, indexed by the "
        "product; every question asked through the product's stages (open: all 2,067 paragraphs; closed: the gold "
        "paragraph only).",
        "- Fitted on the articles even-numbered in every dev file (the reader's training articles); reported on the "
        "odd-numbered articles of each file, never fitted on.",
        ("- Cross-fitted: each training article's questions were read by a reader trained on the other half of the "
         f"training articles ({', '.join(fit['fold_readers'])}), so the reader's logit is as reliable as on unseen "
         "text; the shipped reader (trained on all of them) reads at question time."
         if fit.get("fold_readers") else
         "- Not cross-fitted: the training questions were read by the shipped reader, which saw them in training "
         "(its logit is more confident there than on unseen text)."),
        "- Negatives: unanswerable v2.0 questions and adversarial twins (a year, figure or name of the question "
        "swapped for one of the same article the paragraph lacks, or for one from another article).",
        f"- {fit['questions']['train']} training asks ({fit['training_rows']} candidate rows, {fit['positives']} "
        f"positive); {fit['questions']['report']} report asks.",
        "",
    ]


def card(ranker: dict) -> str:
    """The model card's Markdown for a written ranker.json."""
    model, fit, strict = ranker["model"], ranker["fit"], ranker["strictness"]
    weights = sorted(model["weights"].items(), key=lambda kv: -abs(kv[1]))
    lines = [
        "# Learned ranker: model card",
        "",
        "A linear conditional logit (softmax over a question's read candidates and a \"none answers\" option, "
        "`training/listwise.py`) over the product's own candidate features (`assistant/query/reading.py`, "
        "RANK_FEATURES): the first stage's retrieval features and score, the cross-encoder reader's logit "
        "(`assistant/reader`) on the first stage's best "
        f"{model['read_k']} candidates, and explicit constraint checks (IDF share of the question's words absent "
        "from the candidate's document and context; a figure or year of the question absent). Its logit both orders "
        "the candidates and decides whether to answer (0 = the default strictness level).",
        "",
        *_data_lines(fit),
        "## Fit",
        f"Full-batch L-BFGS (scipy), L2 {fit['l2']}, standardised inputs, training loss {fit['training_loss']}; "
        f"negatives drawn with seed {fit['seed']}; "
        f"{fit['seconds']:.0f} s on 2 cores (reading every question takes ~12 min; less when the rows come from "
        "`--rows-cache`) (`python -m training.fit_ranker`, `make reader`). `bench/calibrate_ranker.py` then adds "
        "three numbers calibrated on the gold sets' tuning halves (ranker.json, \"calibration\": the first stage's "
        "weight inside the logit, an extra weight for the answer-type cue, chosen with the same merit on 1,000 "
        "SQuAD v2.0 training-article questions added, and the default threshold). Standardised "
        "weights, largest first:",
        "",
        "| feature | weight |", "|---|---|",
        *[f"| {f} | {w:+.3f} |" for f, w in weights],
        "",
        "## Report halves (odd-numbered articles; the same rows for every model)",
        "",
        *_figures_table(fit["report_figures"]),
        "",
        "The pointwise logistic regression and the gradient-boosted trees (scikit-learn) are fitted on the same "
        "rows for comparison only.",
        "",
        f"## Strictness levels (measured on {strict['measured_on']})",
        "",
        "| level | threshold | answerable answered | unanswerable refused |", "|---|---|---|---|",
        *[f"| {lv['name']} | {lv['threshold']:+.3f} | {lv['answerable_answered']:.2f} | "
          f"{lv['unanswerable_refused']:.2f} |" for lv in strict["levels"]],
        "",
        "## Limits",
        "- Wikipedia paragraphs are not inspection reports: the bundled gold halves and the natural set measure "
        "the transfer (README).",
        "- Constraint checks read the index's tokens: a synonym of a missing word counts as missing.",
        "",
    ]
    return "\n".join(lines)
