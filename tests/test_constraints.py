"""The question's hard constraints (names, years, figures) are found and checked against a candidate's circles:
the groundwork of refusing on-topic questions about an authority or year the documents do not cover."""

from __future__ import annotations

from assistant.query.constraints import check_constraints, question_constraints, words_of


def test_names_years_and_figures_are_pulled_out_but_question_words_are_not() -> None:
    c = question_constraints("What did Ofsted rate Sheffield's children's services in 2020, with 1,200 cases?")
    assert c.names == ("sheffield",)
    assert c.years == ("2020",)
    assert c.figures == ("1200",)
    assert question_constraints("who leads the service").all == ()


def test_a_place_and_year_the_document_lacks_are_missing_at_every_circle() -> None:
    c = question_constraints("What did Ofsted rate Sheffield in 2020?")
    near = words_of("Overall effectiveness: Inadequate")
    meta = words_of("Bradford Metropolitan District Council | Inspection dates: 2 to 13 October 2018")
    doc = words_of("Since 2019 the council has improved its front door.")
    check = check_constraints(c, near, meta, doc)
    assert check.n == 2 and check.missing_doc == 1.0 and check.year_missing_doc == 1.0


def test_constraints_met_by_the_document_metadata_are_not_missing() -> None:
    c = question_constraints("What grade did Bradford get in 2018?")
    near = words_of("Overall effectiveness: Inadequate")
    meta = words_of("Bradford Metropolitan District Council | Inspection dates: 2 to 13 October 2018")
    check = check_constraints(c, near, meta, frozenset())
    assert check.missing_near == 1.0 and check.missing_meta == 0.0 and check.missing_doc == 0.0
    assert check.year_missing_doc == 0.0
