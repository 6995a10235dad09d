"""Label lines ("Lead inspector: Lynn Radley", "Inspection dates: 12 to 23 January 2026") answer questions about
their label only.

A report's cover and its inspection-team block are lines of a label and a value. They share words with many
questions ("who leads bradford council" and "Lead inspector") and give a name or a date, so they win questions
that ask for something else. A passage made of label lines is kept for a question that names what one of its
labels is (its last word: "inspector", "dates", "published"; a date label also for a question that asks when);
otherwise it sits below the other read passages.
"""

from __future__ import annotations

import re

import numpy as np

from assistant.index.backend import IndexBackend
from assistant.query.answer_types import DATE
from assistant.query.types import Candidates, Query

_LABEL_LINE = re.compile(r"^\s*([A-Z][A-Za-z’']*(?: [a-z][A-Za-z’']*){0,3}):\s+[^\s“\"‘']")  # not a quotation
_LINE_WORDS = 14  # a label's value is a name, a list of names or a date, not a sentence
_DATE_LABEL = re.compile(r"\b(?:dates?|published|publication)\b", re.I)
_HEADING_WORDS = 4  # a line of a label block that is not a label is a heading ("The inspection team")
_CONTINUED_WORDS = 8
_STEM = 6  # "inspector", "inspectors" and "inspection" meet on their first six letters


def labels(text: str) -> list[str] | None:
    """The labels and headings of a passage made of label lines (with at most short headings between them: "The
    inspection team"), else None."""
    found, headings, others, after_label = [], [], 0, False
    for line in text.splitlines():
        m = _LABEL_LINE.match(line)
        if m and len(line.split()) <= _LINE_WORDS:
            found.append(m.group(1))
        elif line.strip():  # a heading, or the wrapped end of a label's list of names
            words = len(line.split())
            others += words > (_CONTINUED_WORDS if after_label else _HEADING_WORDS)
            if not after_label and words <= _HEADING_WORDS:
                headings.append(line.strip())
        after_label = bool(m)
    return found + headings if found and not others else None


def _stem(word: str) -> str:
    return word.lower().strip("’'")[:_STEM]


def asks_about_label(query: Query, found: list[str]) -> bool:
    """Whether the question names what one of the labels is, or asks when and a label holds a date."""
    words = {_stem(w) for w in re.findall(r"[A-Za-z’']+", query.text)}
    if any(_stem(label.split()[-1]) in words for label in found):
        return True
    return query.kind == DATE and any(_DATE_LABEL.search(label) for label in found)


def off_label(store: IndexBackend, query: Query, cands: Candidates, rows: np.ndarray) -> np.ndarray:
    """For each candidate row: its sentence is a block of label lines none of which the question asks about."""
    out = np.zeros(len(rows), dtype=bool)
    for i, r in enumerate(rows):
        found = labels(store.sentence_text(int(cands.ids[r])))
        out[i] = found is not None and not asks_about_label(query, found)
    return out
