"""Asking the real bundled corpus: every quote is a verbatim, checkable slice of its source page."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest
from conftest import DOCUMENTS, CorpusFactory

from assistant.api import Assistant, BadQuestion
from assistant.ingest.documents import load_document
from assistant.query.decision import threshold_for
from assistant.query.types import Answer, Quote

BRADFORD_2023 = "ofsted/ofsted-bradford-31-january-2023.pdf"

QUESTIONS = [
    "Who led the 2022 inspection of Bradford?",
    "What was the overall effectiveness judgement for Bradford in 2023?",
    "How many monitoring visits did Ofsted conduct in Bradford?",
    "When was Bradford children's social care last inspected before 2022?",
    "Who was the lead inspector for Wakefield in 2018?",
    "What was Leeds children's services rated in 2022?",
    "How many social worker vacancies did commissioner Steve Walker find in Bradford?",
    "Which minister said the Government would appoint a commissioner for Bradford children's services?",
    "What are the main weaknesses in Kirklees children's services?",
]
OFF_TOPIC = ["What is the capital of France?", "How do I bake sourdough bread?"]
QUOTE_KEYS = {"text", "doc", "title", "page", "start", "end", "score", "highlight"}


@cache
def page_text(doc: str, page: int | None) -> str:
    """The page's text from an independent load of the source file (not from the index)."""
    document = load_document(DOCUMENTS / doc, DOCUMENTS)
    if page is None:
        assert len(document.pages) == 1 and document.pages[0].number is None
        return document.pages[0].text
    assert document.pages[page - 1].number == page
    return document.pages[page - 1].text


def check_quote(quote: Quote) -> None:
    assert (DOCUMENTS / quote.doc).is_file(), quote.doc
    assert (quote.page is None) == (not quote.doc.endswith(".pdf"))
    text = page_text(quote.doc, quote.page)
    assert 0 <= quote.start < quote.end <= len(text)
    assert quote.text == text[quote.start : quote.end]
    assert quote.text == quote.text.strip()
    assert quote.title
    if quote.highlight is not None:
        assert quote.highlight_start is not None and quote.highlight_end is not None
        assert quote.start <= quote.highlight_start < quote.highlight_end <= quote.end
        assert quote.highlight == text[quote.highlight_start : quote.highlight_end]
        assert quote.highlight in quote.text
    for loc in quote.also_in:
        other = page_text(loc.doc, loc.page)[loc.start : loc.end]
        assert " ".join(other.lower().split()) == " ".join(quote.text.lower().split())


def check_no_overlap(quotes: tuple[Quote, ...]) -> None:
    for i, a in enumerate(quotes):
        for b in quotes[i + 1 :]:
            if (a.doc, a.page) == (b.doc, b.page):
                assert a.end <= b.start or b.end <= a.start, f"overlapping quotes:\n{a}\n{b}"


@pytest.fixture(scope="module")
def answers(bundled_assistant: Assistant) -> dict[str, Answer]:
    return {q: bundled_assistant.ask(q, k=5) for q in QUESTIONS + OFF_TOPIC}


def test_the_bundled_corpus_indexes_without_problems(bundled_assistant: Assistant) -> None:
    store = bundled_assistant.store
    docs = {d.doc for d in store.docs}
    assert len(docs) == 23 and BRADFORD_2023 in docs
    assert not store.manifest["problems"]
    assert all(not d.doc.lower().endswith("sources.md") for d in store.docs)


@pytest.mark.parametrize("question", QUESTIONS + OFF_TOPIC)
def test_every_quote_is_the_exact_slice_of_its_page(answers: dict[str, Answer], question: str) -> None:
    answer = answers[question]
    assert answer.quotes, "even an abstention shows the closest passages"
    for quote in answer.quotes:
        check_quote(quote)
    check_no_overlap(answer.quotes)
    scores = [q.score for q in answer.quotes]
    assert scores == sorted(scores, reverse=True)


def test_quotes_from_text_files_have_no_page(answers: dict[str, Answer]) -> None:
    quotes = answers["How many social worker vacancies did commissioner Steve Walker find in Bradford?"].quotes
    seeds = [q for q in quotes if q.doc.startswith("seeds/")]
    assert seeds and all(q.page is None for q in seeds)
    assert any("124 social worker vacancies" in q.text for q in quotes[:3])


def test_many_quotes_are_still_distinct_and_non_overlapping(bundled_assistant: Assistant) -> None:
    answer = bundled_assistant.ask("What did inspectors find about children in care in Bradford?", k=20)
    assert len(answer.quotes) == 20
    for quote in answer.quotes:
        check_quote(quote)
    check_no_overlap(answer.quotes)
    folded = [" ".join(q.text.lower().split()) for q in answer.quotes]
    assert len(set(folded)) == len(folded)


@pytest.mark.parametrize("k", [1, 2, 5])
def test_k_controls_the_number_of_quotes(bundled_assistant: Assistant, k: int) -> None:
    answer = bundled_assistant.ask("What was the overall effectiveness judgement for Bradford in 2023?", k=k)
    assert len(answer.quotes) == k
    assert len(answer.to_json()["quotes"]) == k


def test_default_k_is_three(bundled_assistant: Assistant) -> None:
    assert len(bundled_assistant.ask("Who led the 2022 inspection of Bradford?").quotes) == 3


def test_who_led_the_2022_bradford_inspection(bundled_assistant: Assistant) -> None:
    """The cover line "Lead inspector: Matt Reed" is quoted first. The learned ranker's evidence for it sits just
    under the default threshold (the reader, trained on Wikipedia prose, scores cover-page lines low: a known
    weakness recorded in the README), so the answer is asked for at the Lenient level."""
    lenient = replace(bundled_assistant.settings, abstain_threshold=threshold_for("Lenient"))
    answer = bundled_assistant.ask("Who led the 2022 inspection of Bradford?", settings=lenient)
    assert answer.answered
    assert "Matt Reed" in answer.quotes[0].text
    hits = [q for q in answer.quotes[:3] if "Matt Reed" in q.text and q.doc == BRADFORD_2023]
    assert hits, [q.text for q in answer.quotes]
    assert hits[0].page == 1
    assert hits[0].highlight == "Matt Reed"


def test_highlight_is_not_a_table_heading(bundled_assistant: Assistant) -> None:
    """A "who" question's highlight must be a person, not the cover table's "Judgement Grade" heading."""
    answer = bundled_assistant.ask("Who led the 2022 inspection of Bradford?", k=5)
    highlights = [q.highlight for q in answer.quotes if q.highlight]
    assert "Judgement Grade" not in highlights, highlights


def test_number_highlight_is_not_a_paragraph_number(bundled_assistant: Assistant) -> None:
    """"How many" wants a count; the "37." that numbers a paragraph is not one."""
    answer = bundled_assistant.ask("How many monitoring visits did Ofsted conduct in Bradford?", k=5)
    assert answer.quotes[0].highlight == "seven"
    for quote in answer.quotes:
        if quote.highlight is not None:
            paragraph_number = quote.text.split(" ", 1)[0].rstrip(".")
            assert not (quote.highlight == paragraph_number and quote.highlight_start == quote.start), quote


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_off_topic_questions_abstain(answers: dict[str, Answer], question: str) -> None:
    answer = answers[question]
    assert not answer.answered
    out = answer.to_json()
    assert out["answered"] is False
    assert out["quotes"] == []
    assert "closest" in out and len(out["closest"]) == len(answer.quotes) > 0
    assert set(out["closest"][0]) >= QUOTE_KEYS


@pytest.mark.parametrize("question", ["x" * 100_000, "Who led the inspection? " * 5000, "", "   \n\t "])
def test_bad_questions_are_refused(bundled_assistant: Assistant, question: str) -> None:
    with pytest.raises(BadQuestion):
        bundled_assistant.ask(question)


def test_answer_json_has_the_contract_keys(answers: dict[str, Answer]) -> None:
    answer = answers["Who was the lead inspector for Wakefield in 2018?"]
    out = json.loads(json.dumps(answer.to_json()))
    assert {"question", "answered", "quotes", "timings_ms"} <= set(out)
    assert out["question"] == "Who was the lead inspector for Wakefield in 2018?"
    assert out["answered"] is True
    assert len(out["quotes"]) == 5
    for q, quote in zip(out["quotes"], answer.quotes, strict=True):
        assert QUOTE_KEYS <= set(q)
        assert (q["text"], q["doc"], q["page"], q["start"], q["end"]) == (
            quote.text, quote.doc, quote.page, quote.start, quote.end)
        assert isinstance(q["score"], float) and isinstance(q["start"], int) and isinstance(q["end"], int)
        assert q["highlight"] is None or isinstance(q["highlight"], str)
    assert out["timings_ms"] and all(isinstance(v, int | float) and v >= 0 for v in out["timings_ms"].values())


@pytest.mark.parametrize("name", ["ofsted-bradford-31-january-2023.pdf", BRADFORD_2023])
def test_filtering_by_document_only_quotes_that_document(bundled_assistant: Assistant, name: str) -> None:
    for question in ("What was Leeds children's services rated in 2022?",
                     "How many social worker vacancies did commissioner Steve Walker find in Bradford?"):
        answer = bundled_assistant.ask(question, k=5, docs=[name])
        assert answer.quotes
        for quote in answer.quotes:
            assert quote.doc == BRADFORD_2023
            check_quote(quote)
            assert all(loc.doc == BRADFORD_2023 for loc in quote.also_in)


def test_filtering_by_an_unknown_document_is_a_bad_question(bundled_assistant: Assistant) -> None:
    """Issue 12 (#11): a filter naming no document is a typo to report, not a question the documents cannot answer."""
    with pytest.raises(BadQuestion, match="no document matches no-such-file.pdf"):
        bundled_assistant.ask("Who led the 2022 inspection of Bradford?", docs=["no-such-file.pdf"])


def test_asking_twice_gives_the_same_answer(bundled_assistant: Assistant) -> None:
    first = bundled_assistant.ask("Who was the lead inspector for Wakefield in 2018?").to_json()
    second = Assistant(bundled_assistant.index_dir).ask("Who was the lead inspector for Wakefield in 2018?").to_json()
    first.pop("timings_ms")
    second.pop("timings_ms")
    assert first == second


@pytest.mark.parametrize("question, answer", [
    ("Who is the harbour master that keeps a logbook of every vessel?", "Agnes Pollard"),
    ("Who keeps a logbook at the harbour?", "Agnes Pollard"),
    ("When does pruning happen in the orchard?", "February"),
    ("How many varieties of apple does the orchard grow?", "forty varieties"),
])
def test_a_question_that_restates_one_sentence_is_answered(tmp_path: Path, make_corpus: CorpusFactory,
                                                           question: str, answer: str) -> None:
    """A tiny corpus whose one sentence restates the question: the assistant must answer, not abstain."""
    assistant = Assistant(tmp_path / "index")
    assistant.build(make_corpus())
    result = assistant.ask(question)
    assert answer in result.quotes[0].text
    assert result.answered, f"abstained (evidence {result.evidence:.3f}) on: {result.quotes[0].text!r}"


def test_a_chosen_document_counts_as_the_question_naming_it(bundled_assistant: Assistant) -> None:
    """With the search limited to one report, a question that does not name it is still answered from it (at the
    Lenient level: the learned ranker's evidence for this bare question sits just under the default threshold)."""
    question = "What was the overall effectiveness judgement?"
    lenient = replace(bundled_assistant.settings, abstain_threshold=threshold_for("Lenient"))
    answer = bundled_assistant.ask(question, docs=["ofsted-bradford-29-october-2018.pdf"], settings=lenient)
    assert answer.answered
    assert "Overall effectiveness Inadequate" in answer.quotes[0].text
    assert all(q.doc == "ofsted/ofsted-bradford-29-october-2018.pdf" for q in answer.quotes)
