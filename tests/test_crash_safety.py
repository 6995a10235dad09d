"""Crash safety: `assistant index` killed with SIGKILL mid-embedding and mid-write, damaged index files, and
indexes built by another model or another version of the program.

The kills are real: `python -m assistant index` runs in a child process and receives SIGKILL. To hit the short
write phase reliably, the child runs the real CLI under a small driver that prints a marker on stderr before and
after each step of `store.write_store` (and each embedding batch) and pauses at the one step the trial chose;
the parent kills it there. Embedding trials kill at a seeded random delay after embedding starts instead. After
every kill, the previous index must load (checksums verified) and answer exactly as before; the next run must
complete. (test_index.py has a forced exception during the write; this file has the kills.)
"""

from __future__ import annotations

import json
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO_ROOT, TINY_FILES, write_corpus
from test_cli import assert_one_line_error

from assistant.api import Assistant
from assistant.config import DEFAULT_MODEL, IndexSettings
from assistant.embedding.model_files import resolve_model_path
from assistant.errors import IndexUnavailable
from assistant.index.store import MANIFEST_DIGEST, POINTER, current_folder, load_store, write_store

QUESTIONS = ("Who is the harbour master that keeps a logbook of every vessel?",
             "When does pruning happen in the orchard?",
             "What did the finance committee note about item 7?")
ALL_TINY = tuple(sorted(TINY_FILES))

# The driver's hooks, shared with test_qdrant_crash.py: a "PHASE before/after <step>#<n>" marker on stderr around
# each wrapped call, and a long pause at the one named in $PAUSE_AT, where the parent kills the child.
PHASE_HOOKS = r'''
PAUSE_AT = os.environ.get("PAUSE_AT", "")
counts = {}

def mark(when, label):
    counts[(when, label)] = counts.get((when, label), 0) + 1
    name = f"{when} {label}#{counts[(when, label)]}"
    sys.stderr.write(f"PHASE {name}\n")
    sys.stderr.flush()
    if name == PAUSE_AT:
        time.sleep(600)  # the parent kills us here

def wrap(owner, attr, label):
    original = getattr(owner, attr)
    def wrapped(*args, **kwargs):
        mark("before", label)
        result = original(*args, **kwargs)
        mark("after", label)
        return result
    setattr(owner, attr, wrapped)
'''

DRIVER = r'''
import os, sys, time
import assistant.index.store as store
from assistant.cli import main
from assistant.embedding.embedder import Embedder
from assistant.index.lexical import Bm25Index
''' + PHASE_HOOKS + r'''
wrap(Embedder, "encode", "embed")
for owner, attr in ((store.np, "savez"), (store.np, "save"), (store.faiss, "write_index"), (Bm25Index, "save"),
                    (store, "_fsync_tree"), (store.os, "replace"), (store, "remove_stale")):
    wrap(owner, attr, attr)
sys.exit(main(sys.argv[1:]))
'''

# Steps of the write, in order: the new folder holds only docs.json; it holds one of the two vector files; every
# file is written but none synced; all is synced and the new pointer file written but not yet in place. Then,
# separately, the pointer swapped but the old build not yet removed.
WRITE_POINTS = ("before savez#1", "after save#1", "before _fsync_tree#1", "before replace#1")
AFTER_SWAP = "after replace#1"
EMBED_TRIALS = 3  # each trial starts a process that loads the model (~7 s on a busy 2-core machine)
SEED = 20261122


def _filler(topic: str, n: int) -> str:
    """n distinct sentences: enough that embedding takes a few seconds."""
    return "\n".join(
        f"Report {topic} {i}: the {topic} committee noted item {i} about budget line {i * 7} and staffing."
        for i in range(n)
    )


def answers(index_dir: Path) -> list[dict]:
    """What a user sees for each question (timings left out), from a freshly loaded index."""
    assistant = Assistant(index_dir)
    out = []
    for q in QUESTIONS:
        a = assistant.ask(q).to_json()
        a.pop("timings_ms")
        out.append(a)
    return out


class Build:
    """`python -m assistant index` under the phase driver, killed with SIGKILL at the chosen moment."""

    def __init__(self, docs: Path, index_dir: Path, driver: Path, pause_at: str = "") -> None:
        env = {**os.environ, "PAUSE_AT": pause_at, "PYTHONPATH": str(REPO_ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, str(driver), "index", str(docs), "--index", str(index_dir), "--quiet"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO_ROOT, env=env)
        self.phases: list[str] = []
        self._buffer = b""

    def read_until(self, predicate, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not predicate() and time.monotonic() < deadline and self.proc.poll() is None:
            ready, _, _ = select.select([self.proc.stderr], [], [], 0.1)
            if ready:
                self._take(os.read(self.proc.stderr.fileno(), 65536))
        assert predicate(), f"never reached; phases: {self.phases[-5:]} exit {self.proc.poll()}"

    def _take(self, data: bytes) -> None:
        self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        self.phases += [ln.decode()[6:] for ln in lines if ln.startswith(b"PHASE ")]

    def kill(self) -> str:
        """SIGKILL now; returns the last step the process had reached."""
        assert self.proc.poll() is None, "the build finished before it could be killed"
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._take(self.proc.stderr.read())
        self.proc.stderr.close()
        assert self.proc.returncode == -signal.SIGKILL
        return self.phases[-1]


@pytest.fixture
def crash_corpus(tmp_path: Path) -> tuple[Path, Path, Path]:
    docs = write_corpus(tmp_path / "docs", TINY_FILES)
    index_dir = tmp_path / "index"
    Assistant(index_dir).build(docs)
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    return docs, index_dir, driver


def _check_previous_index(index_dir: Path, folder: Path, docs: list[str], before: list[dict]) -> None:
    """The previous build is still current, loads with every checksum verified, and answers identically."""
    assert current_folder(index_dir) == folder
    assert [d.doc for d in load_store(index_dir).docs] == docs
    assert answers(index_dir) == before


def test_sigkill_mid_write_and_mid_embedding_never_leaves_an_unusable_index(crash_corpus, record_property) -> None:
    docs, index_dir, driver = crash_corpus
    trials: list[tuple[str, str]] = []

    # 1. mid-write, at each step of the write (one small new file to embed, so each trial is quick)
    (docs / "finance.txt").write_text(_filler("finance", 12))
    folder, before = current_folder(index_dir), answers(index_dir)
    for point in WRITE_POINTS:
        build = Build(docs, index_dir, driver, pause_at=point)
        build.read_until(lambda b=build, p=point: p in b.phases, timeout=300)
        trials.append(("write", build.kill()))
        assert trials[-1][1] == point
        _check_previous_index(index_dir, folder, list(ALL_TINY), before)

    # 2. after the pointer swap, before the old build is removed: the new build is whole and current
    build = Build(docs, index_dir, driver, pause_at=AFTER_SWAP)
    build.read_until(lambda: AFTER_SWAP in build.phases, timeout=300)
    trials.append(("after swap", build.kill()))
    swapped = current_folder(index_dir)
    assert swapped != folder and len(list(index_dir.glob("build-*"))) >= 2
    after_swap = answers(index_dir)
    assert after_swap[2]["quotes"][0]["doc"] == "finance.txt"
    # the next run finds nothing to embed (the killed run's build was complete) and removes the leftovers
    report = Assistant(index_dir).build(docs)
    assert not report.written and report.embedded == 0 and report.rebuild_reason is None
    assert [p.name for p in index_dir.glob("build-*")] == [swapped.name]
    assert not list(index_dir.glob(f".{POINTER}.*"))
    assert answers(index_dir) == after_swap

    # 3. mid-embedding, at seeded random batches (~20 batches of 64 texts to embed). The kill follows the end of a
    # random batch by a few milliseconds, never a fixed sleep: on a fast machine the whole embedding can take under
    # a second, and a sleep could land after the write.
    for topic in ("planning", "highways"):
        (docs / f"{topic}.txt").write_text(_filler(topic, 600))
    rng = random.Random(SEED)
    indexed = sorted([*ALL_TINY, "finance.txt"])
    for _ in range(EMBED_TRIALS):
        build = Build(docs, index_dir, driver)
        batch = rng.randint(1, 12)
        build.read_until(lambda b=build, k=batch: f"after embed#{k}" in b.phases, timeout=300)
        time.sleep(rng.uniform(0.0, 0.02))
        trials.append(("embedding", build.kill()))
        assert trials[-1][1].split()[1].startswith("embed#"), trials[-1]  # the kill landed while embedding
        _check_previous_index(index_dir, swapped, indexed, after_swap)

    # the next run completes
    report = Assistant(index_dir).build(docs)
    assert report.added == ("highways.txt", "planning.txt") and report.unchanged == tuple(indexed)
    assert [p.name for p in index_dir.glob("build-*")] == [current_folder(index_dir).name]
    assert Assistant(index_dir).ask("What did the planning committee note?").quotes[0].doc == "planning.txt"

    summary = {"trials": len(trials), "write": sum(p == "write" for p, _ in trials), "after_swap": 1,
               "embedding": sum(p == "embedding" for p, _ in trials), "unusable": 0,
               "kill_points": [last for _, last in trials]}
    record_property("sigkill", json.dumps(summary))
    print("SIGKILL trials:", json.dumps(summary))


# --- damaged files -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pristine")
    index_dir = root / "index"
    Assistant(index_dir).build(write_corpus(root / "docs", TINY_FILES))
    return index_dir


def _copy(index_dir: Path, tmp_path: Path) -> tuple[Path, Path]:
    target = tmp_path / "index"
    shutil.copytree(index_dir, target)
    return target, current_folder(target)


def _index_files(index_dir: Path) -> list[str]:
    folder = current_folder(index_dir)
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_every_damaged_index_file_is_refused_with_a_clear_message(pristine: Path, tmp_path: Path,
                                                                  damage: str) -> None:
    names = _index_files(pristine)
    assert {"manifest.json", MANIFEST_DIGEST, "docs.json", "units.npz", "chunks.faiss"} <= set(names)
    for name in names:
        index_dir, folder = _copy(pristine, tmp_path / f"{damage}-{name.replace('/', '_')}")
        path = folder / name
        data = bytearray(path.read_bytes())
        if damage == "truncate":
            data = data[: len(data) // 2]
        else:
            data[len(data) // 2] ^= 0x01
        path.write_bytes(bytes(data))
        with pytest.raises(IndexUnavailable) as info:
            load_store(index_dir)
        message = str(info.value)
        assert message.endswith("rebuild with `assistant index`") and "\n" not in message, (name, message)
        assert Path(name).name in message or "manifest" in message, (name, message)


def test_a_build_whose_offsets_leave_its_text_is_refused_even_with_valid_checksums(pristine: Path,
                                                                                  tmp_path: Path) -> None:
    """A build written whole but wrong (e.g. by a buggy older program) must not quote outside its own text."""
    index_dir, _ = _copy(pristine, tmp_path)
    store = load_store(index_dir)
    arrays = {**store.arrays, "sent_end": store.arrays["sent_end"] + 10_000}
    write_store(index_dir, {k: v for k, v in store.manifest.items() if k != "checksums"}, store.docs, arrays,
                store.sent_vectors, store.chunk_vectors, store.sent_bm25, store.chunk_bm25)
    with pytest.raises(IndexUnavailable, match=r"inconsistent \(sent offsets fall outside their page text\); "
                                               r"rebuild with `assistant index`"):
        Assistant(index_dir).ask(QUESTIONS[0])


def test_a_pointer_to_a_missing_build_is_refused(pristine: Path, tmp_path: Path) -> None:
    index_dir, folder = _copy(pristine, tmp_path)
    shutil.rmtree(folder)
    with pytest.raises(IndexUnavailable, match=r"names build 'build-.*', which is missing; rebuild"):
        Assistant(index_dir).ask(QUESTIONS[0])


@pytest.mark.parametrize(("key", "shown"), [("format_version", "format version"),
                                            ("loader_version", "loader version"),
                                            ("splitter_version", "splitter version")])
def test_an_index_from_another_version_is_refused_then_rebuilt(pristine: Path, tmp_path: Path, key: str,
                                                               shown: str) -> None:
    index_dir, folder = _copy(pristine, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    current = manifest[key]
    manifest[key] = current - 1
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / MANIFEST_DIGEST).unlink()  # as an older program would have written it
    with pytest.raises(IndexUnavailable) as info:
        Assistant(index_dir).ask(QUESTIONS[0])
    assert str(info.value) == (f"the index was built with {shown} {current - 1}, this program uses {current}; "
                               "rebuild with `assistant index`")
    docs = write_corpus(tmp_path / "docs", TINY_FILES)
    report = Assistant(index_dir).build(docs)
    assert report.rebuild_reason == f"{shown} changed ({current - 1} -> {current})"
    assert set(report.added) == set(ALL_TINY)
    assert "Agnes Pollard" in Assistant(index_dir).ask(QUESTIONS[0]).quotes[0].text


def test_an_index_built_with_another_model_uses_that_model_and_is_refused_once_it_is_gone(tmp_path: Path) -> None:
    """The question is always embedded with the index's own model (never another, which would give wrong
    answers). A build with another model is a clean rebuild; when the index's model is no longer on disk,
    asking is refused with a one-line message that says how to rebuild."""
    docs = write_corpus(tmp_path / "docs", TINY_FILES)
    other = tmp_path / "models" / "minilm-copy"
    other.parent.mkdir()
    other.symlink_to(resolve_model_path(DEFAULT_MODEL), target_is_directory=True)
    index_dir = tmp_path / "index"
    Assistant(index_dir).build(docs)
    report = Assistant(index_dir).build(docs, IndexSettings(model=str(other)))
    assert report.rebuild_reason == f"setting model changed ('{DEFAULT_MODEL}' -> '{other}')"
    assert set(report.added) == set(ALL_TINY) and report.embedded == report.n_sentences + report.n_chunks
    assert load_store(index_dir).manifest["model"] == str(other)

    other.unlink()
    run = subprocess.run([sys.executable, "-m", "assistant", "ask", QUESTIONS[0], "--index", str(index_dir)],
                         capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)
    assert run.returncode == 2 and not run.stdout
    line = assert_one_line_error(run.stderr)
    assert line.startswith(f"assistant: error: the embedding model '{other}' cannot be loaded")
    assert line.endswith("(`assistant index --model NAME_OR_PATH`)")

    run = subprocess.run([sys.executable, "-m", "assistant", "index", str(docs), "--index", str(index_dir)],
                         capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"Clean rebuild: setting model changed ('{other}' -> '{DEFAULT_MODEL}')")
    assert "Agnes Pollard" in Assistant(index_dir).ask(QUESTIONS[0]).quotes[0].text
