"""Citation lookup: where does a pasted quote come from, and is its wording exact?

Candidates come from the index: BM25 over sentences (and, when nothing matches exactly, the dense sentence index
too, which finds paraphrases). Exact matching then searches the *folded* text of the candidate documents
(folding.py: case, whitespace, quote marks, dashes, PDF hyphenation), over whole documents so that a quote that
runs across a page break is still found; every hit maps back to exact page slices. Near matches are aligned
with rapidfuzz inside windows around the candidate sentences only, snapped to word boundaries, and reported
with a word-by-word diff.

Per lookup the work is the BM25 postings of the quote's words, one dense search when needed, and the text of the
candidate documents: nothing scans the whole corpus (documents are folded once, on first use or in prepare()).

A quote found in several documents is listed in each, primary sources first: a document that has the words
inside quotation marks is quoting someone else (the news quoting a report), so it comes after one that does not.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from assistant.cite.alignment import coverage, quoted, refine, word_diff
from assistant.cite.types import BadQuote, Citation, Match, Part, parts_boxes
from assistant.embedding.embedder import Embedder
from assistant.folding import Folded, fold, fold_quote
from assistant.index.backend import IndexBackend, doc_units
from assistant.index.lexical import has_words, tokenize
from assistant.ingest.normalise import normalise_text
from assistant.ingest.splitting import split_sentences

MAX_QUOTE_CHARS = 5000
NEAR_THRESHOLD = 0.80  # rapidfuzz ratio of the quote to its best aligned passage, both folded
SHORT_NEAR_THRESHOLD = 0.90  # a quote of a few words: one changed word is already a different claim
SHORT_WORDS = 6
NEAR_COVERAGE = 0.85  # or: this share of the quote's words occur, in order, in the passage (words left out)
MAX_MATCHES = 20
_BM25_CANDIDATES = 100  # sentences whose documents are searched for an exact match
_ALIGN_CANDIDATES = 20  # sentences (per search) around which a near match is aligned
_REFINE = 8  # best coarse regions refined to word boundaries


@dataclass(frozen=True)
class _DocText:
    """A document's pages joined by newlines, folded; ``page_starts[i]`` is page i's offset in the join."""

    joined: str
    folded: Folded
    page_starts: np.ndarray


def check_quote(quote: str) -> str:
    if not isinstance(quote, str):
        raise BadQuote("the quote must be text")
    text = normalise_text(quote).strip()
    if len(text) > MAX_QUOTE_CHARS:
        raise BadQuote(f"the quote is {len(text)} characters long; the limit is {MAX_QUOTE_CHARS}")
    if text and not has_words(text):  # the same rule as a question's (api.check_question)
        raise BadQuote("the quote has no words to look up (only symbols or emoji)")
    if len(fold_quote(text)) < 3 or not tokenize(text) and len(text.split()) < 3:
        raise BadQuote("the quote is empty or too short to look up")
    return text


# Folded document texts kept for lookups, in characters (~6 bytes each: the joined and folded text, int32
# offsets): all of the bundled corpus (~1M), while at 1M chunks (~480M) folding everything took 4.4 GB. A lookup
# reads the few documents its candidate sentences are in, so the least recently used are dropped beyond this.
FOLD_CACHE_CHARS = 16_000_000


class Citer:
    """Citation lookups over one loaded IndexBackend (folded document texts are built lazily, kept up to
    FOLD_CACHE_CHARS characters, least recently used dropped first)."""

    def __init__(self, store: IndexBackend, embedder: Embedder | None) -> None:
        self.store = store
        self.embedder = embedder
        self._texts: OrderedDict[int, _DocText] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()
        self._doc_ids: dict[str, int] | None = None

    def _doc_text(self, doc_id: int) -> _DocText:
        with self._lock:
            text = self._texts.get(doc_id)
            if text is not None:
                self._texts.move_to_end(doc_id)
                return text
        pages = self.store.docs[doc_id].pages
        joined = "\n".join(pages)
        starts = np.cumsum([0] + [len(p) + 1 for p in pages[:-1]])
        text = _DocText(joined, fold(joined), np.asarray(starts, dtype=np.int64))
        with self._lock:
            if doc_id not in self._texts:
                self._texts[doc_id] = text
                self._chars += len(joined)
            while self._chars > FOLD_CACHE_CHARS and len(self._texts) > 1:
                _, dropped = self._texts.popitem(last=False)
                self._chars -= len(dropped.joined)
        return text

    @property
    def cached_documents(self) -> int:
        """How many documents' folded texts are held now (bounded by FOLD_CACHE_CHARS)."""
        return len(self._texts)

    @property
    def cached_chars(self) -> int:
        return self._chars

    def prepare(self) -> None:
        """Fold documents now rather than on first use: all of them, up to the cache's size."""
        for doc_id in range(len(self.store.docs)):
            if self._chars >= FOLD_CACHE_CHARS:
                break
            self._doc_text(doc_id)

    def cite(self, quote: str) -> Citation:
        t0 = time.perf_counter()
        text = check_quote(quote)
        spans = [text[s.start : s.end] for s in split_sentences(text)]
        spans = [s for s in spans if len(s.split()) >= 3 and fold_quote(s)]
        texts = [text, *spans] if len(spans) >= 2 else [text]
        found = [self._find_exact(t) for t in texts]
        if found[0][2]:
            return Citation(quote, "exact", tuple(found[0][2][:MAX_MATCHES]), timings_ms=_ms(t0))
        vectors = self._embed([t for t, (_, _, exact) in zip(texts, found, strict=True) if not exact])
        checks: list[Citation] = []
        for t, (q, top, exact) in zip(texts, found, strict=True):
            if exact:
                checks.append(Citation(t, "exact", tuple(exact[:MAX_MATCHES])))
            else:
                checks.append(self._find_near(t, q, top, next(vectors, None)))
        whole, sentences = checks[0], tuple(checks[1:])
        if not sentences:
            return Citation(**{**whole.__dict__, "quote": quote, "timings_ms": _ms(t0)})
        # A paragraph is near when some of its sentences are found; the whole-paragraph alignment is shown only
        # when every sentence was found, otherwise it would present an invented sentence beside a real one.
        found_all = all(c.verdict != "not_found" for c in sentences)
        any_found = whole.verdict != "not_found" or any(c.verdict != "not_found" for c in sentences)
        verdict = "near" if any_found else "not_found"
        matches = whole.matches if found_all else ()
        return Citation(quote, verdict, matches, () if any_found else whole.closest, sentences, _ms(t0))

    def _embed(self, texts: list[str]):
        if self.embedder is None or not texts or not self.store.n_sentences:
            return iter(())
        return iter(self.embedder.encode(texts))

    def _find_exact(self, text: str) -> tuple[str, np.ndarray, list[Match]]:
        q = fold_quote(text)
        tokens = tokenize(text)
        top = self.store.sent_bm25.search(tokens).top(_BM25_CANDIDATES)
        if not len(top):  # no searchable word ("◼ • •", stop words only): candidates from the dense index instead
            top = self._dense_candidates(text)
        return q, top, self._exact(q, top)

    def _dense_candidates(self, text: str) -> np.ndarray:
        if self.embedder is None or not self.store.n_sentences:
            return np.zeros(0, dtype=np.int64)
        return self._dense_ids(self.embedder.encode([text])[0])

    def _dense_ids(self, vector: np.ndarray) -> np.ndarray:
        _, dense = self.store.sent_index.search(vector[None, :].astype(np.float32), _ALIGN_CANDIDATES)
        return dense[0][dense[0] >= 0]

    def _find_near(self, text: str, q: str, top: np.ndarray, vector: np.ndarray | None) -> Citation:
        ids = [int(i) for i in top[:_ALIGN_CANDIDATES]]
        if vector is not None:
            ids += [int(i) for i in self._dense_ids(vector)]
        aligned = self._align(text, q, ids)
        floor = SHORT_NEAR_THRESHOLD if len(q.split()) < SHORT_WORDS else NEAR_THRESHOLD
        short = len(q.split()) < SHORT_WORDS
        near = [m for m in aligned if m.similarity >= floor or not short and coverage(m.diff) >= NEAR_COVERAGE]
        if near:
            return Citation(text, "near", tuple(near[:MAX_MATCHES]))
        return Citation(text, "not_found", (), tuple(self._whole_sentences(m) for m in aligned[:3]))

    def _candidate_docs(self, sentence_ids: np.ndarray) -> list[int]:
        return sorted({int(self.store.sent_doc[i]) for i in sentence_ids})

    def _exact(self, q: str, top: np.ndarray) -> list[Match]:
        found: list[Match] = []
        for doc_id in self._candidate_docs(top):
            dt = self._doc_text(doc_id)
            hay = dt.folded.text
            pos = hay.find(q)
            while pos >= 0 and len(found) < MAX_MATCHES * 2:
                end = pos + len(q)
                if (pos == 0 or not hay[pos - 1].isalnum()) and (end == len(hay) or not hay[end].isalnum()):
                    found.append(self._match(doc_id, dt, *dt.folded.span(pos, end), 1.0))
                pos = hay.find(q, pos + 1)
        found.sort(key=lambda m: m.quoted)  # stable: primary sources first, then document order
        return found

    def _align(self, text: str, q: str, sentence_ids: list[int]) -> list[Match]:
        """Align the quote around each candidate sentence: a coarse rapidfuzz partial match everywhere, then a
        word-boundary refinement of the most promising regions only."""
        s = self.store
        coarse: dict[tuple[int, int], tuple[float, int, int, int, int]] = {}
        for sid in dict.fromkeys(sentence_ids):
            doc_id, page_idx = int(s.sent_doc[sid]), int(s.sent_page[sid])
            dt = self._doc_text(doc_id)
            base = int(dt.page_starts[page_idx])
            fs = dt.folded.folded_offset(base + int(s.sent_start[sid]))
            fe = dt.folded.folded_offset(base + int(s.sent_end[sid]))
            lo, hi = max(0, fs - len(q)), min(len(dt.folded.text), fe + len(q))
            al = fuzz.partial_ratio_alignment(q, dt.folded.text[lo:hi])
            if al is None or al.score <= 0:
                continue
            a, b = (lo + al.dest_start, lo + al.dest_end) if len(q) <= hi - lo else (lo, hi)
            key = (doc_id, a // max(1, len(q)))
            if key not in coarse or al.score > coarse[key][0]:
                coarse[key] = (al.score, a, b, lo, hi)
        regions = sorted(coarse.items(), key=lambda kv: -kv[1][0])[:_REFINE]
        out: list[Match] = []
        seen: set[tuple[int, int, int]] = set()
        for (doc_id, _), (_, a, b, lo, hi) in regions:
            dt = self._doc_text(doc_id)
            score, fa, fb = refine(q, dt.folded.text, a, b, lo, hi)
            if fb <= fa or (doc_id, fa, fb) in seen:
                continue
            seen.add((doc_id, fa, fb))
            start, end = dt.folded.span(fa, fb)
            match = self._match(doc_id, dt, start, end, score)
            out.append(Match(**{**match.__dict__, "diff": word_diff(text, dt.joined[start:end])}))
        out.sort(key=lambda m: (-round(m.similarity, 2), m.quoted))
        return out

    def _whole_sentences(self, m: Match) -> Match:
        """A closest passage widened to the whole sentences it touches (a fragment reads as a misquote)."""
        s = self.store
        if self._doc_ids is None:  # once per loaded index
            self._doc_ids = {}
            for i, d in enumerate(s.docs):
                self._doc_ids.setdefault(d.doc, i)
        doc_id = self._doc_ids[m.doc]
        page_idx = s.docs[doc_id].page_numbers.index(m.page) if m.page is not None else 0
        own = doc_units(s.sent_doc, [doc_id])  # the document's sentences only, not a mask over the corpus
        ids = own[(s.sent_page[own] == page_idx) & (s.sent_start[own] < m.end) & (s.sent_end[own] > m.start)]
        if not len(ids):
            return m
        start, end = int(s.sent_start[ids[0]]), int(s.sent_end[ids[-1]])
        text = s.docs[doc_id].pages[page_idx][start:end]
        part = Part(m.page, start, end, text, s.page_boxes.boxes(doc_id, page_idx, start, end))
        return Match(m.doc, m.title, m.page, start, end, m.similarity, text, (part,), m.quoted, boxes=part.boxes,
                     date=m.date)

    def _match(self, doc_id: int, dt: _DocText, start: int, end: int, similarity: float) -> Match:
        record = self.store.docs[doc_id]
        parts: list[Part] = []
        first = int(np.searchsorted(dt.page_starts, start, side="right")) - 1
        for p in range(first, len(record.pages)):
            base = int(dt.page_starts[p])
            if base >= end:
                break
            a, b = max(start, base) - base, min(end, base + len(record.pages[p])) - base
            page_text = record.pages[p]
            while a < b and page_text[a].isspace():
                a += 1
            while b > a and page_text[b - 1].isspace():
                b -= 1
            if b > a:
                parts.append(Part(record.page_numbers[p], a, b, page_text[a:b],
                                  self.store.page_boxes.boxes(doc_id, p, a, b)))
        head = parts[0]
        return Match(record.doc, record.title, head.page, head.start, head.end, similarity, head.text,
                     tuple(parts), quoted(dt.joined, start), boxes=parts_boxes(tuple(parts)), date=record.date)


def _ms(t0: float) -> dict[str, float]:
    return {"total": (time.perf_counter() - t0) * 1e3}
