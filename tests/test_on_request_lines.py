"""Contact and legal lines (footers, phone numbers, "available at <url>") are never quoted unless the question
asks for contact details; a report's cover-page labels ("Lead inspector: ...") only when it asks about the
inspection (assistant/query/on_request_lines.py)."""

from __future__ import annotations

import pytest

from assistant.api import Assistant
from assistant.query.answer_types import question_type
from assistant.query.on_request_lines import (
    asks_about_the_inspection,
    asks_for_contact,
    is_contact_line,
    is_cover_line,
)


@pytest.mark.parametrize("line", [
    "W: www.ofsted.gov.uk\n© Crown copyright 2015",
    "T: 0300 123 1231",
    "E: enquiries@ofsted.gov.uk",
    "This report is available at https://reports.ofsted.gov.uk/.",
    "© Crown copyright 2018",
])
def test_footers_and_addresses_are_contact_lines(line: str) -> None:
    assert is_contact_line(line)


@pytest.mark.parametrize("line", [
    "Services for vulnerable children in Kirklees are inadequate, due to serious and widespread failures.",
    "Overall effectiveness Requires improvement to be good",
    "If you would like Ofsted to send you a copy of the guidance, please telephone 0300123 4234, or email "
    "enquiries@ofsted.gov.uk.",  # a sentence of its own, with an address in it: not a footer
    "The council's website lists 120 foster carers.",
    '=HYPERLINK("http://evil.example","The harbour office ledger was audited in 2019.")',  # an address ends at a quote
])
def test_sentences_that_say_something_are_not(line: str) -> None:
    assert not is_contact_line(line)


def test_a_question_about_contact_details_keeps_them() -> None:
    assert asks_for_contact("ofsted phone number") and asks_for_contact("how do I complain about an inspection")
    assert not asks_for_contact("what did ofsted say about leeds")


def test_what_ofsted_said_is_not_answered_with_a_footer(bundled_assistant: Assistant) -> None:
    """The footer holds "ofsted"; it was the top quote for this question before the rule."""
    answer = bundled_assistant.ask("what did ofsted say about leeds")
    assert answer.quotes and not any(is_contact_line(q.text) for q in answer.quotes)
    asked = bundled_assistant.ask("ofsted email address")  # answered or not, its passages may be the footers
    assert any("enquiries@ofsted.gov.uk" in q.text for q in asked.quotes)


@pytest.mark.parametrize(("line", "cover"), [
    ("Lead inspector: Catherine Heron, His Majesty’s Inspector", True),
    ("The inspection team\nLead inspector: Lynn Radley", True),
    ("Deputy lead inspector: Lisa Summers", True),
    ("Team inspectors: Fiona Parker, Jansy Kelly, Ali Mekki", True),
    ("Inspection dates: 12 to 23 January 2026", True),
    ("The inspection team consisted of six of Her Majesty’s Inspectors (HMI) from Ofsted.", False),
    ("The lead inspector praised the council's leaders.", False),
    ("Lead member for children: a councillor who chairs the board.", False),
])
def test_cover_lines_are_inspection_labels(line: str, cover: bool) -> None:
    assert is_cover_line(line) == cover


def test_a_question_about_the_inspection_keeps_the_cover_page() -> None:
    assert asks_about_the_inspection("which HMI led the 2021 wakefield inspection")
    assert asks_about_the_inspection("when was leeds last inspected")
    assert asks_about_the_inspection("Who headed the Ofsted team in Bradford in 2014?")
    assert asks_about_the_inspection("when did ofsted go into leeds")
    assert asks_about_the_inspection("who wrote the report")
    assert not asks_about_the_inspection("Who leads bradford council?")
    assert not asks_about_the_inspection("when did the trust start")
    assert not asks_about_the_inspection("what did inspectors say about care leavers in calderdale")
    assert question_type("what did inspectors say about care leavers in calderdale") is None  # not a "who"
    assert asks_about_the_inspection("Lead inspector calderdale 2018")
    assert question_type("bradford 2018 inspectors") == "person"  # keywords ending on a role, plural too
    assert asks_about_the_inspection("calderdale inspection team") and asks_about_the_inspection("leeds 2018 dates")


def test_who_leads_the_council_is_not_answered_with_the_lead_inspector(bundled_assistant: Assistant) -> None:
    """"leads" meets "Lead inspector: Lynn Radley"; that line was the top quote before the rule."""
    answer = bundled_assistant.ask("Who leads bradford council?")
    assert answer.quotes and not any(is_cover_line(q.text) for q in answer.quotes)
    asked = bundled_assistant.ask("who was the lead inspector at bradford in 2014")
    assert asked.answered and "Lead inspector: Lynn Radley" in asked.quotes[0].text
