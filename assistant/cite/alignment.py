"""Word-level comparison of a quote with a source passage: the word diff shown to users, how much of the quote
the source covers, and refining a coarse fuzzy match to word boundaries."""

from __future__ import annotations

import difflib
import re

from rapidfuzz import fuzz

from assistant.cite.types import DiffOp

EDGE = "\"'.,;:!?)"
_WORD = re.compile(r"[^\s–—]+")
_PUNCT = re.compile(r"^\W+|\W+$")
_QUOTE_MARKS = str.maketrans({"’": "'", "‘": "'", "–": "-", "—": "-", "‐": "-", "‑": "-"})


def word_diff(quote: str, source: str) -> tuple[DiffOp, ...]:
    """Word-level differences from the quote to the source text, comparing folded words."""
    qw, sw = _words(quote), _words(source)
    key = [_word_key(w) for w in qw], [_word_key(w) for w in sw]
    ops: list[DiffOp] = []
    for tag, a1, a2, b1, b2 in difflib.SequenceMatcher(None, key[0], key[1], autojunk=False).get_opcodes():
        name = {"equal": "same", "insert": "dropped", "delete": "added", "replace": "changed"}[tag]
        ops.append(DiffOp(name, " ".join(qw[a1:a2]), " ".join(sw[b1:b2])))
    return tuple(ops)


def _words(text: str) -> list[str]:
    """Words split at spaces and dashes; a bare punctuation mark joins the word before it."""
    out: list[str] = []
    for w in _WORD.findall(text):
        if out and not _word_key(w):
            out[-1] += " " + w
        else:
            out.append(w)
    return out


def coverage(diff: tuple[DiffOp, ...]) -> float:
    """Share of the quote's words that the source has, in the same order."""
    same = sum(len(d.quote.split()) for d in diff if d.op == "same")
    total = sum(len(d.quote.split()) for d in diff)
    return same / total if total else 0.0


def _word_key(word: str) -> str:
    return _PUNCT.sub("", word.translate(_QUOTE_MARKS).lower()).replace("-", "")


def quoted(joined: str, start: int) -> bool:
    """Whether the text just before ``start`` leaves a quotation open (last mark is an opening one)."""
    before = joined[max(0, start - 800) : start]
    for i in range(len(before) - 1, -1, -1):
        c = before[i]
        if c == "“":
            return True
        if c == "”":
            return False
        if c == '"':
            line = before[before.rfind("\n", 0, i) + 1 : i + 1]
            return line.count('"') % 2 == 1
    return False


def _word_starts(text: str, lo: int, hi: int) -> list[int]:
    return [i for i in range(lo, hi) if (i == 0 or text[i - 1] == " ") and text[i] != " "]


def _word_ends(text: str, lo: int, hi: int) -> list[int]:
    return [i for i in range(lo + 1, hi + 1) if (i == len(text) or text[i] == " ") and text[i - 1] != " "]


def refine(q: str, hay: str, a: int, b: int, lo: int, hi: int) -> tuple[float, int, int]:
    """Similarity (0-1) and folded [start, end) of the word-aligned passage near hay[a:b] closest to q; the
    ends may move by up to half the quote's length, so words added to or dropped from the quote are covered."""
    slack = max(12, len(q) // 2)
    starts = _word_starts(hay, max(lo, a - slack), min(hi, a + slack) + 1) or [a]
    ends = _word_ends(hay, max(lo, b - slack) - 1, min(hi, b + slack)) or [b]
    best = (0.0, a, b)
    for s in starts:
        for e in ends:
            if e > s:
                r = fuzz.ratio(q, hay[s:e], score_cutoff=best[0] * 100) / 100
                if r > best[0]:
                    best = (r, s, e)
    score, s, e = best
    s, e = _anchor_edges(q, hay, s, e, lo, hi)
    if (s, e) != best[1:]:
        score = fuzz.ratio(q, hay[s:e]) / 100
    while s < e and not hay[s].isalnum():
        s += 1
    while e > s and not hay[e - 1].isalnum() and hay[e - 1] not in "\"'.!?)":
        e -= 1
    return score, s, e


def _anchor_edges(q: str, hay: str, s: int, e: int, lo: int, hi: int) -> tuple[int, int]:
    """Stretch a passage to where the quote's own first and last two words occur nearby, so a diff shows the
    words a quote left out ("Inspectors found [in the ... inspection] that") instead of a changed first word."""
    words = q.split()
    if len(words) < 4:
        return s, e
    head, tail = " ".join(words[:2]), " ".join(words[-2:]).rstrip(EDGE)
    if not hay.startswith(head, s):
        i = hay.rfind(head, max(lo, s - len(q)), s)
        if i >= 0 and (i == 0 or hay[i - 1] == " "):
            s = i
    if tail and hay[s:e].rstrip(EDGE).rfind(tail) != len(hay[s:e].rstrip(EDGE)) - len(tail):
        i = hay.find(tail, e, min(hi, e + len(q)))
        if i >= 0:
            e = i + len(tail)
    return s, e
