"""The stores bench_scale.py times: real subsets of the bench's SQuAD and SciFact indexes, and synthetic stores of
100k and 1M chunks, written in the product's on-disk format and cached under <bench cache>/scale/store-<size>.

* up to 2,500 chunks: the first SQuAD dev paragraphs of the SQuAD bench index, their real vectors; units
  re-numbered and BM25 rebuilt for the subset. Up to 15,000: likewise, the first SciFact abstracts.
* above: synthetic. Each sentence splices the first half of one real SQuAD/SciFact sentence to the second half of
  another; its vector is the normalised mixture a*x + (1-a)*y (a in [0.55, 0.95]) of the two real sentence vectors
  plus N(0, 0.01) noise; a chunk (4 sentences, one shared with the next, as the real ones hold ~3.9) gets the
  normalised mean of its sentences' vectors plus the same noise. Fixed seed.

The SQuAD and SciFact indexes they come from are built here (public_data.py) when missing, so this never depends
on bench_squad.py or bench_scifact.py having run.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from public_data import cache_root, scifact_index, squad_index

from assistant.config import IndexSettings
from assistant.index.backend import DocRecord
from assistant.index.boilerplate import boilerplate_flags
from assistant.index.build import chunk_embedding_text, collapse_whitespace
from assistant.index.lexical import Bm25Index, tokenize
from assistant.index.store import ARRAY_NAMES, versions, write_store

SEED = 20261122
SENTS_PER_DOC = 24  # synthetic documents: one page of this many sentences (~8 chunks)


@cache
def source_index(source: str) -> Path:
    """The bench index of ``source`` ("squad" or "scifact"), built or brought up to date once per process."""
    print(f"checking the {source} bench index (built when missing) ...", flush=True)
    return squad_index()[1] if source == "squad" else scifact_index()[1]


def scale_root() -> Path:
    return cache_root() / "scale"


@dataclass(frozen=True)
class Raw:
    """One build folder read without the format check (the bench caches may predate the current format)."""

    docs: list[DocRecord]
    arrays: dict[str, np.ndarray]
    sent_vectors: np.ndarray
    chunk_vectors: np.ndarray
    model: str


def read_raw(index_root: Path) -> Raw:
    folder = index_root / (index_root / "CURRENT").read_text().strip()
    manifest = json.loads((folder / "manifest.json").read_text())
    docs = [DocRecord.from_json(d) for d in json.loads((folder / "docs.json").read_text())]
    with np.load(folder / "units.npz") as z:
        arrays = {k: z[k] for k in z.files}
    return Raw(docs, arrays, np.load(folder / "sentence_vectors.npy"), np.load(folder / "chunk_vectors.npy"),
               manifest["model"])


def spans(a: dict[str, np.ndarray], kind: str):
    """(doc, page, start, end) of each sentence (kind "sent") or chunk ("chunk")."""
    return zip(a[f"{kind}_doc"], a[f"{kind}_page"], a[f"{kind}_start"], a[f"{kind}_end"], strict=True)


def _manifest(model: str, dim: int, kind: str, n_docs: int, n_sents: int, n_chunks: int) -> dict:
    return {"model": model, "dimension": dim, "settings": IndexSettings().as_dict(), **versions(),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"), "bench_scale": kind,
            "counts": {"documents": n_docs, "sentences": n_sents, "chunks": n_chunks}}


def _write(root: Path, kind: str, model: str, docs: list[DocRecord], arrays: dict[str, np.ndarray],
           sent_vectors: np.ndarray, chunk_vectors: np.ndarray, sent_tokens: list[list[str]],
           chunk_tokens: list[list[str]]) -> None:
    arrays = dict(arrays)
    texts = (docs[d].pages[p][s:e] for d, p, s, e in spans(arrays, "sent"))
    arrays["sent_boilerplate"] = boilerplate_flags(texts, arrays["sent_doc"], len(docs))
    arrays = {k: arrays[k] for k in ARRAY_NAMES}
    shutil.rmtree(root, ignore_errors=True)
    manifest = _manifest(model, sent_vectors.shape[1], kind, len(docs), len(sent_tokens), len(chunk_tokens))
    write_store(root, manifest, docs, arrays, sent_vectors, chunk_vectors,
                Bm25Index.build(sent_tokens), Bm25Index.build(chunk_tokens))


def real_subset(source: str, n_chunks: int, root: Path) -> None:
    """The first documents of a cached real index holding ``n_chunks`` chunks, as a store of its own."""
    raw = read_raw(source_index(source))
    a = raw.arrays
    cut_chunk = min(n_chunks, len(a["chunk_doc"]))
    n_docs = int(a["chunk_doc"][cut_chunk - 1]) + 1
    n_chunk = int(np.searchsorted(a["chunk_doc"], n_docs))
    n_sent = int(np.searchsorted(a["sent_doc"], n_docs))
    arrays = {k: v[:n_sent] if k.startswith("sent_") else v[:n_chunk] for k, v in a.items()}
    docs = raw.docs[:n_docs]
    sent_tokens = [tokenize(docs[d].pages[p][s:e]) for d, p, s, e in spans(arrays, "sent")]
    chunk_tokens = [tokenize(chunk_embedding_text(docs[d], docs[d].pages[p], s, e))
                    for d, p, s, e in spans(arrays, "chunk")]
    _write(root, f"real:{source}", raw.model, docs, arrays, raw.sent_vectors[:n_sent],
           raw.chunk_vectors[:n_chunk], sent_tokens, chunk_tokens)


def _pool(sources: tuple[str, ...] = ("squad", "scifact"),
          ) -> tuple[list[str], list[str], list[list[str]], list[list[str]], np.ndarray, str]:
    """Real sentences (10-60 words) split into halves at a space, each half's tokens, and their vectors."""
    heads, tails, head_toks, tail_toks, vecs = [], [], [], [], []
    model = ""
    for source in sources:
        raw = read_raw(source_index(source))
        model = raw.model
        a = raw.arrays
        for i, (d, p, s, e) in enumerate(spans(a, "sent")):
            words = collapse_whitespace(raw.docs[d].pages[p][s:e]).split()
            if 10 <= len(words) <= 60:
                h, t = " ".join(words[: len(words) // 2]), " ".join(words[len(words) // 2 :])
                heads.append(h)
                tails.append(t)
                head_toks.append(tokenize(h))
                tail_toks.append(tokenize(t))
                vecs.append(raw.sent_vectors[i])
    return heads, tails, head_toks, tail_toks, np.asarray(vecs, np.float32), model


def synthetic(n_chunks: int, root: Path, sources: tuple[str, ...] = ("squad", "scifact")) -> None:
    """Documents of spliced real sentences with mixed real vectors (see the module docstring); ``sources`` the
    bench indexes whose sentences are spliced (bench_scale_qdrant.py may take SQuAD's alone)."""
    heads, tails, head_toks, tail_toks, pool_vecs, model = _pool(sources)
    rng = np.random.default_rng(SEED)
    chunks_per_doc = -(-(SENTS_PER_DOC - 1) // 3)  # every sentence in a chunk
    n_docs = -(-n_chunks // chunks_per_doc)
    n_sents = n_docs * SENTS_PER_DOC
    x, y = rng.integers(0, len(heads), n_sents), rng.integers(0, len(heads), n_sents)
    mix = rng.uniform(0.55, 0.95, size=(n_sents, 1)).astype(np.float32)
    sent_vectors = np.empty((n_sents, pool_vecs.shape[1]), np.float32)
    for b in range(0, n_sents, 200_000):
        sl = slice(b, min(b + 200_000, n_sents))
        v = mix[sl] * pool_vecs[x[sl]] + (1 - mix[sl]) * pool_vecs[y[sl]]
        v += rng.normal(0, 0.01, size=v.shape).astype(np.float32)
        sent_vectors[sl] = v / np.linalg.norm(v, axis=1, keepdims=True)
    cols: dict[str, list[int]] = {k: [] for k in ARRAY_NAMES if k != "sent_boilerplate"}
    docs: list[DocRecord] = []
    sent_tokens: list[list[str]] = []
    chunk_tokens: list[list[str]] = []
    chunk_vecs: list[np.ndarray] = []
    for d in range(n_docs):
        title = f"Synthetic report {d}"
        base = d * SENTS_PER_DOC
        texts = [f"{heads[x[i]]} {tails[y[i]]}" for i in range(base, base + SENTS_PER_DOC)]
        page, starts = "", []
        for t in texts:
            starts.append(len(page))
            page += t + " "
        docs.append(DocRecord(f"synthetic/{d // 1000:04d}/report-{d}.txt", title, title, f"{d:x}", (None,),
                              (page.rstrip(),), "2026-01-01T00:00:00"))
        ctx = tokenize(title)
        for j, i in enumerate(range(base, base + SENTS_PER_DOC)):
            cols["sent_doc"].append(d)
            cols["sent_page"].append(0)
            cols["sent_start"].append(starts[j])
            cols["sent_end"].append(starts[j] + len(texts[j]))
            sent_tokens.append(head_toks[x[i]] + tail_toks[y[i]])
        for c in range(chunks_per_doc):
            first, last = 3 * c, min(3 * c + 3, SENTS_PER_DOC - 1)
            for k, v in (("chunk_doc", d), ("chunk_page", 0), ("chunk_first", base + first),
                         ("chunk_last", base + last), ("chunk_start", starts[first]),
                         ("chunk_end", starts[last] + len(texts[last]))):
                cols[k].append(v)
            chunk_tokens.append(ctx + [t for i in range(base + first, base + last + 1) for t in sent_tokens[i]])
            chunk_vecs.append(sent_vectors[base + first : base + last + 1].mean(axis=0))
    cv = np.asarray(chunk_vecs, np.float32)
    cv += rng.normal(0, 0.01, size=cv.shape).astype(np.float32)
    cv /= np.linalg.norm(cv, axis=1, keepdims=True)
    arrays = {k: np.asarray(v, np.int32) for k, v in cols.items()}
    _write(root, "synthetic", model, docs, arrays, sent_vectors, cv, sent_tokens, chunk_tokens)


def ensure_store(size: int) -> tuple[Path, str, str]:
    """(index root, "real"/"synthetic", question source) for ``size`` chunks, built once and cached."""
    root = scale_root() / f"store-{size}"
    kind, source = ("real", "squad") if size <= 2_500 else ("real", "scifact") if size <= 15_000 else (
        "synthetic", "squad")
    folder = root / (root / "CURRENT").read_text().strip() if (root / "CURRENT").is_file() else None
    manifest = json.loads((folder / "manifest.json").read_text()) if folder else {}
    if any(manifest.get(k) != v for k, v in versions().items()):
        t0 = time.perf_counter()
        print(f"building the {size:,}-chunk store ({kind}) ...", flush=True)
        real_subset(source, size, root) if kind == "real" else synthetic(size, root)
        print(f"  built in {time.perf_counter() - t0:.0f} s", flush=True)
    return root, kind, source
