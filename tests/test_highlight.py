"""The highlight head (assistant/query/highlight.py): the reader gives each sentence's token states from the run
that scores it, the shipped head marks an exact slice of the quote for questions no answer-type pattern covers,
a damaged head file is refused with a one-line fix, and the tiny configuration of its training script writes a
head the runtime loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO_ROOT, copy_reader_model

from assistant.api import Assistant
from assistant.query.answer_types import (
    DATE,
    GRADE,
    MONEY,
    NUMBER,
    PERSON,
    SHARE,
    answer_spans,
    asks_who,
    figure_kind,
    holds_figure_kind,
    question_type,
)
from assistant.query.highlight import choose_span, token_features, token_scores
from assistant.reader import MODEL_DIR, Candidate, Reader, ReaderError, load_reader
from assistant.reader.runtime import SPAN_FILE, SentenceTokens, read_span_weights

SENTENCES = [
    "The harbour master, Agnes Pollard, keeps a logbook of every vessel that enters.",
    "The town's youth forum is called the Kestrel Voices panel and meets monthly.",
]


def test_reading_gives_the_scores_and_each_sentences_tokens() -> None:
    reader = load_reader()
    question = "What is the youth forum called?"
    identity = np.eye(384, dtype=np.float32)
    reading = reader.read(question, [Candidate(s) for s in SENTENCES], projection=identity)
    assert np.array_equal(reading.logits, reader.score(question, SENTENCES))  # the same run scores
    assert len(reading.sentences) == 2
    for sentence, tokens in zip(SENTENCES, reading.sentences, strict=True):
        assert tokens is not None and tokens.states.shape == (len(tokens.ids), 384)
        pieces = [sentence[a:b].lower() for a, b in tokens.offsets]
        assert pieces == [t.removeprefix("##") for t in tokens.tokens]  # the offsets slice the sentence itself


def test_question_time_scores_equal_the_trained_features() -> None:
    """The head's state weights applied inside the reader's run (question time) give the scores of the features
    training fitted on (the states themselves, times the weights)."""
    reader = load_reader()
    weights = reader.span_weights
    assert weights is not None
    question = "What is the youth forum called?"
    cands = [Candidate(s) for s in SENTENCES]
    plain = reader.read(question, cands, projection=np.eye(384, dtype=np.float32)).sentences
    projected = reader.read(question, cands).sentences
    for sentence, a, b in zip(SENTENCES, plain, projected, strict=True):
        assert a is not None and b is not None and b.states.shape == (len(b.ids), 2 * weights.state_blocks)
        x = token_features(a, sentence, [], weights.window)
        start, end = token_scores(weights, b, sentence, [])
        assert np.allclose(start, x @ weights.start, atol=1e-3) and np.allclose(end, x @ weights.end, atol=1e-3)


def test_the_shipped_head_highlights_an_untyped_question(bundled_assistant: Assistant) -> None:
    assert load_reader().span_weights is not None
    question = "What will the Bradford children's social care trust be known as?"
    assert question_type(question) is None  # no answer-type pattern applies: the highlight is the head's
    answer = bundled_assistant.ask(question)
    marked = [q for q in answer.quotes if q.highlight is not None]
    assert marked, [q.text for q in answer.quotes]
    store = bundled_assistant.snapshot().store
    pages = {d.doc: d.pages for d in store.docs}
    for q in marked:
        page_idx = next(i for i, p in enumerate(pages[q.doc]) if p[q.start:q.end] == q.text)
        assert pages[q.doc][page_idx][q.highlight_start:q.highlight_end] == q.highlight
        assert q.start <= q.highlight_start < q.highlight_end <= q.end
        assert len(q.highlight) < len(q.text)


@pytest.mark.parametrize("damage", ["truncate", "other_reader", "shape"])
def test_damaged_head_is_refused_with_the_fix(tmp_path: Path, damage: str) -> None:
    model = copy_reader_model(tmp_path / "model")
    path = model / SPAN_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    if damage == "truncate":
        path.write_text(path.read_text(encoding="utf-8")[:500], encoding="utf-8")
    elif damage == "other_reader":
        path.write_text(json.dumps({**data, "reader_sha256": "0" * 64}), encoding="utf-8")
    else:
        path.write_text(json.dumps({**data, "start": data["start"][:-1]}), encoding="utf-8")
    with pytest.raises(ReaderError) as err:
        Reader(model)
    message = str(err.value)
    assert "\n" not in message and SPAN_FILE in message and "make reader" in message


def test_tiny_training_run_writes_a_head_the_runtime_loads(tmp_path: Path) -> None:
    model = copy_reader_model(tmp_path / "model")
    (model / SPAN_FILE).unlink()
    assert read_span_weights(model) is None
    results = tmp_path / "span.json"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "HF_HUB_OFFLINE": "1"}
    run = subprocess.run([sys.executable, "-m", "training.train_span_head", "--reader", str(model),
                          "--max-articles", "2", "--report-questions", "40", "--windows", "1", "--l2", "0.01",
                          "--max-tokens", "8", "--results", str(results)],
                         capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    weights = read_span_weights(model)
    assert weights is not None and weights.window == (1,) and weights.max_tokens == 8
    figures = json.loads(results.read_text(encoding="utf-8"))
    assert figures["tiny"] is True and 0.0 <= figures["report_v11_odd"]["head_f1"] <= 1.0
    assert (model / "SPAN_HEAD_CARD.md").read_text(encoding="utf-8").startswith("# Highlight head")
    assert Reader(model).span_weights is not None
    assert MODEL_DIR != model


def test_a_span_ending_on_the_last_piece_read_is_widened_to_the_whole_word() -> None:
    # the reader reads at most 64 tokens, so the head's span could end on the last piece read: "April 202"
    sentence = "The trust is set to go live in April 2023."
    tokens = load_reader().tokenizer.encode(sentence, add_special_tokens=False)
    read = next(k for k, (_, b) in enumerate(tokens.offsets) if sentence[:b].endswith("202")) + 1
    seen = SentenceTokens(np.zeros((read, 1), np.float32), tuple(tokens.ids[:read]), tuple(tokens.tokens[:read]),
                          tuple(tokens.offsets[:read]), frozenset())
    start, end = np.full(read, -5.0), np.full(read, -5.0)
    start[next(k for k, t in enumerate(seen.tokens) if t == "april")] = 5.0
    end[read - 1] = 5.0  # the head's best end is the last piece read
    span = choose_span(seen, sentence, [], start, end, max_tokens=8)
    assert span is not None and sentence[span.start:span.end] == "April 2023"


def test_a_free_highlight_is_never_only_the_question_words() -> None:
    """"what did ofsted say about leeds" had highlighted "Leeds" in "Leeds is a vibrant, diverse and growing city"."""
    sentence = "Leeds is a vibrant, diverse and growing city."
    tokenizer = load_reader().tokenizer
    tokens = tokenizer.encode(sentence, add_special_tokens=False)
    asked = frozenset(tokenizer.encode("what did ofsted say about leeds", add_special_tokens=False).ids)
    seen = SentenceTokens(np.zeros((len(tokens.ids), 1), np.float32), tuple(tokens.ids), tuple(tokens.tokens),
                          tuple(tokens.offsets), asked)
    start, end = np.full(len(seen.ids), -5.0), np.full(len(seen.ids), -5.0)
    start[0], end[0] = 5.0, 5.0  # the head's best span is "Leeds", a word of the question
    start[seen.tokens.index("vibrant")], end[seen.tokens.index("city")] = 3.0, 3.0
    span = choose_span(seen, sentence, [], start, end, max_tokens=8)
    assert span is not None and sentence[span.start:span.end] == "vibrant, diverse and growing city"


def test_a_highlight_never_ends_inside_a_word(bundled_assistant: Assistant) -> None:
    answer = bundled_assistant.ask("which council ran bradford's children's services before the trust")
    spans = [q.highlight for q in answer.quotes if q.highlight]
    assert spans
    for q in answer.quotes:
        if q.highlight_end is not None:
            page = next(d for d in bundled_assistant.store.docs if d.doc == q.doc)
            text = page.pages[page.page_numbers.index(q.page)]
            assert q.highlight_end == len(text) or not (text[q.highlight_end - 1].isalnum()
                                                         and text[q.highlight_end].isalnum()), q.highlight
    assert answer.scope.words == ("bradford",)  # the user's "bradford's", shown without the possessive


def test_numbers_written_as_words_are_number_answers() -> None:
    """"thirteen children's homes" answers "how many": every number word up to ninety, and "dozen", is a number."""
    text = "The council runs thirteen children's homes, sixty-five foster homes and a dozen hostels."
    assert question_type("How many children's homes did bradford council run in 2014?") == NUMBER
    assert [text[s:e] for s, e in answer_spans(text, NUMBER)] == ["thirteen", "sixty-five", "dozen"]


def test_a_share_does_not_answer_how_many() -> None:
    """"128 children adopted ... (11%)": a count question's number is 128; a share question may take 11%."""
    text = "Leeds adopted 128 children, and more children from minority backgrounds (11%) than the average (8%)."
    assert [text[s:e] for s, e in answer_spans(text, NUMBER, "how many children were adopted in leeds")] == ["128"]
    share = "what share of adopted children were from minority backgrounds"
    assert [text[s:e] for s, e in answer_spans(text, NUMBER, share)] == ["128", "11%", "8%"]


@pytest.mark.parametrize(("text", "counts"), [
    ("In 2013–14 the number with three or more placements was 8%, with Leeds ranking 16th.", ["three"]),
    ("At 20th January 2015, 1,294 children were being looked after (a rate of 82 per 10,000 children).",
     ["1,294", "82", "10,000"]),
    ("There were 45 adopters in 2014/15, against 38 in March 2013.", ["45", "38"]),
    ("The number of looked after children rose in 2014 and again in 2015.", []),
])
def test_a_year_an_ordinal_or_a_date_does_not_count(text: str, counts: list[str]) -> None:
    """"how many" wants a count: the "14" of "2013–14", "16th", the "20th" of a date and a bare year are not
    counts, so a sentence holding only those does not hold the answer's kind."""
    question = "Number of children in care in leeds 2015"
    assert [text[s:e] for s, e in answer_spans(text, NUMBER, question)] == counts


@pytest.mark.parametrize(("text", "durations"), [
    ("Children waited on average 742 days from coming into care, and 45 adopters were approved.", ["742 days"]),
    ("Walker said setting up a trust would take one to two years.", ["one to two years"]),
    ("Care leavers can join a 12-week independence skills course run by 3 staff.", ["12-week"]),
    ("The director has been in post since April 2007; 3 managers left in 2013.", ["since April 2007"]),
    ("There were 45 adopters in 2014.", []),
])
def test_how_long_wants_a_duration(text: str, durations: list[str]) -> None:
    """"how long" is answered by a time ("742 days", "12-week", "since April 2007"), not by any number."""
    question = "how long do children wait for adoption"
    assert question_type(question) == NUMBER
    assert [text[s:e] for s, e in answer_spans(text, NUMBER, question)] == durations


@pytest.mark.parametrize(("question", "kind"), [
    ("Number of children in care in leeds 2015", NUMBER),
    ("what share of calderdale care leavers go to university", NUMBER),
    ("what is the rate of children in care per 10,000", NUMBER),
    ("what did ofsted rate bradford", GRADE),
    ("which rating did wakefield get", GRADE),
    ("how did wakefield do on adoption in 2016", GRADE),
    ("how are leeds care leavers doing?", GRADE),
    ("how did social workers do their visits", None),  # how a thing was done, not how well
    ("Calderdale social worker vacancy rate 2014-15", NUMBER),  # "rate" as a noun: a figure
    ("leeds adoption rate", NUMBER),
    ("how did inspectors rate leeds", GRADE),  # "rate" as a verb: a grade
    ("kirklees overall rate", GRADE),
    # typed as keywords: no question word, so the noun says what is wanted
    ("leeds adoption numbers 2015", NUMBER),
    ("bradford social worker salary", NUMBER),  # a sum is a number
    ("what age do care leavers get a personal adviser", NUMBER),
    ("bradford inspection dates", DATE),
    ("year the trust started", DATE),
    ("leeds adoptions last year", None),  # "last year" says when, it does not ask for a date
    ("wakefield lead inspector 2013", PERSON),
    ("head of wakefield children's services", PERSON),
    ("kirklees care leavers", None),
    ("what is the price of care", NUMBER),
    ("what is calderdale's children in care council called", PERSON),  # a proper name, like a person's
])
def test_how_users_ask_for_a_kind_of_answer(question: str, kind: str | None) -> None:
    """Short questions as users type them: "number of ...", "what share", "what did ofsted rate ...", and keywords
    with no question word ("bradford inspection dates")."""
    assert question_type(question) == kind


@pytest.mark.parametrize(("question", "wants_a_person"), [
    ("Who chairs bradford's improvement board?", True),
    ("name of kirklees's director of children's services", True),
    ("what is the name of kirklees council's chief executive", True),
    ("which inspector led the visit", True),
    ("which HMI led the 2021 wakefield inspection", True),  # His/Her Majesty's Inspector
    ("name of kirklees drop in for care leavers", False),  # a name, not a person's
    ("bradford improvement board chair", True),  # typed as keywords
    ("kirklees director name", True),
    ("wakefield lead inspector 2013", True),
    ("head of wakefield children's services", True),
    ("lead inspector report on leeds", False),  # the role is not what is asked for
    ("what is calderdale's children in care council called", False),  # a name, not a person's
    ("What is the name of Wakefield's partnership approach?", False),
])
def test_which_questions_only_a_person_can_answer(question: str, wants_a_person: bool) -> None:
    assert asks_who(question) is wants_a_person


@pytest.mark.parametrize(("question", "kind"), [
    ("How much are social workers paid in bradford?", MONEY),
    ("what do leeds social workers earn", MONEY),
    ("what is the average salary of a social worker", MONEY),
    ("how much did the council invest in children's services", MONEY),
    ("what share of calderdale care leavers go to university", SHARE),
    ("percentage of children seen within a week", SHARE),
    ("how much did caseloads fall", None),  # a change, not a sum
    ("What type of wages does automation lead to?", None),  # a kind of wage, not a figure
    ("how many children are in care", None),  # any number will do
    ("Cost of wakefield's new children's home", MONEY),  # typed as keywords
    ("bradford social worker salary", MONEY),
    ("social worker pay in bradford", MONEY),
    ("care leavers at university calderdale percent", SHARE),
    ("What type of wages does automation lead to?", None),
    ("how did pay affect recruitment", None),  # a question word: the money word is not the answer's kind
])
def test_which_questions_want_a_sum_or_a_share(question: str, kind: str | None) -> None:
    assert figure_kind(question) == kind


@pytest.mark.parametrize(("text", "kind", "holds"), [
    ("£28 million had been invested", MONEY, True),
    ("the budget rose by 3 billion", MONEY, True),
    ("social workers are well paid", MONEY, False),
    ("11% of care leavers are at university", SHARE, True),
    ("one in five children waits", SHARE, True),
    ("a high proportion of care leavers", SHARE, False),
])
def test_which_passages_give_a_sum_or_a_share(text: str, kind: str, holds: bool) -> None:
    assert holds_figure_kind(text, kind) is holds


@pytest.mark.parametrize(("text", "grades"), [
    ("Overall effectiveness Inadequate", ["Inadequate"]),  # a row of the judgements table
    ("2.1 Adoption performance Good\n", ["Good"]),
    ("Children’s services in Kirklees are inadequate", ["inadequate"]),
    ("The graded judgement for adoption performance is that it is good.", ["good"]),
    ("was judged to be\ninadequate for the experiences of children", ["inadequate"]),
    ("Children's services require improvement to be good", ["require improvement to be good"]),
    ("Leeds requires improvement to be good", ["requires improvement to be good"]),
    ("care leavers\nRequires improvement\nto be good\nOverall", ["Requires improvement\nto be good"]),  # a wrapped row
    ("The majority of children looked after make good progress at school.", []),  # an adjective, not a grade
    ("inadequate plans were seen in a few cases", []),
])
def test_a_grade_is_a_judgement_not_an_adjective(text: str, grades: list[str]) -> None:
    assert [text[s:e] for s, e in answer_spans(text, GRADE, "overall grade")] == grades
