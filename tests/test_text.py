"""Sentence splitting and chunk windows: every quote is a verbatim slice, cut where a reader would cut it."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.ingest.documents import load_document
from assistant.ingest.splitting import ChunkSpan, Span, chunk_sentences, split_sentences

DOCUMENTS = Path(__file__).resolve().parent.parent / "documents"


def sentences(text: str, max_chars: int = 600) -> list[str]:
    """The split, checked against the offset contract on the way: every span is an exact, stripped slice."""
    spans = split_sentences(text, max_chars)
    check_spans(text, spans)
    return [text[s.start : s.end] for s in spans]


def check_spans(text: str, spans: list[Span]) -> None:
    owner = [0] * len(text)
    previous_end = 0
    for span in spans:
        assert previous_end <= span.start < span.end <= len(text), (span, spans)
        piece = text[span.start : span.end]
        assert piece == piece.strip(), repr(piece)
        for i in range(span.start, span.end):
            owner[i] += 1
        previous_end = span.end
    for i, char in enumerate(text):
        if not char.isspace():
            assert owner[i] == 1, f"character {i} {char!r} is in {owner[i]} spans: {text!r}"


# --- where sentences end -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text",
    [
        "Mr Smith met the director on Monday. The meeting went well.",
        "Mr. Smith met the director on Monday. The meeting went well.",
        "Mrs. Jones chaired the panel for two years. The panel then closed.",
        "Dr. Patel wrote the review of the service. It was published in May.",
        "Some partners, e.g. Health and Police, attend. Others do not attend.",
        "The board met quarterly, i.e. Four times a year. It then met monthly.",
        "The report was written by J. Smith and colleagues. It runs to forty pages.",
        "Cllr. Ahmed and Prof. Brown agreed the plan. Work began in June.",
    ],
)
def test_no_split_after_abbreviations_and_initials(text: str) -> None:
    got = sentences(text)
    assert len(got) == 2, got
    assert got[1] in ("The meeting went well.", "The panel then closed.", "It was published in May.",
                      "Others do not attend.", "It then met monthly.", "It runs to forty pages.",
                      "Work began in June.")


def test_postnominal_letters_are_not_an_abbreviation() -> None:
    assert sentences("The review was led by Clare Hyde MBE. It was published in 2023.") == [
        "The review was led by Clare Hyde MBE.",
        "It was published in 2023.",
    ]


def test_numbered_paragraphs_keep_their_number_with_their_text() -> None:
    text = (
        "1. There are serious and widespread failures in services for children.\n"
        "2. Leaders have not acted quickly enough to address the weaknesses.\n"
        "10. The local authority has a plan."
    )
    assert sentences(text) == [
        "1. There are serious and widespread failures in services for children.",
        "2. Leaders have not acted quickly enough to address the weaknesses.",
        "10. The local authority has a plan.",
    ]


def test_inline_numbered_paragraph_is_not_cut_after_its_number() -> None:
    got = sentences("Recommendations\n1. Improve the quality of plans for children in care.")
    assert got == ["Recommendations", "1. Improve the quality of plans for children in care."]


def test_each_bullet_starts_a_new_sentence() -> None:
    text = (
        "What needs to improve:\n"
        "◼ the quality of assessments for children in need\n"
        "◼ management oversight of casework\n"
        "◼ the timeliness of strategy meetings"
    )
    assert sentences(text) == [
        "What needs to improve:",
        "◼ the quality of assessments for children in need",
        "◼ management oversight of casework",
        "◼ the timeliness of strategy meetings",
    ]


def test_pdf_line_wraps_stay_in_one_sentence() -> None:
    wrapped = (
        "Social workers visit children regularly and know them well, and they\n"
        "use a range of direct work tools to understand the lived experience of\n"
        "children, which helps them to plan effectively for their futures."
    )
    text = wrapped + "\nManagers review cases every month and record clear decisions on the file."
    assert sentences(text) == [
        wrapped,
        "Managers review cases every month and record clear decisions on the file.",
    ]


def test_short_heading_line_then_capitalised_line_splits() -> None:
    text = (
        "Help and protection\n"
        "Children who need help receive a timely response from the front door service, and\n"
        "thresholds are understood and applied well by partner agencies across the area."
    )
    got = sentences(text)
    assert got[0] == "Help and protection"
    assert len(got) == 2 and got[1].startswith("Children who need help")


def test_blank_line_always_splits_even_without_punctuation() -> None:
    assert sentences("first part without a stop\n\nsecond part in lower case") == [
        "first part without a stop",
        "second part in lower case",
    ]
    assert sentences("Ends mid-word and\n\nand carries on") == ["Ends mid-word and", "and carries on"]


def test_closing_quotes_stay_with_their_sentence() -> None:
    text = "The director said: “We will improve these children’s lives.” The council agreed the plan."
    got = sentences(text)
    assert got[-2].endswith("lives.”")
    assert got[-1] == "The council agreed the plan."
    assert "\"" not in got[-1] and "”" not in got[-1]


def test_closing_bracket_and_straight_quote_stay_with_their_sentence() -> None:
    got = sentences('He called it "a turning point." Then he left. (This was in 2019.) Nothing changed.')
    assert got == ['He called it "a turning point."', "Then he left.", "(This was in 2019.)",
                   "Nothing changed."]


def test_question_and_exclamation_marks_end_sentences() -> None:
    assert sentences("Is it safe? Yes! It is safe.") == ["Is it safe?", "Yes!", "It is safe."]


def test_lower_case_after_a_period_does_not_split() -> None:
    # "approx. two" and a decimal number are not sentence ends
    first = "There were approx. two hundred referrals, a rise of 3.5 per cent on last year."
    assert sentences(first + " Staff coped.") == [first, "Staff coped."]


@pytest.mark.parametrize("max_chars", [40, 100, 250])
def test_over_long_units_are_cut_to_max_chars(max_chars: int) -> None:
    long_sentence = "Clause " + ", ".join(f"number {i} of a very long list" for i in range(60)) + "."
    text = "A short opener. " + long_sentence + " A short closer."
    got = sentences(text, max_chars)
    assert all(len(s) <= max_chars for s in got)
    assert got[0] == "A short opener."
    assert got[-1] == "A short closer." or got[-1].endswith("A short closer.")
    # nothing was lost: the pieces, joined, give back every word in order
    assert " ".join(got).split() == text.split()


def test_a_word_longer_than_max_chars_is_still_cut() -> None:
    text = "x" * 250
    got = sentences(text, 100)
    assert got == ["x" * 100, "x" * 100, "x" * 50]


def test_empty_and_blank_text_give_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\n \t\n") == []


def test_realistic_cover_page_and_paragraphs() -> None:
    page = (
        "Inspection of City of Bradford\n"
        "Inspection dates: 21 November to 2 December 2022\n"
        "Lead inspector: Matt Reed, His Majesty’s Inspector\n"
        "Judgement Grade\n"
        "The impact of leaders on social work\npractice with children and families\nInadequate\n"
        "Overall effectiveness Inadequate\n\n"
        "1. Services for children in Bradford have deteriorated since the last inspection in 2018. Too\n"
        "many children are not protected, and the local authority has not understood the scale of\n"
        "the problem or acted on it. Mr. Jones, e.g. the interim director, said: “We accept the\n"
        "findings.” The council, i.e. its cabinet, agreed to act on every one of the recommendations\n"
        "that the inspectors made, and asked for a report on progress within three months of today.\n"
        "◼ assessments\n◼ plans\n• supervision"
    )
    got = sentences(page)
    assert "Inspection dates: 21 November to 2 December 2022" in got
    assert "Lead inspector: Matt Reed, His Majesty’s Inspector" in got
    assert "Judgement Grade" in got
    assert "Overall effectiveness Inadequate" in got
    # a table row stays whole: the value cell joins its label
    assert "The impact of leaders on social work\npractice with children and families\nInadequate" in got
    assert "◼ assessments" in got and "• supervision" in got
    assert "1. Services for children in Bradford have deteriorated since the last inspection in 2018." in got
    assert any(s.startswith("Mr. Jones, e.g. the interim director") and s.endswith("findings.”") for s in got)
    assert any(s.startswith("The council, i.e. its cabinet, agreed") for s in got)


def test_real_report_pages_split_at_the_right_places() -> None:
    """The bundled Bradford 2023 report: cover-page facts are units of their own, every page is covered."""
    document = load_document(DOCUMENTS / "ofsted" / "ofsted-bradford-31-january-2023.pdf", DOCUMENTS)
    first = sentences(document.pages[0].text)
    assert "Lead inspector: Matt Reed, His Majesty’s Inspector" in first
    assert "Overall effectiveness Inadequate" in first
    assert "There are widespread and serious failures\nacross all service areas." in first
    for page in document.pages:
        sentences(page.text)  # offset and coverage contract on every page


@pytest.mark.parametrize("name", [
    "ofsted-bradford-21-may-2026.pdf", "ofsted-bradford-31-january-2023.pdf", "ofsted-leeds-12-august-2025.pdf",
    "ofsted-wakefield-05-january-2022.pdf", "ofsted-wakefield-18-july-2025.pdf", "ofsted-calderdale-15-may-2024.pdf",
])
def test_lead_inspector_cover_line_is_a_unit_of_its_own(name: str) -> None:
    """DESIGN: "Lead inspector: <name>" is a cover-page fact; its quote must not drag in the table heading."""
    document = load_document(DOCUMENTS / "ofsted" / name, DOCUMENTS)
    text = document.pages[0].text
    line = next(ln for ln in text.split("\n") if ln.startswith("Lead inspector:"))
    assert line in sentences(text)


# --- chunk windows -----------------------------------------------------------------------------------------

def _spans(n: int) -> list[Span]:
    return [Span(i * 10, i * 10 + 9) for i in range(n)]


def check_chunks(spans: list[Span], tokens: list[int], budget: int, overlap: int) -> list[ChunkSpan]:
    chunks = chunk_sentences(spans, tokens, budget, overlap)
    assert chunks, "some sentences must give at least one chunk"
    covered: set[int] = set()
    for c in chunks:
        assert 0 <= c.first <= c.last < len(spans)
        assert (c.start, c.end) == (spans[c.first].start, spans[c.last].end)
        if c.last > c.first:
            assert sum(tokens[c.first : c.last + 1]) <= budget, c
        covered.update(range(c.first, c.last + 1))
    assert covered == set(range(len(spans)))
    assert chunks[0].first == 0 and chunks[-1].last == len(spans) - 1
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.first > a.first, "windows move forward"
    return chunks


def test_chunks_respect_the_token_budget_and_cover_all_sentences() -> None:
    tokens = [30, 45, 10, 60, 25, 25, 25, 80, 5, 40, 40]
    chunks = check_chunks(_spans(len(tokens)), tokens, 100, 1)
    assert len(chunks) > 1
    # a window is as full as the budget allows: adding the next sentence would exceed it
    for c in chunks[:-1]:
        assert sum(tokens[c.first : c.last + 2]) > 100


@pytest.mark.parametrize("overlap", [0, 1, 2])
def test_neighbouring_chunks_overlap_by_the_given_number_of_sentences(overlap: int) -> None:
    chunks = check_chunks(_spans(12), [20] * 12, 100, overlap)  # 5 sentences a window
    assert all(c.last - c.first + 1 == 5 for c in chunks[:-1])
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert a.last - b.first + 1 == overlap


def test_a_sentence_longer_than_the_budget_forms_its_own_chunk() -> None:
    tokens = [30, 30, 30, 500, 30, 30]
    chunks = check_chunks(_spans(len(tokens)), tokens, 100, 1)
    assert any(c.first == c.last == 3 for c in chunks)
    assert all(not (c.first <= 3 <= c.last) or c.first == c.last for c in chunks)


def test_single_over_budget_sentence_is_one_chunk() -> None:
    assert chunk_sentences([Span(0, 50)], [900], 100, 1) == [ChunkSpan(0, 0, 0, 50)]


def test_no_chunk_merely_repeats_the_overlap_of_its_predecessor() -> None:
    """Before an over-budget sentence, the window must not emit a chunk made only of the overlap sentence:
    it adds nothing new, yet is embedded and searched like any other chunk."""
    tokens = [30, 30, 30, 500, 30, 30]
    chunks = check_chunks(_spans(len(tokens)), tokens, 100, 1)
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert not (a.first <= b.first and b.last <= a.last), f"{b} is inside {a}: {chunks}"


# --- property test -----------------------------------------------------------------------------------------

_PIECES = st.sampled_from([
    "the", "council", "Children", "Ofsted", "Mr", "Dr.", "e.g.", "i.e.", "J.", "MBE.", "1.", "2.1", "(a)",
    "◼", "•", "-", "*", ".", "!", "?", ",", ";", ":", "…", "“", "”", "\"", "'", "(", ")", "2023", "A",
    " ", "  ", "\n", "\n\n", "\t", " \n ",
])
_TEXTS = st.one_of(
    st.lists(_PIECES, max_size=80).map(" ".join),
    st.lists(_PIECES, max_size=80).map("".join),
)


@settings(max_examples=300, deadline=None)
@given(text=_TEXTS, max_chars=st.integers(min_value=8, max_value=600))
def test_property_spans_are_ordered_stripped_and_cover_the_text(text: str, max_chars: int) -> None:
    spans = split_sentences(text, max_chars)
    check_spans(text, spans)
    assert all(s.end - s.start <= max_chars for s in spans)
