"""Property tests (hypothesis): for random texts, every unit the product stores or shows is an exact slice.

For any document: every sentence, chunk, quote and citation match satisfies ``text == page[start:end]``;
sentences split each page without losing or duplicating a character; chunks cover every sentence. The sentence
splitter alone is property-tested in test_text.py; here the whole path runs (loader, splitter, chunker, the real
model, the stored index, ask and cite), so the example counts are small. Upload names get the same treatment:
whatever name a browser sends, nothing is written outside the documents' uploads folder.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_text import check_spans

from assistant.api import Assistant, BadQuestion
from assistant.cite.types import BadQuote
from assistant.index.store import IndexStore, load_store
from assistant.ingest.normalise import normalise_text
from assistant.ingest.splitting import chunk_sentences, split_sentences
from assistant.library import UPLOADS_FOLDER, save_uploads

_WORDS = st.sampled_from([
    "the", "council", "ferry", "harbour", "Ofsted", "inspection", "children's", "Mr", "Dr.", "e.g.", "2023",
    "1.", "(a)", "•", "◼", "–", "“quoted”", "café", "naïve", "co-\noperate", "well-\nbeing", "under-\nstanding",
    "ﬁnal", "\u00a0", "\u200b", "\t", "A.", "B.", "Bradford", "Zoë", "∑", "日本", "😀", "&amp;", "<b>", "[x](y)",
])
_PUNCT = st.sampled_from([".", "!", "?", ",", ";", ":", "", "", ""])
_SENTENCE = st.tuples(st.lists(_WORDS, min_size=1, max_size=14), _PUNCT).map(lambda t: " ".join(t[0]) + t[1])
_PARAGRAPH = st.lists(_SENTENCE, min_size=1, max_size=6).map(" ".join)
_SEPARATORS = st.sampled_from(["\n", "\n\n", "\r\n", "\n\n\n", " \n"])
_DOCUMENT = st.tuples(st.lists(_PARAGRAPH, min_size=1, max_size=8), _SEPARATORS).map(lambda t: t[1].join(t[0]))


def _check_store(store: IndexStore) -> None:
    """Sentences partition each page's non-space characters; chunks are sentence-aligned and cover them all."""
    a = store.arrays
    for doc_id, record in enumerate(store.docs):
        for page_idx, text in enumerate(record.pages):
            assert normalise_text(text) == text  # stored text is the normalised text every offset refers to
            s_ids = np.flatnonzero((a["sent_doc"] == doc_id) & (a["sent_page"] == page_idx))
            spans = [(int(a["sent_start"][i]), int(a["sent_end"][i])) for i in s_ids]
            owner = [0] * len(text)
            for start, end in spans:
                assert 0 <= start < end <= len(text)
                for i in range(start, end):
                    owner[i] += 1
            for i, char in enumerate(text):  # nothing lost, nothing in two sentences
                assert owner[i] == 1 or (char.isspace() and owner[i] == 0), (i, char, text)
            c_ids = np.flatnonzero((a["chunk_doc"] == doc_id) & (a["chunk_page"] == page_idx))
            covered: set[int] = set()
            for j in c_ids:
                first, last = int(a["chunk_first"][j]), int(a["chunk_last"][j])
                assert (int(a["chunk_start"][j]), int(a["chunk_end"][j])) == (
                    int(a["sent_start"][first]), int(a["sent_end"][last]))
                covered.update(range(first, last + 1))
            assert covered == {int(i) for i in s_ids}


@settings(max_examples=300, deadline=None)
@given(text=_DOCUMENT, budget=st.integers(min_value=8, max_value=120), overlap=st.integers(0, 2))
def test_property_sentences_and_chunks_are_exact_slices_that_cover_the_text(text: str, budget: int,
                                                                           overlap: int) -> None:
    text = normalise_text(text)
    spans = split_sentences(text, 200)
    check_spans(text, spans)  # ordered, stripped, every non-space character in exactly one sentence
    tokens = [len(text[s.start : s.end].split()) for s in spans]
    chunks = chunk_sentences(spans, tokens, budget, overlap)
    covered: set[int] = set()
    for c in chunks:
        assert (c.start, c.end) == (spans[c.first].start, spans[c.last].end)
        covered.update(range(c.first, c.last + 1))
    assert covered == set(range(len(spans)))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(docs=st.lists(_DOCUMENT, min_size=1, max_size=3), data=st.data())
def test_property_indexed_units_quotes_and_citations_are_exact_slices(docs: list[str], data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "docs"
        folder.mkdir()
        for n, text in enumerate(docs):
            (folder / f"doc{n}.{'md' if n % 2 else 'txt'}").write_bytes(text.encode("utf-8"))
        assistant = Assistant(Path(tmp) / "index")
        report = assistant.build(folder)
        store = load_store(Path(tmp) / "index")
        _check_store(store)
        if not store.n_sentences:
            assert report.n_sentences == 0
            return
        pick = data.draw(st.integers(0, store.n_sentences - 1), label="sentence")
        sentence = store.sentence_text(pick)
        try:
            answer = assistant.ask(sentence[:1500], k=5)
        except BadQuestion:
            return
        for quote in answer.quotes:
            page = store.docs[[d.doc for d in store.docs].index(quote.doc)]
            text = page.pages[page.page_numbers.index(quote.page)]
            assert quote.text == text[quote.start : quote.end]
            if quote.highlight is not None:
                assert quote.highlight == text[quote.highlight_start : quote.highlight_end]
                assert quote.start <= quote.highlight_start < quote.highlight_end <= quote.end
        try:
            citation = assistant.cite(sentence)
        except BadQuote:
            return
        assert citation.verdict == "exact", (sentence, citation.verdict)
        for match in citation.matches:
            record = next(d for d in store.docs if d.doc == match.doc)
            for part in match.parts:
                page_text = record.pages[record.page_numbers.index(part.page)]
                assert part.text == page_text[part.start : part.end]


_NAME_PIECES = st.sampled_from(["..", "/", "\\", ".", "\x00", "\x1b", "\n", "~", "C:", "etc", "passwd", " ",
                                "x", "é", "\u202e", "<script>", "%2e%2e", "uploads", "..\\..", "//", "$HOME"])
_NAMES = st.tuples(st.lists(_NAME_PIECES, max_size=12).map("".join),
                   st.sampled_from([".txt", ".pdf", ".md", ".html", ".exe", ""])).map("".join)


@settings(max_examples=200, deadline=None)
@given(names=st.lists(_NAMES, min_size=1, max_size=5))
def test_property_uploaded_names_never_write_outside_the_uploads_folder(names: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        docs = root / "a" / "b" / "docs"
        docs.mkdir(parents=True)
        files = [(name, f"Note {n}: the ferry leaves the north jetty at noon.".encode()) for n, name in
                 enumerate(names)]
        results = save_uploads(docs, files)
        assert len(results) == len(names)
        written = sorted(p for p in root.rglob("*") if p.is_file() or p.is_symlink())
        saved = sorted(docs / r.doc for r in results if r.saved)
        assert written == saved
        assert all(p.parent == docs / UPLOADS_FOLDER and not p.name.startswith(".") for p in written)
