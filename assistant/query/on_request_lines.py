"""Lines quoted only when the question asks for them: contact and legal lines ("W: www.ofsted.gov.uk © Crown
copyright 2015", "T: 0300 123 1231", "This report is available at https://...") unless it asks for contact
details, and a report's cover-page labels ("Lead inspector: ...", "Inspection dates: ...") unless it asks about
the inspection itself.

Why: such a line says nothing about the subject, yet it holds words many questions share. "What did ofsted say
about leeds" was answered with Leeds' report's copyright footer; "who leads bradford council" with "Lead
inspector: Lynn Radley" ("leads" / "lead"), and "who is the director" questions meet the same line. The index
build flags lines repeated across 40% of the documents (index/boilerplate.py), but a footer whose wording changed
over the years ("www.ofsted.gov.uk" in 2015, "www.gov.uk/ofsted" later) is in fewer, a cover page's names differ
in every report, and the learned ranker, fitted on Wikipedia, has no weight for the flag (which also marks
repeated lines that can answer, such as a grade table's row). So a line is dropped from the candidates by its
form: a contact line holds a web address, an e-mail address, a copyright mark or a labelled phone number and,
without those, is only a few words long; a cover line starts with an inspection label and a colon. A question
about contact details ("ofsted phone number", "how do i complain") keeps the first kind; one that asks who or
when of the inspection, an inspector, a visit, Ofsted or the report, or names the team or the dates ("who led the
2021 wakefield inspection", "when did ofsted go into leeds", "who headed the ofsted team", "who wrote the
report") keeps the second: the rule is for questions that cannot be about the cover page ("who leads the
council", "when did the trust start", "what did inspectors say about care leavers").
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from assistant.index.backend import IndexBackend
from assistant.query.answer_types import DATE, PERSON, question_type
from assistant.query.types import Candidates

_MARKERS = re.compile(r"(?:https?://|www\.)[^\s\"'<>()\[\]{},]+"  # an address ends at a quote or bracket
                      r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|©|\bcrown copyright\b|\bcopyright\b"
                      r"|\b(?:T|E|W|Tel|Textphone|Telephone|Email|Web)\s*:\s*\S*", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]{3,}")
MAX_OTHER_WORDS = 6  # "This report is available at <url>." has 3 words besides its address; a finding has more
_ASKS_CONTACT = re.compile(r"\b(?:contact(?:ed|ing)?|phone|telephone|textphone|e-?mail|emails|website|web\s?site|"
                           r"url|address|copyright|licen[cs]e|braille|large print|complain\w*|subscribe)\b",
                           re.IGNORECASE)
_LIKELY = ("@", "©", "www.", "http", "copyright")  # a cheap first look: most sentences hold none of these
_LABEL = re.compile(r"\s*(?:T|E|W|Tel|Textphone|Telephone|Email|Web)\s*:", re.IGNORECASE)
_COVER = re.compile(r"\s*(?:the inspection team\s+)?(?:(?:deputy\s+)?lead\s+(?:ofsted\s+)?inspector|team\s+inspectors?"
                    r"|inspection\s+dates?|dates?\s+of\s+(?:the\s+)?inspection)\s*:", re.IGNORECASE)
_ASKS_INSPECTION = re.compile(r"\b(?:inspect\w*|hmi|visit\w*|team|ofsted|dates?|reports?|wrote|written|authors?)\b",
                              re.IGNORECASE)
_NAMES_THE_COVER = re.compile(r"\b(?:hmi|team|dates?|wrote|written|authors?|names?|lead inspectors?)\b", re.IGNORECASE)
CONTACT, COVER = 1, 2  # the kinds of line; 0: neither


def is_contact_line(text: str) -> bool:
    """A web or e-mail address, a copyright mark or a labelled phone number, and few other words."""
    lower = text.lower()
    if not (any(m in lower for m in _LIKELY) or _LABEL.match(text)) or not _MARKERS.search(text):
        return False
    return len(_WORD.findall(_MARKERS.sub(" ", text))) <= MAX_OTHER_WORDS


def is_cover_line(text: str) -> bool:
    """A report's cover-page label: "Lead inspector: ...", "Team inspectors: ...", "Inspection dates: ..."."""
    return bool(_COVER.match(text))


def line_kind(text: str) -> int:
    return CONTACT if is_contact_line(text) else COVER if is_cover_line(text) else 0


def asks_for_contact(question: str) -> bool:
    return bool(_ASKS_CONTACT.search(question))


def asks_about_the_inspection(question: str) -> bool:
    """Whether the question is about who inspected or when: it names the inspection (or Ofsted, a visit, the
    report...) and asks who or when, or names the team, an HMI, the dates or the report's authors. "What did
    inspectors say about care leavers in calderdale" names the inspectors but asks what they found."""
    return bool(_ASKS_INSPECTION.search(question)) and (
        question_type(question) in (PERSON, DATE) or bool(_NAMES_THE_COVER.search(question)))


class OnRequestLines:
    """The kind of each sentence of one loaded index (contact, cover or neither), read once per sentence (a
    question meets a few hundred candidates; the same footers and cover pages come back question after question)."""

    def __init__(self, store: IndexBackend) -> None:
        self.store = store
        self._known = np.full(store.n_sentences, -1, dtype=np.int8)  # -1: not read yet

    def kinds(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        todo = ids[self._known[ids] < 0]
        if len(todo):
            self._known[todo] = [line_kind(self.store.sentence_text(i)) for i in todo.tolist()]
        return self._known[ids]

    def without(self, question: str, cands: Candidates) -> Candidates:
        """``cands`` without the lines ``question`` does not ask for."""
        if len(cands.ids) == 0:
            return cands
        unasked = [kind for kind, asked in ((CONTACT, asks_for_contact(question)),
                                            (COVER, asks_about_the_inspection(question))) if not asked]
        if not unasked:
            return cands
        keep = ~np.isin(self.kinds(cands.ids), unasked)
        if keep.all():
            return cands
        return replace(cands, ids=cands.ids[keep], features=cands.features[keep])
