"""Several colleagues on one instance: concurrent questions get exactly the single-user answers, and questions
asked while uploads are indexed only ever see a complete index (the old one or the new one).

The load test of the running Streamlit app (real browser sessions) is bench/load_app.py; its small version runs
here as test_app_under_concurrent_sessions_reports_no_errors.
"""

from __future__ import annotations

import json
import sys
import threading
import traceback
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import REPO_ROOT, TINY_FILES, write_corpus

from assistant.api import Assistant
from assistant.index.store import current_folder, load_store

THREADS = 8
TOTAL_QUESTIONS = 200
GOLD = REPO_ROOT / "eval" / "bundled_gold.jsonl"


def shown(answer) -> str:
    """Everything a user sees of an answer or citation, timings left out."""
    out = answer.to_json()
    out.pop("timings_ms", None)
    return json.dumps(out, sort_keys=True)


def test_eight_threads_get_exactly_the_single_thread_answers(bundled_assistant: Assistant) -> None:
    questions = [json.loads(line)["question"] for line in GOLD.read_text().splitlines() if line.strip()][:50]
    asked = questions * (TOTAL_QUESTIONS // len(questions))  # each question 4 times, in different threads
    single = {q: shown(bundled_assistant.ask(q)) for q in questions}
    fresh = Assistant(bundled_assistant.index_dir)  # nothing loaded yet: the threads race to load it
    with ThreadPoolExecutor(THREADS) as pool:
        got = list(pool.map(lambda q: (q, shown(fresh.ask(q)), threading.get_ident()), asked))
    mismatches = [q for q, answer, _ in got if answer != single[q]]
    threads_used = len({ident for _, _, ident in got})
    print(f"concurrency: {THREADS} threads ({threads_used} used), {len(got)} questions, {len(mismatches)} mismatches")
    assert len(got) == TOTAL_QUESTIONS and threads_used > 1
    assert mismatches == []


def test_concurrent_citation_lookups_match_single_thread_ones(bundled_assistant: Assistant) -> None:
    store = bundled_assistant.store
    quotes = [store.sentence_text(i) for i in range(0, store.n_sentences, store.n_sentences // 24)][:24]
    quotes += [q.replace("the ", "a ", 1) for q in quotes[:8]]  # near matches take the alignment path
    fresh = Assistant(bundled_assistant.index_dir)
    quotes = [q for q in quotes if len(q.split()) >= 3]
    single = {q: shown(bundled_assistant.cite(q)) for q in quotes}
    with ThreadPoolExecutor(THREADS) as pool:
        got = list(pool.map(lambda q: (q, shown(fresh.cite(q))), quotes * 2))
    assert [q for q, c in got if c != single[q]] == []


# --- asking while uploads are indexed --------------------------------------------------------------------

QUESTIONS = ("Who is the harbour master that keeps a logbook of every vessel?",
             "How many steps does the lighthouse tower have?",
             "When did astronomers discover a comet?",
             "When does pruning happen in the orchard?")
LIGHTHOUSE = ("The Gannet Point lighthouse was automated in 1987 and no keeper lives there now.\n"
              "The tower has one hundred and twelve steps up to the lantern room.\n")


def test_questions_during_uploads_only_ever_see_a_complete_index(tmp_path: Path) -> None:
    """Readers share one Assistant (as the app's sessions do) or open a new one per question (as separate
    processes do) while the same Assistant indexes uploads: a new file, a changed file, a removed file.
    Every answer must be exactly the answer of one complete build, taken right after that build finished."""
    docs = write_corpus(tmp_path / "docs", TINY_FILES)
    index_dir = tmp_path / "index"
    shared = Assistant(index_dir)
    shared.build(docs)
    references: set[str] = set()

    def take_references() -> None:
        fresh = Assistant(index_dir)
        references.update(shown(fresh.ask(q)) for q in QUESTIONS)

    take_references()
    stop = threading.Event()
    seen: Counter[str] = Counter()
    errors: list[BaseException] = []
    lock = threading.Lock()

    def reader(n: int) -> None:
        i = n
        while not stop.is_set():
            try:
                assistant = shared if n % 2 == 0 else Assistant(index_dir)
                answer = shown(assistant.ask(QUESTIONS[i % len(QUESTIONS)]))
            except BaseException as exc:  # noqa: BLE001 - any error is a failure of this test
                with lock:
                    errors.append("".join(traceback.format_exception(exc)))  # where it failed, in the report
                return
            with lock:
                seen[answer] += 1
            i += 1

    readers = [threading.Thread(target=reader, args=(n,)) for n in range(4)]
    for t in readers:
        t.start()
    try:
        (docs / "uploads").mkdir()
        steps = [
            lambda: (docs / "uploads" / "lighthouse.txt").write_text(LIGHTHOUSE),
            lambda: (docs / "harbour.txt").write_text(TINY_FILES["harbour.txt"].replace("Agnes Pollard",
                                                                                        "Bartholomew Quint")),
            lambda: (docs / "observatory.txt").unlink(),
        ]
        for _ in range(2):
            for step in steps:
                step()
                report = shared.build(docs)
                assert report.written and not report.problems
                take_references()
            # back to the start, for a second round of the same changes
            (docs / "uploads" / "lighthouse.txt").unlink()
            (docs / "harbour.txt").write_text(TINY_FILES["harbour.txt"])
            (docs / "observatory.txt").write_text(TINY_FILES["observatory.txt"])
            shared.build(docs)
            take_references()
    finally:
        stop.set()
        for t in readers:
            t.join(timeout=120)
    assert errors == [], "\n".join(errors)
    total = sum(seen.values())
    print(f"asked during uploads: {total} answers, {len(seen)} distinct, {len(references)} reference answers")
    assert total >= 40
    assert set(seen) <= references  # never an answer from a half-built or mixed index


def test_two_simultaneous_builds_are_serialised_and_both_succeed(tmp_path: Path) -> None:
    """Two users upload at once (two processes or two app sessions): both builds finish, the second finds the
    first's work done, and the index holds every file."""
    docs = write_corpus(tmp_path / "docs", TINY_FILES)
    index_dir = tmp_path / "index"
    Assistant(index_dir).build(docs)
    (docs / "lighthouse.txt").write_text(LIGHTHOUSE)
    (docs / "ferry.txt").write_text("The Puffin ferry leaves the north jetty at half past nine every morning.\n")
    barrier = threading.Barrier(2)

    def build():
        barrier.wait()
        return Assistant(index_dir).build(docs)

    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda _: build(), range(2)))
    assert sorted(r.written for r in reports) == [False, True]
    assert sorted(sum((r.added for r in reports), ())) == ["ferry.txt", "lighthouse.txt"]
    assert [d.doc for d in load_store(index_dir).docs] == sorted([*TINY_FILES, "ferry.txt", "lighthouse.txt"])
    assert [p.name for p in index_dir.glob("build-*")] == [current_folder(index_dir).name]


# --- the running app under several browser sessions --------------------------------------------------------

def test_app_under_concurrent_sessions_reports_no_errors(bundled_index: Path, tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO_ROOT / "bench"))
    try:
        import load_app
    finally:
        sys.path.remove(str(REPO_ROOT / "bench"))
    try:
        result = load_app.run(bundled_index, sessions=3, questions_per_session=2, time_limit=600,
                              log_dir=tmp_path)
    except load_app.BrowserUnavailable as exc:
        pytest.skip(str(exc))
    print("app load:", json.dumps({k: v for k, v in result.items() if k != "answers"}))
    assert result["errors"] == 0, result["error_messages"]
    assert result["answered"] == 3 * 2
