"""A question for a grade is put in the words of Ofsted's judgements (assistant/query/judgements.py), and a
judgements-table row's grade is the one whose label the question names (answer_types.labelled_like_the_question)."""

from __future__ import annotations

import pytest

from assistant.api import Assistant
from assistant.query.answer_types import GRADE, answer_spans, question_type
from assistant.query.judgements import in_judgement_words


@pytest.mark.parametrize(("typed", "searched"), [
    ("kirklees 2019 rating", "kirklees 2019 overall effectiveness"),
    ("overall grade for the bradford trust", "overall effectiveness for the bradford trust"),
    ("what grade did leeds get in 2025?", "what overall effectiveness did leeds get in 2025?"),
    ("how was wakefield rated in 2016", "how was wakefield judged in 2016 overall effectiveness"),
    ("calderdale 2015 adoption rating", "calderdale 2015 adoption judgement"),  # an area: its own grade
    ("What overall effectiveness grade did Leeds get in 2022?", "What overall effectiveness grade did Leeds get "
                                                                "in 2022?"),
    ("is kirklees outstanding", "is kirklees overall effectiveness"),  # a yes/no question on a grade
    ("was wakefield inadequate in 2018?", "was wakefield overall effectiveness in 2018?"),
    ("is there a good school", "is there a good school"),  # "good" not as a grade
    ("which area did ofsted judge inadequate in 2015", "which area did ofsted judge inadequate in 2015"),
    ("the rate of children in care", "the rate of children in care"),  # a rate, not a rating
    ("how many children were adopted", "how many children were adopted"),
])
def test_a_grade_question_is_asked_in_the_judgements_words(typed: str, searched: str) -> None:
    assert in_judgement_words(typed, question_type(typed)) == searched


def test_only_a_grade_question_is_touched() -> None:
    assert question_type("the rate of children in care") != GRADE
    assert in_judgement_words("kirklees 2019 rating", None) == "kirklees 2019 rating"


def test_only_where_the_documents_speak_of_ofsted() -> None:
    """Over Wikipedia a passer rating is no inspection's judgement; the documents' word use decides."""
    no_ofsted = lambda tokens: {t: 3.0 for t in tokens if "ofst" not in t}  # noqa: E731
    with_ofsted = lambda tokens: {t: 3.0 for t in tokens}  # noqa: E731
    question = "What was Manning's passer rating for the season?"
    assert in_judgement_words(question, GRADE, no_ofsted) == question
    assert in_judgement_words("kirklees 2019 rating", GRADE, with_ofsted) == "kirklees 2019 overall effectiveness"


def test_a_rating_question_finds_the_headline_judgement(bundled_assistant: Assistant) -> None:
    """"rating" stems to "rate": before, "kirklees 2019 rating" quoted the vacancy and conversion rates and refused;
    now the judgements table's headline row answers, and the question is shown as typed."""
    answer = bundled_assistant.ask("kirklees 2019 rating")
    assert answer.answered and answer.searched_as == "kirklees 2019 overall effectiveness"
    top = answer.quotes[0]
    assert top.doc == "ofsted/ofsted-kirklees-05-august-2019.pdf" and "Overall effectiveness" in top.text
    assert top.highlight == "Requires improvement to be good"


def test_a_yes_no_question_on_a_grade_gets_the_latest_judgement(bundled_assistant: Assistant) -> None:
    """Bradford was judged inadequate in 2018 and 2022 and requires improvement in 2026: "is bradford still
    inadequate" quoted the 2023 report, whose words it shares; the judgement answers it, whichever grade."""
    answer = bundled_assistant.ask("is leeds outstanding")
    assert answer.answered and answer.quotes[0].doc == "ofsted/ofsted-leeds-12-august-2025.pdf"
    assert "Overall effectiveness Outstanding" in answer.quotes[0].text
    still = bundled_assistant.ask("is bradford still inadequate")
    assert still.answered and still.quotes[0].doc == "ofsted/ofsted-bradford-21-may-2026.pdf"
    assert still.quotes[0].highlight == "Requires improvement to be good"


def test_an_areas_grade_is_not_the_headline(bundled_assistant: Assistant) -> None:
    """The 2015 Calderdale report's table starts "1. Children who need help and protection Requires Improvement";
    "calderdale ofsted grade 2015" wants "The overall judgement is that children's services require improvement"."""
    answer = bundled_assistant.ask("calderdale ofsted grade 2015")
    assert answer.answered and answer.quotes[0].text.startswith("The overall judgement is")
    trace = bundled_assistant.trace("calderdale ofsted grade 2015")
    assert trace.read is not None and trace.read.looking_back is not None
    moved = [bundled_assistant.store.sentence_text(int(trace.candidates.ids[r]))
             for r, m in zip(trace.read.rows, trace.read.looking_back, strict=True) if m]
    assert "1. Children who need help and protection Requires Improvement" in moved


def test_the_grade_of_the_row_the_question_names_is_highlighted() -> None:
    row = "The experiences and progress of children in care and care leavers Good\nOverall effectiveness Outstanding"
    spans = lambda q: [row[a:b] for a, b in answer_spans(row, GRADE, q)]  # noqa: E731
    assert spans("leeds 2018 overall effectiveness") == ["Outstanding"]
    assert spans("leeds 2018 care leavers grade") == ["Good"]
    assert spans("leeds 2018 grade") == ["Good", "Outstanding"]  # no label named: the highlight head chooses
