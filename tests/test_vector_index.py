"""The vector index: exact and approximate kinds find the right neighbours on real MiniLM vectors, survive a save
and load, are recorded in the manifest, and an index built with the approximate kind answers as the exact one.

Real vectors come from the bundled corpus's session index (~7,000 sentence vectors); queries are gold questions
embedded with the real model. The approximate kind is forced with a low threshold (ASSISTANT_ANN_MIN_VECTORS),
as a corpus a hundred times larger would choose it. No timings are asserted (see bench/bench_ann.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO_ROOT

from assistant.api import Assistant
from assistant.embedding.embedder import Embedder
from assistant.evaluation import load_gold
from assistant.index.store import current_folder, load_store, write_store
from assistant.index.vector_index import ANN_MIN_ENV, IndexSpec, VectorIndex, choose

GOLD = REPO_ROOT / "eval" / "bundled_gold.jsonl"


@pytest.fixture(scope="module")
def real(bundled_index: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sentence vectors of the bundled corpus, 40 embedded gold questions, and all their cosines (numpy)."""
    vectors = np.array(load_store(bundled_index).sent_vectors)
    questions = [g.question for g in load_gold(GOLD)][:40]
    queries = Embedder().encode(questions)
    return vectors, queries, queries @ vectors.T


def recall_at_10(ids: np.ndarray, sims: np.ndarray) -> float:
    """Share of returned ids among the true top 10. Repeated sentences (cover-page lines, copyright notices) have
    identical vectors, so a tie with the 10th score counts as a hit whichever copy is returned."""
    tenth = -np.sort(-sims, axis=1)[:, 9:10]
    return float((np.take_along_axis(sims, ids, axis=1) >= tenth - 1e-5).mean())


def test_exact_search_returns_the_true_nearest_sentences(real) -> None:
    vectors, queries, sims = real
    index = VectorIndex.build(vectors, IndexSpec("flat"))
    scores, ids = index.search(queries, 10)
    assert recall_at_10(ids, sims) == 1.0
    assert np.allclose(scores, -np.sort(-sims, axis=1)[:, :10], atol=1e-5)


@pytest.mark.parametrize("spec", [IndexSpec("hnsw_sq8"), IndexSpec("ivf_pq", nlist=64, nprobe=16)],
                         ids=["hnsw_sq8", "ivf_pq"])
def test_approximate_search_finds_at_least_95_percent_of_the_true_top_10(real, spec: IndexSpec) -> None:
    vectors, queries, sims = real
    index = VectorIndex.build(vectors, spec)
    scores, ids = index.search(queries, 10)
    assert recall_at_10(ids, sims) >= 0.95
    # re-ranked against the float32 rows: the scores are exact cosines, best first
    assert np.allclose(scores, np.take_along_axis(sims, ids, axis=1), atol=1e-5)
    assert (np.diff(scores, axis=1) <= 1e-6).all()
    assert index.memory_bytes() < vectors.nbytes  # compressed: smaller than the float32 vectors it searches


def test_the_kind_follows_the_number_of_vectors(monkeypatch: pytest.MonkeyPatch) -> None:
    assert choose(1_000).kind == "flat"
    assert choose(1_000_000).kind == "hnsw_sq8"
    assert choose(5_000_000).kind == "ivf_pq"
    monkeypatch.setenv(ANN_MIN_ENV, "100")
    assert choose(1_000).kind == "hnsw_sq8"


@pytest.mark.parametrize("kind", ["flat", "hnsw_sq8"])
def test_an_index_saved_and_loaded_answers_the_same(real, tmp_path: Path, kind: str) -> None:
    vectors, queries, _ = real
    built = VectorIndex.build(vectors, IndexSpec(kind))
    np.save(tmp_path / "v.npy", vectors)
    built.save(tmp_path / "v.faiss")
    loaded = VectorIndex.load(tmp_path / "v.faiss", tmp_path / "v.npy", IndexSpec.from_json(built.spec.to_json()))
    for a, b in zip(built.search(queries, 20), loaded.search(queries, 20), strict=True):
        assert np.array_equal(a, b)
    rows = loaded.vectors
    del loaded  # the row view must keep its storage alive on its own
    assert np.array_equal(rows[[5, 3, 1]], vectors[[5, 3, 1]])
    assert not rows.flags.writeable


def test_the_manifest_records_the_kind_chosen_for_each_vector_set(make_corpus, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    docs = make_corpus()
    Assistant(tmp_path / "exact").build(docs)
    manifest = json.loads((current_folder(tmp_path / "exact") / "manifest.json").read_text())
    assert manifest["vector_index"] == {"sentences": {"kind": "flat"}, "chunks": {"kind": "flat"}}

    monkeypatch.setenv(ANN_MIN_ENV, "1")
    assistant = Assistant(tmp_path / "approx")
    assistant.build(docs)
    manifest = json.loads((current_folder(tmp_path / "approx") / "manifest.json").read_text())
    assert {v["kind"] for v in manifest["vector_index"].values()} == {"hnsw_sq8"}
    assert manifest["vector_index"]["sentences"]["m"] == IndexSpec().m
    answer = assistant.ask("Who is the harbour master that keeps a logbook of every vessel?")
    assert answer.answered and "Agnes Pollard" in answer.quotes[0].text


def test_the_bundled_corpus_answers_the_same_with_the_approximate_index(bundled_index: Path, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    store = load_store(bundled_index)
    monkeypatch.setenv(ANN_MIN_ENV, "100")
    approx_dir = tmp_path / "approx"
    write_store(approx_dir, {k: v for k, v in store.manifest.items() if k not in ("checksums", "vector_index")},
                store.docs, store.arrays, store.sent_vectors, store.chunk_vectors, store.sent_bm25, store.chunk_bm25)
    approx_store = load_store(approx_dir)
    assert approx_store.sent_index.spec.kind == approx_store.chunk_index.spec.kind == "hnsw_sq8"
    exact, approx = Assistant(bundled_index), Assistant(approx_dir)
    for item in load_gold(GOLD)[:8]:
        a, b = exact.ask(item.question), approx.ask(item.question)
        assert a.answered == b.answered, item.question
        if a.quotes:
            top_a, top_b = a.quotes[0], b.quotes[0]
            assert (top_a.doc, top_a.page, top_a.start, top_a.end) == (top_b.doc, top_b.page, top_b.start,
                                                                      top_b.end), item.question
