"""Whatever is on the shared drive: one `assistant index` run over every kind of bad file beside good ones, and
questions, quotes and document text that try to break the tool.

Each bad file must be reported once, by name and reason; every good file must be indexed; the exit status must
say that some files failed; nothing may crash. The loader's own reasons are unit-tested in test_documents.py;
upload names in test_library.py; HTML, script and Markdown in documents in test_app.py
(test_document_text_with_script_and_markdown_is_shown_as_text).
"""

from __future__ import annotations

import ctypes
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, TINY_FILES, Launch, write_corpus
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject, NumberObject
from test_app import ask, html_bodies, quote_blocks, visible_text
from test_cli import assert_one_line_error, run_main
from test_documents import make_pdf

from assistant.api import MAX_QUESTION_CHARS, Assistant, BadQuestion
from assistant.cite.types import BadQuote
from assistant.index.store import load_store

BRADFORD_2023 = REPO_ROOT / "documents" / "ofsted" / "ofsted-bradford-31-january-2023.pdf"
PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2

# Text in legacy encodings: the accents must come back exactly as written.
LATIN1 = "Zoë Brontë chaired the façade committee at the Crèche on the Rue Pêcheur.\n"
CP1252 = "The “Ørsted” review cost £2,400 – about €2,800 – and was signed off by the Naïve Arts trust.\n"
BOM = "The Quayside bakery opens at six and sells saffron buns on Tuesdays.\n"
HUGE = "The pier at Gannet Point is three hundred metres long.\n"


def scanned_pdf(path: Path) -> Path:
    """A PDF whose only page is an image (what a scanner makes): there is no text layer to extract."""
    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    image = DecodedStreamObject()
    image.set_data(bytes((x * 37 + y * 11) % 256 for y in range(64) for x in range(64)))
    image.update({NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Image"),
                  NameObject("/Width"): NumberObject(64), NameObject("/Height"): NumberObject(64),
                  NameObject("/ColorSpace"): NameObject("/DeviceGray"),
                  NameObject("/BitsPerComponent"): NumberObject(8)})
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/XObject"): DictionaryObject({NameObject("/Im1"): writer._add_object(image)})})
    content = DecodedStreamObject()
    content.set_data(b"q 400 0 0 500 100 150 cm /Im1 Do Q")
    page.replace_contents(content)
    writer.write(path)
    return path


def _drop_read_override() -> None:
    """In the child: as root, give up the capabilities that let root read any file, so mode 000 means no."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


# What a user sees for each bad file: its reason on one `skipped NAME: REASON` line.
BAD: dict[str, str] = {
    "empty.txt": "empty file",
    "zero-pages.pdf": "PDF has no pages",
    "truncated.pdf": "corrupt or unreadable PDF: Stream has ended unexpectedly",
    "random-bytes.pdf": "corrupt or unreadable PDF",
    "locked.pdf": "encrypted PDF (password required)",
    "scanned.pdf": "no extractable text (scanned PDF?)",
    "binary.txt": "binary file, not text",
    "huge.txt": "file too large (1.5 MB; the limit is 1.0 MB)",
    "minutes.rtf": "unsupported file type '.rtf' (supported: PDF, TXT, MD, HTML, DOCX, ODT)",
    "loop.txt": "symlink loop (the link points back to itself)",
    "moved.md": "broken symbolic link (its target does not exist)",
    "sub/back": "symlink loop (the folder link points back to a folder containing it)",
    "unreadable.txt": "cannot read file: Permission denied",
}
GOOD = ("harbour.txt", "observatory.txt", "orchard.md", "report.pdf", "open-with-empty-password.pdf",
        "latin1.txt", "cp1252.txt", "utf8-bom.txt", "sub/deep.txt")


@pytest.fixture(scope="module")
def shared_drive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    docs = write_corpus(tmp_path_factory.mktemp("drive") / "docs", {
        **TINY_FILES,
        "latin1.txt": LATIN1.encode("latin-1"),
        "cp1252.txt": CP1252.encode("cp1252"),
        "utf8-bom.txt": BOM.encode("utf-8-sig"),
        "sub/deep.txt": "The ferry to Puffin Island leaves from the north jetty at half past nine.\n",
        "empty.txt": b"",
        "random-bytes.pdf": random.Random(5).randbytes(4096),
        "truncated.pdf": BRADFORD_2023.read_bytes()[: BRADFORD_2023.stat().st_size // 2],
        "binary.txt": bytes(range(256)) * 16,
        "huge.txt": HUGE.ljust(3 * 2**19),  # 1.5 MB on disk; blanks keep embedding it quick once allowed
        "minutes.rtf": b"PK\x03\x04 not really a Word document",
        "unreadable.txt": "The locked cabinet holds the minutes of the 1999 meeting.\n",
    })
    make_pdf(docs / "report.pdf", ["Report on the Gannet Point ferry service", "The ferry carried 4,812 "
                                   "passengers in 2022."])
    make_pdf(docs / "open-with-empty-password.pdf", ["Notes on the Tern Rock lighthouse",
                                                     "The lighthouse keeper retired in 1991."], password="")
    make_pdf(docs / "locked.pdf", ["Confidential case notes"], password="secret")
    scanned_pdf(docs / "scanned.pdf")
    PdfWriter().write(docs / "zero-pages.pdf")
    (docs / "loop.txt").symlink_to("loop.txt")
    (docs / "moved.md").symlink_to("nowhere/moved.md")
    (docs / "sub" / "back").symlink_to("..", target_is_directory=True)
    (docs / "unreadable.txt").chmod(0)
    return docs


@pytest.fixture(scope="module")
def index_run(shared_drive: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess,
                                                                                    Path]:
    """`assistant index --max-file-mb 1 --json` over the shared drive, as a user whose permissions are honoured."""
    index_dir = tmp_path_factory.mktemp("drive-index") / "index"
    run = subprocess.run(
        [sys.executable, "-m", "assistant", "index", str(shared_drive), "--index", str(index_dir),
         "--max-file-mb", "1", "--json", "--quiet"],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=600,
        preexec_fn=_drop_read_override if os.geteuid() == 0 else None,
    )
    return run, index_dir


def test_each_bad_file_is_reported_once_by_name_and_reason(index_run) -> None:
    run, _ = index_run
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    skipped = [line.removeprefix("skipped ").split(": ", 1) for line in lines if line.startswith("skipped ")]
    assert sorted(name for name, _ in skipped) == sorted(BAD), run.stderr  # each once, by name
    for name, reason in skipped:
        assert reason.startswith(BAD[name]), (name, reason)
    assert lines[-1] == ("assistant: error: 13 file(s) could not be indexed (listed above); "
                         "all others were indexed")
    assert len(lines) == len(BAD) + 1
    report = json.loads(run.stdout)
    assert {p["doc"]: p["reason"] for p in report["problems"]} == dict(skipped)


def test_every_good_file_is_indexed_and_the_exit_status_says_some_failed(index_run) -> None:
    run, index_dir = index_run
    assert run.returncode == 2
    report = json.loads(run.stdout)
    assert sorted(report["added"]) == sorted(GOOD) and report["n_documents"] == len(GOOD)
    store = load_store(index_dir)
    assert sorted(d.doc for d in store.docs) == sorted(GOOD)
    assert {p["doc"] for p in store.manifest["problems"]} == set(BAD)


@pytest.mark.parametrize(
    ("question", "doc", "words"),
    [
        ("Who chaired the façade committee at the Crèche?", "latin1.txt", "Zoë Brontë"),
        ("How much did the Ørsted review cost?", "cp1252.txt", "“Ørsted” review cost £2,400 – about €2,800"),
        ("What does the Quayside bakery sell on Tuesdays?", "utf8-bom.txt", "The Quayside bakery"),
        ("When did the Tern Rock lighthouse keeper retire?", "open-with-empty-password.pdf", "retired in 1991"),
    ],
)
def test_legacy_encodings_and_open_encrypted_pdfs_answer_with_their_exact_characters(
        index_run, question: str, doc: str, words: str) -> None:
    _, index_dir = index_run
    quote = Assistant(index_dir).ask(question).quotes[0]
    assert quote.doc == doc and words in quote.text
    assert not quote.text.startswith("\ufeff")


def test_a_file_over_the_limit_is_indexed_once_the_limit_is_raised(shared_drive: Path, index_run) -> None:
    """The size limit decides which files are indexed, not how: raising it adds the file, no clean rebuild."""
    _, index_dir = index_run
    code, out, err = run_main_with_caps(["index", str(shared_drive), "--index", str(index_dir), "--max-file-mb", "2",
                                         "--json", "--quiet"])
    report = json.loads(out)
    assert report["added"] == ["huge.txt"] and report["rebuild_reason"] is None
    assert "huge.txt" not in err and code == 2  # the other bad files are still bad


def run_main_with_caps(args: list[str]) -> tuple[int, str, str]:
    run = subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True,
                         cwd=REPO_ROOT, timeout=600,
                         preexec_fn=_drop_read_override if os.geteuid() == 0 else None)
    return run.returncode, run.stdout, run.stderr


def test_a_bad_max_file_mb_is_bad_usage(tmp_path: Path, capsys) -> None:
    code, _, err = run_main(capsys, "index", str(tmp_path), "--max-file-mb", "0")
    assert code == 2 and assert_one_line_error(err).endswith("--max-file-mb must be a positive number")


def test_an_unwritable_index_folder_is_a_one_line_error(tmp_path: Path) -> None:
    docs = write_corpus(tmp_path / "docs", {"harbour.txt": TINY_FILES["harbour.txt"]})
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    code, _, err = run_main_with_caps(["index", str(docs), "--index", str(locked / "index"), "--quiet"])
    assert code == 2
    line = assert_one_line_error(err)
    assert "Permission denied" in line


# --- hostile questions and quotes --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("hostile")
    assistant = Assistant(root / "index")
    assistant.build(write_corpus(root / "docs", TINY_FILES))
    return assistant


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("harbour " * 12_800, f"the question is 102399 characters long; the limit is {MAX_QUESTION_CHARS}"),
        ("\x00\x01\x02\x1b\x7f", "the question is empty"),
        ("\u200b\u202e \t\n", "the question is empty"),
    ],
)
def test_huge_or_control_character_questions_get_a_clear_error(tiny_assistant: Assistant, question: str,
                                                               message: str) -> None:
    with pytest.raises(BadQuestion) as info:
        tiny_assistant.ask(question)
    assert str(info.value) == message


def test_control_characters_inside_a_question_are_ignored(tiny_assistant: Assistant) -> None:
    plain = tiny_assistant.ask("Who is the harbour master that keeps a logbook?").to_json()
    noisy = tiny_assistant.ask("Who is the\x00 harbour\x1b master\x07 that keeps a\r\n logbook?").to_json()
    assert noisy["quotes"] == plain["quotes"] and "Agnes Pollard" in noisy["quotes"][0]["text"]


def test_huge_and_control_character_quotes_get_a_clear_error(tiny_assistant: Assistant) -> None:
    with pytest.raises(BadQuote, match="the limit is 5000"):
        tiny_assistant.cite("The harbour master keeps a logbook. " * 3000)
    with pytest.raises(BadQuote, match="empty or too short"):
        tiny_assistant.cite("\x00\x01\x02\x03")


def test_a_100_kb_question_on_the_command_line_is_a_one_line_error(tiny_assistant: Assistant, capsys) -> None:
    code, out, err = run_main(capsys, "ask", "--index", str(tiny_assistant.index_dir), "x" * 100_000)
    assert code == 2 and not out
    assert assert_one_line_error(err).endswith("the question is 100000 characters long; the limit is 2000")


# --- hostile document text in the app ------------------------------------------------------------------

LONG_LINE = "Ferry " + "A" * 20_000 + " unbroken <b>run</b> [x](javascript:alert(1))\n"


def test_very_long_lines_and_markup_render_as_inert_text_in_the_app(launch: Launch, tmp_path: Path) -> None:
    docs = write_corpus(tmp_path / "docs", {
        "timetable.txt": LONG_LINE + "The Puffin ferry captain is Wilhelmina Strand, who took command in 2019.\n",
        "harbour.txt": TINY_FILES["harbour.txt"]})
    at = ask(launch(docs, tmp_path / "index"), "Who is the captain of the Puffin ferry?")
    blocks = quote_blocks(at)
    assert any("Wilhelmina Strand" in b for b in blocks)
    at = ask(at, "What does the unbroken run of the timetable say?")
    markup = "\n".join(html_bodies(at)) + "\n".join(m.value for m in at.markdown)
    shown = "\n".join(visible_text(b) for b in html_bodies(at))
    assert "A" * 1000 in shown  # the long line is shown, not dropped
    assert "<b>run</b>" in shown and "[x](javascript:alert(1))" in shown
    for active in ("<b>", "](javascript", "href=", "<a "):
        assert active not in markup
    assert not re.search(r"<(script|iframe|img|a)\b", markup)
