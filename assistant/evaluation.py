"""Gold Q&A sets: reading them, and the rule for when a returned quote counts as the right answer.

Rule (DESIGN.md): a question is answered right at rank k when one of the first k quotes contains one of the
gold answers, with case, whitespace, quote-mark and hyphenation differences folded, and, if the gold item names
a document, comes from that document (matched against the end of the quote's path).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‚": "'", "′": "'", "″": '"'})
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_BROKEN = re.compile(r"-\s*\n\s*")


class GoldFormatError(ValueError):
    """A gold file line that is not a valid gold item; the message names the line."""


@dataclass(frozen=True)
class GoldItem:
    id: str
    question: str
    answers: tuple[str, ...]
    doc: str | None

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def fold(text: str) -> str:
    """Case, quote marks, dashes, line-break hyphenation and whitespace folded, for containment tests."""
    text = _DASHES.sub("-", text.translate(_QUOTES)).replace("\u00ad", "")
    text = _BROKEN.sub("", text)
    return " ".join(text.lower().split())


def doc_matches(quote_doc: str, gold_doc: str | None) -> bool:
    return gold_doc is None or quote_doc == gold_doc or quote_doc.endswith("/" + gold_doc.lstrip("/"))


def quote_hits(quote_text: str, quote_doc: str, item: GoldItem) -> bool:
    if not item.answers or not doc_matches(quote_doc, item.doc):
        return False
    folded = fold(quote_text)
    return any(fold(a) in folded for a in item.answers)


def first_hit_rank(quotes: Sequence[tuple[str, str]], item: GoldItem) -> int | None:
    """1-based rank of the first (text, doc) quote that answers ``item``, or None."""
    for rank, (text, doc) in enumerate(quotes, 1):
        if quote_hits(text, doc, item):
            return rank
    return None


def load_gold(path: Path) -> list[GoldItem]:
    items: list[GoldItem] = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                raise GoldFormatError(f"{path}:{n}: not valid JSON ({exc.args[0]})") from exc
            if not isinstance(obj, dict):
                raise GoldFormatError(f"{path}:{n}: expected a JSON object")
            question, answers, doc = obj.get("question"), obj.get("answers"), obj.get("doc")
            if not isinstance(question, str) or not question.strip():
                raise GoldFormatError(f"{path}:{n}: 'question' must be a non-empty string")
            if not isinstance(answers, list) or not all(isinstance(a, str) and a.strip() for a in answers):
                raise GoldFormatError(f"{path}:{n}: 'answers' must be a list of non-empty strings")
            if doc is not None and not isinstance(doc, str):
                raise GoldFormatError(f"{path}:{n}: 'doc' must be a string or null")
            items.append(GoldItem(str(obj.get("id", f"line{n}")), question, tuple(answers), doc))
    return items
