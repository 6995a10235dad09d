"""Stage 1 of the question path: check the user's text and prepare it (vector, search tokens, wanted span kind)."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from assistant.index.lexical import has_words, tokenize
from assistant.query.answer_types import question_type
from assistant.query.judgements import in_judgement_words
from assistant.query.types import Query
from assistant.query.wording import Usage, in_documents_words

MAX_QUESTION_CHARS = 2000


class BadQuestion(ValueError):
    """The question cannot be asked as given (empty, too long, or not text)."""


class QueryEncoder(Protocol):
    def encode_query(self, text: str) -> np.ndarray: ...


def check_question(question: str) -> str:
    """The question with control characters blanked and whitespace collapsed; BadQuestion if unusable."""
    if not isinstance(question, str):
        raise BadQuestion("the question must be text")
    cleaned = "".join(c if c.isprintable() or c in "\n\t" else " " for c in question).strip()
    if not cleaned:
        raise BadQuestion("the question is empty")
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise BadQuestion(f"the question is {len(cleaned)} characters long; the limit is {MAX_QUESTION_CHARS}")
    if not has_words(cleaned):  # as cite refuses a quote of only symbols (cite.citations.check_quote)
        raise BadQuestion("the question has no words to search for (only symbols or emoji)")
    return " ".join(cleaned.split())


def prepare_question(question: str, encoder: QueryEncoder, idf: Usage | None = None) -> Query:
    """Checked text in the documents' words (``wording.in_documents_words``), its embedding, its BM25 tokens and
    the kind of span it asks for (a name, a date...); the checked text as typed is kept to show. ``idf``: the
    documents' word use, so that only words they use more are swapped in."""
    asked = check_question(question)
    text = in_documents_words(asked, idf)
    kind = question_type(text)
    text = in_judgement_words(text, kind, idf)
    return Query(text, encoder.encode_query(text), tuple(tokenize(text)), kind, asked if asked != text else "")
