"""Issue 12, the defects seen in the browser: hostile gold-file names on the Evaluation page, an empty gold file,
an upload the browser refuses for its size, and a very long file name in a notice.

`streamlit run app.py` over a tiny corpus in a temporary documents folder (uploads land there, never in
documents/), driven by Debian's headless Chromium as tests/test_browser.py does. The server's upload limit is set
to 1 MB so that an oversized upload is a 2 MB file rather than a 52 MB one.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO_ROOT, TINY_FILES, write_corpus
from test_browser import ANSWER_TIMEOUT_MS, browser  # noqa: F401  (the shared Chromium fixture)

from assistant.api import Assistant

HOSTILE_GOLD_NAME = ":red[RED] **bold** ![t](http://127.0.0.1:9/track.png) $$x^2$$.jsonl"
TRACKER = "127.0.0.1:9"
UPLOAD_LIMIT_MB = 1
LONG_NAME = "a" * 292 + ".txt"  # 296 characters, no space to break at
START_TIMEOUT_S = 300


@dataclass(frozen=True)
class Server:
    url: str
    docs: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app over a tiny corpus whose index is built before the server starts."""
    root = tmp_path_factory.mktemp("hostile-app")
    docs = write_corpus(root / "docs", TINY_FILES)
    Assistant(root / "index").build(docs)
    port = _free_port()
    env = {**os.environ, "ASSISTANT_DOCS_DIR": str(docs), "ASSISTANT_INDEX_DIR": str(root / "index")}
    log = (root / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.maxUploadSize", str(UPLOAD_LIMIT_MB)],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S  # a bound against hanging, not a timing
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start:\n{(root / 'server.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield Server(url, docs)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def open_page(browser, server: Server, title: str, ready: str):  # noqa: ANN001, F811
    """A new tab on the named page of the app, once the text ``ready`` is drawn; requests to the tracker noted."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.tracked = []
    page.on("request", lambda request: page.tracked.append(request.url) if TRACKER in request.url else None)
    page.goto(server.url)
    page.get_by_role("link", name=title).click(timeout=ANSWER_TIMEOUT_MS)
    page.get_by_text(ready).first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    return page


def wait_uploaded(page, name: str) -> None:  # noqa: ANN001
    """Wait until the uploader has sent `name` to the server: its chip's button reads "Remove <name>" (it reads
    "Cancel upload of <name>" while the file is on its way). Submitting the form before then submits no file."""
    page.locator("[data-testid=stFileChipDeleteBtn] button").and_(
        page.get_by_role("button", name=f"Remove {name}", exact=True)).wait_for(timeout=ANSWER_TIMEOUT_MS)


def upload_gold(page, name: str, data: bytes) -> None:  # noqa: ANN001
    page.get_by_text("Upload my own").click()
    page.locator("input[type=file]").set_input_files(files=[{"name": name, "mimeType": "application/json",
                                                             "buffer": data}])


def test_hostile_gold_file_name_is_shown_as_text_and_fetches_nothing(browser, server: Server) -> None:  # noqa: ANN001, F811
    page = open_page(browser, server, "Evaluation", "Gold set")
    try:
        upload_gold(page, HOSTILE_GOLD_NAME, b'{"id": "q1", "question": not json}\n')
        error = page.locator(".ba-notice.ba-error")
        error.wait_for(timeout=ANSWER_TIMEOUT_MS)
        assert error.inner_text().startswith(f"✕{HOSTILE_GOLD_NAME}: line:1: not valid JSON")

        gold = json.dumps({"id": "q1", "question": "Who keeps a logbook of every vessel in the harbour?",
                           "answers": ["Agnes Pollard"], "doc": "harbour.txt"}) + "\n"
        page.locator("input[type=file]").set_input_files(files=[  # replaces the bad file
            {"name": HOSTILE_GOLD_NAME, "mimeType": "application/json", "buffer": gold.encode()}])
        caption = page.locator(".ba-caption", has_text="Gold set:")
        caption.wait_for(timeout=ANSWER_TIMEOUT_MS)
        assert caption.inner_text() == f"Gold set: {HOSTILE_GOLD_NAME} (1 questions)"
        page.get_by_role("button", name="Run 1 questions").click()
        results = page.locator(".ba-caption", has_text="Strictness:")
        results.wait_for(timeout=ANSWER_TIMEOUT_MS)
        assert results.inner_text().startswith(f"Gold set: {HOSTILE_GOLD_NAME}. Strictness:")
        assert page.locator(".katex").count() == 0  # no maths drawn from $$x^2$$
        assert page.locator("img[src*='127.0.0.1:9']").count() == 0
        assert page.tracked == []  # the "tracking pixel" was never fetched
    finally:
        page.close()


def test_empty_gold_file_cannot_be_run(browser, server: Server) -> None:  # noqa: ANN001, F811
    page = open_page(browser, server, "Evaluation", "Gold set")
    try:
        upload_gold(page, "empty.jsonl", b"\n\n")
        error = page.locator(".ba-notice.ba-error")
        error.wait_for(timeout=ANSWER_TIMEOUT_MS)
        assert error.inner_text() == "✕empty.jsonl has no questions: nothing to run"
        assert page.get_by_role("button", name="Run 0 questions").count() == 0
    finally:
        page.close()


def test_upload_refused_by_the_browser_is_explained_and_a_long_name_wraps(browser, server: Server) -> None:  # noqa: ANN001, F811
    page = open_page(browser, server, "Documents", "Add documents")
    try:
        uploader = page.locator("input[type=file]")
        big = b"The pier is long.\n" * (2 * 2**20 // 18)  # 2 MB, over the 1 MB limit
        uploader.set_input_files(files=[{"name": "big.txt", "mimeType": "text/plain", "buffer": big}])
        page.get_by_text(f"File must be {UPLOAD_LIMIT_MB:.1f}MB or smaller").wait_for(timeout=ANSWER_TIMEOUT_MS)
        page.get_by_role("button", name="Add to the library").click()
        warning = page.locator(".ba-notice.ba-warning")
        warning.wait_for(timeout=ANSWER_TIMEOUT_MS)
        assert warning.inner_text().startswith("⚠Nothing was added: no file was uploaded.")
        assert f"over {UPLOAD_LIMIT_MB} MB is refused by the browser" in warning.inner_text()
        assert not (server.docs / "uploads").exists()

        uploader.set_input_files(files=[{"name": LONG_NAME, "mimeType": "text/plain",
                                         "buffer": b"The lifeboat station opened in 1902 beside the harbour.\n"}])
        wait_uploaded(page, LONG_NAME)
        page.get_by_role("button", name="Add to the library").click()
        notice = page.locator(".ba-notice.ba-success", has_text=LONG_NAME[:40])
        notice.wait_for(timeout=ANSWER_TIMEOUT_MS)
        page.get_by_text("Index updated").wait_for(timeout=ANSWER_TIMEOUT_MS)  # the run after the upload is drawn
        text, fits = notice.evaluate("el => [el.innerText, el.scrollWidth <= el.clientWidth + 1 && "
                                     "el.getBoundingClientRect().right <= document.documentElement.clientWidth]")
        assert fits, "the file name runs out of its notice box"
        assert LONG_NAME in text.replace("\n", "")
    finally:
        page.close()
