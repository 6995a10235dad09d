"""The local implementation of ``backend.BuildStorage``: builds as versioned folders under the index root.

Everything about the files themselves (layout, checksums, the atomic pointer swap, the build lock) is in
``store.py``; this class is the seam the build writes through and ``Assistant`` loads through, so another engine
can stand in for it.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np

from assistant.errors import IndexUnavailable
from assistant.index.backend import BuildStorage, DocRecord
from assistant.index.lexical import Bm25Index
from assistant.index.page_boxes import PageBoxes
from assistant.index.store import (
    IndexStore,
    build_lock,
    current_name,
    load_store,
    read_manifest,
    remove_stale,
    write_store,
)


class LocalFolder:
    """``backend.BuildStorage`` on a local folder: versioned ``build-*`` folders and the ``CURRENT`` pointer."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def lock(self) -> AbstractContextManager[None]:
        return build_lock(self.root)

    def current(self) -> str:
        return current_name(self.root)

    def read_manifest(self) -> dict | None:
        return read_manifest(self.root)

    def load(self) -> IndexStore:
        return load_store(self.root)

    def where(self, build: str) -> str:
        return str(self.root / build)

    def lexical(self, token_lists: list[list[str]]) -> Bm25Index:
        return Bm25Index.build(token_lists)

    def write(self, manifest: dict, docs: list[DocRecord], arrays: dict[str, np.ndarray], sent_vectors: np.ndarray,
              chunk_vectors: np.ndarray, sent_lexical: Bm25Index, chunk_lexical: Bm25Index,
              page_boxes: PageBoxes | None = None) -> str:
        return write_store(self.root, manifest, docs, arrays, sent_vectors, chunk_vectors, sent_lexical,
                           chunk_lexical, page_boxes).name

    def clean(self, keep: str) -> None:
        remove_stale(self.root, keep)


SCALE_EXTRAS = 'pip install -e ".[scale]"'


def open_storage(index_dir: Path | str, store: str | None = None) -> BuildStorage:
    """The storage a command names: the local folder ``index_dir`` by default, or a Qdrant store
    (``qdrant+local:PATH``, ``qdrant://HOST:PORT``; the ``--index`` folder then keeps only the model cache and
    the build lock). Qdrant needs the optional extras; without them this says how to install them."""
    if not store:
        return LocalFolder(index_dir)
    if not store.startswith(("qdrant+local:", "qdrant://")):
        raise IndexUnavailable(f"unknown store {store!r}: use qdrant+local:PATH or qdrant://HOST:PORT")
    try:
        from assistant.index.qdrant_store import QdrantStorage
    except ImportError as exc:
        raise IndexUnavailable(f"--store {store} needs the optional Qdrant client, which is not installed: "
                               f"{SCALE_EXTRAS}") from exc
    return QdrantStorage(store, Path(index_dir))
