"""What the question and citation stages need from an index, as a typed protocol.

``IndexStore`` (FAISS + bm25s files in a versioned build folder, ``index/store.py``) is the local
implementation. Another engine (a Qdrant collection, say) implements the same members and the stages run
unchanged on top; ``build.py`` writes through ``write_store``, the one place a build's files are made.

Units are stored document by document: sentence ``i`` is
``page_text(sent_doc[i], sent_page[i])[sent_start[i]:sent_end[i]]``; chunk ``j`` spans sentences
``chunk_first[j]..chunk_last[j]`` of one page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from assistant.index.lexical import SparseScores
from assistant.index.page_boxes import PageBoxes


class DenseSearch(Protocol):
    """Nearest vectors by inner product (vectors are L2-normalised, so it is cosine)."""

    @property
    def ntotal(self) -> int: ...

    @property
    def vectors(self) -> np.ndarray: ...

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...


class LexicalSearch(Protocol):
    """BM25 over one kind of unit: scores for a question's tokens, their IDF, and which units hold them."""

    def search(self, tokens: Sequence[str]) -> SparseScores: ...

    def idf(self, tokens: Sequence[str]) -> dict[str, float]: ...

    def holds(self, tokens: Sequence[str], ids: np.ndarray) -> np.ndarray: ...

    def units_holding(self, tokens: Sequence[str]) -> list[np.ndarray]: ...


@runtime_checkable
class DenseDocumentFilter(Protocol):
    """A dense search that restricts itself to some documents inside the engine (Qdrant: a payload filter on
    ``doc``); without it the chosen documents' units are scored from the held vectors."""

    def search_documents(self, query: np.ndarray, k: int, docs: set[int]) -> np.ndarray: ...


@runtime_checkable
class LexicalDocumentFilter(Protocol):
    """A BM25 search that restricts itself to some documents inside the engine; without it the scores are cut
    afterwards (``SparseScores.within``)."""

    def search_documents(self, tokens: Sequence[str], docs: set[int]) -> SparseScores: ...


@dataclass(frozen=True)
class DocRecord:
    """One indexed document with its stored (normalised) page texts; all offsets refer to these strings."""

    doc: str
    title: str
    context: str
    content_hash: str
    page_numbers: tuple[int | None, ...]
    pages: tuple[str, ...]
    indexed_at: str
    date: str | None = None  # ISO "YYYY-MM-DD" (ingest.dates), None when the document gives none
    date_source: str | None = None  # "inspection dates", "dateline", "file metadata" or "file name"
    ocr_pages: tuple[int, ...] = ()  # page numbers whose text OCR read from a scanned image (quotes say so)
    notes: tuple[str, ...] = ()  # what loading could not do (e.g. scanned pages not read), reported on every build

    def to_json(self) -> dict[str, object]:
        return {
            "doc": self.doc, "title": self.title, "context": self.context, "content_hash": self.content_hash,
            "page_numbers": list(self.page_numbers), "pages": list(self.pages), "indexed_at": self.indexed_at,
            "date": self.date, "date_source": self.date_source, "ocr_pages": list(self.ocr_pages),
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, d: dict) -> DocRecord:
        return cls(d["doc"], d["title"], d["context"], d["content_hash"], tuple(d["page_numbers"]),
                   tuple(d["pages"]), d["indexed_at"], d.get("date"), d.get("date_source"),
                   tuple(d.get("ocr_pages", ())), tuple(d.get("notes", ())))



class IndexBackend(Protocol):
    """A loaded, immutable index: documents, unit tables, dense and lexical search over sentences and chunks."""

    manifest: dict
    docs: list[DocRecord]
    sent_index: DenseSearch
    chunk_index: DenseSearch
    sent_bm25: LexicalSearch
    chunk_bm25: LexicalSearch
    page_boxes: PageBoxes  # rectangles on the PDF page for any [start, end) of a page text (None if not a PDF)

    @property
    def n_sentences(self) -> int: ...

    @property
    def n_chunks(self) -> int: ...

    @property
    def sent_doc(self) -> np.ndarray: ...

    @property
    def sent_page(self) -> np.ndarray: ...

    @property
    def sent_start(self) -> np.ndarray: ...

    @property
    def sent_end(self) -> np.ndarray: ...

    @property
    def sent_boilerplate(self) -> np.ndarray: ...

    @property
    def chunk_doc(self) -> np.ndarray: ...

    @property
    def chunk_first(self) -> np.ndarray: ...

    @property
    def chunk_last(self) -> np.ndarray: ...

    @property
    def sent_vectors(self) -> np.ndarray: ...

    @property
    def chunk_vectors(self) -> np.ndarray: ...

    def sentence_text(self, i: int) -> str: ...

    def page_text(self, doc_id: int, page_idx: int) -> str: ...


def doc_units(unit_doc: np.ndarray, docs: Iterable[int]) -> np.ndarray:
    """Ascending ids of the units of ``docs``; ``unit_doc`` is non-decreasing (units are stored document by
    document), so each document is one id range found by binary search."""
    wanted = np.array(sorted(set(docs)), dtype=unit_doc.dtype)  # same dtype: no cast (copy) of unit_doc
    lo = np.searchsorted(unit_doc, wanted, side="left")
    hi = np.searchsorted(unit_doc, wanted, side="right")
    ranges = [np.arange(a, b, dtype=np.int64) for a, b in zip(lo, hi, strict=True) if b > a]
    return np.concatenate(ranges) if ranges else np.zeros(0, np.int64)


class BuildStorage(Protocol):
    """Where builds live and how a new one becomes current, atomically: the seam a build writes through and a
    reader loads through. ``store.LocalFolder`` keeps versioned folders under ``index/``; another engine keeps
    versioned collections and swaps an alias."""

    def lock(self) -> AbstractContextManager[None]:
        """Exclusive for one build at a time (threads and processes)."""
        ...

    def current(self) -> str:
        """Id of the current build ('' when there is none): a reader reloads when it changes."""
        ...

    def read_manifest(self) -> dict | None: ...

    def where(self, build: str) -> str:
        """Where build ``build`` lives, for reports (a folder, or a store's collections)."""
        ...

    def lexical(self, token_lists: list[list[str]]) -> object:
        """The keyword index of one kind of unit from its token lists, in the form ``write`` takes it."""
        ...

    def load(self) -> IndexBackend: ...

    def write(self, manifest: dict, docs: list[DocRecord], arrays: dict[str, np.ndarray], sent_vectors: np.ndarray,
              chunk_vectors: np.ndarray, sent_lexical: object, chunk_lexical: object,
              page_boxes: PageBoxes | None = None) -> str:
        """Write a complete new build and make it current; returns its id. A failure leaves the old one."""
        ...

    def clean(self, keep: str) -> None:
        """Drop builds other than ``keep`` (older ones, or what an interrupted build left)."""
        ...
