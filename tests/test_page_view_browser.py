""""Show on page" in a real browser: from an answer (Ask) and from a citation match (Citation lookup), the PDF page
opens with the quote's rectangles drawn, the first highlight scrolled into view.

The same server, Chromium and screenshot folder as tests/test_browser.py (whose fixtures this module uses);
screenshots ``chat-show-on-page.png`` and ``citation-show-on-page.png`` go to ASSISTANT_SCREENSHOT_DIR (`make
screenshots` writes the committed ones in docs/app-screenshots/).
"""

from __future__ import annotations

from test_browser import ANSWER_TIMEOUT_MS, app_url, browser, screenshot_dir, settle  # noqa: F401  (fixtures)

QUESTION = "Who was the lead inspector for Wakefield in 2018?"
QUOTE = "children are unable to develop meaningful relationships with their social workers"


def _open_page_view(page, kind: str) -> object:  # noqa: ANN001
    """Click the first "Show on page" and return the dialog's frame once its first ``kind`` mark is revealed:
    drawn inside the scrolled view, on screen."""
    page.get_by_role("button", name="Show on page").first.click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for(timeout=ANSWER_TIMEOUT_MS)
    frame = dialog.frame_locator("iframe").first
    mark = frame.locator(f".ba-mark-{kind}").first
    mark.wait_for(state="attached", timeout=ANSWER_TIMEOUT_MS)
    frame.locator(f".ba-mark-{kind}[data-revealed=true]").first.wait_for(state="attached", timeout=30_000)
    page.wait_for_timeout(800)  # the image decodes and the dialog finishes its opening animation
    seen = mark.evaluate("""m => { const v = document.getElementById("view").getBoundingClientRect();
        const r = m.getBoundingClientRect(); const img = m.parentElement.querySelector("img");
        return {inside: r.top >= v.top && r.bottom <= v.bottom && r.left >= v.left && r.right <= v.right,
                size: r.width > 0 && r.height > 0, image: img.complete && img.naturalWidth > 0,
                rect: [r.left, r.top, r.right, r.bottom], view: [v.left, v.top, v.right, v.bottom]}; }""")
    assert seen["inside"] and seen["size"] and seen["image"], seen
    return frame


def test_show_on_page_from_an_answer_highlights_the_answer(browser, app_url: str) -> None:  # noqa: ANN001, F811
    page = browser.new_page(viewport={"width": 1400, "height": 1150})
    try:
        page.goto(app_url)
        box = page.get_by_placeholder("Ask a question")
        box.wait_for(timeout=ANSWER_TIMEOUT_MS)
        box.fill(QUESTION)
        box.press("Enter")
        page.locator("blockquote.ba-quote").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
        settle(page)
        frame = _open_page_view(page, "answer")
        assert frame.locator(".ba-page").first.get_attribute("data-page") == "1"
        assert frame.locator(".ba-mark-quote").count() >= 1
        page.screenshot(path=str(screenshot_dir() / "chat-show-on-page.png"))
    finally:
        page.close()


def test_show_on_page_from_a_citation_match_highlights_the_quote(browser, app_url: str) -> None:  # noqa: ANN001, F811
    page = browser.new_page(viewport={"width": 1400, "height": 1150})
    try:
        page.goto(app_url)
        page.get_by_role("link", name="Citation lookup").click()
        area = page.locator("textarea[aria-label=Quote]")
        area.wait_for(timeout=ANSWER_TIMEOUT_MS)
        area.fill(QUOTE)
        page.get_by_role("button", name="Look up").click()
        page.get_by_text("Exact: the documents say this word for word.").wait_for(timeout=ANSWER_TIMEOUT_MS)
        page.get_by_role("button", name="Show on page").first.wait_for()
        page.wait_for_function("() => !document.querySelector('[data-stale=true]')")
        frame = _open_page_view(page, "quote")
        assert frame.locator(".ba-page").first.get_attribute("data-page") == "3"
        assert frame.locator(".ba-mark-quote").count() == 2  # the quote runs over two lines of the page
        page.screenshot(path=str(screenshot_dir() / "citation-show-on-page.png"))
    finally:
        page.close()
