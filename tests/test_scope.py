"""The ordinary ask searches only the documents that mention the question's names and years when a document's
title or context line holds them (query/scope.py, ``documents_in_scope``): an on-topic question about one council
is not answered from another council's report because its wording is closer."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from test_app import ask, html_bodies, quote_blocks, visible_text

from assistant.api import Assistant
from assistant.cli import main
from assistant.export import answer_markdown
from assistant.folding import fold_text
from assistant.query.scope import (
    PLACES_FILE,
    PlacesUnavailable,
    Scope,
    documents_in_scope,
    load_place_phrases,
    load_places,
    unmentioned_place_phrases,
    year_conflict,
)
from bench.public_data import data_root
from training.places import build, gazetteer_names, gazetteer_phrases, sample_texts

WAKEFIELD = "what are the children in care council groups called in wakefield"


def _scope(words: tuple[str, ...], mentioned: list[list[bool]], titled: list[list[bool]] | None = None) -> Scope:
    """``titled`` (which documents' title or context line hold each word) defaults to ``mentioned``."""
    m = np.array(mentioned, bool).reshape(len(mentioned), len(words))
    t = m if titled is None else np.array(titled, bool)
    return Scope(words, m, m, tuple(w for j, w in enumerate(words) if not m[:, j].any()), t)


def test_documents_in_scope_are_those_mentioning_every_known_name_and_year() -> None:
    dated = np.array([True, True, True, False])
    scope = _scope(("Leeds", "2018"), [[True, True], [True, False], [False, True], [True, False]])
    # doc 1 mentions Leeds but not 2018 (dated: out); doc 3 is undated, so a year cannot rule it out
    assert documents_in_scope(scope, dated, np.ones(len(dated))).docs.tolist() == [0, 3]


def test_no_restriction_when_no_word_picks_a_small_part_of_the_library() -> None:
    dated, sizes = np.ones(3, bool), np.array([10, 10, 10])
    assert documents_in_scope(_scope((), [[], [], []]), dated, sizes) is None  # no names or years
    assert documents_in_scope(_scope(("Oldham",), [[False]] * 3), dated, sizes) is None  # no document uses it
    assert documents_in_scope(_scope(("Ofsted",), [[True]] * 3), dated, sizes) is None  # every document does
    # a name no title or context line holds ("TV", a person): the answering passage may call it otherwise
    assert documents_in_scope(_scope(("TV",), [[True], [False], [False]], [[False]] * 3), dated, sizes) is None
    # each word is somewhere, but no document holds both: a misread name must not empty the search
    assert documents_in_scope(_scope(("Leeds", "Kirklees"), [[True, False], [False, True], [False, False]]),
                              dated, sizes) is None
    # the documents picked hold most of the library's sentences: narrowing would change little and cost a scan
    leeds = _scope(("Leeds",), [[True], [True], [False]])
    assert documents_in_scope(leeds, dated, sizes) is None
    assert documents_in_scope(leeds, dated, np.array([5, 5, 30])).docs.tolist() == [0, 1]


def test_a_year_no_document_about_the_name_mentions_rules_the_question_out() -> None:
    dated = np.array([True, True, True, False])
    # Wakefield: docs 0-1, neither mentions 2023; doc 2 (another council) does; doc 3 is undated, about neither
    scope = _scope(("Wakefield", "2023"), [[True, False], [True, False], [False, True], [False, False]])
    assert year_conflict(scope, dated) == ("Wakefield", "2023")
    undated_wakefield = _scope(("Wakefield", "2023"), [[True, False], [True, False], [False, True], [True, False]])
    assert year_conflict(undated_wakefield, dated) is None  # an undated document may be about any year
    # two councils and a year: each council has a document with the year, though none has all three
    two = _scope(("Leeds", "Wakefield", "2018"), [[True, False, True], [False, True, True], [False, False, False],
                                                  [False, False, False]])
    assert documents_in_scope(two, dated, np.ones(len(dated))) is None and year_conflict(two, dated) is None


def _mentions(assistant: Assistant, doc: str, word: str) -> bool:
    record = next(d for d in assistant.store.docs if d.doc == doc)
    return word in fold_text(" ".join([record.title, record.context, *record.pages]))


def test_a_question_about_one_council_is_answered_only_from_documents_that_mention_it(
        bundled_assistant: Assistant) -> None:
    scoped = bundled_assistant.ask(WAKEFIELD)
    assert scoped.quotes and all(_mentions(bundled_assistant, q.doc, "wakefield") for q in scoped.quotes)
    # the same question without the scope check: a Leeds report's "groups across the city called 'Clusters'"
    # reads closer to the question than anything in the Wakefield reports, and is quoted as the answer
    unscoped = bundled_assistant.ask(WAKEFIELD, settings=replace(bundled_assistant.settings, scope=False))
    assert not all(_mentions(bundled_assistant, q.doc, "wakefield") for q in unscoped.quotes)
    assert unscoped.evidence > scoped.evidence


def test_the_scope_reads_only_the_question_tokens_postings(bundled_assistant: Assistant) -> None:
    pipeline = bundled_assistant.snapshot().pipeline
    scope = pipeline.scope(pipeline.prepare("how many children in care in leeds in 2018"))
    assert [w.lower() for w in scope.words] == ["leeds", "2018"]
    docs = bundled_assistant.store.docs
    for j, word in enumerate(("leeds", "2018")):
        expected = [_mentions(bundled_assistant, d.doc, word) for d in docs]
        assert scope.mentioned[:, j].tolist() == expected, word


OLDHAM = "How many children in care in oldham?"


def test_a_question_about_a_place_no_document_mentions_is_refused_at_every_strictness(
        bundled_assistant: Assistant) -> None:
    levels = bundled_assistant.snapshot().pipeline.params.levels
    lenient = min(lv.threshold for lv in levels)
    answer = bundled_assistant.ask(OLDHAM, settings=replace(bundled_assistant.settings, abstain_threshold=lenient))
    assert not answer.answered and answer.scope.unknown_places == ("oldham",)
    assert answer.evidence < lenient  # anything reading the evidence sees a refusal at every level
    assert answer.quotes  # the closest passages are still shown, as not an answer
    assert bundled_assistant.ask(OLDHAM.replace("oldham", "Leeds")).scope.unknown_places == ()


def test_a_council_the_library_lacks_is_refused_by_one_word_or_by_its_whole_name(bundled_assistant: Assistant,
                                                                                 ) -> None:
    """Councils come from ISO 3166-2:GB, not only towns: "tameside", "lancashire"; a name of several words counts
    only whole: "north yorkshire" is refused, though "yorkshire" (of West Yorkshire) and "north" are used."""
    for question, place in (("tameside social worker caseloads", "tameside"),
                            ("how many children in care in north yorkshire?", "north yorkshire"),
                            ("what did ofsted say about Stoke-on-Trent", "stoke on trent")):
        answer = bundled_assistant.ask(question)
        assert not answer.answered and answer.scope.unknown_places == (place,), question
    assert bundled_assistant.ask("what is the west yorkshire adoption agency called").scope.unknown_places == ()


def test_a_several_word_place_a_document_mentions_rules_nothing_out(tmp_path: Path, make_corpus) -> None:
    assistant = Assistant(tmp_path / "index")
    assistant.build(make_corpus({"visit.txt": "Leaders from Stoke-on-Trent visited West Yorkshire in May.\n\n"
                                              "North of the river, families wait longer for help.\n"}))
    store = assistant.store
    assert unmentioned_place_phrases(store, "what did stoke on trent leaders do?") == ()
    assert unmentioned_place_phrases(store, "how long do families wait in north yorkshire") == ("north yorkshire",)
    assert unmentioned_place_phrases(store, "how long do families wait up north") == ()
    across = assistant.ask_per_document("how long do families wait in north yorkshire")
    assert not across.answered and "north yorkshire" in across.unknown_words and across.documents_read == 0
    assert across.not_listed() == "does not mention north yorkshire (1)"


def test_a_who_question_none_of_whose_passages_names_a_person_is_refused(bundled_assistant: Assistant) -> None:
    """The Kirklees reports speak of "the director of children and young people's services" and never name her:
    the passages about the post are shown as closest, not as an answer, at every strictness, with the reason."""
    levels = bundled_assistant.snapshot().pipeline.params.levels
    lenient = replace(bundled_assistant.settings, abstain_threshold=min(lv.threshold for lv in levels))
    answer = bundled_assistant.ask("Who is the director of children's services in Kirklees?", settings=lenient)
    assert not answer.answered and answer.scope.ruled_out == "None of the closest passages names a person."
    assert answer.quotes and "director" in answer.quotes[0].text.lower()
    named = bundled_assistant.ask("who was the chief executive of bradford council")
    assert named.answered and named.scope.ruled_out is None and "Kersten England" in named.quotes[0].text


def test_a_question_for_a_sum_none_of_whose_passages_gives_one_is_refused(bundled_assistant: Assistant) -> None:
    """The reports speak of recruiting and losing social workers and never give their pay: at every strictness the
    passages about pay are closest, not an answer, with the reason; a sum the documents give is still answered."""
    levels = bundled_assistant.snapshot().pipeline.params.levels
    lenient = replace(bundled_assistant.settings, abstain_threshold=min(lv.threshold for lv in levels))
    answer = bundled_assistant.ask("how much money was spent on agency social workers in bradford", settings=lenient)
    assert not answer.answered and answer.scope.ruled_out == "None of the closest passages gives a sum of money."
    assert answer.quotes and answer.to_json()["ruled_out"] == answer.scope.ruled_out
    invested = bundled_assistant.ask("how much did bradford council invest in children's services")
    assert invested.answered and invested.scope.ruled_out is None and "£28 million" in invested.quotes[0].text


def test_a_word_no_document_uses_that_is_not_a_place_rules_nothing_out(bundled_assistant: Assistant) -> None:
    pipeline = bundled_assistant.snapshot().pipeline
    question = "when does the new trust take over bradford bairns social care"
    assert "bairns" in pipeline.scope(pipeline.prepare(question)).unknown  # no document says "bairns"
    assert bundled_assistant.ask(question).scope.unknown_places == ()


def test_ask_json_and_text_say_how_the_search_was_narrowed(bundled_assistant: Assistant, capsys) -> None:
    index = str(bundled_assistant.index_dir)
    assert main(["ask", "wakefield 2018 overall grade", "--index", index, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    docs = bundled_assistant.store.docs
    both = [d.doc for d in docs if _mentions(bundled_assistant, d.doc, "wakefield")
            and _mentions(bundled_assistant, d.doc, "2018")]
    assert out["scope_words"] == ["wakefield", "2018"] and out["documents_searched"] == len(both)
    assert {q["doc"] for q in out["quotes"] + out["closest"]} <= set(both) and out["unknown_places"] == []
    assert out["ruled_out"] is None
    assert main(["ask", OLDHAM, "--index", index]) == 0
    text = capsys.readouterr().out
    assert "The documents do not answer this question.\nNo document mentions oldham.\n" in text
    assert "Closest passages (not an answer):" in text
    assert main(["ask", "how many children in care in wakefield in 2023", "--index", index, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)  # the Wakefield reports are of 2016, 2018, 2021 and 2025
    assert not out["answered"] and out["ruled_out"] == "No document that mentions wakefield mentions 2023."


def test_a_damaged_place_list_is_refused_with_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "places.json"
    bad.write_text('{"names": ["oldham"', encoding="utf-8")
    no_phrases = tmp_path / "old-places.json"
    no_phrases.write_text('{"names": ["oldham"]}', encoding="utf-8")  # a list from before the phrases
    with pytest.raises(PlacesUnavailable):
        load_place_phrases(no_phrases)
    with pytest.raises(PlacesUnavailable, match=r"places\.json is missing or damaged .*training\.places") as err:
        load_places(bad)
    assert "\n" not in str(err.value)


def test_the_place_list_keeps_names_and_drops_common_words() -> None:
    texts = ["They were reading the report. Families in Oldham wait. Reading and Oldham are towns; we read on."]
    out = build({"oldham", "reading", "sheffield"}, texts)
    assert out["names"] == ["oldham", "sheffield"]  # "sheffield" is never used in the sample: kept
    assert out["dropped_as_common_words"] == ["reading"]  # lower case in one of its two uses inside sentences


def test_the_committed_place_list_is_what_the_script_writes() -> None:
    committed = json.loads(PLACES_FILE.read_text(encoding="utf-8"))
    names, phrases = gazetteer_names(), gazetteer_phrases()
    assert "march" not in names and "oldham" in names and "leeds" in names  # months are never places here
    assert {"lancashire", "tameside", "kirklees"} <= names and "durham" in names  # "Durham, County" cleaned
    assert {"north yorkshire", "stoke on trent", "kingston upon hull"} <= phrases
    assert build(names, sample_texts(data_root()), phrases) == committed
    assert set(load_place_phrases()) == phrases


def test_the_ask_page_says_which_documents_were_searched(bundled_app: AppTest) -> None:
    at = ask(bundled_app, "what did inspectors say about caseloads in Wakefield")
    captions = [visible_text(b) for b in html_bodies(at) if 'class="ba-caption"' in b]
    assert any("searched the 4 of 23 documents that mention Wakefield" in c for c in captions), captions
    assert quote_blocks(at) and all("wakefield" in b.lower() for b in quote_blocks(at))


def test_the_exported_answer_says_how_the_search_was_narrowed_and_why_nothing_answers(
        bundled_assistant: Assistant) -> None:
    narrowed = answer_markdown(bundled_assistant.ask("wakefield 2018 overall grade"))
    assert "Searched the 2 documents that mention wakefield and 2018." in narrowed
    ruled_out = answer_markdown(bundled_assistant.ask("How many children in care in *oldham*?"))
    assert "No document mentions \\\\*oldham\\\\*." in ruled_out or "No document mentions oldham." in ruled_out
