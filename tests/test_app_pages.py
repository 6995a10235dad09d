"""The Citation lookup and Evaluation pages as a user meets them (AppTest, real model, real bundled index)."""

from __future__ import annotations

from pathlib import Path

from conftest import Launch, write_corpus
from streamlit.testing.v1 import AppTest
from test_app import HOSTILE, html_bodies, visible_text

CITATION, EVALUATION = "app_pages/citation.py", "app_pages/evaluation.py"


def open_page(at: AppTest, page: str) -> AppTest:
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def look_up(at: AppTest, quote: str) -> AppTest:
    at.text_area[0].set_value(quote)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def test_citation_page_finds_an_exact_quote_with_its_primary_source_first(bundled_app: AppTest) -> None:
    at = look_up(open_page(bundled_app, CITATION),
                 "children are unable to develop meaningful relationships with their social workers")
    assert at.success and at.success[0].value.startswith("Exact")
    blocks = [visible_text(b) for b in html_bodies(at) if b.startswith('<blockquote class="ba-quote')]
    assert len(blocks) >= 2
    assert "ofsted-bradford-31-january-2023.pdf · page 3" in blocks[0]
    assert "seeds/001_6ebd5e04eb28c367.txt" in blocks[1] and "quotes another source" in blocks[1]


def test_citation_page_shows_a_word_diff_for_a_near_quote(bundled_app: AppTest) -> None:
    at = look_up(open_page(bundled_app, CITATION), "Children are not able to form meaningful relationships with "
                 "social workers because of the constant turnover of staff.")
    assert at.warning and at.warning[0].value.startswith("Near")
    diffs = [b for b in html_bodies(at) if 'class="ba-diff"' in b]
    assert diffs and "<del" in diffs[0] and ">churn</del>" in diffs[0] and ">turnover</ins>" in diffs[0]


def test_citation_page_says_not_found_and_labels_closest_passages(bundled_app: AppTest) -> None:
    at = look_up(open_page(bundled_app, CITATION), "The council opened three new children's homes in Keighley "
                 "last spring.")
    assert at.error and at.error[0].value.startswith("Not found")
    assert any("Closest passages — not the quote" in m.value for m in at.markdown)
    assert any('class="ba-quote ba-closest"' in b for b in html_bodies(at))


def test_citation_page_renders_hostile_text_inert(launch: Launch, tmp_path: Path) -> None:
    docs = write_corpus(tmp_path / "docs", {"ferry-notice.txt": HOSTILE})
    at = look_up(open_page(launch(docs, tmp_path / "index"), CITATION),
                 "The ferry captain is called Ignatius Fairweather, see [his page](http://evil.example/captain)")
    assert at.success
    for body in html_bodies(at):
        assert "<script" not in body and "<a " not in body and "](http" not in body
    blocks = [visible_text(b) for b in html_bodies(at) if b.startswith('<blockquote class="ba-quote')]
    assert blocks[0].startswith("The ferry captain is called Ignatius Fairweather, see [his page](http://evil")


def test_evaluation_page_runs_the_bundled_test_half(bundled_app: AppTest) -> None:
    at = open_page(bundled_app, EVALUATION)
    assert at.selectbox[0].value == "bundled_gold_test.jsonl"
    at.button[0].click().run()
    assert not at.exception, at.exception
    labels = {m.label: m.value for m in at.metric}
    assert {"Answer right at rank 1", "Unanswerable refused", "Answerable refused"} <= set(labels)
    assert 0.5 <= float(labels["Answer right at rank 1"]) <= 1.0
    table = at.dataframe[0].value
    assert len(table) == 53
    results = list(table["Result"])
    assert results == sorted(results, key=lambda r: r != "FAIL")  # failures first
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")  # the precision/coverage plot
