"""The learned ranker on the question path: it reads the first stage's best candidates, checks the question's
constraints against the documents, decides from its own best logit, is deterministic, refuses a damaged model file
with the fix, and its fitting script runs end to end in a tiny configuration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import copy_reader_model, squad_data

from assistant.api import Assistant
from assistant.cli import main as cli_main
from assistant.query.params import RANKER_FILE, load_params
from assistant.query.ranker import RankerError, load_ranker, parse_ranker
from assistant.query.reading import RANK_FEATURES

REPO_ROOT = Path(__file__).resolve().parents[1]


def _column(name: str) -> int:
    return RANK_FEATURES.index(name)


def test_the_answer_comes_from_the_ranker_over_the_read_candidates(bundled_assistant: Assistant) -> None:
    trace = bundled_assistant.trace("What was the overall effectiveness judgement for Bradford in 2018?")
    ranker = load_ranker()
    assert trace.read is not None and len(trace.read.rows) == min(ranker.read_k, len(trace.candidates.ids))
    logits = ranker.logits(trace.read.features)
    other, back = trace.read.other_year, trace.read.looking_back  # query/years.py moves these below the rest
    assert other is not None and back is not None
    kept = ~(other | back)
    assert kept.any() and np.allclose(trace.scores[trace.read.rows][kept], logits[kept])
    if (~kept).any():
        assert trace.scores[trace.read.rows][~kept].max() < logits[kept].min()
    unread = np.setdiff1d(np.arange(len(trace.scores)), trace.read.rows)
    assert (trace.scores[unread] < trace.scores[trace.read.rows].min()).all()  # nothing unread outranks the read
    assert trace.decision.evidence == pytest.approx(float(logits[~other].max()))
    assert trace.answer.answered == (trace.decision.evidence >= bundled_assistant.settings.abstain_threshold)


def test_scores_are_deterministic(bundled_assistant: Assistant) -> None:
    q = "how many children were looked after?"
    a, b = bundled_assistant.trace(q), bundled_assistant.trace(q)
    assert np.array_equal(a.scores, b.scores) and a.answer.to_json()["quotes"] == b.answer.to_json()["quotes"]


def test_a_place_and_a_year_the_documents_lack_are_seen_missing(bundled_assistant: Assistant) -> None:
    """Lower case, as users type: the check reads the index's tokens, not capital letters."""
    here = bundled_assistant.trace("what did ofsted rate bradford children's services in 2018")
    there = bundled_assistant.trace("what did ofsted rate sheffield children's services in 2031")
    assert here.read is not None and there.read is not None
    best_here = int(np.argmax(here.scores[here.read.rows]))
    best_there = int(np.argmax(there.scores[there.read.rows]))
    assert there.read.features[best_there, _column("max_missing_doc")] > 0.5
    assert there.read.features[:, _column("number_missing_doc")].all()  # no document says 2031
    assert here.read.features[best_here, _column("missing_doc")] < there.read.features[best_there,
                                                                                       _column("missing_doc")]
    assert there.decision.evidence < here.decision.evidence


def test_reader_off_uses_the_first_stage_and_its_evidence(bundled_assistant: Assistant) -> None:
    settings = replace(bundled_assistant.settings, reader=False)
    trace = bundled_assistant.trace("Who is the Director of Children's Services?", settings=settings)
    assert trace.read is None and np.array_equal(trace.scores, trace.first_stage)


def test_strictness_levels_come_from_the_ranker_file() -> None:
    levels = json.loads(RANKER_FILE.read_text())["strictness"]["levels"]
    params = load_params()
    assert [lv.name for lv in params.levels] == [lv["name"] for lv in levels]
    assert [lv.threshold for lv in params.levels] == sorted(lv.threshold for lv in params.levels)
    balanced = next(lv for lv in params.levels if lv.name == params.default_level)
    assert balanced.threshold == 0.0


@pytest.mark.parametrize("damage", ["{not json", '{"model": {}}', "features"])
def test_a_damaged_ranker_file_is_refused_with_the_fix(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "ranker.json"
    if damage == "features":
        raw = json.loads(RANKER_FILE.read_text())
        raw["model"]["features"] = raw["model"]["features"][:-1]
        path.write_text(json.dumps(raw))
    else:
        path.write_text(damage)
    with pytest.raises(RankerError, match="make reader") as err:
        load_ranker(path)
    assert "\n" not in str(err.value)


def test_cli_no_reader_flag_answers_without_the_reader(bundled_index: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli_main(["ask", "--index", str(bundled_index), "--json", "--no-reader",
                     "Who is the Director of Children's Services?"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["question"].startswith("Who is the Director")



@pytest.mark.skipif(not (squad_data() / "squad" / "dev-v1.1.json").is_file(),
                    reason="SQuAD dev sets not found (../shared/bench or $ASSISTANT_BENCH_DATA)")
def test_tiny_ranker_fit_writes_a_loadable_ranker(tmp_path: Path) -> None:
    shipped = RANKER_FILE.read_bytes()
    out = tmp_path / "ranker.json"
    env = {**os.environ, "ASSISTANT_BENCH_CACHE": str(tmp_path / "cache")}
    run = subprocess.run([sys.executable, "-m", "training.fit_ranker", "--tiny", "--out", str(out),
                          "--results", str(tmp_path / "fit.json")], capture_output=True, text=True, cwd=REPO_ROOT,
                         timeout=600, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    raw = json.loads(out.read_text())
    ranker = parse_ranker(raw)
    assert ranker.features == RANK_FEATURES and np.isfinite(ranker.weights).all()
    shares = [lv["answerable_answered"] for lv in raw["strictness"]["levels"]]
    assert shares == sorted(shares, reverse=True)  # stricter levels answer less
    assert raw["fit"]["tiny"] is True and raw["fit"]["training_rows"] > 0
    assert RANKER_FILE.read_bytes() == shipped  # the shipped ranker is left alone


@pytest.mark.skipif(not (squad_data() / "squad" / "dev-v1.1.json").is_file(),
                    reason="SQuAD dev sets not found (../shared/bench or $ASSISTANT_BENCH_DATA)")
def test_cross_fitting_folds_split_the_training_articles() -> None:
    """The two readers the ranker is cross-fitted with never share a training article."""
    from training.data import load_squad

    folds = [load_squad(fold=f"{i}/2") for i in range(2)]
    titles = [set(d.train_titles) for d in folds]
    assert titles[0] and titles[1] and not titles[0] & titles[1]
    questions = [{q.qid for q in d.train} for d in folds]
    assert not questions[0] & questions[1]


@pytest.mark.skipif(not (squad_data() / "squad" / "dev-v1.1.json").is_file(),
                    reason="SQuAD dev sets not found (../shared/bench or $ASSISTANT_BENCH_DATA)")
def test_keyword_twins_add_to_the_training_asks_and_change_nothing_else() -> None:
    """A keyword rate adds open, answerable keyword forms of training questions; the other asks stay as they were."""
    from training.data import load_squad
    from training.ranker_data import asks_for

    data = load_squad(max_articles=1)
    plain = asks_for(data, data.train, 7, 0.5, 0.5)
    twinned = asks_for(data, data.train, 7, 0.5, 0.5, keyword_rate=1.0)
    added = [a for a in twinned if a not in plain]
    assert [a for a in twinned if a in plain] == plain and added
    assert all(a.kind == "answerable" and a.answers and not a.closed for a in added)
    assert all("?" not in a.text and a.text == a.text.lower() for a in added)


@pytest.mark.skipif(not (squad_data() / "squad" / "dev-v1.1.json").is_file(),
                    reason="SQuAD dev sets not found (../shared/bench or $ASSISTANT_BENCH_DATA)")
def test_topic_twins_name_the_article_for_every_kind_and_change_nothing_else() -> None:
    """A topic rate adds, right after an open ask, its twin naming the article's title, with the same kind and
    answers (answerable, unanswerable and adversarial alike); the other asks stay as they were."""
    from training.data import load_squad
    from training.groups import words
    from training.ranker_data import asks_for

    data = load_squad(max_articles=1)
    plain = asks_for(data, data.train, 7, 0.5, 0.5)
    twinned = asks_for(data, data.train, 7, 0.5, 0.5, topic_rate=1.0)
    added = [(i, a) for i, a in enumerate(twinned) if a not in plain]
    assert [a for a in twinned if a in plain] == plain and added
    for i, twin in added:
        source = twinned[i - 1]
        title = data.paragraphs[twin.pid].title
        assert not twin.closed and not source.closed and (twin.pid, twin.answers, twin.kind) == (
            source.pid, source.answers, source.kind)
        assert words(title) <= words(twin.text) and not words(title) <= words(source.text)
    assert {a.kind for _, a in added} >= {"answerable", "adversarial"}


def _damaged_reader(tmp_path: Path) -> Path:
    folder = copy_reader_model(tmp_path / "reader")
    model = folder / "reader-int8.onnx"
    model.write_bytes(model.read_bytes()[: model.stat().st_size // 2])  # a truncated copy
    return folder


def test_ask_with_a_damaged_reader_is_a_one_line_error_naming_the_fix(bundled_index: Path, tmp_path: Path) -> None:
    env = {**os.environ, "ASSISTANT_READER_DIR": str(_damaged_reader(tmp_path))}
    run = subprocess.run([sys.executable, "-m", "assistant.cli", "ask", "--index", str(bundled_index),
                          "Who leads Bradford Council?"], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 2 and not run.stdout
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "damaged" in lines[0] and "make reader" in lines[0], run.stderr


def test_the_app_says_the_reader_is_damaged_instead_of_failing(launch, bundled_index: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import DOCUMENTS

    monkeypatch.setenv("ASSISTANT_READER_DIR", str(_damaged_reader(tmp_path)))
    index = tmp_path / "index"  # another path: the app keeps one loaded library per folder, reader included
    index.symlink_to(bundled_index, target_is_directory=True)
    at = launch(DOCUMENTS, index)
    at.chat_input[0].set_value("Who leads Bradford Council?").run()
    assert not at.exception, at.exception
    errors = [h.value for h in at.get("html") if 'ba-notice ba-error' in h.value]
    assert any("make reader" in e for e in errors), errors
