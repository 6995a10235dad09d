"""The document library: hostile upload names stay inside the documents folder, nothing is overwritten, bad
files are reported one by one, removal re-indexes, and the strictness levels map onto the tuned threshold."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DOCUMENTS, TINY_FILES, CorpusFactory

from assistant.api import Assistant
from assistant.config import AnswerSettings
from assistant.library import (
    DEFAULT_STRICTNESS,
    STRICTNESS_LEVELS,
    LibraryError,
    answer_settings,
    corpus_summary,
    doc_label,
    document_path,
    remove_document,
    safe_upload_name,
    save_uploads,
)

LIGHTHOUSE = (
    "The Gullrock lighthouse was automated in 1987, when its last keeper, Morwenna Tresize, retired.\n"
    "Its lamp can be seen twenty-two nautical miles out to sea on a clear night.\n"
)


@pytest.mark.parametrize(
    ("sent", "saved"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("/abs/path/notes.md", "notes.md"),
        ("C:\\Users\\me\\Minutes 2023.PDF", "Minutes 2023.PDF"),
        ("..hidden.txt", "hidden.txt"),
        (".bashrc.txt", "bashrc.txt"),
        ("evil\x00name.html", "evilname.html"),
        ("tab\tand\nnewline.txt", "tabandnewline.txt"),
        ("a..b...c.txt", "a.b.c.txt"),
        ("<script>x</script>.htm", "script_.htm"),
        ("Rapport d’inspection – Bradford.pdf", "Rapport d’inspection – Bradford.pdf".replace("’", "_")
         .replace("–", "_")),
        ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
    ],
)
def test_upload_names_are_reduced_to_a_plain_base_name(sent: str, saved: str) -> None:
    assert safe_upload_name(sent) == saved


@pytest.mark.parametrize(
    ("sent", "reason"),
    [
        ("payload.exe", "unsupported file type (.exe)"),
        ("archive.tar.gz", "unsupported file type (.gz)"),
        ("noextension", "unsupported file type (no extension)"),
        ("..", "not a usable file name"),
        ("../", "not a usable file name"),
        (".pdf", "unsupported file type"),
        ("README.md", "corpus metadata"),
        ("LICENSE.txt", "corpus metadata"),
    ],
)
def test_unusable_names_are_rejected_with_a_reason(sent: str, reason: str) -> None:
    with pytest.raises(LibraryError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        safe_upload_name(sent)


def test_uploads_are_saved_under_uploads_and_never_overwrite(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    first = save_uploads(docs, [("../../lighthouse.txt", LIGHTHOUSE.encode())])
    assert [(r.status, r.doc) for r in first] == [("added", "uploads/lighthouse.txt")]
    assert not (tmp_path / "lighthouse.txt").exists()

    again = save_uploads(docs, [("copy-of-lighthouse.txt", LIGHTHOUSE.encode()),
                                ("lighthouse.txt", (LIGHTHOUSE + "A second edition.\n").encode())])
    assert again[0].status == "duplicate" and again[0].doc == "uploads/lighthouse.txt"
    assert "already in the library" in again[0].message
    assert again[1].status == "renamed" and again[1].doc == "uploads/lighthouse (2).txt"
    assert "lighthouse (2).txt" in again[1].message
    assert (docs / "uploads/lighthouse.txt").read_text() == LIGHTHOUSE  # the first file is untouched
    assert sorted(p.name for p in (docs / "uploads").iterdir()) == ["lighthouse (2).txt", "lighthouse.txt"]


def test_bad_files_are_reported_one_by_one_and_the_good_ones_still_saved(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    pdf = (DOCUMENTS / "ofsted/ofsted-bradford-29-october-2018.pdf").read_bytes()
    results = save_uploads(docs, [
        ("broken.pdf", b"%PDF-1.4\nthis is not really a PDF"),
        ("empty.txt", b""),
        ("virus.exe", b"MZ..."),
        ("huge.txt", b"x" * 2048),
        ("bradford-2018.pdf", pdf),
        ("lighthouse.md", LIGHTHOUSE.encode()),
    ], max_bytes=100 * 1024)
    by_name = {r.name: r for r in results}
    assert by_name["broken.pdf"].status == "rejected" and "cannot be read" in by_name["broken.pdf"].message
    assert by_name["empty.txt"].message == "the file is empty"
    assert "unsupported file type" in by_name["virus.exe"].message
    too_big = by_name["bradford-2018.pdf"]
    assert too_big.status == "rejected" and "limit (100 KB)" in too_big.message
    assert by_name["huge.txt"].saved and by_name["lighthouse.md"].saved
    assert sorted(p.name for p in (docs / "uploads").iterdir()) == ["huge.txt", "lighthouse.md"]  # no temp files


def test_a_saved_upload_is_answerable_after_an_incremental_build_and_gone_after_removal(
        make_corpus: CorpusFactory, tmp_path: Path) -> None:
    docs = make_corpus()
    index = tmp_path / "index"
    assistant = Assistant(index)
    assistant.build(docs)
    [result] = save_uploads(docs, [("Gullrock lighthouse.txt", LIGHTHOUSE.encode())])
    report = assistant.build(docs)
    assert report.added == ("uploads/Gullrock lighthouse.txt",) and not report.changed
    answer = assistant.ask("Who was the last keeper of the Gullrock lighthouse?")
    assert answer.answered and answer.quotes[0].doc == result.doc
    assert "Morwenna Tresize" in answer.quotes[0].text

    summary = corpus_summary(assistant.store)
    assert summary.n_documents == len(TINY_FILES) + 1
    entry = next(d for d in summary.documents if d.doc == result.doc)
    assert entry.kind == "Text" and entry.pages == 1 and entry.chunks >= 1 and entry.indexed_at
    assert summary.n_chunks == sum(d.chunks for d in summary.documents)
    assert summary.model and summary.built_at

    removed = remove_document(docs, result.doc)
    assert not removed.exists()
    report = assistant.build(docs)
    assert report.removed == (result.doc,)
    assert all(q.doc != result.doc for q in assistant.ask("Who was the lighthouse keeper?").quotes)


@pytest.mark.parametrize("doc", ["../outside.txt", "/etc/passwd", "harbour.txt\x00.pdf", "missing.txt", "",
                                 "uploads\\..\\..\\x.txt"])
def test_document_paths_outside_the_library_or_missing_are_refused(make_corpus: CorpusFactory, doc: str) -> None:
    docs = make_corpus()
    (docs.parent / "outside.txt").write_text("secret")
    with pytest.raises(LibraryError):
        document_path(docs, doc)
    with pytest.raises(LibraryError):
        remove_document(docs, doc)
    assert (docs.parent / "outside.txt").exists()


def test_a_symlink_out_of_the_documents_folder_is_refused(make_corpus: CorpusFactory) -> None:
    docs = make_corpus()
    (docs.parent / "secret.txt").write_text("secret")
    (docs / "link.txt").symlink_to(docs.parent / "secret.txt")
    with pytest.raises(LibraryError, match="outside"):
        remove_document(docs, "link.txt")
    assert (docs.parent / "secret.txt").exists()
    assert document_path(docs, "harbour.txt") == docs / "harbour.txt"


def test_strictness_levels_order_and_balanced_is_the_tuned_threshold() -> None:
    assert STRICTNESS_LEVELS[DEFAULT_STRICTNESS] == AnswerSettings().abstain_threshold
    values = list(STRICTNESS_LEVELS.values())
    assert values == sorted(values) and len(set(values)) == len(values)
    assert answer_settings("Very strict").abstain_threshold == max(values)
    assert answer_settings("Lenient", AnswerSettings(k=7)).k == 7
    with pytest.raises(LibraryError, match="unknown strictness"):
        answer_settings("Paranoid")


def test_stricter_levels_refuse_more(bundled_assistant: Assistant) -> None:
    """A question the documents answer only loosely: lenient quotes, very strict abstains."""
    question = "What is the weather forecast for Bradford?"
    lenient = bundled_assistant.ask(question, settings=answer_settings("Lenient"))
    strict = bundled_assistant.ask(question, settings=answer_settings("Very strict"))
    assert lenient.answered and not strict.answered
    assert lenient.evidence == pytest.approx(strict.evidence)


def test_doc_label_leads_with_the_file_name() -> None:
    class R:
        doc = "ofsted/ofsted-bradford-31-january-2023.pdf"
        title = "Inspection of City of Bradford Metropolitan Borough Council local authority children’s services"

    label = doc_label(R())  # type: ignore[arg-type]
    assert label.startswith("ofsted-bradford-31-january-2023.pdf — Inspection of City of Bradford")
    assert len(label) <= 90 and label.endswith("…")
