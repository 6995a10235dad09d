"""Which documents a question can be asked of, one by one: the words of the question that pick documents.

Asked across documents ("what did each report say about caseloads in Bradford?"), every document is asked the
question alone, so nothing else competes with it: the learned ranker, which is calibrated on the whole corpus,
then finds *something* in a Leeds report that reads like an answer about Bradford. The constraint features see
that "bradford" is absent from the Leeds report, but as one signal among twenty-five. Here the question's scope
is a hard condition, read from the index alone:

- **names**: a word the documents write with a capital letter where it is not the start of a sentence or line
  (Bradford, Kirklees, Ofsted, a person), or that the question capitalises mid-sentence;
- **years**: 1900-2099;
- **words no document uses** (a council that is not in the library, a misspelling, a synonym the documents do
  not use): no document can be about them, so none answers; the result names the word.

A document holds a word when its title or context line does (they carry the file name and the inspection dates),
or when more than a passing share of its sentences do (the BM25 postings): a report that names another council
once, as a partner, is not about that council. Everything is case-insensitive, as users type.

The ordinary ask uses the same scope, more gently (``documents_in_scope``, ``year_conflict``,
``unknown_places``): only words some document's title or context line holds narrow its search, a mention is
enough, and it refuses outright only for a place no document mentions or a council and a year no document about
that council mentions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.errors import ReaderUnavailable
from assistant.index.backend import IndexBackend
from assistant.index.lexical import tokenize
from assistant.query.types import Query

PLACES_FILE = Path(__file__).with_name("places.json")  # written by training/places.py
_YEAR = re.compile(r"(19|20)\d\d")
_POSSESSIVE = re.compile(r"['’]s?$")
_SURFACE = re.compile(r"[^\W_][\w'’-]*")
_LETTERS = re.compile(r"[a-z]+")
_SAMPLE = 60  # sentences read to tell a name from a common word (evenly spread over the word's postings)
_NAME_SHARE = 0.8  # of mid-sentence uses capitalised
_IN_PASSING = 0.01  # a word in fewer than 1 in 100 of a document's sentences (and not in its title) is a passing
# mention: the Kirklees report that names Leeds City Council as its improvement partner is not about Leeds
_COMMON_SHARE = 0.5  # a name more documents than this use is the library's common vocabulary ("Ofsted")
NARROW_SHARE = 0.5  # the ordinary ask narrows its search only to documents holding at most this share of sentences


class PlacesUnavailable(ReaderUnavailable):
    """places.json, shipped beside the ranker, is missing or damaged; the message is one line."""


class DocTokens(Protocol):
    """Each document's title and context-line tokens by document id, and the documents holding a token
    (``retrieval.Searcher.doc_tokens``)."""

    def __getitem__(self, doc_id: int) -> frozenset[str]: ...

    def docs_with(self, token: str) -> np.ndarray: ...


@lru_cache(maxsize=50_000)
def _stem(word: str) -> str | None:
    toks = tokenize(word)
    return toks[0] if len(toks) == 1 else None


@dataclass(frozen=True)
class Scope:
    """The question's words that pick documents, and which documents hold each."""

    words: tuple[str, ...]  # the question's own words, e.g. ("Bradford", "2018")
    held: np.ndarray  # [document, word]: the document is about the word (title, context line, or not in passing)
    mentioned: np.ndarray  # [document, word]: the document uses the word at all
    unknown: tuple[str, ...]  # scope words no document uses at all
    titled: np.ndarray  # [document, word]: the document's title or context line holds the word

    @property
    def titled_words(self) -> list[int]:
        """The words some document's title or context line holds: what the ordinary ask narrows by."""
        return [j for j in range(len(self.words)) if self.titled[:, j].any()]

    def mentions(self, j: int, dated: np.ndarray) -> np.ndarray:
        """Which documents use word ``j``; for a year, every undated document too (``dated[doc]``: it has a date),
        since a document without one cannot be ruled out on a year it does not write."""
        return self.mentioned[:, j] | (~dated if _YEAR.fullmatch(self.words[j]) else False)

    def reason(self, doc_id: int) -> str | None:
        """Why document ``doc_id`` is out of the question's scope, or None when it is in scope."""
        absent = [w for j, w in enumerate(self.words) if not self.mentioned[doc_id, j]]
        passing = [w for j, w in enumerate(self.words) if self.mentioned[doc_id, j] and not self.held[doc_id, j]]
        parts = ([f"does not mention {', '.join(absent)}"] if absent else []) + (
            [f"mentions {', '.join(passing)} only in passing"] if passing else [])
        return "; ".join(parts) or None


@dataclass(frozen=True)
class Narrowed:
    """The documents an ordinary ask searches, and the question's words that chose them."""

    docs: np.ndarray
    words: tuple[str, ...]


def documents_in_scope(scope: Scope, dated: np.ndarray, sizes: np.ndarray) -> Narrowed | None:
    """The documents a question naming what documents are about can be answered from, for the ordinary ask.

    A scope word counts here when some document's title or context line holds it: a council, a year of the
    inspection dates, a subject a title names. A name that only turns up inside documents ("TV", "Church", a
    person) does not narrow: the passage that answers may call it something else. The documents kept are those
    that use every such word (``dated[doc]``: the document has a date; one without cannot be ruled out on a year
    it does not write). A mention is enough, unlike the per-document walk: the Wakefield report of 2022 that
    says what the 2018 inspection found answers "wakefield 2018 grade" too. None when no word counts, or the
    words pick no document (then nothing is ruled out: a misread name must not empty the search), or documents
    holding more than NARROW_SHARE of the library's sentences (``sizes``: sentences per document): narrowing that
    keeps most of the library changes little, and searching a chosen set scans it, where the whole library has an
    approximate index."""
    known = scope.titled_words
    if not known:
        return None
    ok = np.flatnonzero(np.all([scope.mentions(j, dated) for j in known], axis=0))
    if not len(ok) or sizes[ok].sum() > NARROW_SHARE * sizes.sum():
        return None
    return Narrowed(ok, tuple(scope.words[j] for j in known))


def year_conflict(scope: Scope, dated: np.ndarray) -> tuple[str, str] | None:
    """(name, year) when the question names both as what documents are about (titled words, as in
    ``documents_in_scope``) and no document that mentions the name mentions the year, counting every undated
    document as mentioning it: "children in care in wakefield in 2023" over Wakefield reports of 2016-2025 that
    never write 2023. The library then holds nothing about that year there, and the nearest year's figure would be
    a wrong answer. Each name is checked on its own, so "leeds and wakefield in 2018" is not ruled out by the
    lack of one document about both."""
    titled = scope.titled_words
    years = [j for j in titled if _YEAR.fullmatch(scope.words[j])]
    for n in (j for j in titled if j not in years and scope.mentioned[:, j].any()):
        for y in years:
            if not (scope.mentioned[:, n] & scope.mentions(y, dated)).any():
                return scope.words[n], scope.words[y]
    return None


def unknown_places(scope: Scope) -> tuple[str, ...]:
    """The question's words that name a place (places.json) no document mentions: then no document can answer
    ("how many children in care in oldham?" over a library without Oldham), however close another council's
    sentence reads. A word no document uses that is not a place ("kids", a misspelling) rules nothing out."""
    places = load_places()
    return tuple(w for w in scope.unknown if _POSSESSIVE.sub("", w.lower()) in places)


def unmentioned_place_phrases(store: IndexBackend, question: str) -> tuple[str, ...]:
    """The council names of several words (places.json "phrases": "north yorkshire", "stoke on trent") that the
    question names and no document mentions whole; their words alone decide nothing ("yorkshire" of "West
    Yorkshire"). Only the sentences holding every word of the phrase are read (postings), and only when the
    question names one."""
    words = f" {' '.join(_LETTERS.findall(question.lower()))} "
    out = []
    for phrase in (p for p in load_place_phrases() if f" {p} " in words):
        pattern = re.compile(r"\b" + r"[\s-]+".join(map(re.escape, phrase.split())) + r"\b", re.IGNORECASE)
        held = store.sent_bm25.units_holding([t for t in tokenize(phrase) if t])
        sentences = held[0] if held else np.zeros(0, np.int64)
        for ids in held[1:]:
            sentences = np.intersect1d(sentences, ids)
        if not any(pattern.search(store.sentence_text(int(i))) for i in sentences) \
                and not any(pattern.search(d.title or "") for d in store.docs):
            out.append(phrase)
    return tuple(out)


def load_places(path: Path = PLACES_FILE) -> frozenset[str]:
    """Single-word place names, lower case."""
    return _place_list(path)[0]


def load_place_phrases(path: Path = PLACES_FILE) -> tuple[str, ...]:
    """Place names of several words, lower case, one space between words."""
    return _place_list(path)[1]


@lru_cache(maxsize=4)
def _place_list(path: Path) -> tuple[frozenset[str], tuple[str, ...]]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return frozenset(raw["names"]), tuple(str(p) for p in raw["phrases"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PlacesUnavailable(f"place list {path} is missing or damaged ({type(exc).__name__}); reinstall the "
                                "package or run `python -m training.places`") from None


def question_scope(store: IndexBackend, query: Query, doc_tokens: DocTokens,
                   names: dict[str, bool] | None = None, doc_sizes: np.ndarray | None = None,
                   titles: TitleCasing | None = None) -> Scope:
    """The scope words of ``query`` over ``store``; ``doc_tokens[doc_id]`` is a document's title/context tokens.
    Reads only the postings of the question's tokens, so a question costs nothing the size of the corpus.
    ``names`` caches, per token, whether the documents write it as a name, and ``doc_sizes`` each document's
    sentence count (both properties of the index alone). ``titles``: the ordinary ask's scope, where only
    words some title or context line holds (and words no document uses) count, and a word is a name when the
    titles write it as one (``TitleCasing``)."""
    surface = _question_words(query.text)
    tokens = list(dict.fromkeys(t for t in query.tokens if t))
    n_docs = len(store.docs)
    postings = store.sent_bm25.units_holding(tokens)
    in_meta = np.zeros((n_docs, len(tokens)), bool)
    counts = np.zeros((n_docs, len(tokens)), np.int64)
    for j, tok in enumerate(tokens):
        in_meta[doc_tokens.docs_with(tok), j] = True
        counts[:, j] = np.bincount(store.sent_doc[postings[j]], minlength=n_docs)
    sizes = (doc_sizes if doc_sizes is not None else np.bincount(store.sent_doc, minlength=n_docs))[:, None]
    mentioned = in_meta | (counts > 0)
    held = in_meta | ((counts > 0) & (counts >= _IN_PASSING * sizes))
    names = {} if names is None else names
    chosen = [j for j, tok in enumerate(tokens)
              if (titles is None or in_meta[:, j].any() or not mentioned[:, j].any())
              and _picks_documents(store, query.text, surface.get(tok, tok), tok, postings[j],
                                   float(mentioned[:, j].mean()) if n_docs else 0.0, names, titles)]
    words = tuple(_POSSESSIVE.sub("", surface.get(tokens[j], tokens[j])) or tokens[j] for j in chosen)
    unknown = tuple(w for j, w in zip(chosen, words, strict=True) if not mentioned[:, j].any())
    return Scope(words, held[:, chosen], mentioned[:, chosen], unknown, in_meta[:, chosen])


def _picks_documents(store: IndexBackend, question: str, word: str, token: str, sentences: np.ndarray,
                     mentioned_share: float, names: dict[str, bool], titles: TitleCasing | None) -> bool:
    """Whether a question word is a scope word: unknown to the library, a year, or a name that most documents
    do not use (one most of them use, like the inspectorate's, picks none). ``sentences``: the ones holding it;
    ``titles``: tell names by the titles' casing instead of the sentences'."""
    if mentioned_share == 0.0 or _YEAR.fullmatch(token):
        return True
    if mentioned_share > _COMMON_SHARE:
        return False
    if _capitalised_mid_question(question, word):
        return True
    if titles is not None:
        return titles.is_name(token)
    if token not in names:
        names[token] = _is_name(store, token, sentences)
    return names[token]


def _question_words(text: str) -> dict[str, str]:
    """Each search token of the question -> the word the user typed for it (shown in explanations)."""
    out: dict[str, str] = {}
    for w in _SURFACE.findall(text):
        tok = _stem(w.strip("'’-"))
        if tok and tok not in out:
            out[tok] = w.strip("'’-")
    return out


def _capitalised_mid_question(text: str, word: str) -> bool:
    """The user wrote the word with a capital letter, not as the question's first word ('... in Sheffield?')."""
    words = _SURFACE.findall(text)
    return any(w == word and i > 0 and w[:1].isupper() and not w.isupper() for i, w in enumerate(words))


def _is_name(store: IndexBackend, token: str, ids: np.ndarray) -> bool:
    """Whether the documents write the word with a capital letter where a common word would be lower case
    (``ids``: the sentences holding it)."""
    if not len(ids):
        return False
    ids = ids[np.linspace(0, len(ids) - 1, min(len(ids), _SAMPLE)).astype(int)]
    upper = lower = 0
    for sid in ids:
        for w in _mid_sentence_words(store.sentence_text(int(sid))):
            if _stem(w) == token:
                upper += w[0].isupper()
                lower += w[0].islower()
    return _mostly_capitalised(upper, lower)


def _mostly_capitalised(upper: int, lower: int) -> bool:
    return upper + lower > 0 and upper >= _NAME_SHARE * (upper + lower)


def _mid_sentence_words(text: str) -> Iterator[str]:
    """The words of ``text`` that do not begin a line or a sentence (where any word is capitalised)."""
    for line in text.split("\n"):
        for k, m in enumerate(_SURFACE.finditer(line)):
            w = m.group().strip("'’-")
            if k and w and not _after_stop(line, m.start()):
                yield w


class TitleCasing:
    """How the documents' titles write each word, counted once per loaded index (titles are short): the ordinary
    ask tells a name ("Wakefield", "FGF21") from a common word ("services") by it, where reading sample sentences
    for every question word (``_is_name``) would cost milliseconds a question on a large library."""

    def __init__(self, titles: Sequence[str]) -> None:
        self._titles = titles
        self._counts: dict[str, list[int]] | None = None  # token -> [capitalised, lower-case] uses

    def is_name(self, token: str) -> bool:
        if self._counts is None:  # filled aside, then published whole: asks may run on several threads
            counts: dict[str, list[int]] = {}
            for w in (w for title in self._titles for w in _mid_sentence_words(title)):
                if tok := _stem(w):
                    row = counts.setdefault(tok, [0, 0])
                    row[0] += w[0].isupper()
                    row[1] += w[0].islower()
            self._counts = counts
        return _mostly_capitalised(*self._counts.get(token, (0, 0)))


def _after_stop(line: str, start: int) -> bool:
    """The word begins a sentence inside the line (after '.', '!', '?', ':' or a bullet), where any word is
    capitalised."""
    before = line[:start].rstrip(" \"'“‘(")
    return not before or before[-1] in ".!?:•;"
