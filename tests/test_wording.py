"""Everyday words are searched in the documents' words and shown as typed (assistant/query/wording.py)."""

from __future__ import annotations

import json

import pytest

from assistant.api import Assistant
from assistant.cli import main
from assistant.export import answer_markdown
from assistant.query.wording import WORDING_FILE, in_documents_words


@pytest.mark.parametrize(("typed", "searched"), [
    ("how many kids were adopted in leeds", "how many children were adopted in leeds"),
    ("Kids in care", "children in care"),
    ("bradford hiring problems", "bradford recruitment problems"),
    ("foster  parents in wakefield", "foster carers in wakefield"),  # a phrase, whatever the spacing
    ("care homes in bradford", "children's homes in bradford"),
    ("who inspected calderdale in 2015", "who was the lead inspector who inspected calderdale in 2015"),
    ("skids and kids-club", "skids and kids-club"),  # whole words only
    ("how many children are in care", "how many children are in care"),  # nothing to change
    ("children in care in leeds 2015", "children in care or looked after in leeds 2015"),  # the reports' count line
    ("what is calderdale's Children in Care Council called", "what is calderdale's Children in Care Council called"),
])
def test_everyday_words_become_the_documents_words(typed: str, searched: str) -> None:
    assert in_documents_words(typed) == searched


def test_every_pair_is_an_everyday_word_and_a_different_documents_word() -> None:
    words = json.loads(WORDING_FILE.read_text(encoding="utf-8"))["words"]
    assert words and all(k.strip() and v.strip() and k.lower() != v.lower() for k, v in words.items())


def test_the_answer_shows_the_question_as_typed(bundled_assistant: Assistant) -> None:
    """"kids" is searched as "children": the trust's start date is found, and the user sees the words they typed."""
    typed = "when does the new trust take over bradford kids social care"
    trace = bundled_assistant.trace(typed)
    assert trace.query.text == "when does the new trust take over bradford children social care"
    assert trace.answer.question == typed
    assert trace.answer.answered and any("April 2023" in q.text for q in trace.answer.quotes)
    assert trace.answer.searched_as == trace.query.text  # said, not hidden: JSON, terminal, app and export
    assert trace.answer.to_json()["searched_as"] == trace.query.text
    assert f"Searched as: {trace.query.text}" in answer_markdown(trace.answer)
    assert bundled_assistant.ask("when does the new trust take over bradford children social care").searched_as \
        is None  # nothing changed, nothing to say


def test_the_terminal_says_what_was_searched(bundled_index, capsys) -> None:
    assert main(["ask", "how many kids were adopted in leeds", "--index", str(bundled_index)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["Q: how many kids were adopted in leeds",
                         "Searched as: how many children were adopted in leeds"]


def test_a_word_is_swapped_only_where_the_documents_use_the_other_more() -> None:
    """Over Wikipedia "hired" is the common word: "who hired him" stays; a word the documents never use goes."""
    wikipedia = {"hire": 2.0, "recruit": 6.0, "child": 1.5}.__getitem__

    def idf(tokens: list[str]) -> dict[str, float]:
        return {t: wikipedia(t) for t in tokens if t in ("hire", "recruit", "child")}

    assert in_documents_words("who hired him", idf) == "who hired him"
    assert in_documents_words("how many kids", idf) == "how many children"  # "kid" is unknown to them
