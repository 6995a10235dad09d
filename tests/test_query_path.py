"""The query path's cost does not grow with the corpus: one embedding, the index searches, a fixed candidate set.

Nothing here is timed. A store of 100,000 sentences (synthetic words and small random vectors, written in the
product's format: embedding that many texts with the real model would take an hour) is asked questions while
tracemalloc records the peak of Python and numpy allocations. An array with one float per sentence would be
800 KB; the bound is a fifth of that, and the old path (BM25 scores for every unit) is shown to exceed it.
The BM25 search is checked to read only the postings of the question's words, and the boilerplate flags to be
written by the index build.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from assistant.api import Assistant
from assistant.index.backend import DocRecord
from assistant.index.boilerplate import boilerplate_flags
from assistant.index.lexical import Bm25Index, tokenize
from assistant.index.store import load_store, versions, write_store

N_DOCS = 1000
SENTS_PER_DOC = 100  # 100,000 sentences
DIM = 16
VOCAB = 4000  # each synthetic word occurs in ~150 sentences: postings stay small, as for real rare words
BOUND_BYTES = N_DOCS * SENTS_PER_DOC * 8 // 5  # peak allocation of one question: 160 KB


def _word(i: int) -> str:
    return "".join("bcdfghjklmnpqrstvwz"[int(c)] for c in str(i)) + "o"


def _synthetic_store(root: Path) -> None:
    rng = np.random.default_rng(7)
    docs: list[DocRecord] = []
    cols: dict[str, list[int]] = {k: [] for k in (
        "sent_doc", "sent_page", "sent_start", "sent_end",
        "chunk_doc", "chunk_page", "chunk_first", "chunk_last", "chunk_start", "chunk_end")}
    sent_texts: list[str] = []
    chunk_texts: list[str] = []
    for d in range(N_DOCS):
        words = rng.integers(0, VOCAB, size=(SENTS_PER_DOC, 6))
        sentences = [" ".join(_word(int(w)) for w in row).capitalize() + "." for row in words]
        page = " ".join(sentences)
        base = len(sent_texts)
        pos = 0
        for s in sentences:
            cols["sent_doc"].append(d)
            cols["sent_page"].append(0)
            cols["sent_start"].append(pos)
            cols["sent_end"].append(pos + len(s))
            sent_texts.append(s)
            pos += len(s) + 1
        for first in range(0, SENTS_PER_DOC - 1, 3):  # chunks of 4 sentences, one shared with the next
            last = min(first + 3, SENTS_PER_DOC - 1)
            start, end = cols["sent_start"][base + first], cols["sent_end"][base + last]
            for k, v in (("chunk_doc", d), ("chunk_page", 0), ("chunk_first", base + first),
                         ("chunk_last", base + last), ("chunk_start", start), ("chunk_end", end)):
                cols[k].append(v)
            chunk_texts.append(f"Doc {d}\n{page[start:end]}")
        docs.append(DocRecord(f"d{d // 100}/doc{d}.txt", f"Doc {d}", f"Doc {d}", "x", (None,), (page,), "now"))
    arrays = {k: np.asarray(v, dtype=np.int32) for k, v in cols.items()}
    arrays["sent_boilerplate"] = boilerplate_flags(sent_texts, arrays["sent_doc"], len(docs))

    def unit(n: int) -> np.ndarray:
        v = rng.standard_normal((n, DIM)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    manifest = {"model": "synthetic", "dimension": DIM, "settings": {}, **versions(),
                "counts": {"documents": len(docs), "sentences": len(sent_texts), "chunks": len(chunk_texts)}}
    write_store(root, manifest, docs, arrays, unit(len(sent_texts)), unit(len(chunk_texts)),
                Bm25Index.build([tokenize(t) for t in sent_texts]), Bm25Index.build([tokenize(t) for t in chunk_texts]))


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """An Assistant over the synthetic store whose query embedding is a fixed unit vector (no 16-dim model)."""
    root = tmp_path_factory.mktemp("big") / "index"
    _synthetic_store(root)
    assistant = Assistant(root)
    snap = assistant.snapshot()
    vector = np.ones(DIM, np.float32) / np.sqrt(DIM)
    object.__setattr__(snap.embedder, "encode_query", lambda text: vector)
    return assistant


def _peak(fn) -> int:
    fn()  # first call: lazily made per-document data (folded text, title tokens) is not per-question work
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_bound_tells_corpus_sized_work_apart(big: Assistant) -> None:
    assert big.store.n_sentences == N_DOCS * SENTS_PER_DOC
    toks = tokenize(big.store.sentence_text(5))
    assert _peak(lambda: big.store.sent_bm25.scores(toks)) > BOUND_BYTES  # what the query path used to do
    assert _peak(lambda: big.store.sent_bm25.search(toks)) < BOUND_BYTES // 2


@pytest.mark.parametrize("docs", [None, ["doc17.txt", "d5/doc512.txt"]])
def test_ask_allocates_nothing_the_size_of_the_corpus(big: Assistant, docs: list[str] | None) -> None:
    text = big.store.sentence_text(123 if docs is None else 1750)
    question = " ".join(text.rstrip(".").split()[:4])
    answer = big.ask(question, docs=docs)
    assert any(text in q.text for q in answer.quotes)  # the path still finds the sentence asked about
    if docs is not None:
        assert {q.doc for q in answer.quotes} <= {"d0/doc17.txt", "d5/doc512.txt"}
    peak = _peak(lambda: big.ask(question, docs=docs))
    assert peak < BOUND_BYTES, f"one question allocated {peak} bytes at peak"


def test_citation_lookup_allocates_nothing_the_size_of_the_corpus(big: Assistant) -> None:
    quote = big.store.sentence_text(4321)
    c = big.cite(quote)
    assert c.verdict == "exact" and c.matches[0].doc == "d0/doc43.txt"
    peak = _peak(lambda: big.cite(quote))
    assert peak < BOUND_BYTES, f"one lookup allocated {peak} bytes at peak"


class _Recording:
    """Wraps a postings array and counts the elements read through slices."""

    def __init__(self, array: np.ndarray) -> None:
        self.array = array
        self.read = 0

    def __getitem__(self, key: slice) -> np.ndarray:
        out = self.array[key]
        self.read += out.size
        return out


def test_bm25_search_reads_only_the_postings_of_the_query_tokens(big: Assistant) -> None:
    index = big.store.sent_bm25
    toks = tokenize(big.store.sentence_text(99))[:3]
    full = index.scores(toks)
    m = index.score_matrix
    original = m["indices"], m["data"]
    m["indices"], m["data"] = _Recording(original[0]), _Recording(original[1])
    try:
        found = index.search(toks)
        read = m["indices"].read, m["data"].read
    finally:
        m["indices"], m["data"] = original
    postings = index.postings(toks)
    assert read == (postings, postings)
    assert postings < big.store.n_sentences // 100
    # and it is the same ranking, unit for unit
    assert np.array_equal(found.ids, np.flatnonzero(full)) and np.array_equal(found.values, full[found.ids])
    assert found.top(5).tolist() == sorted(np.flatnonzero(full), key=lambda i: (-full[i], i))[:5]


def test_boilerplate_is_flagged_when_the_index_is_built(make_corpus, tmp_path: Path) -> None:
    line = "Copyright 2024 Kestrel Bay Council, all rights reserved."
    docs = make_corpus({f"note{i}.txt": f"Note number {i} is about topic {w}.\n\n{line}"
                        for i, w in enumerate(["harbours", "orchards", "comets"])})
    Assistant(tmp_path / "index").build(docs)
    store = load_store(tmp_path / "index")
    with np.load(store.path / "units.npz") as z:
        flags = z["sent_boilerplate"]
    flagged = {store.sentence_text(i) for i in np.flatnonzero(flags)}
    assert flagged == {line}


def test_token_membership_from_postings_matches_tokenising_each_sentence(bundled_assistant: Assistant) -> None:
    """The cover features read which question tokens a sentence holds from the BM25 postings instead of
    tokenising candidate text per question; on the real corpus the two agree for every sentence."""
    store = bundled_assistant.store
    tokens = tokenize("Who led the inspection of children's services in Bradford in 2018, and what grade?")
    ids = np.arange(store.n_sentences)
    expected = np.array([[t in set(tokenize(store.sentence_text(int(i)))) for t in tokens] for i in ids])
    assert expected.any(), "the question's words occur in the corpus"
    assert store.sent_bm25.postings_sorted, "bm25s stores each token's postings in ascending order"
    assert np.array_equal(store.sent_bm25.holds(tokens, ids), expected)  # binary search in the postings
    scan = store.sent_bm25.with_postings_order(False)  # the fallback: a membership test over each list
    assert np.array_equal(scan.holds(tokens, ids[::-1]), expected[::-1])


@pytest.mark.parametrize(("indices", "indptr", "ascending"), [
    ([0, 5, 9, 1, 2, 0, 7], [0, 3, 5, 7], True),  # each list rises; a new list may start lower
    ([0, 5, 4, 1, 2, 0, 7], [0, 3, 5, 7], False),  # 5 then 4 inside the first list
    ([0, 5, 9, 1, 1, 0, 7], [0, 3, 5, 7], False),  # a repeated id
    ([3], [0, 1], True),
])
def test_postings_order_check(indices: list[int], indptr: list[int], ascending: bool) -> None:
    from assistant.index.lexical import _postings_sorted

    assert _postings_sorted({"indices": np.array(indices), "indptr": np.array(indptr)}) is ascending
