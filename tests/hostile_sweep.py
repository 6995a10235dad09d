"""The hostile sweep of issue 12, re-runnable: every case a hostile but realistic user tried, with what happened.

    .venv/bin/python tests/hostile_sweep.py [--out sweep.json]

Areas: bad files, command-line misuse, a tampered index, kills at random moments of a build, a full disk (a small
tmpfs in a private mount namespace; needs root or user namespaces), concurrent builds and readers, no network
(a private network namespace), hostile names and text on every app page and in uploads (Streamlit's AppTest).
A case passes when the tool does what the README promises: exit 0, or exit 2 with one clear line; no traceback;
nothing printed raw that a terminal would act on; no document or index lost. Prints one line per failing case
and a table per area. Not collected by pytest (the regression tests are test_hardening.py and
test_browser_hostile.py); it takes a few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import REPO_ROOT, TINY_FILES, write_corpus  # noqa: E402
from test_documents import make_pdf  # noqa: E402
from test_hardening import (  # noqa: E402
    ESCAPE_NAME,
    FACT,
    HARBOUR_Q,
    _alive,
    _children,
    _deep_folder,
    long_line,
    remove_deep_tree,  # noqa: E402
)
from test_reliability import _drop_read_override, scanned_pdf  # noqa: E402

PDF = REPO_ROOT / "documents" / "ofsted" / "ofsted-bradford-31-january-2023.pdf"
RAW = ("\x1b", "\x07", "\x9b")


@dataclass(frozen=True)
class Case:
    area: str
    name: str
    ok: bool
    traceback: bool
    lost: bool
    note: str = ""


CASES: list[Case] = []


def record(area: str, name: str, ok: bool, text: str = "", lost: bool = False, note: str = "") -> None:
    tb = "Traceback (most recent call last)" in text
    case = Case(area, name, ok and not tb and not lost and not any(c in text for c in RAW), tb, lost, note)
    CASES.append(case)
    if not case.ok:
        print(f"FAIL [{area}] {name}: {note or text.strip()[-300:]}", flush=True)


def cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None, prefix: tuple[str, ...] = (),
        drop_caps: bool = False, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*prefix, sys.executable, "-m", "assistant", *args], input=stdin, capture_output=True,
                          text=True, errors="replace", cwd=REPO_ROOT, timeout=timeout,
                          env={**os.environ, **(env or {})},
                          preexec_fn=_drop_read_override if drop_caps and os.geteuid() == 0 else None)


def one_line_error(run: subprocess.CompletedProcess[str]) -> bool:
    lines = run.stderr.strip().splitlines()
    return run.returncode == 2 and len(lines) == 1 and lines[0].startswith("assistant: error:")


def answers(index: Path, question: str = HARBOUR_Q) -> bool:
    run = cli("ask", question, "--index", str(index), "--json")
    return run.returncode == 0 and "Agnes Pollard" in json.loads(run.stdout)["quotes"][0]["text"]


# --- bad files ---------------------------------------------------------------------------------------------

GOOD_EXTRA = {"report.pdf", "longline.txt", ESCAPE_NAME, "rtl\u202eevil.txt", "nbsp and zero\u200bwidth.md",
              "page.html", "sub/deep.txt"}


def bad_files(root: Path) -> Path:
    """A documents folder holding every bad entry beside the tiny corpus; returns the built index."""
    outside = write_corpus(root / "outside", {"secret.txt": "The safe code is 4412.\n"})
    docs = write_corpus(root / "docs", {
        **TINY_FILES, "longline.txt": long_line(), ESCAPE_NAME: "The Gannet ferry sails at noon.\n",
        "rtl\u202eevil.txt": "Right-to-left override in the name; the text is plain.\n",
        "nbsp and zero\u200bwidth.md": "# Notes\n\nThe\u00a0lamp\u200b is lit at dusk.\n",
        "page.html": "<html><script>alert(1)</script><body><p>The pier opens at dawn.</p></body></html>",
        "sub/deep.txt": "The ferry to Puffin Island leaves at half past nine.\n",
        "empty.txt": b"", "blank.md": "   \n\n\t\n", "binary.txt": bytes(range(256)) * 8,
        "truncated.pdf": PDF.read_bytes()[:30000], "random.pdf": random.Random(1).randbytes(5000),
        "fake.pdf": "This is text pretending to be a PDF.\n", "word.docx": b"PK\x03\x04 not a zip",
        "image.png": b"\x89PNG\r\n\x1a\n", "controls.txt": "\x00\x01\x02" * 2000,
        "newline\nforged.xyz": b"x", "locked-folder/minutes.txt": "Minutes.\n", "unreadable.txt": "Secret.\n",
    })
    make_pdf(docs / "report.pdf", ["Report on the Gannet Point ferry", "The ferry carried 4,812 passengers."])
    make_pdf(docs / "locked.pdf", ["Confidential"], password="secret")
    scanned_pdf(docs / "scanned.pdf")
    (docs / "bytes\udcff-name.txt").write_text("A file name that is not UTF-8.\n")
    os.mkfifo(docs / "pipe.txt")
    (docs / "loop.txt").symlink_to("loop.txt")
    (docs / "broken.md").symlink_to("nowhere.md")
    (docs / "sub" / "up").symlink_to("..", target_is_directory=True)
    (docs / "passwd.txt").symlink_to("/etc/passwd")
    (docs / "secret.txt").symlink_to(outside / "secret.txt")
    (docs / "outside-folder").symlink_to(outside, target_is_directory=True)
    _deep_folder(docs / "deep", 1100)
    (docs / "locked-folder").chmod(0)
    (docs / "unreadable.txt").chmod(0)
    index = root / "index"
    run = cli("index", str(docs), "--index", str(index), "--quiet", "--json", drop_caps=True)
    (docs / "locked-folder").chmod(0o755)
    report = json.loads(run.stdout) if run.stdout.strip() else {}
    problems = {p["doc"]: p["reason"] for p in report.get("problems", [])}
    indexed = set(report.get("added", []))
    expected_bad = {"empty.txt", "blank.md", "binary.txt", "truncated.pdf", "random.pdf", "fake.pdf", "word.docx",
                    "image.png", "controls.txt", "newline\nforged.xyz", "locked-folder", "unreadable.txt",
                    "locked.pdf", "scanned.pdf", "pipe.txt", "loop.txt", "broken.md", "sub/up", "passwd.txt",
                    "secret.txt", "outside-folder", "bytes\\xff-name.txt"}
    for name in sorted(expected_bad):
        record("bad files", f"reported: {name!r}", name in problems, run.stderr,
               note=problems.get(name, "not reported"))
    record("bad files", "folder 1,100 levels deep reported", any(p.startswith("deep/") for p in problems), run.stderr)
    for name in sorted({*TINY_FILES, *GOOD_EXTRA}):
        record("bad files", f"indexed: {name!r}", name in indexed, run.stderr, lost=name not in indexed)
    record("bad files", "index exits 2 naming each problem once", run.returncode == 2 and
           run.stderr.count("skipped ") == len(problems), run.stderr)
    asked = cli("ask", "What colour was the Quillon harbour ferry painted?", "--index", str(index))
    record("bad files", "fact in a 100,000-character line quoted alone", FACT in asked.stdout,
           asked.stdout + asked.stderr)
    remove_deep_tree(docs / "deep")
    return index


# --- command-line misuse -----------------------------------------------------------------------------------

def misuse(index: Path, root: Path) -> None:
    gold = root / "gold"
    gold.mkdir()
    good = json.dumps({"id": "a", "question": HARBOUR_Q, "answers": ["Agnes Pollard"], "doc": None})
    files = {"dup.jsonl": f"{good}\n{good}\n", "empty.jsonl": "\n", "bad.jsonl": "{not json\n",
             "latin1.jsonl": good.replace("harbour", "h\xe2rbour").encode("latin-1"), "list.jsonl": "[1, 2]\n",
             "noq.jsonl": '{"id": "x", "answers": []}\n', "good.jsonl": good + "\n"}
    for name, data in files.items():
        (gold / name).write_bytes(data if isinstance(data, bytes) else data.encode())
    i = ("--index", str(index))
    usage: list[tuple[str, tuple[str, ...], str | None, tuple[int, ...]]] = [
        ("no arguments", (), None, (2,)), ("unknown command", ("frobnicate",), None, (2,)),
        ("--k 0", ("ask", "q", "--k", "0", *i), None, (2,)), ("--k abc", ("ask", "q", "--k", "abc", *i), None, (2,)),
        ("--k 10**9", ("ask", "q", "--k", "1000000000", *i), None, (2,)),
        ("--max-file-mb -1", ("index", str(root), "--index", str(root / "x"), "--max-file-mb", "-1"), None, (2,)),
        ("--max-file-mb nan", ("index", str(root), "--index", str(root / "x"), "--max-file-mb", "nan"), None, (2,)),
        ("--max-file-mb inf", ("index", str(root), "--index", str(root / "x"), "--max-file-mb", "inf"), None, (2,)),
        ("--max-file-mb abc", ("index", str(root), "--index", str(root / "x"), "--max-file-mb", "abc"), None, (2,)),
        ("index a missing folder", ("index", str(root / "nope"), "--index", str(root / "x")), None, (2,)),
        ("index a file", ("index", str(gold / "good.jsonl"), "--index", str(root / "x")), None, (2,)),
        ("--index is a file", ("ask", "q", "--index", str(gold / "good.jsonl")), None, (2,)),
        ("ask with no index", ("ask", "q", "--index", str(root / "none")), None, (2,)),
        ("ask ''", ("ask", "", *i), None, (2,)), ("ask 100 kB", ("ask", "x " * 50_000, *i), None, (2,)),
        ("ask emoji only", ("ask", "🙂🙂🙂", *i), None, (2,)),
        ("cite emoji only", ("cite", "🙂 🙂 🙂 🙂", *i), None, (2,)),
        ("ask --doc nope.pdf", ("ask", HARBOUR_Q, "--doc", "nope.pdf", *i), None, (2,)),
        ("ask - with empty stdin", ("ask", "-", *i), "", (0,)),
        ("ask - with a bad line", ("ask", "-", *i), "\x00\x01\n" + HARBOUR_Q + "\n", (2,)),
        ("ask with escapes in the question", ("ask", "Who \x1b[2J keeps the logbook?", *i), None, (0,)),
        ("cite ''", ("cite", "", *i), None, (2,)),
        ("eval a folder", ("eval", str(gold), *i), None, (2,)),
        ("eval a missing file", ("eval", str(gold / "nope.jsonl"), *i), None, (2,)),
        ("eval --out a folder", ("eval", str(gold / "good.jsonl"), "--out", str(gold), *i, "--quiet"), None, (2,)),
        ("eval --out in a new folder", ("eval", str(gold / "good.jsonl"), "--out", str(root / "new" / "r.json"), *i,
                                        "--quiet"), None, (0,)),
        *[(f"eval {n}", ("eval", str(gold / n), *i, "--quiet"), None, (0,) if n == "good.jsonl" else (2,))
          for n in files],
    ]
    for name, args, stdin, codes in usage:
        run = cli(*args, stdin=stdin)
        single = run.returncode == 0 or one_line_error(run) or (name == "ask - with a bad line" and
                                                                 run.returncode == 2)
        record("CLI misuse", name, run.returncode in codes and single, run.stdout + run.stderr,
               note=f"exit {run.returncode}: {run.stderr.strip()[-200:]}")
    env_cases = {"ASSISTANT_LOAD_WORKERS=abc": {"ASSISTANT_LOAD_WORKERS": "abc"},
                 "ASSISTANT_BACKEND=bogus": {"ASSISTANT_BACKEND": "bogus"},
                 "ASSISTANT_MODEL=/nonexistent": {"ASSISTANT_MODEL": "/nonexistent"}}
    for name, env in env_cases.items():
        run = cli("index", str(root / "gold"), "--index", str(root / f"env-{len(name)}"), "--quiet", env=env)
        record("CLI misuse", name, run.returncode in (0, 2) and (run.returncode == 0 or one_line_error(run) or
                                                               "skipped" in run.stderr), run.stdout + run.stderr)


# --- tampered index ----------------------------------------------------------------------------------------

def tampering(index: Path, root: Path) -> None:
    from assistant.index.store import current_folder

    build = current_folder(index)
    assert build is not None
    targets = sorted(p for p in build.rglob("*") if p.is_file())
    actions: list[tuple[str, Callable[[Path], None]]] = [
        ("flip a byte", lambda p: p.write_bytes(bytes([p.read_bytes()[0] ^ 1]) + p.read_bytes()[1:])),
        ("truncate", lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2])),
        ("delete", lambda p: p.unlink()),
    ]
    for target in targets:
        for label, act in actions[: 3 if target.name in ("manifest.json", "docs.json", "units.npz") else 1]:
            copy = root / "tamper"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(index, copy, symlinks=True)
            act(copy / build.name / target.relative_to(build))
            run = cli("ask", HARBOUR_Q, "--index", str(copy))
            refused = one_line_error(run) and "rebuild" in run.stderr
            record("tampered index", f"{label} {target.relative_to(build)}", refused, run.stdout + run.stderr)
    for label, pointer in (("pointer to a missing build", "build-missing"), ("pointer escaping", "../../etc"),
                           ("empty pointer", "")):
        copy = root / "tamper"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(index, copy, symlinks=True)
        (copy / "CURRENT").write_text(pointer)
        run = cli("ask", HARBOUR_Q, "--index", str(copy))
        record("tampered index", label, one_line_error(run), run.stdout + run.stderr)


# --- kills ---------------------------------------------------------------------------------------------------

def kills(root: Path, trials: int = 6) -> None:
    docs = write_corpus(root / "kdocs", TINY_FILES)
    index = root / "kindex"
    cli("index", str(docs), "--index", str(index), "--quiet")
    for n, pdf in enumerate(sorted((REPO_ROOT / "documents" / "ofsted").glob("*.pdf"))[:4]):
        shutil.copy(pdf, docs / f"r{n}.pdf")
    rng = random.Random(12)
    for _ in range(trials):
        delay = rng.uniform(0.5, 12.0)
        process = subprocess.Popen([sys.executable, "-m", "assistant", "index", str(docs), "--index", str(index),
                                    "--quiet"], cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   env={**os.environ, "ASSISTANT_LOAD_WORKERS": "2"})
        seen: set[int] = set()
        end = time.monotonic() + delay
        while time.monotonic() < end and process.poll() is None:
            seen |= set(_children(process.pid))
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
        limit = time.monotonic() + 30
        while time.monotonic() < limit and any(_alive(p) for p in seen):
            time.sleep(0.2)
        orphans = [p for p in seen if _alive(p)]
        ok = answers(index) and not orphans
        record("kills", f"SIGKILL after {delay:.1f} s", ok, lost=not answers(index),
               note=f"orphans {orphans}" if orphans else "")
        for p in orphans:
            os.kill(p, signal.SIGKILL)
    run = cli("index", str(docs), "--index", str(index), "--quiet")
    record("kills", "the next build completes", run.returncode == 0, run.stdout + run.stderr)


# --- full disk, no network, concurrency ------------------------------------------------------------------------

def full_disk(index: Path, root: Path) -> None:
    script = r'''mount -t tmpfs -o size=$SIZE tmpfs "$MNT" || exit 97
    [ -n "$SRC" ] && cp -a "$SRC" "$MNT/index"
    "$PY" -c "import os; s=os.statvfs('$MNT'); open('$MNT/filler','wb').write(b'0'*max(s.f_bavail*s.f_frsize-$FREE,0))"
    cd "$REPO"; "$PY" -m assistant index "$DOCS" --index "$MNT/index" --quiet; echo "rc=$?"; ls -a "$MNT/index"'''
    docs = write_corpus(root / "fdocs", {**TINY_FILES, "extra.txt": "Dinghies and their rigging.\n"})
    prefix = ["unshare", "--mount", "--propagation", "private"] if os.geteuid() == 0 else \
        ["unshare", "--user", "--map-root-user", "--mount"]
    for label, src, size, free in (("20 MB tmpfs, new index", "", "20m", 0),
                                   ("full during the write", str(index), f"{60 * 2**20}", 48 * 1024)):
        mnt = root / f"mnt{len(label)}"
        mnt.mkdir()
        env = {**os.environ, "SIZE": size, "MNT": str(mnt), "SRC": src, "PY": sys.executable, "REPO": str(REPO_ROOT),
               "DOCS": str(docs), "FREE": str(free)}
        run = subprocess.run([*prefix, "sh", "-c", script], env=env, capture_output=True, text=True, timeout=900)
        if run.returncode == 97:
            record("full disk", label, False, note="cannot mount a tmpfs here")
            continue
        lines = [ln for ln in run.stderr.splitlines() if ln.startswith("assistant: error:")]
        builds = [w for w in run.stdout.split() if w.startswith("build-")]
        ok = "rc=2" in run.stdout and len(lines) == 1 and "No space left on device" in lines[0] and \
            len(builds) == (1 if src else 0)
        record("full disk", label, ok, run.stdout + run.stderr)


def no_network(index: Path) -> None:
    prefix = ("unshare", "--net") if os.geteuid() == 0 else ("unshare", "--user", "--map-root-user", "--net")
    for name, args in (("ask", ("ask", HARBOUR_Q)), ("cite", ("cite", "keeps a logbook of every vessel")),
                       ("eval", ("eval", str(REPO_ROOT / "eval" / "bundled_gold_test.jsonl"), "--quiet"))):
        run = cli(*args, "--index", str(index), prefix=prefix)
        record("no network", name, run.returncode == 0, run.stdout + run.stderr)


def concurrency(root: Path, seconds: float = 20) -> None:
    docs = write_corpus(root / "cdocs", TINY_FILES)
    index = root / "cindex"
    cli("index", str(docs), "--index", str(index), "--quiet")
    from assistant.api import Assistant

    errors: list[str] = []
    stop = time.monotonic() + seconds
    readers = [Assistant(index) for _ in range(3)]

    def read(a: Assistant) -> None:
        while time.monotonic() < stop:
            try:
                if "Agnes Pollard" not in a.ask(HARBOUR_Q).quotes[0].text:
                    errors.append("wrong answer")
            except Exception as exc:  # noqa: BLE001  (any error is a finding)
                errors.append(repr(exc))

    threads = [threading.Thread(target=read, args=(a,)) for a in readers]
    for t in threads:
        t.start()
    builds = []
    for n in range(2):
        (docs / f"new{n}.txt").write_text(f"The new notice number {n} concerns the ferry timetable.\n")
        builds += [subprocess.Popen([sys.executable, "-m", "assistant", "index", str(docs), "--index", str(index),
                                     "--quiet"], cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                   for _ in range(2)]
    codes = [b.wait() for b in builds]
    for t in threads:
        t.join()
    record("concurrency", "4 builds and 3 readers at once", not errors and set(codes) == {0},
           note=f"{errors[:3]} exits {codes}")
    record("concurrency", "the index holds every document afterwards", answers(index) and
           len(json.loads(cli("index", str(docs), "--index", str(index), "--quiet", "--json").stdout)["unchanged"])
           == len(TINY_FILES) + 2)


# --- the app ------------------------------------------------------------------------------------------------------

HOSTILE_NAME = ":red[RED] **bold** $$x^2$$ ![t](http://127.0.0.1:9/t.png) <b>x</b>"


def app_pages(root: Path) -> None:
    from streamlit.testing.v1 import AppTest

    docs = write_corpus(root / "adocs", {**TINY_FILES, f"{HOSTILE_NAME}.txt":
                                         "Notice [click](http://evil.example) <script>alert(1)</script> **b**\n"
                                         "The Zanzibar ferry captain is Ignatius Fairweather.\n"})
    os.environ.update(ASSISTANT_DOCS_DIR=str(docs), ASSISTANT_INDEX_DIR=str(root / "aindex"))
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=300).run()

    def markdown_text() -> str:
        parts = [e.value for kind in ("markdown", "caption", "subheader", "title", "error", "warning", "info",
                                      "success") for e in at.get(kind)]
        return "\n".join(str(p) for p in parts) + "\n".join(b.label for b in at.button)

    def check(name: str) -> None:
        leaked = [m for m in (":red[", "**bold**", "$$x^2$$", "](http", "<script") if m in markdown_text()]
        record("app pages", name, not at.exception and not leaked, note=f"{at.exception or ''} {leaked}")

    at.chat_input[0].set_value("Who is the captain of the Zanzibar ferry?").run()
    check("Ask: quote from a hostile file name and text")
    at.chat_input[0].set_value("🙂🙂🙂").run()
    check("Ask: symbol-only question")
    at.switch_page("app_pages/citation.py").run()
    at.text_area[0].set_value("The Zanzibar ferry captain is Ignatius Fairweather. [x](http://e.example)")
    at.button[0].click().run()
    check("Citation lookup: hostile file in the matches")
    at.switch_page("app_pages/evaluation.py").run()
    at.radio[0].set_value("Upload my own").run()
    gold = json.dumps({"id": "**q**", "question": "Who is the Zanzibar ferry captain?", "answers": ["Ignatius"],
                       "doc": None})
    for label, data in (("valid", gold + "\n"), ("invalid JSON", "{oops\n"), ("empty", "\n"),
                        ("duplicate ids", f"{gold}\n{gold}\n")):
        at.file_uploader[0].set_value([(f"{HOSTILE_NAME}.jsonl", data.encode(), "application/json")]).run()
        if label == "valid" and at.button:
            at.button[0].click().run()
        check(f"Evaluation: {label} gold file with a hostile name")
    at.switch_page("app_pages/documents.py").run()
    check("Documents: hostile file in the table and notices")
    at.file_uploader[0].set_value([(f"../../{HOSTILE_NAME}.md", b"# Title\n\nThe tide tables changed.\n",
                                    "text/markdown"), ("x" * 300 + ".txt", b"A long name.\n", "text/plain"),
                                   ("evil\x1b[2J.html", b"<p>Escapes in a name.</p>", "text/html")])
    at.button(key="FormSubmitter:upload-Add to the library").click().run()
    saved = sorted(p.name for p in (docs / "uploads").iterdir()) if (docs / "uploads").exists() else []
    check("Documents: uploads with hostile names")
    record("app pages", "uploads saved inside uploads/ only", len(saved) == 3 and
           all((docs / "uploads" / s).resolve().parent == (docs / "uploads").resolve() for s in saved), note=str(saved))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="write every case as JSON here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hostile-sweep-") as tmp:
        root = Path(tmp)
        index = bad_files(root / "bad")
        steps = [("CLI misuse", lambda: misuse(index, root / "misuse")), ("tampering", lambda: tampering(index, root)),
                 ("kills", lambda: kills(root)), ("full disk", lambda: full_disk(index, root)),
                 ("no network", lambda: no_network(index)), ("concurrency", lambda: concurrency(root)),
                 ("app", lambda: app_pages(root))]
        (root / "misuse").mkdir()
        for name, step in steps:
            try:
                step()
            except Exception as exc:  # noqa: BLE001  (a crash of the sweep itself is a finding too)
                record(name, "sweep step crashed", False, note=repr(exc))
    areas = sorted({c.area for c in CASES}, key=[c.area for c in CASES].index)
    print("\n| area | cases | defects | tracebacks | documents or indexes lost |\n|---|---|---|---|---|")
    for area in [*areas, "all"]:
        cs = [c for c in CASES if area in ("all", c.area)]
        print(f"| {area} | {len(cs)} | {sum(not c.ok for c in cs)} | {sum(c.traceback for c in cs)} | "
              f"{sum(c.lost for c in cs)} |")
    if args.out:
        args.out.write_text(json.dumps([asdict(c) for c in CASES], indent=1, ensure_ascii=False))
    return 0 if all(c.ok for c in CASES) else 1


if __name__ == "__main__":
    raise SystemExit(main())
