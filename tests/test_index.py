"""Incremental, atomic index builds over tiny corpora with the real model."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import TINY_FILES, CorpusFactory

import assistant.index.store as index_store
from assistant.api import Assistant
from assistant.config import FORMAT_VERSION, IndexSettings
from assistant.errors import IndexUnavailable
from assistant.index.build import BuildReport
from assistant.index.store import POINTER, current_folder, load_store

ALL_TINY = tuple(sorted(TINY_FILES))
HARBOUR_Q = "Who is the harbour master that keeps a logbook of every vessel?"


def unit_counts(index_dir: Path, doc: str) -> tuple[int, int]:
    """(sentences, chunks) stored for one document."""
    store = load_store(index_dir)
    doc_id = next(i for i, d in enumerate(store.docs) if d.doc == doc)
    return int((store.sent_doc == doc_id).sum()), int((store.chunk_doc == doc_id).sum())


def answer_json(index_dir: Path, question: str) -> dict:
    """What a user sees, without the timings (which differ from run to run)."""
    out = Assistant(index_dir).ask(question).to_json()
    out.pop("timings_ms")
    return out


@pytest.fixture
def built(tmp_path: Path, make_corpus: CorpusFactory) -> tuple[Path, Path, BuildReport]:
    docs = make_corpus()
    index_dir = tmp_path / "index"
    report = Assistant(index_dir).build(docs)
    return docs, index_dir, report


def test_first_build_indexes_every_file(built) -> None:
    docs, index_dir, report = built
    assert report.added == ALL_TINY
    assert report.changed == report.removed == report.unchanged == report.problems == ()
    assert report.written and report.rebuild_reason is None
    assert report.n_documents == 3 and report.n_pages == 3
    assert report.n_sentences >= 12 and report.n_chunks >= 3
    assert report.embedded == report.n_sentences + report.n_chunks
    store = load_store(index_dir)
    assert [d.doc for d in store.docs] == list(ALL_TINY)
    assert store.n_sentences == report.n_sentences and store.n_chunks == report.n_chunks
    assert store.sent_vectors.shape == (report.n_sentences, 384)
    assert np.allclose(np.linalg.norm(store.sent_vectors, axis=1), 1.0, atol=1e-4)
    assert Path(report.index_path) == current_folder(index_dir)


def test_second_build_without_changes_writes_nothing(built) -> None:
    docs, index_dir, first = built
    folder = current_folder(index_dir)
    report = Assistant(index_dir).build(docs)
    assert not report.written
    assert report.embedded == 0
    assert report.unchanged == ALL_TINY and report.added == report.changed == report.removed == ()
    assert current_folder(index_dir) == folder
    assert (report.n_sentences, report.n_chunks) == (first.n_sentences, first.n_chunks)


def test_adding_a_file_embeds_only_that_file(built) -> None:
    docs, index_dir, first = built
    (docs / "lighthouse.txt").write_text(
        "The Gannet Point lighthouse was automated in 1987 and no keeper lives there now.\n"
        "Its lamp can be seen twenty-two nautical miles out to sea on a clear night.\n"
        "The tower has one hundred and twelve steps up to the lantern room."
    )
    report = Assistant(index_dir).build(docs)
    assert report.added == ("lighthouse.txt",)
    assert report.unchanged == ALL_TINY and report.changed == report.removed == ()
    assert report.written and report.rebuild_reason is None
    sentences, chunks = unit_counts(index_dir, "lighthouse.txt")
    assert sentences == 3 and chunks >= 1
    assert report.embedded == sentences + chunks
    assert report.n_sentences == first.n_sentences + sentences
    # the kept documents' vectors are reused exactly, not recomputed
    answer = Assistant(index_dir).ask("How many steps does the lighthouse tower have?")
    assert answer.quotes[0].doc == "lighthouse.txt"
    assert "one hundred and twelve steps" in answer.quotes[0].text


def test_changing_a_file_re_embeds_it_and_answers_quote_the_new_text(built) -> None:
    docs, index_dir, _ = built
    before = Assistant(index_dir).ask(HARBOUR_Q)
    assert any("Agnes Pollard" in q.text for q in before.quotes)

    (docs / "harbour.txt").write_text(TINY_FILES["harbour.txt"].replace("Agnes Pollard", "Bartholomew Quint"))
    report = Assistant(index_dir).build(docs)
    assert report.changed == ("harbour.txt",)
    assert report.unchanged == ("observatory.txt", "orchard.md")
    sentences, chunks = unit_counts(index_dir, "harbour.txt")
    assert report.embedded == sentences + chunks

    after = Assistant(index_dir).ask(HARBOUR_Q)
    assert "Bartholomew Quint" in after.quotes[0].text
    assert not any("Agnes Pollard" in q.text for q in after.quotes)


def test_an_open_assistant_picks_up_a_finished_build(built) -> None:
    docs, index_dir, _ = built
    assistant = Assistant(index_dir)
    assert any("Agnes Pollard" in q.text for q in assistant.ask(HARBOUR_Q).quotes)
    (docs / "harbour.txt").write_text(TINY_FILES["harbour.txt"].replace("Agnes Pollard", "Bartholomew Quint"))
    Assistant(index_dir).build(docs)
    assert "Bartholomew Quint" in assistant.ask(HARBOUR_Q).quotes[0].text


def test_removing_a_file_removes_it_from_the_index_and_answers(built) -> None:
    docs, index_dir, _ = built
    (docs / "observatory.txt").unlink()
    report = Assistant(index_dir).build(docs)
    assert report.removed == ("observatory.txt",)
    assert report.unchanged == ("harbour.txt", "orchard.md")
    assert report.embedded == 0 and report.written
    assistant = Assistant(index_dir)
    assert [d.doc for d in assistant.store.docs] == ["harbour.txt", "orchard.md"]
    assert "observatory.txt" not in assistant.store.manifest["documents"]
    for question in ("When did astronomers discover a comet?", "How big is the telescope mirror?"):
        answer = assistant.ask(question, k=10)
        assert all(q.doc != "observatory.txt" for q in answer.quotes)
        assert all("telescope" not in q.text and "comet" not in q.text for q in answer.quotes)


def test_changed_chunking_setting_triggers_a_clean_rebuild(built) -> None:
    docs, index_dir, first = built
    report = Assistant(index_dir).build(docs, IndexSettings(chunk_tokens=40))
    assert report.rebuild_reason is not None and "chunk_tokens" in report.rebuild_reason
    assert report.written
    assert set(report.added) == set(ALL_TINY) and report.unchanged == ()
    assert report.embedded == report.n_sentences + report.n_chunks
    assert report.n_chunks > first.n_chunks  # smaller windows, more of them
    manifest = load_store(index_dir).manifest
    assert manifest["settings"]["chunk_tokens"] == 40
    # and building again with the same setting is a no-op
    again = Assistant(index_dir).build(docs, IndexSettings(chunk_tokens=40))
    assert not again.written and again.rebuild_reason is None and again.embedded == 0


def test_bad_files_are_reported_by_name_and_good_files_still_indexed(tmp_path: Path,
                                                                    make_corpus: CorpusFactory) -> None:
    rng = np.random.default_rng(7)
    docs = make_corpus({**TINY_FILES, "empty.txt": "", "broken.pdf": rng.bytes(4096),
                        "sub/blank.md": "   \n\n  "})
    problems_seen = []
    report = Assistant(tmp_path / "index").build(docs, on_problem=problems_seen.append)
    names = sorted(p.doc for p in report.problems)
    assert names == ["broken.pdf", "empty.txt", "sub/blank.md"]
    assert all(p.reason and "\n" not in p.reason for p in report.problems)
    assert sorted(p.doc for p in problems_seen) == names
    assert report.added == ALL_TINY
    store = load_store(tmp_path / "index")
    assert [d.doc for d in store.docs] == list(ALL_TINY)
    assert store.manifest["problems"] and {p["doc"] for p in store.manifest["problems"]} == set(names)


def test_manifest_records_model_dimension_settings_and_hashes(built) -> None:
    docs, index_dir, _ = built
    folder = current_folder(index_dir)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["model"] == IndexSettings().model
    assert manifest["dimension"] == 384
    assert manifest["settings"] == IndexSettings().as_dict()
    assert manifest["format_version"] == FORMAT_VERSION
    assert set(manifest["documents"]) == set(ALL_TINY)
    for name in ALL_TINY:
        digest = hashlib.sha256((docs / name).read_bytes()).hexdigest()
        assert manifest["documents"][name]["content_hash"] == digest
    assert (index_dir / POINTER).read_text().strip() == folder.name


# --- atomicity (SIGKILL trials mid-embedding and mid-write: test_crash_safety.py) ---------------------------

def test_a_build_that_fails_while_writing_leaves_the_old_index_answering(built, monkeypatch) -> None:
    docs, index_dir, _ = built
    before = answer_json(index_dir, HARBOUR_Q)
    old_folder = current_folder(index_dir)
    open_assistant = Assistant(index_dir)
    open_assistant.ask(HARBOUR_Q)

    (docs / "harbour.txt").write_text(TINY_FILES["harbour.txt"].replace("Agnes Pollard", "Bartholomew Quint"))
    (docs / "extra.txt").write_text("A brand new file about sailing dinghies and their rigging.")

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(index_store.np, "save", disk_full)
    with pytest.raises(OSError, match="No space left"):
        Assistant(index_dir).build(docs)
    monkeypatch.undo()

    assert current_folder(index_dir) == old_folder
    load_store(index_dir)  # still loads, checksums and all
    assert answer_json(index_dir, HARBOUR_Q) == before
    after = open_assistant.ask(HARBOUR_Q).to_json()
    after.pop("timings_ms")
    assert after == before

    # the next build succeeds and cleans up the half-written folder
    report = Assistant(index_dir).build(docs)
    assert report.changed == ("harbour.txt",) and report.added == ("extra.txt",)
    assert [p.name for p in index_dir.glob("build-*")] == [current_folder(index_dir).name]
    assert "Bartholomew Quint" in Assistant(index_dir).ask(HARBOUR_Q).quotes[0].text


def test_a_damaged_index_file_is_refused_with_a_rebuild_hint(built) -> None:
    docs, index_dir, _ = built
    vectors = current_folder(index_dir) / "chunk_vectors.npy"
    vectors.write_bytes(vectors.read_bytes()[:100])
    with pytest.raises(IndexUnavailable, match="rebuild") as info:
        load_store(index_dir)
    assert "chunk_vectors.npy" in str(info.value)
    with pytest.raises(IndexUnavailable, match="rebuild"):
        Assistant(index_dir).ask(HARBOUR_Q)
    # running the build again repairs it
    report = Assistant(index_dir).build(docs)
    assert report.written and report.rebuild_reason is not None
    assert set(report.added) == set(ALL_TINY)
    assert "Agnes Pollard" in Assistant(index_dir).ask(HARBOUR_Q).quotes[0].text


def test_a_missing_index_is_refused_with_a_hint_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(IndexUnavailable, match="assistant index"):
        load_store(tmp_path / "nowhere")
    with pytest.raises(IndexUnavailable, match="assistant index"):
        Assistant(tmp_path / "nowhere").ask("Who is the harbour master?")


def test_empty_documents_folder_gives_an_empty_index_that_abstains(tmp_path: Path) -> None:
    """A folder with no documents (or none with text) builds an empty index instead of crashing."""
    docs = tmp_path / "docs"
    docs.mkdir()
    assistant = Assistant(tmp_path / "index")
    report = assistant.build(docs)
    assert (report.n_documents, report.n_sentences, len(report.problems)) == (0, 0, 0)
    answer = assistant.ask("Who is the harbour master?")
    assert not answer.answered and answer.quotes == ()
    assert assistant.cite("the harbour master keeps a logbook").verdict == "not_found"
