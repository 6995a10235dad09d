"""A Qdrant build killed with SIGKILL leaves the previous alias answering; the next build completes.

As in test_crash_safety.py the kills are real: `assistant index --store qdrant+local:PATH` runs in a child process
under a driver that prints a marker before and after each step of ``QdrantStorage.write`` (creating and filling
the new versioned collections, the alias swap, dropping old collections) and pauses at the step the trial chose;
the parent kills it there. Local mode locks its folder per process, so the parent opens the store only between
children (``disconnect`` closes it again).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, TINY_FILES, write_corpus
from test_crash_safety import PHASE_HOOKS, Build

pytest.importorskip("qdrant_client", reason="the scale extras: pip install -e '.[scale]' (make test installs them)")

from assistant.api import Assistant  # noqa: E402
from assistant.index.qdrant_store import KINDS, _name, connect, disconnect  # noqa: E402

QUESTIONS = ("Who is the harbour master that keeps a logbook of every vessel?",
             "When does pruning happen in the orchard?", "How many beehives stand beside the orchard gate?")
CHANGED = "# The Hillside Orchard\n\nTwelve beehives stand beside the orchard gate.\nPruning happens every March.\n"

DRIVER = r'''
import os, sys, time
import assistant.index.qdrant_store as qs
from assistant.cli import main
''' + PHASE_HOOKS + r'''
for attr in ("_upsert", "_write_units", "_swap", "clean"):
    wrap(qs.QdrantStorage, attr, attr)
sys.exit(main(sys.argv[1:]))
'''

# the docs collection made but empty; the sentence collection half full (a batch of 1 point per upsert); every
# collection written but the aliases not moved; the aliases moved but the old build's collections not dropped
KILL_POINTS = ("before _upsert#1", "before _upsert#3", "before _swap#1", "after _swap#1")


class QdrantBuild(Build):
    """The crash-safety test's killable build, with ``--store`` and this file's driver."""

    def __init__(self, docs: Path, index_dir: Path, driver: Path, store: str, pause_at: str = "") -> None:
        env = {**os.environ, "PAUSE_AT": pause_at, "PYTHONPATH": str(REPO_ROOT), "ASSISTANT_STORE": store,
               "ASSISTANT_QDRANT_BATCH": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, str(driver), "index", str(docs), "--index", str(index_dir), "--quiet"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO_ROOT, env=env)
        self.phases, self._buffer = [], b""


def _answers(index_dir: Path, store: str) -> tuple[str, list[dict]]:
    """The current build and what a user sees for each question, from this process; the store closed after."""
    try:
        assistant = Assistant(index_dir, store=store)
        out = [assistant.ask(q).to_json() for q in QUESTIONS]
        for a in out:
            a.pop("timings_ms")
        return assistant.storage.current(), out
    finally:
        disconnect(store)


def _collections(store: str) -> list[str]:
    try:
        return sorted(c.name for c in connect(store).get_collections().collections)
    finally:
        disconnect(store)


@pytest.mark.parametrize("kill_at", KILL_POINTS)
def test_a_killed_qdrant_build_leaves_the_previous_alias_answering(tmp_path: Path, kill_at: str) -> None:
    docs, index_dir, store = write_corpus(tmp_path / "docs", TINY_FILES), tmp_path / "idx", f"qdrant+local:{tmp_path}/q"
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    first = QdrantBuild(docs, index_dir, driver, store)
    assert first.proc.wait(timeout=600) == 0, first.proc.stderr.read().decode()[-2000:]
    first.proc.stderr.close()
    before_build, before = _answers(index_dir, store)
    assert before[0]["answered"] and not before[2]["answered"]

    (docs / "orchard.md").write_text(CHANGED)
    killed = QdrantBuild(docs, index_dir, driver, store, pause_at=kill_at)
    killed.read_until(lambda: kill_at in killed.phases, timeout=600)
    assert killed.kill() == kill_at
    build, after_kill = _answers(index_dir, store)
    if kill_at.startswith("after _swap"):  # the new build was already current: it answers, whole
        assert build != before_build and after_kill[2]["answered"]
        assert "Twelve beehives" in after_kill[2]["quotes"][0]["text"]
    else:
        assert (build, after_kill) == (before_build, before)
        assert len(_collections(store)) > len(KINDS)  # the killed build's collections are there, unused

    last = QdrantBuild(docs, index_dir, driver, store)
    assert last.proc.wait(timeout=600) == 0, last.proc.stderr.read().decode()[-2000:]
    last.proc.stderr.close()
    final_build, final = _answers(index_dir, store)
    assert final[2]["answered"] and "Twelve beehives" in final[2]["quotes"][0]["text"]
    assert final[0]["quotes"][0]["text"] == before[0]["quotes"][0]["text"]  # the unchanged document still answers
    assert _collections(store) == sorted(_name(k, final_build) for k in KINDS)  # what the kill left is gone
