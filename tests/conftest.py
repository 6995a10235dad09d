"""Shared fixtures: the bundled corpus indexed once per session, and tiny corpora built in tmp_path.

The full build of ``documents/`` embeds ~8,000 texts (about 2.5 minutes on 2 cores), so every test that needs
the real corpus shares the one session-scoped index. Everything else uses tiny corpora of a few files with a
handful of distinct sentences, which build in a second or two with the real model.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assistant.api import Assistant

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = REPO_ROOT / "documents"
KEEP_INDEX_ENV = "ASSISTANT_TEST_INDEX"

# The ONNX export's machine-wide cache (embedding.default_cache_dir) is this session's own: tests neither read
# an export an earlier run left in the user's home nor leave one there, and the session's first build exports.
_CACHE_HOME = tempfile.mkdtemp(prefix="assistant-test-cache-")
os.environ["XDG_CACHE_HOME"] = _CACHE_HOME
atexit.register(shutil.rmtree, _CACHE_HOME, True)

# Distinct topics, so a question about one file can only be answered from that file.
TINY_FILES: dict[str, str] = {
    "harbour.txt": (
        "The Kestrel Bay harbour was rebuilt in 1998 after a winter storm destroyed the old pier.\n"
        "Fishing boats now moor along the eastern wall, where the water is deepest.\n"
        "The harbour master, Agnes Pollard, keeps a logbook of every vessel that enters.\n"
        "A small museum beside the slipway displays lobster pots and ship's lanterns."
    ),
    "orchard.md": (
        "# The Hillside Orchard\n\n"
        "The orchard grows forty varieties of apple on a south-facing slope.\n"
        "Pruning happens every February, before the buds begin to swell.\n"
        "Visitors may pick their own fruit on Saturdays during September.\n"
        "The cider press was donated by a local brewery in 2011."
    ),
    "observatory.txt": (
        "The Moorland Observatory houses a reflecting telescope with a two-metre mirror.\n"
        "Astronomers there discovered a faint comet in the spring of 2004.\n"
        "Public viewing nights are held on the first Friday of each month.\n"
        "The dome is painted white to keep the instruments cool during the day."
    ),
}

CorpusFactory = Callable[..., Path]


def write_corpus(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``files`` (relative name -> text or bytes) under ``root`` and return ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def make_corpus(tmp_path: Path) -> CorpusFactory:
    """Factory: ``make_corpus()`` writes the three TINY_FILES; ``make_corpus({...}, name="docs2")`` others."""

    def make(files: Mapping[str, str | bytes] | None = None, name: str = "docs") -> Path:
        return write_corpus(tmp_path / name, TINY_FILES if files is None else files)

    return make


@pytest.fixture(scope="session")
def bundled_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real bundled corpus, indexed once for the whole session.

    Set ASSISTANT_TEST_INDEX to a folder to keep this index between runs: the build is incremental, so a
    later session only checks the hashes (seconds instead of minutes) and rebuilds what changed.
    """
    keep = os.environ.get(KEEP_INDEX_ENV)
    index_dir = Path(keep) if keep else tmp_path_factory.mktemp("bundled") / "index"
    report = Assistant(index_dir).build(DOCUMENTS)
    assert report.n_documents >= 20 and not report.problems, report
    return index_dir


@pytest.fixture(scope="session")
def bundled_assistant(bundled_index: Path) -> Assistant:
    return Assistant(bundled_index)


def squad_data() -> Path:
    """Where the SQuAD and SciFact bench data are read from (../shared/bench or $ASSISTANT_BENCH_DATA)."""
    from bench.public_data import data_root

    return data_root()


def copy_reader_model(dest: Path) -> Path:
    """A copy of the shipped reader model folder at ``dest``, to damage in a test."""
    import shutil

    from assistant.reader.runtime import MODEL_DIR

    shutil.copytree(MODEL_DIR, dest)
    return dest


# The Streamlit app, as `streamlit run` would start it (used by test_app.py and test_app_pages.py).
APP = str(REPO_ROOT / "app.py")
APP_TIMEOUT = 180  # the first run in a process loads the model and the index
Launch = Callable[..., AppTest]


@pytest.fixture
def launch(monkeypatch: pytest.MonkeyPatch) -> Launch:
    """Start the app on a documents folder and an index folder, as `streamlit run` would."""

    def start(docs: Path, index: Path) -> AppTest:
        monkeypatch.setenv("ASSISTANT_DOCS_DIR", str(docs))
        monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(index))
        at = AppTest.from_file(APP, default_timeout=APP_TIMEOUT).run()
        assert not at.exception, at.exception
        return at

    return start


@pytest.fixture
def bundled_app(launch: Launch, bundled_index: Path) -> AppTest:
    return launch(DOCUMENTS, bundled_index)
