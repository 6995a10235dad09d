"""A question naming a year is not answered from a passage about another year (assistant/query/years.py)."""

from __future__ import annotations

from dataclasses import replace

from assistant.api import Assistant
from assistant.query.years import recalls_earlier


def test_a_passage_about_another_year_is_not_the_answer(bundled_assistant: Assistant) -> None:
    """The Wakefield reports are of 2016, 2018, 2021 and 2025: the 2016 report's "Lead inspector: Susan Myers" does
    not answer who led in 2013, though the 2016 report mentions 2013 elsewhere; it still answers 2016."""
    answer = bundled_assistant.ask("Wakefield lead inspector 2013")
    assert not answer.answered  # the other years' lead inspectors may be shown as the closest passages, as such
    assert answer.scope.ruled_out == "None of the closest passages is about 2013."
    right = bundled_assistant.ask("who led the 2016 inspection of wakefield")
    assert right.answered and "Susan Myers" in right.quotes[0].text


def test_the_years_own_report_comes_before_a_later_report_looking_back(bundled_assistant: Assistant) -> None:
    """The 2021 report's "since the last inspection in 2018, when all aspects ... were judged inadequate" mentions
    2018 and may answer, but the 2018 report's own judgement comes first; the evidence is the same as without the
    order (the best logit of the passages that mention the year)."""
    answer = bundled_assistant.ask("wakefield 2018 overall grade")
    assert answer.answered and answer.quotes[0].doc == "ofsted/ofsted-wakefield-17-july-2018.pdf"
    assert "Overall effectiveness Inadequate" in answer.quotes[0].text
    trace = bundled_assistant.trace("wakefield 2018 overall grade", 3)
    assert trace.read is not None and trace.decision.evidence == trace.read.top_logit > float(trace.scores.max())


def test_a_sentence_recalling_an_earlier_inspection_is_not_the_years_grade(bundled_assistant: Assistant) -> None:
    """The 2019 Kirklees report opens "Since the last Ofsted inspection in September 2016, when the local authority
    was judged inadequate overall, ...": for a grade of 2019 it sits below the 2019 judgement; for a question that
    does not want one inspection's grade or dates the sentence keeps its place (recalls_earlier)."""
    answer = bundled_assistant.ask("what was kirklees rated in 2019")
    assert answer.answered and "Overall effectiveness Requires improvement to be good" in answer.quotes[0].text
    assert recalls_earlier("Since the last inspection in September 2016, when it was judged inadequate",
                           frozenset({"2019"}))
    assert not recalls_earlier("Since 2016 and in 2019 services improved", frozenset({"2019"}))
    assert not recalls_earlier("Services improved", frozenset({"2019"}))


def test_a_grade_question_naming_no_year_gets_the_latest_judgement(bundled_assistant: Assistant) -> None:
    """Wakefield was judged inadequate in 2018, good in 2021 and 2025: "wakefield rating" quoted the 2022 report's
    "since the last inspection in 2018, when all aspects ... were judged inadequate", highlighting "inadequate"."""
    answer = bundled_assistant.ask("wakefield rating")
    assert answer.answered and answer.quotes[0].doc == "ofsted/ofsted-wakefield-18-july-2025.pdf"
    assert "Overall effectiveness Good" in answer.quotes[0].text and answer.quotes[0].highlight == "Good"


def test_a_year_no_passage_read_is_about_is_refused_with_the_reason(bundled_assistant: Assistant) -> None:
    levels = bundled_assistant.snapshot().pipeline.params.levels
    lenient = replace(bundled_assistant.settings, abstain_threshold=min(lv.threshold for lv in levels))
    answer = bundled_assistant.ask("bradford overall grade 2020", settings=lenient)
    assert not answer.answered and answer.scope.ruled_out == "None of the closest passages is about 2020."
    assert answer.to_json()["ruled_out"] == answer.scope.ruled_out


def test_undated_documents_are_never_judged_on_a_year(tmp_path, make_corpus) -> None:
    """A text without a date ("1973 oil crisis" in its name says what it is about, not when) keeps its passages."""
    assistant = Assistant(tmp_path / "index")
    assistant.build(make_corpus({"1973-oil-crisis.txt": "The embargo ended in March 1974 after talks.\n\n"
                                                        "Prices had risen fourfold by then.\n"}))
    answer = assistant.ask("what had happened to prices by 1975?")
    assert answer.scope.ruled_out is None


def test_a_span_of_years_names_both() -> None:
    """"In 2013-14, 128 children were adopted" is about 2014 as well as 2013."""
    from assistant.query.years import question_years

    assert question_years("In 2013–14, 128 children were adopted") == {"2013", "2014"}
    assert question_years("from 2019/2020 to 2023") == {"2019", "2020", "2023"}
    assert question_years("inspected on 12-14 May, 20 of 40 visits") == frozenset()
