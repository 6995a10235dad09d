"""Sentence splitting and chunk windows over normalised page text, with exact character offsets.

Every span returned here satisfies ``text[start:end]`` == the unit's text, so quotes built from them are
verbatim slices of the stored page text. The splitter is rule based because the corpus mixes PDF line wraps,
numbered paragraphs, "◼" bullets, cover-page tables and news prose: a line break ends a sentence only when the
next line starts a new unit (bullet, number, capital) after a short line (a heading or a table row), never
inside a wrapped paragraph.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

SPLITTER_VERSION = 6  # bump on any rule change: stored sentence and chunk offsets depend on these rules
# 6: an over-long run is cut at every sentence end before it is cut at clauses or spaces (_split_long)
ABBREVIATIONS = frozenset(
    """mr mrs ms mx dr prof st cllr sr jr rev hon rt gen col capt lt sgt no nos vs etc e.g i.e cf al inc ltd co
    jan feb mar apr jun jul aug sep sept oct nov dec approx para paras fig figs ch sec vol pp p est dept govt
    min max""".split()
)
BULLETS = "◼■□▪●•◦‣–-*·➢✓"
_TERMINAL = ".!?:;"
_CLOSERS = "\"'”’)]»"
_OPENERS = "\"'“‘([«"
_NUMBERED = re.compile(r"(?:\(?\d{1,3}(?:\.\d{1,3})*[.)]|\(?[a-z]{1,3}\)|[A-Z]\.)\s")
_SENTENCE_END = re.compile(r"[.!?…]+[" + re.escape(_CLOSERS) + r"]*(?=\s)")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")


@dataclass(frozen=True)
class Span:
    """A half-open character range ``[start, end)`` into one page's text."""

    start: int
    end: int


@dataclass(frozen=True)
class ChunkSpan:
    """A window of consecutive sentences: sentence indices ``[first, last]`` and their character range."""

    first: int
    last: int
    start: int
    end: int


def _starts_new_unit(line: str) -> bool:
    s = line.lstrip()
    if not s:
        return False
    if s[0] in BULLETS and (len(s) == 1 or s[1] == " "):
        return True
    if _NUMBERED.match(s):
        return True
    return s[0].isupper() or s[0].isdigit() or s[0] in _OPENERS


def _is_marker(line: str) -> bool:
    """A bullet ("◼ ", "• ") or a paragraph number ("1. ", "2.1 ", "(a) ") opens the line."""
    s = line.lstrip()
    return bool(s) and ((s[0] in BULLETS and s[1:2] in (" ", "")) or bool(_NUMBERED.match(s)))


def _line_breaks(text: str) -> list[int]:
    """Offsets of newline characters where a new sentence begins (the break belongs to neither side)."""
    lines = text.split("\n")
    lengths = sorted(len(ln) for ln in lines if ln.strip())
    if not lengths:
        return []
    typical = lengths[int(len(lengths) * 0.75)] if len(lengths) >= 4 else max(lengths)
    breaks: list[int] = []
    pos = 0
    for i, line in enumerate(lines[:-1]):
        pos += len(line)
        nxt = lines[i + 1]
        prev = line.rstrip()
        if not prev or not nxt.strip():
            breaks.append(pos)  # paragraph boundary
        else:
            is_marker = _is_marker(nxt)
            ends_terminal = prev.rstrip(_CLOSERS)[-1:] in _TERMINAL
            short = len(prev) <= 0.75 * typical
            if is_marker or (_starts_new_unit(nxt) and (ends_terminal or short)):
                breaks.append(pos)
        pos += 1  # the newline itself
    return breaks


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the period at ``dot`` closes an abbreviation, an initial or a paragraph number."""
    line_start = text.rfind("\n", 0, dot) + 1
    before = text[line_start : dot + 1]
    if _NUMBERED.fullmatch(before.lstrip() + " "):
        return True  # "1." or "2.1." at the start of a line is a paragraph number
    m = _WORD_BEFORE.search(text[max(0, dot - 12) : dot + 1])
    if not m:
        return False
    word = m.group(1)
    if word.lower().rstrip(".") in ABBREVIATIONS or word.lower() in ABBREVIATIONS:
        return True
    return len(word) == 1 and word.isupper()  # an initial, "J. Smith"


def _inline_breaks(text: str, lo: int, hi: int) -> list[int]:
    """Sentence ends inside ``text[lo:hi]`` found from punctuation; returns end offsets."""
    ends: list[int] = []
    for m in _SENTENCE_END.finditer(text, lo, hi):
        end = m.end()
        nxt = end
        while nxt < hi and text[nxt] in " \n":
            nxt += 1
        if nxt >= hi:
            continue
        if text[m.start()] == "." and m.end() - m.start() == 1 and _is_abbreviation(text, m.start()):
            continue
        if _starts_new_unit(text[nxt:hi]):
            ends.append(end)
    return ends


def _trim(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end) if end > start else None


def _cut_long(text: str, span: Span, max_chars: int) -> list[Span]:
    """Cut an over-long unit at line breaks, then at ``;``/``,``, then at spaces, so every piece fits."""
    if span.end - span.start <= max_chars:
        return [span]
    pieces: list[Span] = []
    start = span.start
    while span.end - start > max_chars:
        window = text[start : start + max_chars]
        cut = -1
        for sep in ("\n", "; ", ", ", " "):
            idx = window.rfind(sep, max_chars // 3)
            if idx > 0:
                cut = start + idx + (len(sep) if sep != "\n" else 0)
                break
        if cut <= start:
            cut = start + max_chars
        piece = _trim(text, start, cut)
        if piece:
            pieces.append(piece)
        start = cut
    last = _trim(text, start, span.end)
    if last:
        pieces.append(last)
    return pieces


def _split_long(text: str, span: Span, max_chars: int) -> list[Span]:
    """Cut an over-long unit at every sentence end inside it, whatever follows, then cut what is still too long.

    The ordinary rules end a sentence only before a capital, a number or a bullet. A run without those (a
    100,000-character line of lower-case sentences, a log, a transcript) would otherwise be cut into blind
    ``max_chars`` windows that split its sentences and bury each fact in a window of noise. Runs that fit are
    left alone, so ordinary text splits exactly as before.
    """
    if span.end - span.start <= max_chars:
        return [span]
    bounds = [span.start]
    for m in _SENTENCE_END.finditer(text, span.start, span.end):
        if text[m.start()] == "." and m.end() - m.start() == 1 and _is_abbreviation(text, m.start()):
            continue
        bounds.append(m.end())
    bounds.append(span.end)
    pieces: list[Span] = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        piece = _trim(text, a, b)
        if piece:
            pieces.extend(_cut_long(text, piece, max_chars))
    return pieces


def split_sentences(text: str, max_chars: int = 600) -> list[Span]:
    """Split one page of normalised text into sentence spans; together they cover every non-space character."""
    cuts = sorted(set(_line_breaks(text)))
    bounds: list[int] = [0]
    seg_start = 0
    for cut in [*cuts, len(text)]:
        bounds.extend(_inline_breaks(text, seg_start, cut))
        bounds.append(cut)
        seg_start = cut
    spans: list[Span] = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        span = _trim(text, a, b)
        if span:
            spans.extend(_split_long(text, span, max_chars))
    return _attach_table_values(text, spans, max_chars)


def _attach_table_values(text: str, spans: list[Span], max_chars: int) -> list[Span]:
    """Keep a table row whole: a value cell on its own line ("Inadequate", "Requires improvement") joins the
    label line above it, when that label has no sentence punctuation and is not a "Key: value" line."""
    out: list[Span] = []
    merged = False  # a row that already took its value cell takes no other line
    for span in spans:
        unit = text[span.start : span.end]
        if out and not merged:
            prev = out[-1]
            label = text[prev.start : prev.end]
            gap = text[prev.end : span.start]
            if (
                len(unit.split()) <= 5
                and not _is_marker(unit)
                and unit[-1] not in _TERMINAL + _CLOSERS
                and gap.count("\n") == 1
                and gap.strip() == ""
                and label.rstrip(_CLOSERS)[-1:] not in _TERMINAL
                and ":" not in label
                and span.end - prev.start <= max_chars
            ):
                out[-1] = Span(prev.start, span.end)
                merged = True
                continue
        out.append(span)
        merged = False
    return out


def chunk_sentences(
    sentences: Sequence[Span], sentence_tokens: Sequence[int], max_tokens: int, overlap: int = 1
) -> list[ChunkSpan]:
    """Group consecutive sentences into windows of at most ``max_tokens``, overlapping by ``overlap`` sentences.

    A window never ends mid-sentence, so a table row or a bullet (each its own unit) is never cut. A single
    sentence longer than the budget forms its own chunk (the splitter caps sentence length to keep it short).
    """
    chunks: list[ChunkSpan] = []
    n = len(sentences)
    i = 0
    while i < n:
        j, used = i, sentence_tokens[i]
        while j + 1 < n and used + sentence_tokens[j + 1] <= max_tokens:
            j += 1
            used += sentence_tokens[j]
        chunks.append(ChunkSpan(i, j, sentences[i].start, sentences[j].end))
        if j == n - 1:
            break
        nxt = max(j + 1 - overlap, i + 1)
        if sum(sentence_tokens[nxt : j + 2]) > max_tokens:
            nxt = j + 1  # the overlap cannot join the next sentence: a window of only overlap would repeat it
        i = nxt
    return chunks
