"""Large builds on Ray (issue 16 item 3): ``assistant index --ray`` gives the plain build's index.

The bundled corpus is built once more, on a local two-worker Ray cluster (Ray Data batches: documents read and
split on the workers, the plain build's embedding batches embedded there), and compared with the session's plain
build: the same unit tables, the same vectors (cosine >= 0.999 per unit; in practice bit-identical, because the
driver makes the very batches the plain build embeds) and the same answers to every bundled gold question.
Ray missing or a malformed address gives a one-line error and no build.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import DOCUMENTS, REPO_ROOT, CorpusFactory

from assistant.api import Assistant
from assistant.cli import main
from assistant.config import IndexSettings
from assistant.evaluation import load_gold
from assistant.index.build import build_index
from assistant.index.storage import LocalFolder

GOLD = REPO_ROOT / "eval" / "bundled_gold.jsonl"
MIN_COSINE = 0.999


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def _answer_key(answer) -> tuple:
    return answer.answered, [(q.doc, q.page, q.start, q.end) for q in answer.quotes]


@pytest.fixture(scope="module")
def ray_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("ray", reason='the Ray build needs the scale extra: pip install -e ".[scale]"')
    index_dir = tmp_path_factory.mktemp("ray") / "index"
    report = build_index(DOCUMENTS, index_dir, IndexSettings(), ray="local:2")
    assert report.n_documents >= 20 and not report.problems and report.written, report
    assert report.embedded == report.n_sentences + report.n_chunks  # a clean build embeds every unit
    return index_dir


def test_ray_build_has_the_plain_build_units_and_vectors(ray_index: Path, bundled_index: Path) -> None:
    plain, ray = LocalFolder(bundled_index).load(), LocalFolder(ray_index).load()
    assert [d.doc for d in ray.docs] == [d.doc for d in plain.docs]
    assert [d.pages for d in ray.docs] == [d.pages for d in plain.docs]
    for name, column in plain.arrays.items():
        assert np.array_equal(ray.arrays[name], column), name
    for name in ("sent_vectors", "chunk_vectors"):
        theirs, ours = getattr(plain, name), getattr(ray, name)
        assert theirs.shape == ours.shape and len(ours) > 1000, name
        worst = _cosines(theirs, ours).min()
        assert worst >= MIN_COSINE, f"{name}: lowest cosine {worst:.5f}"


def test_ray_build_gives_the_same_answers(ray_index: Path, bundled_index: Path) -> None:
    gold = load_gold(GOLD)
    plain, ray = Assistant(bundled_index), Assistant(ray_index)
    differ = [g.id for g in gold if _answer_key(plain.ask(g.question)) != _answer_key(ray.ask(g.question))]
    assert len(gold) >= 100 and not differ, differ


def test_ray_build_is_incremental_and_reports_bad_files(make_corpus: CorpusFactory, tmp_path: Path) -> None:
    pytest.importorskip("ray", reason='the Ray build needs the scale extra: pip install -e ".[scale]"')
    docs = make_corpus()
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 not really a PDF")
    first = build_index(docs, tmp_path / "ray", IndexSettings(), ray="local:2")
    plain = build_index(docs, tmp_path / "plain", IndexSettings())
    assert [p.doc for p in first.problems] == [p.doc for p in plain.problems] == ["broken.pdf"]
    assert first.problems == plain.problems and sorted(first.added) == sorted(plain.added)
    (docs / "orchard.md").write_text("# The Hillside Orchard\n\nThe orchard now grows fifty varieties of pear.\n")
    second = build_index(docs, tmp_path / "ray", IndexSettings(), ray="local:2")
    assert second.changed == ("orchard.md",) and sorted(second.unchanged) == ["harbour.txt", "observatory.txt"]
    assert second.embedded == _units_of(tmp_path / "ray", "orchard.md")  # only the changed document embedded
    answer = Assistant(tmp_path / "ray").ask("How many varieties of pear does the orchard grow?")
    assert answer.answered and "fifty varieties of pear" in answer.quotes[0].text


def _units_of(index_dir: Path, doc: str) -> int:
    store = LocalFolder(index_dir).load()
    doc_id = [d.doc for d in store.docs].index(doc)
    return int((store.arrays["sent_doc"] == doc_id).sum() + (store.arrays["chunk_doc"] == doc_id).sum())


def test_without_ray_the_build_says_how_to_install_it(make_corpus: CorpusFactory, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError, as when it is not installed
    status = main(["index", str(make_corpus()), "--index", str(tmp_path / "index"), "--ray", "local:2", "--quiet"])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and 'pip install -e ".[scale]"' in err, err
    assert LocalFolder(tmp_path / "index").current() == ""  # nothing was built


@pytest.mark.parametrize("address", ["local:0", "local:two", " "])
def test_a_malformed_ray_address_is_refused(address: str, make_corpus: CorpusFactory, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["index", str(make_corpus()), "--index", str(tmp_path / "index"), "--ray", address, "--quiet"])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "--ray" in err, err


def test_an_unreachable_ray_cluster_is_one_line_and_no_build(make_corpus: CorpusFactory, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("ray", reason='the Ray build needs the scale extra: pip install -e ".[scale]"')
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    index = tmp_path / "index"
    status = main(["index", str(make_corpus()), "--index", str(index), "--ray", f"127.0.0.1:{port}", "--quiet"])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and f"cannot reach the Ray cluster at 127.0.0.1:{port}" in err, err
    assert LocalFolder(index).current() == ""
