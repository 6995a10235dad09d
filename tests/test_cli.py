"""The `assistant` command line: exit codes, one-line errors, and the JSON contracts of DESIGN.md."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO_ROOT, TINY_FILES, write_corpus

from assistant.cli import main

QUOTE_KEYS = {"text", "doc", "title", "page", "start", "end", "score", "highlight"}
HARBOUR_Q = "Who is the harbour master that keeps a logbook of every vessel?"
ORCHARD_Q = "When does pruning happen in the orchard?"


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m assistant ...` as a user runs it, from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args], input=stdin, capture_output=True, text=True,
        cwd=REPO_ROOT, timeout=600,
    )


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``assistant.cli.main`` in process; argparse errors arrive as SystemExit and count as the exit code."""
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("assistant: error:"), err
    assert "Traceback" not in err
    return lines[0]


def shown(out: dict) -> list[dict]:
    """The passages a user sees: the quotes, or when the assistant abstains, the closest passages."""
    return out["quotes"] or out.get("closest", [])


def check_answer_json(out: dict, question: str) -> None:
    assert out["question"] == question
    assert isinstance(out["answered"], bool)
    assert isinstance(out["quotes"], list) and isinstance(out["timings_ms"], dict)
    for q in shown(out):
        assert QUOTE_KEYS <= set(q)
        assert q["page"] is None  # tiny corpora are text files


@dataclass(frozen=True)
class Tiny:
    docs: Path
    index: Path
    first_run: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Tiny:
    """A tiny corpus and its index, built once for the module through `python -m assistant index`."""
    root = tmp_path_factory.mktemp("cli")
    docs = write_corpus(root / "docs", TINY_FILES)
    index_dir = root / "index"
    return Tiny(docs, index_dir, run_cli("index", str(docs), "--index", str(index_dir)))


# --- index -------------------------------------------------------------------------------------------------

def test_index_exits_0_with_a_summary(tiny: Tiny) -> None:
    run = tiny.first_run
    assert run.returncode == 0, run.stderr
    summary = run.stdout.strip().splitlines()[-1]
    assert summary.startswith("Index updated: 3 documents"), run.stdout
    assert "3 added" in summary and "sentences" in summary and "chunks" in summary
    assert "error" not in run.stderr.lower()


def test_index_json_is_parseable_and_reports_no_change(tiny: Tiny, capsys) -> None:
    code, out, err = run_main(capsys, "index", str(tiny.docs), "--index", str(tiny.index), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["written"] is False and report["embedded"] == 0
    assert sorted(report["unchanged"]) == sorted(TINY_FILES)
    assert report["added"] == [] and report["problems"] == []
    assert report["n_documents"] == 3


def test_index_of_a_missing_folder_exits_2(tmp_path: Path, capsys) -> None:
    code, out, err = run_main(capsys, "index", str(tmp_path / "nope"), "--index", str(tmp_path / "index"))
    assert code == 2
    assert "nope" in assert_one_line_error(err)
    assert not (tmp_path / "index" / "CURRENT").exists()


def test_index_with_a_bad_file_exits_2_after_indexing_the_good_files(tmp_path: Path) -> None:
    docs = write_corpus(tmp_path / "docs", {**TINY_FILES, "empty.txt": "", "scan.pdf": b"%PDF-1.4 garbage"})
    index_dir = tmp_path / "index"
    run = run_cli("index", str(docs), "--index", str(index_dir), "--json", "--quiet")
    assert run.returncode == 2
    report = json.loads(run.stdout)
    assert sorted(p["doc"] for p in report["problems"]) == ["empty.txt", "scan.pdf"]
    assert sorted(report["added"]) == sorted(TINY_FILES)
    err_lines = run.stderr.strip().splitlines()
    assert any(line.startswith("skipped empty.txt:") for line in err_lines)
    assert any(line.startswith("skipped scan.pdf:") for line in err_lines)
    assert err_lines[-1].startswith("assistant: error:") and "2 file(s)" in err_lines[-1]
    # the good files are in the index and answer questions
    ask = run_cli("ask", HARBOUR_Q, "--index", str(index_dir), "--json")
    assert ask.returncode == 0, ask.stderr
    assert "Agnes Pollard" in shown(json.loads(ask.stdout))[0]["text"]


# --- ask ---------------------------------------------------------------------------------------------------

def test_ask_json_prints_the_contract(tiny: Tiny, capsys) -> None:
    code, out, err = run_main(capsys, "ask", HARBOUR_Q, "--index", str(tiny.index), "--json", "--k", "2")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 1
    answer = json.loads(lines[0])
    check_answer_json(answer, HARBOUR_Q)
    assert len(shown(answer)) == 2
    top = shown(answer)[0]
    assert top["doc"] == "harbour.txt" and "Agnes Pollard" in top["text"]
    page = (tiny.docs / "harbour.txt").read_text()
    assert page[top["start"] : top["end"]] == top["text"]


def test_ask_without_json_prints_quotes_with_their_source(tiny: Tiny, capsys) -> None:
    code, out, err = run_main(capsys, "ask", HARBOUR_Q, "--index", str(tiny.index))
    assert code == 0, err
    assert "harbour.txt" in out and "Agnes Pollard" in out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


def test_ask_doc_filter(tiny: Tiny, capsys) -> None:
    code, out, err = run_main(capsys, "ask", HARBOUR_Q, "--index", str(tiny.index), "--json", "--k", "5",
                              "--doc", "orchard.md")
    assert code == 0, err
    answer = json.loads(out)
    assert {q["doc"] for q in shown(answer)} == {"orchard.md"}


def test_ask_stdin_prints_one_json_line_per_question(tiny: Tiny) -> None:
    run = run_cli("ask", "-", "--index", str(tiny.index), stdin=f"{HARBOUR_Q}\n\n{ORCHARD_Q}\n")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.strip().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    check_answer_json(first, HARBOUR_Q)
    check_answer_json(second, ORCHARD_Q)
    assert "Agnes Pollard" in shown(first)[0]["text"]
    assert "February" in shown(second)[0]["text"]


def test_ask_with_a_missing_index_says_to_run_assistant_index(tmp_path: Path, capsys) -> None:
    code, out, err = run_main(capsys, "ask", HARBOUR_Q, "--index", str(tmp_path / "missing"), "--json")
    assert code == 2
    assert out == ""
    assert "assistant index" in assert_one_line_error(err)


def test_ask_with_a_missing_index_in_a_real_process(tmp_path: Path) -> None:
    run = run_cli("ask", HARBOUR_Q, "--index", str(tmp_path / "missing"))
    assert run.returncode == 2
    assert "assistant index" in assert_one_line_error(run.stderr)


def test_ask_with_a_damaged_index_exits_2_with_a_rebuild_hint(tmp_path: Path, capsys) -> None:
    docs = write_corpus(tmp_path / "docs", TINY_FILES)
    index_dir = tmp_path / "index"
    assert run_main(capsys, "index", str(docs), "--index", str(index_dir), "--quiet")[0] == 0
    folder = index_dir / (index_dir / "CURRENT").read_text().strip()
    (folder / "sentence_vectors.npy").write_bytes(b"\x93NUMPY broken")
    code, _, err = run_main(capsys, "ask", HARBOUR_Q, "--index", str(index_dir))
    assert code == 2
    assert "assistant index" in assert_one_line_error(err)


# --- bad usage ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    (),
    ("frobnicate",),
    ("ask",),
    ("ask", "Who?", "--k", "0"),
    ("ask", "Who?", "--k", "-3"),
    ("ask", "Who?", "--k", "three"),
    ("ask", "Who?", "--no-such-option"),
    ("ask", ""),
    ("ask", "x" * 100_000),
])
def test_bad_usage_exits_2_with_a_one_line_error(args: tuple[str, ...], tmp_path: Path, capsys) -> None:
    code, out, err = run_main(capsys, *args, *(("--index", str(tmp_path)) if len(args) > 1 else ()))
    assert code == 2
    assert out == ""
    assert_one_line_error(err)


def test_bad_usage_in_a_real_process(tmp_path: Path) -> None:
    run = run_cli("frobnicate")
    assert run.returncode == 2
    assert_one_line_error(run.stderr)
    run = run_cli("ask", "Who?", "--k", "0", "--index", str(tmp_path))
    assert run.returncode == 2
    assert "--k" in assert_one_line_error(run.stderr)
