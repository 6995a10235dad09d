"""A question for a grade put in the words of Ofsted's judgements ("kirklees 2019 rating" -> "kirklees 2019
overall effectiveness"), and, for the headline judgement, an area's grade set below.

Why: users ask for a council's "rating" or "grade"; the reports state it in a judgements table whose row reads
"Overall effectiveness Requires improvement to be good". BM25 stems "rating" and "rated" to "rate" (so the
vacancy rate and the rate of children on a plan came first), and the reader, trained on SQuAD's written
questions, gave the table row about -4 for "kirklees 2019 rating" and +2.2 for "kirklees 2019 overall
effectiveness". The words live in ``wording.json`` ("grade_questions"): hand-written from the reports' judgement
tables, never fitted to questions. Only a question already typed as asking for a grade (answer_types.GRADE) is
touched, so "the rate of children in care" keeps its rate.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from assistant.index.backend import IndexBackend
from assistant.index.lexical import tokenize
from assistant.query.answer_types import GRADE, YES_NO_GRADE_Q, answer_spans, grade_labels
from assistant.query.types import Candidates, Query
from assistant.query.wording import WORDING_FILE, Usage, words_pattern


@dataclass(frozen=True)
class _Rules:
    swaps: dict[str, str]  # "rating" -> "judgement": the grade sense of a word whose stem is also a rate's
    swap: re.Pattern[str]
    headline: str  # what the reports call the headline judgement
    named: re.Pattern[str]  # the headline itself, in a question
    nouns: re.Pattern[str]  # the words for a grade itself, which give way to the headline
    areas: re.Pattern[str]  # the judged areas: a question naming one wants that area's grade
    inspectorate: str  # the rules hold only where the documents use this word


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    rules = json.loads(WORDING_FILE.read_text(encoding="utf-8"))["grade_questions"]
    swaps: dict[str, str] = rules["words"]
    return _Rules({k.lower(): v for k, v in swaps.items()}, words_pattern(list(swaps)), rules["headline"],
                  words_pattern([rules["headline"]]), words_pattern(rules["headline_nouns"]),
                  words_pattern(rules["areas"]), rules["only_where_documents_use"])


def in_judgement_words(text: str, kind: str | None, idf: Usage | None = None) -> str:
    """``text`` in the judgements' words when it asks for a grade. Naming a judged area (adoption, care leavers,
    leaders...), its "rating" becomes "judgement"; naming none, it asks for the headline judgement: the word for
    the grade gives way to "overall effectiveness" ("kirklees 2016 rating" -> "kirklees 2016 overall
    effectiveness"; "judgement" itself would pull "the graded judgement for adoption performance"), a yes/no
    question's grade gives way to it too ("is bradford still inadequate" -> "is bradford still overall
    effectiveness": the grade asked about would pull the reports that gave it, not the latest), or, with no such
    word ("how was wakefield rated in 2016"), the headline is added after the question. With ``idf`` (the
    documents' word use), only where the documents use the word "Ofsted": over Wikipedia, "What was Manning's
    passer rating?" keeps its rating."""
    if kind != GRADE:
        return text
    rules = _rules()
    if idf is not None and not idf(tokenize(rules.inspectorate)):
        return text
    if rules.areas.search(text):
        return rules.swap.sub(lambda m: rules.swaps[m.group().lower()], text)
    if rules.named.search(text):
        return text
    yes_no = YES_NO_GRADE_Q.match(text)
    if yes_no:  # the judgement answers it, whichever grade: "is bradford still inadequate" -> the latest judgement
        return text[:yes_no.start("grade")] + rules.headline + text[yes_no.end("grade"):]
    headed = rules.nouns.sub(rules.headline, text, count=1)
    if headed != text:
        return headed
    swapped = rules.swap.sub(lambda m: rules.swaps[m.group().lower()], text)
    return f"{swapped.rstrip(' ?.!')} {rules.headline}"


def other_areas(store: IndexBackend, query: Query, cands: Candidates, rows: np.ndarray) -> np.ndarray:
    """Per read row, for a question asking for the headline judgement (it reads "overall effectiveness" and names no
    judged area): the sentence states the grade of a judged area and no grade of it is labelled overall ("The
    judgements on areas of the service that contribute to overall effectiveness are: / 1. Children who need help
    and protection Requires Improvement" for "calderdale 2015 rating"). The pipeline sets such rows below the
    others, as it does a later report looking back: order only, the evidence is unchanged."""
    rules = _rules()
    marks = np.zeros(len(rows), dtype=bool)
    if query.kind != GRADE or not rules.named.search(query.text) or rules.areas.search(query.text):
        return marks
    for i, r in enumerate(rows):
        text = store.sentence_text(int(cands.ids[r]))
        spans = answer_spans(text, GRADE, query.text) if rules.areas.search(text) else []
        marks[i] = bool(spans) and not any("overall" in label.lower() for label in grade_labels(text, spans))
    return marks
