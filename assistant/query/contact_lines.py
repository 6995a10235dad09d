"""Contact and legal lines ("W: www.ofsted.gov.uk © Crown copyright 2015", "T: 0300 123 1231", "This report is
available at https://...") are never quoted, unless the question asks for contact details.

Why: such a line says nothing about the subject, yet it holds the publisher's name, so "what did ofsted say about
leeds" was answered with Leeds' report's copyright footer. The index build flags lines repeated across 40% of the
documents (index/boilerplate.py), but a footer whose wording changed over the years ("www.ofsted.gov.uk" in 2015,
"www.gov.uk/ofsted" later) is in fewer, and the learned ranker, fitted on Wikipedia, has no weight for the flag
(which also marks repeated lines that can answer, such as a grade table's row). So a line is dropped from the
candidates by its form: it holds a web address, an e-mail address, a copyright mark or a labelled phone number
and, without those, is only a few words long. A question about contact details ("ofsted phone number", "how do i
complain") keeps them.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from assistant.index.backend import IndexBackend
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


def is_contact_line(text: str) -> bool:
    """A web or e-mail address, a copyright mark or a labelled phone number, and few other words."""
    lower = text.lower()
    if not (any(m in lower for m in _LIKELY) or _LABEL.match(text)) or not _MARKERS.search(text):
        return False
    return len(_WORD.findall(_MARKERS.sub(" ", text))) <= MAX_OTHER_WORDS


def asks_for_contact(question: str) -> bool:
    return bool(_ASKS_CONTACT.search(question))


class ContactLines:
    """Which sentences of one loaded index are contact or legal lines, read once per sentence (a question meets
    a few hundred candidates; the same footers come back question after question)."""

    def __init__(self, store: IndexBackend) -> None:
        self.store = store
        self._known = np.full(store.n_sentences, -1, dtype=np.int8)  # -1: not read yet

    def flags(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        todo = ids[self._known[ids] < 0]
        if len(todo):
            self._known[todo] = [is_contact_line(self.store.sentence_text(i)) for i in todo.tolist()]
        return self._known[ids] == 1

    def without(self, question: str, cands: Candidates) -> Candidates:
        """``cands`` without its contact and legal lines, unless ``question`` asks for contact details."""
        if len(cands.ids) == 0 or asks_for_contact(question):
            return cands
        keep = ~self.flags(cands.ids)
        if keep.all():
            return cands
        return replace(cands, ids=cands.ids[keep], features=cands.features[keep])
