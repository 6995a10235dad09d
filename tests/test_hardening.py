"""Issue 12: the defects a hostile but realistic user found, each through the command line as they met it.

One documents folder holds every hostile entry at once (a link to a file outside it, a link to an outside folder,
a folder nested 1,100 levels deep, an unreadable folder, file names with a newline and terminal escape sequences,
a 100,000-character line) beside ordinary files; it is indexed once, by `python -m assistant index` in a child
process, and the tests read that one run and ask the index it built. Tests that need their own index (an empty
folder, a full disk, a kill) copy it or build a tiny one. docs/HARDENING.md maps each defect to its test.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO_ROOT, TINY_FILES, write_corpus
from test_cli import assert_one_line_error
from test_reliability import _drop_read_override

from assistant.index.store import load_store

SECRET = "The vault combination of the Wexcombe bank is nine nine four two, changed every Tuesday.\n"
GANNET = "The Gannet ferry sails at noon from the eastern quay, weather permitting.\n"
ESCAPE_NAME = "escape\x1b]0;pwned\x07\x1b[2J.txt"  # OSC window title, then "clear screen"
FORGED_NAME = "minutes\nskipped harbour.txt: forged line.xyz"  # a newline in a name forges a report line
FACT = "the Quillon harbour ferry was painted green in 1931."
FILLER = "and the tide came in again over the grey stones of the old quay."
DEPTH = 1100
HARBOUR_Q = "Who is the harbour master that keeps a logbook of every vessel?"


def long_line() -> str:
    """A 100,000-character line of lower-case sentences (no capital starts a sentence), the fact in the middle."""
    parts = [FILLER] * 1540
    parts[770] = FACT
    return " ".join(parts) + "\n"


def cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None,
        drop_caps: bool = False) -> subprocess.CompletedProcess[str]:
    """`python -m assistant ...` in a child process, as a user runs it (as root: without root's read override
    when ``drop_caps``, so that mode 000 means unreadable)."""
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args], input=stdin, capture_output=True, text=True, cwd=REPO_ROOT,
        timeout=900, env={**os.environ, **(env or {})},
        preexec_fn=_drop_read_override if drop_caps and os.geteuid() == 0 else None,
    )


@dataclass(frozen=True)
class Hostile:
    docs: Path
    index: Path
    outside: Path
    run: subprocess.CompletedProcess[str]


def _deep_folder(top: Path, depth: int) -> None:
    """``top/d/d/.../d`` ``depth`` levels deep, made with directory descriptors (no path gets long)."""
    top.mkdir()
    fd = os.open(top, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            nxt = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nxt
        with open(os.open("buried.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as f:
            f.write("The buried note says the well is dry.\n")
    finally:
        os.close(fd)


def remove_deep_tree(top: Path) -> None:
    """Delete a folder tree of any depth without recursion (shutil.rmtree, and so pytest's clean-up of old temp
    folders, overflows Python's stack on the 1,100-level folder)."""
    stack = [str(top)]
    while stack:
        current = stack[-1]
        with os.scandir(current) as it:
            entries = list(it)
        folders = [e.path for e in entries if e.is_dir(follow_symlinks=False)]
        for e in entries:
            if not e.is_dir(follow_symlinks=False):
                os.unlink(e.path)
        if folders:
            stack.extend(folders)
        else:
            os.rmdir(stack.pop())


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    root = tmp_path_factory.mktemp("hostile")
    outside = write_corpus(root / "outside", {"secret.txt": SECRET, "folder/also-secret.txt": SECRET})
    docs = write_corpus(root / "docs", {
        **TINY_FILES, ESCAPE_NAME: GANNET, FORGED_NAME: b"not a document", "longline.txt": long_line(),
        "locked/minutes.txt": "The locked minutes record the 1999 meeting.\n",
    })
    (docs / "passwd.txt").symlink_to(outside / "secret.txt")
    (docs / "latin1-\udce9t\udce9.txt").write_text("A name in Latin-1 bytes.\n")  # b"latin1-\xe9t\xe9.txt"
    (docs / "elsewhere").symlink_to(outside / "folder", target_is_directory=True)
    _deep_folder(docs / "deep", DEPTH)
    (docs / "locked").chmod(0)
    index = root / "index"
    run = cli("index", str(docs), "--index", str(index), "--quiet", drop_caps=True)
    (docs / "locked").chmod(0o755)  # so that pytest can clean up
    yield Hostile(docs, index, outside, run)
    remove_deep_tree(docs / "deep")


def skipped_lines(run: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """`skipped NAME: REASON` lines of an index run, by name."""
    out = {}
    for line in run.stderr.splitlines():
        if line.startswith("skipped "):
            name, _, reason = line[len("skipped "):].partition(": ")
            out[name] = reason
    return out


def ask_json(index: Path, question: str, *extra: str) -> dict:
    run = cli("ask", question, "--index", str(index), "--json", *extra)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def passages(answer: dict) -> list[dict]:
    return answer["quotes"] + answer.get("closest", [])


# --- 1. links that leave the documents folder ----------------------------------------------------------------

def test_symlink_leaving_docs_folder_is_skipped_and_reported(hostile: Hostile) -> None:
    skipped = skipped_lines(hostile.run)
    assert skipped["passwd.txt"] == "symbolic link to a file outside the documents folder (not followed)"
    assert skipped["elsewhere"] == "symbolic link to a folder outside the documents folder (not followed)"
    indexed = {d.doc for d in load_store(hostile.index).docs}
    assert not {"passwd.txt", "elsewhere/also-secret.txt"} & indexed
    answer = ask_json(hostile.index, "What is the vault combination of the Wexcombe bank?")
    assert not any("vault" in p["text"] for p in passages(answer))


# --- 3. names printed raw to the terminal ------------------------------------------------------------------

def test_file_names_with_newlines_and_escape_sequences_are_shown_escaped_in_the_terminal(hostile: Hostile) -> None:
    run = hostile.run
    for stream in (run.stdout, run.stderr):
        assert "\x1b" not in stream and "\x07" not in stream
    lines = run.stderr.splitlines()
    assert all(line.startswith(("skipped ", "assistant: error:")) for line in lines), lines
    assert any(line.startswith("skipped minutes\\nskipped harbour.txt: forged line.xyz: unsupported file type "
                               "'.xyz'") for line in lines), lines
    assert not any(line.startswith("skipped harbour.txt") for line in lines)  # no forged line

    asked = cli("ask", "When does the Gannet ferry sail?", "--index", str(hostile.index))
    assert asked.returncode == 0, asked.stderr
    assert "\x1b" not in asked.stdout and "\x07" not in asked.stdout
    assert "(escape\\x1b]0;pwned\\x07\\x1b[2J.txt, characters 0-" in asked.stdout


# --- found by the sweep: a file name that is not UTF-8 ----------------------------------------------------------

def test_file_name_that_is_not_utf8_is_reported_and_every_other_file_is_indexed(hostile: Hostile) -> None:
    assert skipped_lines(hostile.run)["latin1-\\xe9t\\xe9.txt"] == \
        "the name is not valid UTF-8 text (rename it to index it)"
    assert "Traceback" not in hostile.run.stderr
    assert "Agnes Pollard" in ask_json(hostile.index, HARBOUR_Q)["quotes"][0]["text"]


# --- 6. a folder nested 1,100 levels deep ------------------------------------------------------------------

def test_folder_nested_too_deep_is_reported_and_every_other_file_is_indexed(hostile: Hostile) -> None:
    run = hostile.run
    assert "Traceback" not in run.stderr and run.returncode == 2
    [(name, reason)] = [(n, r) for n, r in skipped_lines(run).items() if n.startswith("deep/")]
    assert reason.startswith("folder nested too deep (more than 64 levels)")
    indexed = {d.doc for d in load_store(hostile.index).docs}
    assert {"harbour.txt", "orchard.md", "observatory.txt", "longline.txt", ESCAPE_NAME} <= indexed
    assert "Agnes Pollard" in ask_json(hostile.index, HARBOUR_Q)["quotes"][0]["text"]


# --- 10. an unreadable folder ------------------------------------------------------------------------------

def test_unreadable_folder_is_reported_like_an_unreadable_file(hostile: Hostile) -> None:
    assert skipped_lines(hostile.run)["locked"] == "cannot read folder: Permission denied"
    assert hostile.run.stderr.strip().endswith("could not be indexed (listed above); all others were indexed")


# --- 19. a fact inside a 100,000-character line ------------------------------------------------------------

def test_fact_inside_a_100000_character_line_is_quoted_as_its_own_sentence(hostile: Hostile) -> None:
    answer = ask_json(hostile.index, "What colour was the Quillon harbour ferry painted in 1931?")
    top = passages(answer)[0]
    assert top["doc"] == "longline.txt" and top["text"] == FACT
    page = next(d for d in load_store(hostile.index).docs if d.doc == "longline.txt").pages[0]
    assert page[top["start"]:top["end"]] == FACT  # exact offsets into the stored text
    assert len(page) > 100_000


# --- 4. an empty or unmounted documents folder -------------------------------------------------------------

def test_empty_documents_folder_does_not_wipe_the_index_without_allow_empty(hostile: Hostile,
                                                                           tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(hostile.index, index, symlinks=True)
    before = len(load_store(index).docs)
    empty = tmp_path / "unmounted"
    empty.mkdir()
    run = cli("index", str(empty), "--index", str(index), "--quiet")
    assert run.returncode == 2 and not run.stdout
    line = assert_one_line_error(run.stderr)
    assert f"refusing to remove all {before} documents from the index" in line and "--allow-empty" in line
    assert len(load_store(index).docs) == before
    assert "Agnes Pollard" in ask_json(index, HARBOUR_Q)["quotes"][0]["text"]

    run = cli("index", str(empty), "--index", str(index), "--quiet", "--allow-empty")
    assert run.returncode == 0 and f"{before} removed" in run.stdout
    assert load_store(index).docs == []


# --- 7, 8, 11-15. command-line misuse: one clear line, exit 2, nothing lost ----------------------------------

def test_eval_with_a_folder_as_gold_file_is_a_one_line_error(hostile: Hostile, tmp_path: Path) -> None:
    run = cli("eval", str(tmp_path), "--index", str(hostile.index))
    assert run.returncode == 2
    assert assert_one_line_error(run.stderr).endswith(f"gold file {tmp_path} is a folder; give a JSONL file")


def test_eval_with_a_folder_as_output_is_refused_before_the_run(hostile: Hostile, tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "q1", "question": HARBOUR_Q, "answers": ["Agnes Pollard"], "doc": None}) + "\n")
    run = cli("eval", str(gold), "--out", str(tmp_path), "--index", str(hostile.index), "--quiet")
    assert run.returncode == 2 and not run.stdout  # refused before asking anything
    assert assert_one_line_error(run.stderr).endswith(f"cannot write the report to {tmp_path}: it is a folder")


def test_max_file_mb_inf_is_bad_usage_not_a_traceback(tmp_path: Path) -> None:
    docs = write_corpus(tmp_path / "docs", {"harbour.txt": TINY_FILES["harbour.txt"]})
    run = cli("index", str(docs), "--index", str(tmp_path / "index"), "--max-file-mb", "inf")
    assert run.returncode == 2
    assert assert_one_line_error(run.stderr).endswith("--max-file-mb must be a positive number")
    assert not (tmp_path / "index").exists()


def test_ask_with_a_doc_filter_that_names_no_document_is_bad_input(hostile: Hostile) -> None:
    run = cli("ask", HARBOUR_Q, "--doc", "harbour.txt", "--doc", "nope.pdf", "--index", str(hostile.index))
    assert run.returncode == 2 and not run.stdout
    assert assert_one_line_error(run.stderr).endswith("no document matches nope.pdf")


def test_symbol_only_question_is_refused_like_the_same_quote(hostile: Hostile) -> None:
    for command, text in (("ask", "🙂🙂🙂 ★ ♥"), ("cite", "🙂🙂🙂 ★ ♥"), ("ask", "?!? ... ---")):
        run = cli(command, text, "--index", str(hostile.index), "--json")
        assert run.returncode == 2 and not run.stdout, (command, text, run.stdout)
        assert "no words to" in assert_one_line_error(run.stderr)


def test_a_missing_model_is_reported_once_and_in_full(tmp_path: Path) -> None:
    docs = write_corpus(tmp_path / "docs", {"harbour.txt": TINY_FILES["harbour.txt"]})
    run = cli("index", str(docs), "--index", str(tmp_path / "index"), "--model", "/nonexistent/model", "--quiet")
    assert run.returncode == 2
    line = assert_one_line_error(run.stderr)
    assert line.count("cannot be loaded") == 1 and line.count("models must already be on disk") == 1
    assert line.endswith("(`assistant index --model NAME_OR_PATH`)")


def test_gold_file_with_duplicate_ids_is_refused_with_the_line_number(hostile: Hostile, tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    item = {"id": "q1", "question": HARBOUR_Q, "answers": ["Agnes Pollard"], "doc": None}
    other = {**item, "id": "q2"}
    gold.write_text("\n".join(json.dumps(x) for x in (item, other, item)) + "\n")
    run = cli("eval", str(gold), "--index", str(hostile.index), "--quiet")
    assert run.returncode == 2 and not run.stdout
    assert assert_one_line_error(run.stderr).endswith(f"{gold}:3: duplicate id 'q1' (first used on line 1)")


def test_non_utf8_gold_file_error_names_the_file_and_line(hostile: Hostile, tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    good = json.dumps({"id": "q1", "question": HARBOUR_Q, "answers": ["Agnes Pollard"], "doc": None})
    gold.write_bytes(good.encode() + b"\n" + b'{"id": "q2", "question": "caf\xe9 \xff?", "answers": []}\n')
    run = cli("eval", str(gold), "--index", str(hostile.index), "--quiet")
    assert run.returncode == 2
    assert assert_one_line_error(run.stderr).endswith(
        f"{gold}:2: not UTF-8 text (byte 0xe9 at column 30); save the file as UTF-8")


def test_a_bad_load_workers_setting_is_ignored_not_a_traceback(tmp_path: Path) -> None:
    """Found by the sweep: ASSISTANT_LOAD_WORKERS=abc stopped the build with a ValueError traceback."""
    docs = write_corpus(tmp_path / "docs", {"harbour.txt": TINY_FILES["harbour.txt"]})
    run = cli("index", str(docs), "--index", str(tmp_path / "index"), "--quiet",
              env={"ASSISTANT_LOAD_WORKERS": "abc"})
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    assert [d.doc for d in load_store(tmp_path / "index").docs] == ["harbour.txt"]


# --- 17. `ask -` as a pipe ---------------------------------------------------------------------------------

def _read_line(process: subprocess.Popen[str], wait_s: float) -> str:
    """The next stdout line, or '' if none arrives within ``wait_s`` (a bound against hanging, not a timing)."""
    ready, _, _ = select.select([process.stdout], [], [], wait_s)
    return process.stdout.readline() if ready else ""


def test_ask_dash_answers_each_line_as_it_arrives(hostile: Hostile) -> None:
    process = subprocess.Popen([sys.executable, "-m", "assistant", "ask", "-", "--index", str(hostile.index)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd=REPO_ROOT)
    try:
        process.stdin.write(HARBOUR_Q + "\n")
        process.stdin.flush()
        first = _read_line(process, 300)  # stdin is still open: the answer must not wait for its end
        assert first, "no answer while the input stays open"
        assert json.loads(first)["question"] == HARBOUR_Q
        process.stdin.write("When does pruning happen in the orchard?\n")
        process.stdin.close()
        second = json.loads(_read_line(process, 300))
        assert "February" in second["quotes"][0]["text"]
        assert process.wait(timeout=300) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


# --- 9. a build killed while its workers read PDFs ---------------------------------------------------------

def _children(pid: int) -> dict[int, str]:
    """Live (not zombie) processes whose parent is ``pid``, with their command lines."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            state, ppid = stat.rsplit(")", 1)[1].split()[:2]
            if int(ppid) == pid and state != "Z":
                out[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find the worker processes")
def test_killed_build_leaves_no_loader_workers_behind(tmp_path: Path) -> None:
    pdfs = sorted((REPO_ROOT / "documents" / "ofsted").glob("*.pdf"))[:6]
    docs = tmp_path / "docs"
    docs.mkdir()
    for pdf in pdfs:
        shutil.copy(pdf, docs / pdf.name)
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "index", str(docs), "--index", str(tmp_path / "index"), "--quiet"],
        cwd=REPO_ROOT, env={**os.environ, "ASSISTANT_LOAD_WORKERS": "2"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: dict[int, str] = {}
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and process.poll() is None:
            workers = {p: c for p, c in _children(process.pid).items() if "multiprocessing" in c}
            if sum("spawn_main" in c for c in workers.values()) >= 2:
                break
            time.sleep(0.02)
        assert sum("spawn_main" in c for c in workers.values()) >= 2, "the loader workers never started"
        process.send_signal(signal.SIGKILL)
        process.wait()
        deadline = time.monotonic() + 60  # a bound against hanging; the workers go at once
        while time.monotonic() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.1)
        left = {p: c for p, c in workers.items() if _alive(p)}
        assert not left, f"still running after the build was killed: {left}"
    finally:
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        if process.poll() is None:
            process.kill()


# --- 5. a full disk ---------------------------------------------------------------------------------------

FULL_DISK_SCRIPT = r'''
set -u
mount -t tmpfs -o size=$SIZE tmpfs "$MNT" || exit 97
cp -a "$SRC" "$MNT/index"
"$PY" - <<'EOF'
import os
free = os.statvfs(os.environ["MNT"]).f_bavail * os.statvfs(os.environ["MNT"]).f_frsize
with open(os.path.join(os.environ["MNT"], "filler"), "wb") as f:
    f.write(b"\0" * max(free - 48 * 1024, 0))
EOF
cd "$REPO"
"$PY" -m assistant index "$DOCS" --index "$MNT/index" --quiet > "$OUT/index.out" 2> "$OUT/index.err"
echo $? > "$OUT/index.rc"
ls -a "$MNT/index" > "$OUT/ls"
find "$MNT/index/.models" -type f -printf '%f\n' > "$OUT/models" 2>/dev/null || true
"$PY" -m assistant ask "$QUESTION" --index "$MNT/index" --json > "$OUT/ask.out" 2> "$OUT/ask.err"
'''


@pytest.mark.parametrize("moment", ["writing the build", "placing the model export"])
def test_full_disk_gives_one_line_and_leaves_no_partial_build(hostile: Hostile, tmp_path: Path, moment: str) -> None:
    """The index on a small tmpfs (in a private mount namespace) that fills up while the new build is written, or
    (an index copied without its model export) while the 22 MB export is placed in it."""
    src = tmp_path / "src-index"
    shutil.copytree(hostile.index, src, symlinks=True)
    if moment == "placing the model export":
        shutil.rmtree(src / ".models")
    docs = write_corpus(tmp_path / "docs", {**TINY_FILES, "longline.txt": long_line(),
                                            "extra.txt": "A new file about sailing dinghies and their rigging.\n"})
    mnt, out = tmp_path / "mnt", tmp_path / "out"
    mnt.mkdir()
    out.mkdir()
    size = sum(p.stat().st_size for p in src.rglob("*") if p.is_file()) + 4 * 2**20
    prefix = ["unshare", "--mount", "--propagation", "private"] if os.geteuid() == 0 else \
        ["unshare", "--user", "--map-root-user", "--mount"]
    env = {**os.environ, "SIZE": str(size), "MNT": str(mnt), "SRC": str(src), "PY": sys.executable,
           "REPO": str(REPO_ROOT), "DOCS": str(docs), "OUT": str(out), "QUESTION": HARBOUR_Q}
    done = subprocess.run([*prefix, "sh", "-c", FULL_DISK_SCRIPT], env=env, capture_output=True, text=True,
                          timeout=900)
    if done.returncode == 97 or not (out / "index.rc").exists():
        pytest.skip(f"cannot mount a private tmpfs here: {done.stderr.strip()[:200]}")
    assert (out / "index.rc").read_text().strip() == "2"
    line = assert_one_line_error((out / "index.err").read_text())
    assert line.startswith("assistant: error: cannot write the index")
    assert "No space left on device" in line and "the previous index is unchanged" in line
    listing = (out / "ls").read_text().split()
    builds = [n for n in listing if n.startswith("build-")]
    assert len(builds) == 1, builds  # the half-written build is gone, the old one stays
    assert (out / "models").read_text().split() in ([], ["model.onnx"])  # no partial copy of the model left
    if moment == "writing the build":
        answer = json.loads((out / "ask.out").read_text())
        assert "Agnes Pollard" in answer["quotes"][0]["text"]
    else:  # the old build has no room for its model export either: a clear line, not a traceback
        assert assert_one_line_error((out / "ask.err").read_text()).startswith(
            "assistant: error: cannot write the index: No space left on device")
