"""Citation lookup on the real bundled corpus: exact, near and not_found verdicts, page breaks, folding, sources."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.api import Assistant
from assistant.cite.alignment import word_diff
from assistant.cite.types import BadQuote, Citation, Match
from assistant.cli import main
from assistant.folding import fold, fold_quote

REPORT_2023 = "ofsted/ofsted-bradford-31-january-2023.pdf"
SEED_001 = "seeds/001_6ebd5e04eb28c367.txt"


def page_text(assistant: Assistant, doc: str, page: int | None) -> str:
    record = next(d for d in assistant.store.docs if d.doc == doc)
    return record.pages[record.page_numbers.index(page)]


def assert_verbatim(assistant: Assistant, match: Match) -> None:
    """Every part of a match is the exact slice of its page at the offsets it reports."""
    assert match.parts, match
    head = match.parts[0]
    assert (match.page, match.start, match.end, match.text) == (head.page, head.start, head.end, head.text)
    for part in match.parts:
        assert page_text(assistant, match.doc, part.page)[part.start : part.end] == part.text


def docs(c: Citation) -> list[str]:
    return [m.doc for m in c.matches]


def test_exact_quote_in_report_and_news_lists_both_report_first(bundled_assistant: Assistant) -> None:
    c = bundled_assistant.cite("children are unable to develop meaningful relationships with their social workers")
    assert c.verdict == "exact"
    assert docs(c)[:2] == [REPORT_2023, SEED_001]
    report, news = c.matches[0], c.matches[1]
    assert not report.quoted and news.quoted  # the article quotes the report, so the report is the primary source
    assert report.page == 3 and report.similarity == 1.0
    for m in c.matches:
        assert_verbatim(bundled_assistant, m)
        assert fold(m.text).text == "children are unable to develop meaningful relationships with their social workers"


def test_exact_with_curly_quotes_dashes_and_line_breaks_folded(bundled_assistant: Assistant) -> None:
    # the article has a curly apostrophe and an en dash; the pasted quote has straight ones and a hyphen
    c = bundled_assistant.cite("on the back of the commissioner's recommendations - a move the council has agreed to")
    assert c.verdict == "exact"
    m = c.matches[0]
    assert m.doc == "seeds/002_aa182685e4438675.txt"
    assert "commissioner’s recommendations – a move" in m.text
    assert_verbatim(bundled_assistant, m)
    # and the report's own line breaks ("social\nworkers") do not stop an exact match
    c2 = bundled_assistant.cite("“Despite the best efforts of social workers, children are unable to develop "
                                "meaningful relationships with their social workers due to the constant churn of "
                                "staff.”")
    assert c2.verdict == "exact" and c2.matches[0].doc == REPORT_2023 and "\n" in c2.matches[0].text


def test_quote_across_a_page_break_is_exact_with_one_part_per_page(bundled_assistant: Assistant) -> None:
    c = bundled_assistant.cite(
        "Leaders actively invite external scrutiny to test the quality of practice and to hold themselves to account."
    )
    assert c.verdict == "exact"
    m = c.matches[0]
    assert m.doc == "ofsted/ofsted-bradford-21-may-2026.pdf"
    assert [p.page for p in m.parts] == [11, 12]
    assert m.parts[0].text.endswith("to test") and m.parts[1].text.startswith("the quality of practice")
    assert_verbatim(bundled_assistant, m)


def test_line_wrapped_hyphenated_words_are_found_exactly(bundled_assistant: Assistant) -> None:
    # the PDF wraps "Multi-\nSystemic"; a reader may type it with a hyphen, or as one word
    for quote in ("Further work via the Multi-Systemic Therapy Family Intervention Team",
                  "further work via the multisystemic therapy family intervention team"):
        c = bundled_assistant.cite(quote)
        assert c.verdict == "exact", quote
        assert c.matches[0].doc == "ofsted/ofsted-leeds-18-december-2018.pdf"
        assert "Multi-\nSystemic" in c.matches[0].text
    # a 19–21 range with an en dash, pasted with a hyphen, running over a page break
    c = bundled_assistant.cite("proportion of 19-21 year old care leavers in education, training or employment")
    assert c.verdict == "exact"
    assert [p.page for p in c.matches[0].parts] == [22, 23]


def test_paraphrase_is_near_with_a_word_diff(bundled_assistant: Assistant) -> None:
    c = bundled_assistant.cite(
        "Children are not able to form meaningful relationships with social workers because of the constant "
        "turnover of staff."
    )
    assert c.verdict == "near"
    assert c.matches[0].doc == REPORT_2023  # primary source first
    assert SEED_001 in docs(c)
    m = c.matches[0]
    assert 0.8 <= m.similarity < 1.0
    assert_verbatim(bundled_assistant, m)
    changes = {(d.op, d.quote, d.source) for d in m.diff if d.op != "same"}
    assert ("changed", "turnover", "churn") in changes
    assert ("changed", "form", "develop") in changes
    assert any(d.op == "dropped" and d.source == "their" for d in m.diff)


def test_quote_with_words_left_out_shows_what_was_dropped(bundled_assistant: Assistant) -> None:
    c = bundled_assistant.cite('Inspectors found that "the experience and progress of many children have declined" '
                               "since the Council was last judged inadequate")
    assert c.verdict == "near"
    m = c.matches[0]
    assert m.doc == SEED_001
    dropped = [d.source for d in m.diff if d.op == "dropped"]
    assert dropped == ["in the most recent inspection of the Council’s Children’s Services"]


def test_invented_sentence_is_not_found_and_closest_passages_are_labelled(bundled_assistant: Assistant) -> None:
    c = bundled_assistant.cite("The council opened three new children's homes in Keighley last spring.")
    assert c.verdict == "not_found"
    assert c.matches == ()
    assert c.closest and all(m.similarity < 0.8 for m in c.closest)
    for m in c.closest:
        assert_verbatim(bundled_assistant, m)
    out = c.to_json()
    assert out["matches"] == [] and out["closest"]


def test_paragraph_gets_a_verdict_per_sentence(bundled_assistant: Assistant) -> None:
    c = bundled_assistant.cite(
        "There are widespread and serious failures across all service areas. Bradford has the best children's "
        "services in England. Children are unable to form meaningful relationships with their social workers."
    )
    assert [s.verdict for s in c.sentences] == ["exact", "not_found", "near"]
    assert c.verdict == "near"
    assert c.matches == ()  # the whole paragraph is not shown as a match beside an invented sentence
    assert c.sentences[0].matches[0].doc == REPORT_2023


def test_few_words_and_names(bundled_assistant: Assistant) -> None:
    c = bundled_assistant.cite("Matt Reed")
    assert c.verdict == "exact"
    assert {REPORT_2023, "ofsted/ofsted-leeds-18-december-2018.pdf"} <= set(docs(c))
    c = bundled_assistant.cite("meaningful relationships")
    assert c.verdict == "exact" and len(set(docs(c))) >= 3
    # a short phrase is never a word fragment: "ead inspector" is not inside "Lead inspector"
    assert bundled_assistant.cite("ead inspector").verdict != "exact"


def test_bad_quotes_are_refused_clearly(bundled_assistant: Assistant) -> None:
    for bad in ("", "   ", "ab", "x" * 6000):
        with pytest.raises(BadQuote):
            bundled_assistant.cite(bad)


def test_cli_cite_json_contract(bundled_index, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cite", "--index", str(bundled_index), "--json", "There are widespread and serious failures "
                 "across all service areas."]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "exact"
    for m in out["matches"]:
        assert {"doc", "title", "page", "start", "end", "similarity", "text"} <= set(m)
    assert [m["doc"] for m in out["matches"]][:2] == [REPORT_2023, SEED_001]
    assert main(["cite", "--index", str(bundled_index), "ab"]) == 2
    assert "too short" in capsys.readouterr().err


def test_cli_cite_text_shows_diff_and_labels(bundled_index, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cite", "--index", str(bundled_index), "Children are not able to form meaningful relationships "
                 "with social workers because of the constant turnover of staff."]) == 0
    out = capsys.readouterr().out
    assert out.startswith("NEAR")
    assert "[-churn-]{+turnover+}" in out
    assert main(["cite", "--index", str(bundled_index), "The council opened three new children's homes in "
                 "Keighley last spring."]) == 0
    out = capsys.readouterr().out
    assert out.startswith("NOT FOUND") and "Closest passages (not the quote)" in out


def test_word_diff_names_each_kind_of_difference() -> None:
    ops = word_diff("the quick brown fox jumps", "the quick red fox happily jumps")
    assert [(d.op, d.quote, d.source) for d in ops] == [
        ("same", "the quick", "the quick"), ("changed", "brown", "red"), ("same", "fox", "fox"),
        ("dropped", "", "happily"), ("same", "jumps", "jumps"),
    ]
    assert [d.op for d in word_diff("It’s “fine”—really", "it's \"fine\" - really")] == ["same"]


def test_fold_maps_back_to_exact_original_slices() -> None:
    text = "The  Council’s “plan” – well-\nbeing…\nrecom-\nmendations"
    f = fold(text)
    assert f.text == "the council's \"plan\"-wellbeing... recommendations"  # a dash keeps no spaces
    i = f.text.index("wellbeing")
    a, b = f.span(i, i + len("wellbeing"))
    assert text[a:b] == "well-\nbeing"
    assert fold_quote("  “The council’s plan.”  ") == "the council's plan"


@given(st.text(alphabet=st.sampled_from(list("ab -–—\n’'“\"…x.")), max_size=60))
def test_fold_origin_is_ordered_and_points_at_real_characters(text: str) -> None:
    f = fold(text)
    assert len(f.origin) == len(f.text)
    assert all(0 <= o < len(text) for o in f.origin)
    assert all(a <= b for a, b in zip(f.origin, f.origin[1:], strict=False))
    assert fold(text).text == fold(fold(text).text).text  # folding is idempotent


def test_quote_without_searchable_words_is_still_found_exactly(tmp_path) -> None:
    """A line of symbols has no BM25 postings: its candidates come from the dense index (found by hypothesis)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "notes.txt").write_text("The harbour inspection was completed in 2023.\n\nA. • ◼ • •.\n\nThe ferry left.\n")
    assistant = Assistant(tmp_path / "index")
    assistant.build(docs)
    citation = assistant.cite("A. • ◼ • •.")  # "a" is a stop word: no token to search
    assert citation.verdict == "exact"
    match = citation.matches[0]
    assert match.doc == "notes.txt" and match.text.startswith("A. • ◼ • •")


def test_folded_texts_kept_are_bounded_and_lookups_stay_exact(bundled_index, monkeypatch: pytest.MonkeyPatch) -> None:
    """At a million chunks folding every document took 4.4 GB: only the most recently used are kept, up to
    FOLD_CACHE_CHARS characters, and a document dropped from the cache is folded again when a lookup needs it."""
    from assistant.cite import citations

    assistant = Assistant(bundled_index)
    store = assistant.store
    largest = max(sum(len(p) + 1 for p in d.pages) for d in store.docs)
    monkeypatch.setattr(citations, "FOLD_CACHE_CHARS", largest)  # room for about one document
    assistant.warm_up()
    citer = assistant.snapshot().citer
    assert 1 <= citer.cached_documents < len(store.docs)
    for doc_id in (0, len(store.docs) - 1, 0):  # each lookup may evict the other's document
        quote = next(t for t in (store.sentence_text(int(i)) for i in np.flatnonzero(store.sent_doc == doc_id))
                     if len(t.split()) >= 6)
        assert assistant.cite(quote).verdict == "exact", quote
        assert citer.cached_chars <= 2 * largest  # the one just folded may stand beside the bound, never more
