"""Answers are unchanged by refactoring: quotes, offsets, highlights, scores and ``answered`` on both gold halves
and on a fixed SQuAD sample are compared with a recorded snapshot.

A change meant to alter answers (a new ranker, a splitter fix) re-records the snapshot on purpose and says so in
its commit:

    ASSISTANT_RECORD_SNAPSHOT=1 .venv/bin/python -m pytest tests/test_answer_snapshot.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import REPO_ROOT, write_corpus

from assistant.api import Assistant
from assistant.query.types import Answer

SNAPSHOTS = Path(__file__).parent / "snapshots"
RECORD_ENV = "ASSISTANT_RECORD_SNAPSHOT"
SQUAD_DEV = REPO_ROOT.parent / "shared" / "bench" / "squad" / "dev-v1.1.json"
SQUAD_ARTICLES = (0, 7, 14, 21, 28, 35, 42)  # a fixed spread of dev-v1.1 articles
SQUAD_PARAGRAPHS = 4  # the first paragraphs of each
SQUAD_QUESTIONS = 3  # the first questions of each paragraph


def _answer_record(answer: Answer) -> dict[str, object]:
    quotes = [[q.doc, q.page, q.start, q.end, q.highlight_start, q.highlight_end, round(q.score, 4)]
              for q in answer.quotes]
    return {"answered": answer.answered, "evidence": round(answer.evidence, 4), "quotes": quotes}


def _compare(name: str, got: dict[str, dict[str, object]]) -> None:
    path = SNAPSHOTS / f"{name}.json"
    if os.environ.get(RECORD_ENV):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        pytest.skip(f"recorded {path.name}")
    want = json.loads(path.read_text(encoding="utf-8"))
    assert sorted(got) == sorted(want), "the snapshot holds other questions"
    differ = [q for q in want if got[q] != want[q]]
    assert not differ, f"{len(differ)} of {len(want)} answers changed, e.g. {differ[0]!r}: {got[differ[0]]} != " \
                       f"{want[differ[0]]}"


def test_bundled_gold_answers_match_the_snapshot(bundled_assistant: Assistant) -> None:
    got = {}
    for half in ("tune", "test"):
        for line in (REPO_ROOT / "eval" / f"bundled_gold_{half}.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                got[item["id"]] = _answer_record(bundled_assistant.ask(item["question"]))
    _compare("bundled_gold_answers", got)


def _squad_sample() -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """Markdown files (``# title`` then the paragraph) and (question id, question, file) of the fixed sample."""
    data = json.loads(SQUAD_DEV.read_text(encoding="utf-8"))["data"]
    files: dict[str, str] = {}
    questions: list[tuple[str, str, str]] = []
    for a in SQUAD_ARTICLES:
        article = data[a]
        title = article["title"].replace("_", " ")
        for p, para in enumerate(article["paragraphs"][:SQUAD_PARAGRAPHS]):
            name = f"a{a:02d}/p{p}.md"
            files[name] = f"# {title}\n\n{para['context']}\n"
            questions += [(qa["id"], qa["question"], name) for qa in para["qas"][:SQUAD_QUESTIONS]]
    return files, questions


@pytest.mark.skipif(not SQUAD_DEV.is_file(), reason=f"SQuAD dev set not found at {SQUAD_DEV}")
def test_squad_sample_answers_match_the_snapshot(tmp_path: Path) -> None:
    files, questions = _squad_sample()
    docs = write_corpus(tmp_path / "docs", files)
    assistant = Assistant(tmp_path / "index")
    assert not assistant.build(docs).problems
    got = {qid: _answer_record(assistant.ask(text)) for qid, text, _ in questions}
    # closed setting: the same questions restricted to their own paragraph by the document filter
    got.update({f"{qid}:closed": _answer_record(assistant.ask(text, docs=[name])) for qid, text, name in questions})
    _compare("squad_sample_answers", got)
