"""The question's hard constraints (places, organisations, people, years, figures), checked against a candidate.

Similarity cannot see that "Sheffield" or "2020" in a question has no match in the best candidate's document: an
on-topic question about an authority or a year the corpus does not cover looks answerable. So the words that pin
a question down are pulled out explicitly and looked up in three widening circles: the candidate sentence with
its neighbours, its document's title and context line (authority, date), and the rest of its document. A
constraint found in none of them is a strong sign that the candidate answers a different question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_FIGURE = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?%?(?![\w])")
_CAPITALISED = re.compile(r"\b[A-Z][\w'’-]*[A-Za-z]\b")
_WORDS = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
# Capitalised at a question's start or as a question word, or too common in any report to pin a question down.
_NOT_CONSTRAINTS = frozenset(
    """what who whom whose which when where why how is are was were do does did can could should would will
    has have had the a an in on of for to by according tell list name give i we our my me please
    ofsted council children children's childrens services service social care report reports inspection
    inspectors inspector local authority authorities january february march april may june july august
    september october november december mr mrs ms dr""".split()
)


@dataclass(frozen=True)
class Constraints:
    """Lower-cased words and figures a right answer's context must contain."""

    names: tuple[str, ...]  # capitalised words (places, organisations, people), as lower-case words
    years: tuple[str, ...]
    figures: tuple[str, ...]  # other numbers, as written without thousands separators

    @property
    def all(self) -> tuple[str, ...]:
        return (*self.names, *self.years, *self.figures)


def question_constraints(question: str) -> Constraints:
    """The names, years and figures of a question (see module docstring)."""
    years = tuple(dict.fromkeys(_YEAR.findall(question)))
    figures = tuple(dict.fromkeys(f.replace(",", "") for f in _FIGURE.findall(question)
                                  if f.replace(",", "") not in years))
    names: list[str] = []
    for m in _CAPITALISED.finditer(question):
        word = m.group().lower().replace("’", "'")
        stem = word[:-2] if word.endswith("'s") else word
        if stem not in _NOT_CONSTRAINTS and word not in _NOT_CONSTRAINTS and stem not in names:
            names.append(stem)
    return Constraints(tuple(names), years, figures)


def words_of(text: str) -> frozenset[str]:
    """Lower-case words and figures of a text (thousands separators dropped), for constraint look-ups."""
    low = text.lower().replace("’", "'")
    figures = {f.replace(",", "") for f in _FIGURE.findall(low)}
    words = set(_WORDS.findall(low))
    words |= {w[:-2] for w in words if w.endswith("'s")}
    return frozenset(words | figures)


@dataclass(frozen=True)
class ConstraintCheck:
    """Shares of the question's constraints missing from each circle around a candidate (0 when it has none)."""

    n: int
    missing_near: float  # from the sentence and its neighbours
    missing_meta: float  # from the sentence, neighbours, title and context line
    missing_doc: float  # from the whole document (and its title and context line)
    year_missing_doc: float  # 1 when a year of the question occurs nowhere in the document


def check_constraints(c: Constraints, near: frozenset[str], meta: frozenset[str],
                      doc: frozenset[str]) -> ConstraintCheck:
    items = c.all
    if not items:
        return ConstraintCheck(0, 0.0, 0.0, 0.0, 0.0)
    n = len(items)
    in_meta = near | meta
    return ConstraintCheck(
        n,
        sum(w not in near for w in items) / n,
        sum(w not in in_meta for w in items) / n,
        sum(w not in in_meta and w not in doc for w in items) / n,
        float(any(y not in in_meta and y not in doc for y in c.years)),
    )
