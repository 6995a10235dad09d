"""The learned reader (assistant/reader/): the shipped int8 model loads offline without torch, scores
deterministically, ranks an answering sentence first, refuses damaged files with a one-line fix, and the tiny
training configuration of the same script produces a model the runtime loads."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO_ROOT, copy_reader_model, squad_data
from test_no_network import NETWORK_BLOCK

from assistant.reader import MODEL_DIR, Candidate, Reader, ReaderError, load_reader

HARBOUR = [
    "The Kestrel Bay harbour was rebuilt in 1998 after a winter storm destroyed the old pier.",
    "Fishing boats now moor along the eastern wall, where the water is deepest.",
    "The harbour master, Agnes Pollard, keeps a logbook of every vessel that enters.",
    "A small museum beside the slipway displays lobster pots and ship's lanterns.",
]


def in_context(sentences: list[str], title: str) -> list[Candidate]:
    return [Candidate(s, title, sentences[i - 1] if i else "", sentences[i + 1] if i + 1 < len(sentences) else "")
            for i, s in enumerate(sentences)]


GUARDED = NETWORK_BLOCK + r'''
from assistant.reader import score
s = score("Who keeps a logbook of the vessels?", ["The harbour master keeps a logbook.", "Boats moor here."])
print(json.dumps({"scores": [float(x) for x in s], "attempts": attempts, "torch": "torch" in sys.modules}))
'''


def test_shipped_reader_scores_offline_without_torch() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    run = subprocess.run([sys.executable, "-c", GUARDED], capture_output=True, text=True, cwd=REPO_ROOT, env=env,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["attempts"] == [] and out["torch"] is False
    assert out["scores"][0] > out["scores"][1]


def test_scores_are_deterministic() -> None:
    cands = in_context(HARBOUR, "Kestrel Bay harbour")
    question = "Who keeps a logbook of every vessel?"
    first = load_reader().score(question, cands)
    again = Reader(MODEL_DIR).score(question, cands)
    assert first.dtype == np.float32 and first.shape == (4,)
    assert np.array_equal(first, again)
    assert np.array_equal(first, load_reader().score(question, cands))


@pytest.mark.parametrize(("question", "answer"), [
    ("Who keeps a logbook of every vessel that enters the harbour?", 2),
    ("When was the Kestrel Bay harbour rebuilt?", 0),
    ("What does the museum by the slipway display?", 3),
])
def test_shipped_reader_ranks_the_answering_sentence_first(question: str, answer: int) -> None:
    scores = load_reader().score(question, in_context(HARBOUR, "Kestrel Bay harbour"))
    assert int(scores.argmax()) == answer, scores


def copy_model(tmp_path: Path) -> Path:
    return copy_reader_model(tmp_path / "model")


def one_line_naming_the_fix(exc: pytest.ExceptionInfo[ReaderError]) -> None:
    message = str(exc.value)
    assert "\n" not in message and "make reader" in message


def test_missing_model_file_is_refused_with_the_fix(tmp_path: Path) -> None:
    model = copy_model(tmp_path)
    (model / "reader-int8.onnx").unlink()
    with pytest.raises(ReaderError) as exc:
        Reader(model)
    one_line_naming_the_fix(exc)
    assert "missing" in str(exc.value)


def test_damaged_model_file_is_refused_with_the_fix(tmp_path: Path) -> None:
    model = copy_model(tmp_path)
    onnx = model / "reader-int8.onnx"
    onnx.write_bytes(onnx.read_bytes()[: onnx.stat().st_size // 2])
    with pytest.raises(ReaderError) as exc:
        Reader(model)
    one_line_naming_the_fix(exc)
    assert "damaged" in str(exc.value)


def test_damaged_metadata_is_refused_with_the_fix(tmp_path: Path) -> None:
    model = copy_model(tmp_path)
    (model / "reader.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ReaderError) as exc:
        Reader(model)
    one_line_naming_the_fix(exc)


def with_disabled_optimizers(model: Path, names: list[str]) -> Path:
    meta = json.loads((model / "reader.json").read_text(encoding="utf-8"))
    meta["disabled_optimizers"] = names
    (model / "reader.json").write_text(json.dumps(meta), encoding="utf-8")
    return model


def test_reader_runs_with_the_fusions_its_metadata_switches_off(tmp_path: Path) -> None:
    """reader.json names the ONNX Runtime fusions the model was measured without; the session honours them (the
    unfused kernels round differently, so the logits move a little and the ranking does not)."""
    fused = Reader(with_disabled_optimizers(copy_reader_model(tmp_path / "fused"), []))
    unfused = Reader(with_disabled_optimizers(copy_reader_model(tmp_path / "unfused"), ["SkipLayerNormFusion"]))
    assert fused.info.disabled_optimizers == () and unfused.info.disabled_optimizers == ("SkipLayerNormFusion",)
    cands = in_context(HARBOUR, "Kestrel Bay harbour")
    question = "Who keeps a logbook of every vessel?"
    a, b = fused.score(question, cands), unfused.score(question, cands)
    assert not np.array_equal(a, b)
    assert np.abs(a - b).max() < 0.05 and a.argmax() == b.argmax()
    assert np.array_equal(b, unfused.score(question, cands))


@pytest.mark.skipif(not (squad_data() / "squad" / "dev-v1.1.json").is_file(),
                    reason="SQuAD dev sets not found (../shared/bench or $ASSISTANT_BENCH_DATA)")
def test_tiny_training_run_produces_a_loadable_model(tmp_path: Path) -> None:
    shipped = (MODEL_DIR / "reader-int8.onnx").read_bytes()
    out = tmp_path / "model"
    out.mkdir()
    (out / "span_head.json").write_text(json.dumps({"reader_sha256": "an older reader"}), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "training.train_reader", "--tiny", "--no-eval", "--out", str(out),
                          "--work", str(tmp_path / "work")], capture_output=True, text=True, cwd=REPO_ROOT,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    meta = json.loads((out / "reader.json").read_text())
    assert meta["training"]["steps"] == 3 and meta["config"]["layers"] == 1
    assert meta["disabled_optimizers"] == ["SkipLayerNormFusion"]  # measured and run without that fusion
    assert meta["training"]["scifact_claims"] == 3  # the SciFact path runs too (training/scifact_groups.py)
    assert not (out / "span_head.json").exists()  # a head fitted on another reader would stop the reader loading
    scores = Reader(out).score("Who keeps the logbook?", in_context(HARBOUR, "Kestrel Bay harbour"))
    assert scores.shape == (4,) and np.isfinite(scores).all()
    assert (MODEL_DIR / "reader-int8.onnx").read_bytes() == shipped  # the shipped model is left alone


def test_keyword_forms_read_as_users_type_and_keep_the_constraints() -> None:
    from training.groups import keyword_form

    assert keyword_form("Who led the Normans in 1066?", True) == "who led normans 1066"
    assert keyword_form("Who led the Normans in 1066?", False) == "led normans 1066"
    assert keyword_form("What share of children's homes were rated 2.5% better?", False) == \
        "share children's homes rated 2.5% better"
    assert keyword_form("Normans 1066", True) is None  # nothing to drop: not a new form
    assert keyword_form("What is it?", True) is None  # too little left


@pytest.mark.skipif(not (squad_data() / "squad" / "dev-v1.1.json").is_file(),
                    reason="SQuAD not found (../shared/bench or $ASSISTANT_BENCH_DATA)")
def test_topic_forms_name_the_article_and_keep_the_question() -> None:
    from training.data import load_squad
    from training.groups import GroupMaker, topical_form

    assert topical_form("Who led the army?", "Normans", 0, False) == "Who led the army in Normans?"
    assert topical_form("Who led the army?", "Super_Bowl_50", 1, True) == "super bowl 50 Who led the army?"
    assert topical_form("Who led the army?", "Normans", 2, False) == "Who led the army, Normans?"
    assert topical_form("What did the Normans build?", "Normans", 0, False) is None  # the topic is already named
    data = load_squad(squad_data(), max_articles=1)
    maker = GroupMaker(data, 4, random.Random(0))
    plain = GroupMaker(data, 4, random.Random(0)).epoch(data.train[:20], 0.5)
    named = maker.epoch(data.train[:20], 0.5, topic_rate=1.0)
    assert len(named) == len(plain)
    by_candidates = {(g.candidates, g.target, g.kind): g.question for g in plain}
    changed = 0
    for g in named:  # the same groups (in another shuffle): only the question may name its topic
        before = by_candidates[(g.candidates, g.target, g.kind)]
        if g.question != before:
            changed += 1
            assert before.strip().rstrip("?").rstrip() in g.question
            assert g.candidates[0].title.lower() in g.question.lower()
    assert changed  # the title is named where it was not


@pytest.mark.skipif(not (squad_data() / "scifact" / "corpus.jsonl").is_file(),
                    reason="SciFact not found (../shared/bench or $ASSISTANT_BENCH_DATA)")
def test_scifact_halves_share_no_abstract_and_weak_labels_come_from_cited_abstracts() -> None:
    """The reader trains on one half of SciFact train and the bench chooses its rerank on the other: no cited
    abstract may be on both sides, test claims on neither; a claim's positives are sentences of its cited
    abstracts and its negatives are not."""
    from bench.public_data import load_scifact, scifact_train_halves
    from training.scifact_groups import abstract_candidates, claim_groups, load_claims

    data = load_scifact(squad_data())
    reader_half, select_half = scifact_train_halves(data)
    assert reader_half and select_half and set(reader_half) | set(select_half) == set(data.qrels["train"])
    docs = [{d for rel in half.values() for d in rel} for half in (reader_half, select_half)]
    assert not docs[0] & docs[1] and not set(data.qrels["test"]) & (set(reader_half) | set(select_half))
    claims = load_claims(squad_data(), max_claims=2)
    for claim in claims:
        cited = {c.sentence for d in reader_half[claim.qid] for c in abstract_candidates(*data.corpus[d])}
        assert claim.positives and all(c.sentence in cited for c in claim.positives)
        assert claim.negatives and not any(c.sentence in cited for c in claim.negatives)
    groups = claim_groups(claims, 4, 2, random.Random(0))
    assert len(groups) == 2 * len(claims)
    assert all(g.candidates[g.target].sentence in {c.sentence for c in claims[i % len(claims)].positives}
               for i, g in enumerate(groups))
