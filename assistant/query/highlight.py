"""The answer-bearing span inside a quote, for any question: a learned start/end head over the reader's tokens.

Why: the answer-type patterns (answer_types.py) find a name, a date, a figure or a grade, so "who", "when", "how
many" and rating questions got a highlight and every other question ("what is the council's scheme called?")
none. The reader has already read each candidate sentence after the question; its last layer's state of each
token, beside its neighbours' states, whether it is a question word (answers rarely repeat the question), its
shape and whether it lies in a span of the wanted answer type, scores the token as the start and as the end of
the answer. The weights are fitted on SQuAD training articles (training/train_span_head.py) and stored beside the
reader (span_head.json). For a typed question the head picks among the pattern's spans when there are any; for
any other question it picks its best span of at most ``max_tokens`` tokens, snapped to whole words.

This module builds the features for training and question time alike: one function, as the reader's inputs.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from assistant.query.answer_types import answer_spans, is_paragraph_number
from assistant.reader.runtime import SentenceTokens, SpanWeights

_PUNCT = frozenset(string.punctuation) | frozenset("“”‘’–—•")
_FAR = 10  # distances to the nearest question word are capped here
_OPENER = re.compile(r"(?:\d+[.)]|[•◼▪–-])\s+")  # a numbered paragraph's number or a bullet, then space
_EDGE = frozenset(" \t\n,;:•◼▪–—-")


@dataclass(frozen=True)
class Highlight:
    """A span of the sentence (character offsets into it), the head's score for it, and whether it is a span of
    the question's answer type (a name for "who", ...)."""

    start: int
    end: int
    score: float
    typed: bool = False
    probability: float = 1.0  # the head's softmax probability of its start token times that of its end token


def feature_count(width: int, window: tuple[int, ...]) -> int:
    return width * (1 + 2 * len(window)) + _OTHER  # states, then question words, shape, type span, bias


_OTHER = 6 + 6 + 1 + 1


def _state_blocks(h: np.ndarray, window: tuple[int, ...]) -> list[np.ndarray]:
    """The token's state, then for each distance d the states of the tokens d before and d after it (zeros past
    the sentence's ends)."""
    n, width = h.shape
    blocks = [h]
    for d in window:
        pad = np.zeros((min(d, n), width), np.float32)
        blocks += [np.vstack([pad, h[: n - d]])[:n], np.vstack([h[d:], pad])[:n]]
    return blocks


def _other_features(tokens: SentenceTokens, sentence: str, type_spans: list[tuple[int, int]]) -> np.ndarray:
    """Question-word flags, shape (read from the sentence: the tokenizer lower-cases), whether the token lies in an
    answer-type span, and a constant."""
    n = len(tokens.ids)
    in_q = np.array([t in tokens.question_ids for t in tokens.ids], np.float32)
    where = np.flatnonzero(in_q)
    dist = (np.abs(np.arange(n)[:, None] - where[None, :]).min(1) if len(where) else np.full(n, _FAR)).astype(
        np.float32)
    question = np.column_stack([in_q, np.r_[0.0, in_q[:-1]], np.r_[in_q[1:], 0.0], np.minimum(dist, _FAR) / _FAR,
                                dist == 1, dist == 2])
    words = [sentence[a:b] for a, b in tokens.offsets]
    shape = np.array([[w[:1].isupper(), w.isdigit(), all(c in _PUNCT for c in w), t.startswith("##"), i == 0,
                       i == n - 1] for i, (t, w) in enumerate(zip(tokens.tokens, words, strict=True))],
                     np.float32).reshape(n, 6)
    typed = np.zeros((n, 1), np.float32)
    for a, b in type_spans:
        for i, (x, y) in enumerate(tokens.offsets):
            if y > a and x < b:
                typed[i] = 1.0
    return np.hstack([question, shape, typed, np.ones((n, 1), np.float32)]).astype(np.float32)


def token_features(tokens: SentenceTokens, sentence: str, type_spans: list[tuple[int, int]],
                   window: tuple[int, ...]) -> np.ndarray:
    """One row per token of ``sentence`` read with the identity projection (``tokens.states`` are the states):
    what training fits the head on."""
    return np.hstack([*_state_blocks(tokens.states, window), _other_features(tokens, sentence, type_spans)])


def token_scores(weights: SpanWeights, tokens: SentenceTokens, sentence: str,
                 type_spans: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Start and end scores of each token, at question time: ``tokens.states`` hold the states already multiplied
    by the head's state weights (``SpanWeights.projection``, in the reader's run), so only the neighbours' shifts
    and the other features are added here. Equals ``token_features(...) @ weights.start`` (and ``.end``)."""
    n, blocks = len(tokens.ids), weights.state_blocks
    other = _other_features(tokens, sentence, type_spans)
    out = []
    for half, w in enumerate((weights.start, weights.end)):
        p = tokens.states[:, half * blocks:(half + 1) * blocks]
        score = p[:, 0] + other @ w[blocks * weights.width:]
        for k, d in enumerate(weights.window):
            if d < n:
                score[d:] += p[: n - d, 1 + 2 * k]  # token i's feature "state of token i - d"
                score[: n - d] += p[d:, 2 + 2 * k]  # token i's feature "state of token i + d"
        out.append(score)
    return out[0], out[1]


def _trim(sentence: str, a: int, b: int) -> tuple[int, int]:
    """A free span without a paragraph number or bullet opening its line ("40. Most care leavers" -> "Most care
    leavers") and without punctuation at either end."""
    if a == 0 or sentence[a - 1] == "\n":
        opener = _OPENER.match(sentence, a, b)
        if opener:
            a = opener.end()
    while a < b and sentence[a] in _EDGE:
        a += 1
    while b > a and sentence[b - 1] in _EDGE:
        b -= 1
    return a, b


def _word_end(sentence: str, b: int) -> int:
    """``b`` moved to the end of the word it falls in: the reader reads at most so many tokens, so a span can end
    on the last piece read ("April 202" of "April 2023")."""
    while b < len(sentence) and sentence[b].isalnum():
        b += 1
    return b


def _word_bounds(tokens: SentenceTokens, i: int, j: int) -> tuple[int, int]:
    """Token range ``i..j`` widened to whole words (a "##" piece belongs to the word before it)."""
    while i > 0 and tokens.tokens[i].startswith("##"):
        i -= 1
    while j + 1 < len(tokens.tokens) and tokens.tokens[j + 1].startswith("##"):
        j += 1
    return i, j


def best_span(weights: SpanWeights, tokens: SentenceTokens, sentence: str, kind: str | None,
              question: str) -> Highlight | None:
    """The head's answer span in ``sentence`` (whose tokens the reader read with the head's projection)."""
    if not tokens.ids:
        return None
    typed = answer_spans(sentence, kind, question)
    start, end = token_scores(weights, tokens, sentence, typed)
    span = choose_span(tokens, sentence, typed, start, end, weights.max_tokens)
    return span if span is None or span.typed or span.probability >= weights.min_probability else None


def choose_span(tokens: SentenceTokens, sentence: str, typed: list[tuple[int, int]], start: np.ndarray,
                end: np.ndarray, max_tokens: int) -> Highlight | None:
    """Decoding: among the answer type's spans when there are any, else the best span of at most ``max_tokens``
    tokens, widened to whole words (never a paragraph number, never only the question's own words)."""
    choices: list[tuple[float, int, int, int, int]] = []
    for a, b in typed:  # a typed question: the head chooses among the pattern's spans
        inside = [k for k, (p, q) in enumerate(tokens.offsets) if q > a and p < b]
        if inside:
            choices.append((float(start[inside[0]] + end[inside[-1]]), a, b, inside[0], inside[-1]))
    if not choices:
        choices = _free_spans(tokens, sentence, start, end, max_tokens)
    if not choices:
        return None
    score, a, b, i, j = max(choices)
    probability = float(_softmax(start)[i] * _softmax(end)[j])
    return Highlight(a, b, score, bool(typed) and (a, b) in typed, probability) if b > a else None


def _free_spans(tokens: SentenceTokens, sentence: str, start: np.ndarray, end: np.ndarray,
                max_tokens: int) -> list[tuple[float, int, int, int, int]]:
    """The best-scoring acceptable spans (each start token with its best end within ``max_tokens``), all of them
    tied at the top score. Why not every span: checking one (whole words, paragraph number, question words) costs
    far more than scoring it, so starts are checked from the best score down and the search stops below the
    first acceptable score; ``max`` over the result is the same as over every acceptable span."""
    n = len(tokens.ids)
    windows = np.lib.stride_tricks.sliding_window_view(
        np.concatenate([end[:n], np.full(max_tokens - 1, -np.inf, dtype=end.dtype)]), max_tokens)
    ends = np.arange(n) + windows.argmax(axis=1)  # the first best end of each start, as np.argmax picks it
    scores = [float(start[i] + end[j]) for i, j in enumerate(ends)]
    found: list[tuple[float, int, int, int, int]] = []
    for i in sorted(range(n), key=scores.__getitem__, reverse=True):
        if found and scores[i] < found[0][0]:
            break
        j = int(ends[i])
        i0, j0 = _word_bounds(tokens, i, j)
        a, b = _trim(sentence, tokens.offsets[i0][0], _word_end(sentence, tokens.offsets[j0][1]))
        if b > a and not is_paragraph_number(sentence, a, b) and not _only_question_words(tokens, i0, j0):
            found.append((scores[i], a, b, i, j))
    return found


def _only_question_words(tokens: SentenceTokens, i: int, j: int) -> bool:
    """Whether tokens ``i..j`` repeat the question's words and nothing else ("Leeds" for "what did ofsted say
    about leeds"): an answer does that for 0.6% of SQuAD's training questions, mostly "X or Y?" choices."""
    return all(tokens.ids[k] in tokens.question_ids or tokens.tokens[k] in _PUNCT for k in range(i, j + 1))


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


SentenceHighlighter = Callable[[int], "Highlight | None"]  # sentence id -> its highlight (None: not read)
