"""The app in a real browser: `streamlit run app.py` on a free port, driven by headless Chromium (Playwright).

Uses Debian's /usr/bin/chromium (`make browser` installs it; Playwright's own browser downloads are never
used). Skips, with the reason, only when Chromium or Playwright is missing or Chromium cannot start. Screenshots
of the answer, an abstention and the Documents page go to ASSISTANT_SCREENSHOT_DIR (default: screenshots/,
git-ignored; `make screenshots` writes the committed ones in docs/app-screenshots/).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import DOCUMENTS, REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "bench"))
import load_app  # noqa: E402  (bench/load_app.py: the same server start as the load benchmark)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOT_ENV = "ASSISTANT_SCREENSHOT_DIR"
ANSWER_TIMEOUT_MS = 180_000  # the first page view loads the model and checks the index


@pytest.fixture(scope="module")
def app_url(bundled_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run app.py` on a free localhost port over the session's bundled index (bench/load_app.py's
    server helpers, so the test and the load benchmark start the app the same way)."""
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    try:
        server, url = load_app.start_server(bundled_index, log)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield url
    finally:
        load_app.stop_server(server)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (run `make browser`, or apt-get install chromium)")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as exc:
        pytest.skip(f"the playwright Python package is not installed ({exc}); run `make install`")
    with sync_playwright() as p:
        try:
            chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        except Error as exc:
            pytest.skip(f"Chromium at {CHROMIUM} cannot start here: {str(exc).splitlines()[0]}")
        yield chromium
        chromium.close()


def screenshot_dir() -> Path:
    folder = Path(os.environ.get(SCREENSHOT_ENV) or REPO_ROOT / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def settle(page) -> None:  # noqa: ANN001
    """Wait until every quote on the page has its download button (keyed dl-...; the answer's own export buttons
    are not counted), i.e. the script run has been drawn."""
    page.wait_for_function(
        "() => document.querySelectorAll('blockquote.ba-quote').length > 0 && "
        "document.querySelectorAll('blockquote.ba-quote').length === "
        "document.querySelectorAll('[class*=st-key-dl-] [data-testid=stDownloadButton]').length && "
        "!document.querySelector('[data-stale=true]')", timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_timeout(500)


def test_ask_in_the_browser_shows_the_quote_and_its_source(browser, app_url: str) -> None:  # noqa: ANN001
    page = browser.new_page(viewport={"width": 1400, "height": 1150})
    shots = screenshot_dir()
    try:
        page.goto(app_url)
        box = page.get_by_placeholder("Ask a question")
        box.wait_for(timeout=ANSWER_TIMEOUT_MS)
        box.fill("Who was the lead inspector for Wakefield in 2018?")
        box.press("Enter")
        first = page.locator("blockquote.ba-quote").first
        first.wait_for(timeout=ANSWER_TIMEOUT_MS)
        assert first.locator("mark").inner_text() == "Neil Penswick"
        assert "Lead inspector" in first.inner_text()
        source = page.locator(".ba-source").first.inner_text()
        assert "Wakefield District Metropolitan Council Inspection of children’s social care services" in source
        assert "ofsted/ofsted-wakefield-17-july-2018.pdf · page 1" in source
        page.get_by_text("Show in context").first.click()
        context = page.locator(".ba-context").first
        context.wait_for()
        assert "Inspection dates" in context.inner_text()
        settle(page)
        page.screenshot(path=str(shots / "chat-answer.png"))

        box.fill("What is the capital of France?")
        box.press("Enter")
        page.get_by_text("The documents do not answer this question.").wait_for(timeout=ANSWER_TIMEOUT_MS)
        page.get_by_text("Closest passages — not an answer").wait_for()
        settle(page)
        page.locator("blockquote.ba-closest").first.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "chat-abstention.png"))

        page.set_viewport_size({"width": 1400, "height": 1500})  # the whole Documents page in one picture
        page.get_by_role("link", name="Documents").click()
        page.get_by_text("Add documents").wait_for(timeout=ANSWER_TIMEOUT_MS)
        # the table is drawn on a canvas; its cells exist in the DOM for accessibility only
        page.get_by_text("ofsted/ofsted-bradford-31-january-2023.pdf").first.wait_for(state="attached")
        page.wait_for_timeout(1000)
        page.screenshot(path=str(shots / "documents.png"), full_page=True)
    finally:
        page.close()
    print(f"screenshots in {shots}")


# Enough of the bundled reports that their first build outlasts the tab that starts it (about a minute here).
SLOW_BUILD_FILES = ("ofsted-kirklees-25-november-2016.pdf", "ofsted-wakefield-20-september-2016.pdf",
                    "ofsted-leeds-27-march-2015.pdf", "ofsted-calderdale-20-march-2015.pdf")


def test_the_first_build_goes_on_when_the_tab_that_started_it_is_closed(browser, tmp_path: Path) -> None:  # noqa: ANN001
    """Streamlit stops a session's script when its tab closes; the first build must not stop with it, or a user
    who reloads while waiting starts the two minutes of indexing again. The build finishes with no tab open, and
    the next tab opens on the finished index."""
    docs = tmp_path / "docs" / "ofsted"
    docs.mkdir(parents=True)
    for name in SLOW_BUILD_FILES:
        shutil.copy(DOCUMENTS / "ofsted" / name, docs / name)
    index = tmp_path / "index"
    server, url = load_app.start_server(index, tmp_path / "server.log", docs.parent)
    try:
        page = browser.new_page()
        page.goto(url)
        page.get_by_text("sentences and passages embedded").wait_for(timeout=ANSWER_TIMEOUT_MS)
        assert not (index / "CURRENT").exists()
        page.close()  # no session is left
        deadline = time.monotonic() + 300
        while not (index / "CURRENT").exists() and time.monotonic() < deadline:
            time.sleep(1)
        assert (index / "CURRENT").exists(), "the build stopped when its tab closed"
        page = browser.new_page()
        page.goto(url)
        page.get_by_placeholder("Ask a question").wait_for(timeout=ANSWER_TIMEOUT_MS)
        page.get_by_text("4 documents · index built").wait_for(timeout=ANSWER_TIMEOUT_MS)
        page.close()
    finally:
        load_app.stop_server(server)
