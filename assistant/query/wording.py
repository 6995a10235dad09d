"""Everyday words in a question put in the documents' words ("kids" -> "children", "hiring" -> "recruitment").

Users type "how many kids were adopted in leeds"; the reports say "children". The bi-encoder is close enough for
some of these, BM25 is not, and the reader, trained on SQuAD's written questions, matches the documents' words
best. So the question is searched and read in the documents' words, and shown to the user as typed. The pairs
live in ``wording.json``: hand-written, each the same thing in this field's English, never fitted to questions.
A word is swapped only where the documents use the other word more (of the words only one of them has, the
rarest has the lower IDF): over
Wikipedia, which says "hired" more than "recruited", "who hired him" stays as typed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from assistant.index.lexical import tokenize

Usage = Callable[[list[str]], dict[str, float]]  # stemmed tokens -> the IDF of those the documents hold

WORDING_FILE = Path(__file__).with_name("wording.json")


def words_pattern(words: list[str]) -> re.Pattern[str]:
    """Any of ``words`` (or phrases, whatever their spacing) as a whole word, without regard to case; the longest
    first, so "foster parents" wins over "foster parent"."""
    alternation = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![\w’'-])(?:{alternation})(?![\w’'-])", re.I)


@lru_cache(maxsize=1)
def _pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    data = json.loads(WORDING_FILE.read_text(encoding="utf-8"))
    kept = {p: p for p in data.get("kept_as_typed", {}).get("phrases", [])}  # a name: matched, left as typed
    words: dict[str, str] = {**data["words"], **kept}
    return words_pattern(list(words)), {k.lower(): v for k, v in words.items()}


def _rarest(tokens: set[str], idf: Usage) -> float:
    known = idf(sorted(tokens))
    return max((known.get(t, float("inf")) for t in tokens), default=float("inf"))


def _used_more(said: str, typed: str, idf: Usage) -> bool:
    """Whether the documents use ``said`` more than ``typed``: the rarest of the words only one of them has."""
    a, b = set(tokenize(said)), set(tokenize(typed))
    return _rarest(a - b, idf) < _rarest(b - a, idf)


def in_documents_words(text: str, idf: Usage | None = None) -> str:
    """``text`` with each everyday word of ``wording.json`` replaced by the documents' word for it: always without
    ``idf``, else where the documents use that word more than the typed one."""
    pattern, words = _pattern()

    def swap(m: re.Match[str]) -> str:
        typed = " ".join(m.group().lower().split())
        said = words[typed]
        if said.lower() == typed:  # a name kept as typed (wording.json "kept_as_typed")
            return m.group()
        return said if idf is None or _used_more(said, m.group(), idf) else m.group()

    return pattern.sub(swap, text)
