"""Text folding for citation matching, with a map from every folded character back to the original text.

A quote printed in a newspaper differs from the report in ways that do not change what it says: case, runs
of whitespace and line breaks, curly or straight quote marks, the kind of dash and the spaces around it, and
words broken across lines by PDF hyphenation. Folding removes exactly those differences. Because each folded
character remembers the original character it came from, a match found in folded text maps back to an exact
``original[start:end]`` slice, which is what a citation must report.

Dashes: a dash or hyphen between two word characters is dropped together with any spaces or line break around
it, so "well-being", "well-\\nbeing", "wellbeing" and "services—and"/"services – and" meet; a dash that opens a
line (a bullet) is only a word break; any other dash becomes a bare "-".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

_ONE_TO_ONE = str.maketrans({
    "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"',
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'", "´": "'",
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-", "﹘": "-", "﹣": "-", "－": "-",
    "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\t": " ", "\r": " ", "\x0b": " ", "\x0c": " ",
    "\u2028": " ", "\u2029": " ", "\u00ad": "\x00", "\u200b": "\x00", "\ufeff": "\x00", "…": "\x01",
})
_DASH_RUN = re.compile(r"\s*-[\s-]*")
_EDGE_PUNCT = " \"'.,;:!?()[]-\x01"
_SPACE = ord(" ")
_WS_CODES = np.array([ord(c) for c in " \n"], dtype=np.uint32)


@dataclass(frozen=True)
class Folded:
    """Folded text and, for each of its characters, the offset of the original character it came from."""

    text: str
    origin: np.ndarray  # int32 (int64 beyond 2**31 characters), len(text)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``[start, end)`` covering folded ``[start, end)`` (end > start)."""
        return int(self.origin[start]), int(self.origin[end - 1]) + 1

    def folded_offset(self, original: int) -> int:
        """First folded position at or after an original offset."""
        return int(np.searchsorted(self.origin, original, side="left"))


def _lower(text: str) -> str:
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join((c.lower() if len(c.lower()) == 1 else c) for c in text)  # "İ" would grow; keep 1:1


def fold(text: str) -> Folded:
    """Fold ``text`` (see module docstring); ``fold(a).text == fold(b).text`` means a and b say the same words."""
    low = _lower(text.translate(_ONE_TO_ONE))
    codes = np.frombuffer(low.encode("utf-32-le"), dtype="<u4").copy()
    keep = codes != 0  # drops invisible characters (mapped to \x00); "…" (\x01) becomes "..." below
    for m in _DASH_RUN.finditer(low):
        a, b = m.start(), m.end()
        keep[a:b] = False
        dash = a + m.group().index("-")
        if "\n" in low[a:dash] and b > dash + 1:  # a bullet dash opening a line: only a word break
            keep[a] = True
            continue
        between_words = a > 0 and b < len(low) and low[a - 1].isalnum() and low[b].isalnum()
        if not between_words:
            keep[dash] = True
    origin = np.flatnonzero(keep)
    codes = codes[keep]
    codes[np.isin(codes, _WS_CODES)] = _SPACE
    space = codes == _SPACE
    drop = space & np.concatenate(([True], space[:-1]))  # runs of spaces, and a leading one
    codes, origin = codes[~drop], origin[~drop]
    if len(codes) and codes[-1] == _SPACE:
        codes, origin = codes[:-1], origin[:-1]
    folded = codes.tobytes().decode("utf-32-le")
    if "\x01" in folded:  # an ellipsis character folds to three dots, all pointing at it
        reps = np.where(codes == 1, 3, 1)
        origin = np.repeat(origin, reps)
        folded = folded.replace("\x01", "...")
    return Folded(folded, origin.astype(np.int32 if len(text) < 2**31 else np.int64))


def fold_text(text: str) -> str:
    """Just the folded string: for containment tests (gold answers in quotes) and de-duplicating quotes."""
    return fold(text).text


def fold_quote(text: str) -> str:
    """A pasted quote folded for searching, without surrounding quote marks or sentence punctuation."""
    return fold(text).text.strip(_EDGE_PUNCT)
