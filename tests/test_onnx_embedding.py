"""ONNX Runtime backends: the same vectors as torch, one export per index reused, recorded in the manifest.

Real model, no mocks: the bundled MiniLM is exported (torch.onnx, TorchScript exporter) into a temporary cache once per
session, and every backend embeds the same few texts. Nothing here is timed: speed is bench/bench_embedding.py's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import TINY_FILES, write_corpus
from test_no_network import run_guarded

from assistant.api import Assistant
from assistant.config import DEFAULT_MODEL, IndexSettings
from assistant.embedding import onnx_backend as onnx_embedding
from assistant.embedding.embedder import Embedder, index_cache_dir
from assistant.embedding.model_files import resolve_model_path
from assistant.errors import ModelUnavailable
from assistant.index.build import build_index
from assistant.index.store import read_manifest

TEXTS = [
    *(line for text in TINY_FILES.values() for line in text.splitlines() if line.strip()),
    "Who keeps the logbook?",
    "Ofsted judged the overall effectiveness of children's services in Bradford to be inadequate in 2018. " * 6,
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    return Embedder(DEFAULT_MODEL, "torch").encode(TEXTS)


def _cosines(backend: str, cache: Path, torch_vectors: np.ndarray) -> np.ndarray:
    vectors = Embedder(DEFAULT_MODEL, backend, cache).encode(TEXTS)
    assert vectors.shape == torch_vectors.shape and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    return (vectors * torch_vectors).sum(axis=1)


def test_onnx_fp32_matches_torch(cache: Path, torch_vectors: np.ndarray) -> None:
    cos = _cosines("onnx", cache, torch_vectors)
    assert cos.min() > 0.9999, cos
    one = Embedder(DEFAULT_MODEL, "onnx", cache).encode_query(TEXTS[0])  # a batch of one: dynamic shapes work
    assert float(one @ torch_vectors[0]) > 0.9999


def test_onnx_int8_agrees_with_torch(cache: Path, torch_vectors: np.ndarray) -> None:
    cos = _cosines("onnx-int8", cache, torch_vectors)
    assert cos.mean() >= 0.98 and cos.min() >= 0.95, cos


def test_onnx_tokens_and_dimension_match_torch(cache: Path) -> None:
    torch_e, onnx_e = Embedder(DEFAULT_MODEL, "torch"), Embedder(DEFAULT_MODEL, "onnx-int8", cache)
    assert (onnx_e.dimension, onnx_e.max_tokens) == (torch_e.dimension, torch_e.max_tokens) == (384, 256)
    assert onnx_e.count_tokens(TEXTS) == torch_e.count_tokens(TEXTS)


def test_tokenizer_feeds_the_model_what_transformers_would(cache: Path) -> None:
    """The ONNX backends tokenize with tokenizer.json directly; rows, padding, truncation at 256 tokens, accents
    and empty texts come out exactly as transformers' tokenizer makes them for sentence-transformers."""
    from transformers import AutoTokenizer

    path = resolve_model_path(DEFAULT_MODEL)
    ours = onnx_embedding.Tokenizer(path, 256)
    theirs = AutoTokenizer.from_pretrained(path, local_files_only=True)
    texts = [*TEXTS, "", "Ça coûte 5 € — “naïve” café", "word " * 400, "x" * 3000]
    for batch in (texts[:3], texts[3:], texts):
        mine = ours.batch(batch)
        ref = theirs(batch, padding=True, truncation="longest_first", max_length=256, return_tensors="np")
        assert set(mine) == set(ref)
        for name, values in mine.items():
            assert values.dtype == np.int64 and np.array_equal(values, ref[name]), name
    assert mine["input_ids"].shape[1] == 256
    assert ours.count(texts) == [len(ids) for ids in theirs(texts, add_special_tokens=False)["input_ids"]]


def test_loading_an_export_and_asking_does_not_import_torch(cache: Path) -> None:
    """Once exported, an ONNX backend needs neither torch nor transformers (a second of every start)."""
    import subprocess
    import sys

    Embedder(DEFAULT_MODEL, "onnx-int8", cache).encode(TEXTS[:1])  # the export exists
    code = ("import sys; from pathlib import Path; from assistant.embedding.embedder import Embedder; "
            "v = Embedder(backend='onnx-int8', cache_dir=Path(sys.argv[1])).encode_query('Who keeps the logbook?'); "
            "assert v.shape == (384,); print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(cache)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_a_second_index_links_the_machine_export_instead_of_exporting(tmp_path: Path, cache: Path) -> None:
    """The export is made once per machine: a new index gets a link to the shared copy, without torch."""
    import subprocess
    import sys

    from assistant.embedding.model_files import default_cache_dir

    Embedder(DEFAULT_MODEL, "onnx-int8", cache).encode(TEXTS[:1])
    shared = onnx_embedding.export_path(default_cache_dir(), DEFAULT_MODEL, resolve_model_path(DEFAULT_MODEL),
                                        "onnx-int8")
    assert shared.is_file()
    write_corpus(tmp_path / "docs", TINY_FILES)
    code = ("import sys; from pathlib import Path; from assistant.index.build import build_index; "
            "r = build_index(Path(sys.argv[1]), Path(sys.argv[2])); assert r.embedded > 0; "
            "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "docs"), str(tmp_path / "index")],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
    copy = onnx_embedding.export_path(index_cache_dir(tmp_path / "index"), DEFAULT_MODEL,
                                      resolve_model_path(DEFAULT_MODEL), "onnx-int8")
    assert copy.read_bytes() == shared.read_bytes()


def test_export_is_cached_and_reused(cache: Path, torch_vectors: np.ndarray) -> None:
    path = onnx_embedding.export_path(cache, DEFAULT_MODEL, resolve_model_path(DEFAULT_MODEL), "onnx-int8")
    Embedder(DEFAULT_MODEL, "onnx-int8", cache).encode(TEXTS[:1])
    before = path.stat()
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]  # no temporary file left behind
    onnx_embedding.forget_process_caches()  # as a new process would start: only the file on disk is known
    again = Embedder(DEFAULT_MODEL, "onnx-int8", cache).encode(TEXTS[:2])
    after = path.stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)
    assert float((again * torch_vectors[:2]).sum(axis=1).min()) > 0.95


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ModelUnavailable, match="unknown embedding backend"):
        Embedder(DEFAULT_MODEL, "tensorflow")


def test_backend_is_in_the_manifest_and_a_change_rebuilds_cleanly(tmp_path: Path, cache: Path) -> None:
    docs = write_corpus(tmp_path / "docs", TINY_FILES)
    index = tmp_path / "index"
    first = build_index(docs, index, IndexSettings(backend="onnx-int8"))
    manifest = read_manifest(index)
    assert manifest is not None and manifest["settings"]["backend"] == "onnx-int8"
    assert first.n_documents == 3 and first.rebuild_reason is None
    assert list(index_cache_dir(index).glob("*-onnx-int8-*/model.onnx"))  # the export lives beside the index
    assistant = Assistant(index)
    assert assistant.snapshot().embedder.backend == "onnx-int8"  # questions embedded as the passages were
    answer = assistant.ask("Who is the harbour master that keeps a logbook of every vessel?")
    assert answer.answered and "Agnes Pollard" in answer.quotes[0].text

    second = build_index(docs, index, IndexSettings(backend="onnx"))
    assert second.rebuild_reason is not None and "backend" in second.rebuild_reason
    assert sorted(second.added) == sorted(TINY_FILES) and not second.unchanged  # everything embedded anew
    manifest = read_manifest(index)
    assert manifest is not None and manifest["settings"]["backend"] == "onnx"
    assert Assistant(index).snapshot().embedder.backend == "onnx"


def test_export_index_ask_and_cite_open_no_connection(tmp_path: Path) -> None:
    """A fresh index with an ONNX backend: the export itself (torch.onnx, quantisation) opens no connection."""
    index_report, answer, citation, guard = run_guarded(tmp_path, ASSISTANT_BACKEND="onnx-int8")
    assert guard == {"codes": [0, 0, 0], "attempts": []}
    assert index_report["n_documents"] == 3 and index_report["embedded"] > 0
    assert answer["answered"] and "Agnes Pollard" in answer["quotes"][0]["text"]
    assert citation["verdict"] == "exact"
    assert read_manifest(tmp_path / "index")["settings"]["backend"] == "onnx-int8"  # type: ignore[index]
    assert list(index_cache_dir(tmp_path / "index").glob("*-onnx-int8-*/model.onnx"))
