"""The year a question names against the years a passage is about: "wakefield lead inspector 2013" is not
answered by the cover line of the 2016 report.

A passage is about another year when its document is dated (its date, and the years of its context line: the file
name and the inspection dates), none of those years is one the question names, and the passage with its
neighbours does not mention one either: then it reports another inspection's fact. The 2022 report's "since
the last inspection in 2018, when ..." mentions the year and stays, but below the passages of a document about
2018 itself: a later report looking back is second-hand where the year's own report is read ("wakefield 2018
overall grade" wants the 2018 report's "Overall effectiveness Inadequate"). The order changes, not the evidence:
the best logit of the passages that mention the year still decides whether to answer. So does, for a grade or
a date, a sentence of the year's own report that only recalls an earlier year ("since the last inspection in
2016, when ...", in the 2019 report). A grade question naming no year wants the latest judgement: the passages of
older reports sit below those of the latest report that states one. An undated document (a Wikipedia paragraph,
a note without a date) is never judged on a year it does not write.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from assistant.index.backend import IndexBackend
from assistant.query.answer_types import DATE, GRADE, answer_spans
from assistant.query.reading import context_ids
from assistant.query.types import Candidates, Query

_OF_ONE_INSPECTION = (GRADE, DATE)  # answers that belong to one inspection: its grade, its dates
_YEAR = re.compile(r"\b((?:19|20)\d\d)(?:\s*[-–/]\s*((?:19|20)?\d\d)\b)?")


def question_years(text: str) -> frozenset[str]:
    """The years ``text`` writes; a span of two ("2013-14", "2013/2014") gives both."""
    years = set()
    for first, second in _YEAR.findall(text):
        years.add(first)
        if second:
            years.add(second if len(second) == 4 else first[:2] + second)
    return frozenset(years)


def document_years(store: IndexBackend) -> list[frozenset[str]]:
    """The years each dated document is about: its date's and its context line's (the inspection dates); empty for
    an undated one, whose title's year ("1973 oil crisis") says what it is about, not when. A property of the
    index: the pipeline counts them once per loaded index."""
    return [frozenset({d.date[:4], *question_years(d.context or "")}) if d.date else frozenset()
            for d in store.docs]


def year_marks(store: IndexBackend, doc_years: Sequence[frozenset[str]], query: Query, cands: Candidates,
               rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two marks per candidate row, when the question names a year and the row's dated document (``doc_years``,
    from ``document_years``) is about other years: *about other years* when the passage (the sentence and its
    neighbours in the same document) does not mention one either, else *looking back* (a later report: "since
    the last inspection in 2018, when ..."); for a grade or date question, a row of a document about the year is
    *looking back* too when its sentence writes only earlier years (``recalls_earlier``)."""
    wanted = question_years(query.text)
    other, back = np.zeros(len(rows), dtype=bool), np.zeros(len(rows), dtype=bool)
    if not wanted:
        if query.kind == GRADE:
            back = older_judgements(store, query, cands, rows)
        return other, back
    for i, r in enumerate(rows):
        sid = int(cands.ids[r])
        own = doc_years[int(store.sent_doc[sid])]
        if own and not own & wanted:
            mentions = any(wanted & question_years(store.sentence_text(j)) for j in context_ids(store, sid))
            other[i], back[i] = not mentions, mentions
        elif own and query.kind in _OF_ONE_INSPECTION:
            back[i] = recalls_earlier(store.sentence_text(sid), wanted)
    return other, back


def older_judgements(store: IndexBackend, query: Query, cands: Candidates, rows: np.ndarray) -> np.ndarray:
    """For a grade question naming no year, the read rows of dated documents older than the latest one whose
    read rows state a judgement: "wakefield rating" wants the 2025 report's "Overall effectiveness Good" before
    the 2022 report's "since the last inspection in 2018, when all aspects ... were judged inadequate"."""
    dates = [store.docs[int(store.sent_doc[int(cands.ids[r])])].date for r in rows]
    judged = [d for r, d in zip(rows, dates, strict=True)
              if d and answer_spans(store.sentence_text(int(cands.ids[r])), GRADE, query.text)]
    if not judged:
        return np.zeros(len(rows), dtype=bool)
    latest = max(judged)
    return np.array([bool(d) and d < latest for d in dates], dtype=bool)


def recalls_earlier(sentence: str, wanted: frozenset[str]) -> bool:
    """Whether a sentence of the year's own report is about an earlier year only: it writes years, all before the
    question's ("since the last inspection in September 2016, when the local authority was judged inadequate",
    in the 2019 report, for "what was kirklees rated in 2019"). Read only for a question wanting a grade or a
    date, which belong to one inspection: "services have deteriorated since the last inspection in 2014" still
    says why they were poor in 2018."""
    years = question_years(sentence)
    return bool(years) and max(years) < min(wanted)


def below_the_others(logits: np.ndarray, demoted: np.ndarray) -> np.ndarray:
    """``logits`` with the ``demoted`` rows moved below every other row, their own order kept."""
    if not demoted.any() or demoted.all():
        return logits
    out = logits.astype(np.float64).copy()
    out[demoted] -= float(logits.max() - logits.min()) + 1.0
    return out
