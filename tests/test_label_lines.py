"""Label lines answer questions about their label only (assistant/query/label_lines.py)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.api import Assistant
from assistant.query.answer_types import question_type
from assistant.query.label_lines import asks_about_label, labels
from assistant.query.types import Query

TEAM = "The inspection team\nLead inspector: Lynn Radley\nTeam inspectors: Fiona Parker, Jansy Kelly, Ali Mekki, " \
       "Graham Tilby, Margaret\nFarrow and Ros Walker (AI)"


def _query(text: str) -> Query:
    return Query(text, np.zeros(1, np.float32), tuple(text.lower().split()), question_type(text))


@pytest.mark.parametrize(("text", "found"), [
    (TEAM, ["Lead inspector", "Team inspectors", "The inspection team"]),
    ("Inspection dates: 12 to 23 January 2026", ["Inspection dates"]),
    ("The report says: “There are widespread and serious failures across all service areas.", None),  # a quote
    ("For example: strengthened partnerships at a cluster\nlevel now provide locality-based services to meet "
     "the needs of families", None),  # a sentence, not a value
    ("Overall effectiveness Good", None),  # a grade row has no label
])
def test_which_passages_are_label_lines(text: str, found: list[str] | None) -> None:
    assert labels(text) == found


@pytest.mark.parametrize(("question", "kept"), [
    ("who leads bradford council", False),  # "leads" meets "Lead", but the line names an inspector
    ("who was the lead inspector in bradford in 2014", True),
    ("Who headed the Ofsted team in Bradford in 2014?", True),  # the block's heading
    ("which HMI led the 2014 bradford inspection", True),  # "inspection" and "inspector" share their stem
])
def test_a_label_block_is_kept_for_questions_about_its_labels(question: str, kept: bool) -> None:
    assert asks_about_label(_query(question), labels(TEAM) or []) is kept


def test_a_date_label_answers_when() -> None:
    found = labels("Inspection dates: 12 to 23 January 2026") or []
    assert asks_about_label(_query("when was the bradford trust inspected"), found)
    assert not asks_about_label(_query("who runs the bradford trust"), found)


def test_a_cover_line_does_not_answer_another_question(bundled_assistant: Assistant) -> None:
    """The 2014 Bradford report's team block shares "lead" with the question and names a person; it is not the
    answer to who leads the council (which no inspection report says), and still answers who led the team."""
    answer = bundled_assistant.ask("who leads bradford council")
    assert not any("Lead inspector" in q.text for q in answer.quotes[:1])
    team = bundled_assistant.ask("Who headed the Ofsted team in Bradford in 2014?")
    assert team.answered and "Lynn Radley" in team.quotes[0].text
