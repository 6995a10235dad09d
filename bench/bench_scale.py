"""Ask and citation latency against corpus size, next to one raw query embedding measured in the same run.

    .venv/bin/python bench/bench_scale.py [--sizes 1000 10000 100000 1000000] [--questions 60] [--quotes 40]

Every size is a store in the product's on-disk format, loaded with the product's load path (``Assistant``) and timed
through ``Assistant.ask`` / ``Assistant.cite`` with the model warm. Beside each ask, one raw query embedding with
the store's backend and one with torch (the issue's yardstick, "one raw MiniLM query embedding") are timed. Stores
are cached outside the repository (~/.cache/bradford-assistant-bench/scale/store-<size>):

* 1k chunks: real. The first SQuAD dev paragraphs of the bench cache's SQuAD index (bench/bench_squad.py),
  their real vectors; units re-numbered and BM25 rebuilt for the subset.
* 10k chunks: real. The first SciFact abstracts of the bench cache's SciFact index (bench/bench_scifact.py),
  likewise.
* 100k and 1M chunks: synthetic. Each sentence splices the first half of one real SQuAD/SciFact sentence to the
  second half of another; its vector is the normalised mixture a*x + (1-a)*y (a in [0.55, 0.95]) of the two real
  sentence vectors plus N(0, 0.01) noise; a chunk (4 sentences, one shared with the next, as the real ones hold
  ~3.9) gets the normalised mean of its sentences' vectors plus the same noise. Fixed seed.

Questions are real (SQuAD dev questions; SciFact claims for the SciFact store); quotes for the citation lookup
are verbatim sentences of the store (10-40 words). "RSS" is the growth of the process's resident memory while
the index loads (model already loaded). The load average at the start is recorded with the results.
A cProfile of the asks after the embedding (by own time) is printed and saved for every size.
Writes bench/results/scale.json.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_core import torch_query_embedding_ms  # noqa: E402

from assistant.api import Assistant, check_question  # noqa: E402
from assistant.config import IndexSettings  # noqa: E402
from assistant.index.build import chunk_embedding_text, fold_space  # noqa: E402
from assistant.index.lexical import Bm25Index, tokenize  # noqa: E402
from assistant.index.store import ARRAY_NAMES, DocRecord, versions, write_store  # noqa: E402
from assistant.index.boilerplate import boilerplate_flags  # noqa: E402

CACHE = Path.home() / ".cache" / "bradford-assistant-bench"
SCALE = CACHE / "scale"
SHARED = ROOT.parent / "shared" / "bench"
OUT = ROOT / "bench" / "results" / "scale.json"
SEED = 20261122
SENTS_PER_DOC = 24  # synthetic documents: one page of this many sentences (~8 chunks)
TARGETS = {"ask_ratio_10k": 1.5, "ask_p50_ms_1m": 60.0, "cite_p50_ms_10k": 50.0}
NOT_RUN_1M = "not asked for in this run (--sizes); the 1M store takes ~10 min to build here, once, then is cached"


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
    raw = read_raw(CACHE / source / "index")
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


def _pool() -> tuple[list[str], list[str], list[list[str]], list[list[str]], np.ndarray, str]:
    """Real sentences (10-60 words) split into halves at a space, each half's tokens, and their vectors."""
    heads, tails, head_toks, tail_toks, vecs = [], [], [], [], []
    model = ""
    for source in ("squad", "scifact"):
        raw = read_raw(CACHE / source / "index")
        model = raw.model
        a = raw.arrays
        for i, (d, p, s, e) in enumerate(spans(a, "sent")):
            words = fold_space(raw.docs[d].pages[p][s:e]).split()
            if 10 <= len(words) <= 60:
                h, t = " ".join(words[: len(words) // 2]), " ".join(words[len(words) // 2 :])
                heads.append(h)
                tails.append(t)
                head_toks.append(tokenize(h))
                tail_toks.append(tokenize(t))
                vecs.append(raw.sent_vectors[i])
    return heads, tails, head_toks, tail_toks, np.asarray(vecs, np.float32), model


def synthetic(n_chunks: int, root: Path) -> None:
    """Documents of spliced real sentences with mixed real vectors (see the module docstring)."""
    heads, tails, head_toks, tail_toks, pool_vecs, model = _pool()
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
    root = SCALE / f"store-{size}"
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


def questions(source: str, n: int) -> list[str]:
    if source == "scifact":
        lines = (SHARED / "scifact" / "queries.jsonl").read_text().splitlines()
        qs = [json.loads(line)["text"] for line in lines]
    else:
        data = json.loads((SHARED / "squad" / "dev-v1.1.json").read_text())["data"]
        qs = [qa["question"] for art in data for para in art["paragraphs"] for qa in para["qas"]]
    return random.Random(SEED).sample(qs, n)


def quotes(assistant: Assistant, n: int) -> list[str]:
    store = assistant.store
    rng = random.Random(SEED)
    out: list[str] = []
    while len(out) < n:
        text = " ".join(store.sentence_text(rng.randrange(store.n_sentences)).split())
        if 10 <= len(text.split()) <= 40:
            out.append(text)
    return out


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def profile_asks(assistant: Assistant, qs: list[str], top: int = 16) -> str:
    """cProfile of the asks after the embedding (the model's time is the raw embedding, reported beside it):
    query vectors are computed first and handed back by the embedder during the profiled asks."""
    embedder = assistant.snapshot().embedder
    vectors = {check_question(q): embedder.encode_query(check_question(q)) for q in qs}  # as ask cleans it
    embedder.encode_query = vectors.__getitem__  # instance attribute, removed below
    prof = cProfile.Profile()
    try:
        prof.enable()
        for q in qs:
            assistant.ask(q)
        prof.disable()
    finally:
        del embedder.encode_query
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    return "\n".join(line for line in buf.getvalue().splitlines() if line.strip())


def recall_at_10(store, query_vectors: list[np.ndarray]) -> dict[str, dict[str, object]]:
    """Recall@10 of each of the store's vector indexes (as the product searches it, re-rank included) against
    exact search over the same float32 rows (read in blocks: 3M sentence rows are 4.6 GB)."""
    qs = np.asarray(query_vectors, np.float32)
    out = {}
    for name, index in (("sentences", store.sent_index), ("chunks", store.chunk_index)):
        _, approx = index.search(qs, 10)
        best = np.full((len(qs), 10), -np.inf, np.float32)
        best_ids = np.zeros((len(qs), 10), np.int64)
        for lo in range(0, index.ntotal, 262_144):
            block = (np.asarray(index.vectors[lo : lo + 262_144], np.float32) @ qs.T).T  # queries x rows
            part = np.argpartition(-block, min(10, block.shape[1] - 1), axis=1)[:, :10]
            scores = np.concatenate([best, np.take_along_axis(block, part, 1)], axis=1)
            ids = np.concatenate([best_ids, part + lo], axis=1)
            top = np.argsort(-scores, axis=1)[:, :10]
            best, best_ids = np.take_along_axis(scores, top, 1), np.take_along_axis(ids, top, 1)
        hits = [len(set(a[a >= 0].tolist()) & set(e.tolist())) / 10 for a, e in zip(approx, best_ids, strict=True)]
        out[name] = {"kind": index.spec.kind, "vectors": index.ntotal, "recall_at_10": round(float(np.mean(hits)), 4),
                     "index_bytes_per_vector": round(index.memory_bytes() / max(index.ntotal, 1), 1)}
    return out


_RSS_CHILD = """
import json, sys
from pathlib import Path
from assistant.api import Assistant

def status():
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return {k: int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "RssAnon", "RssFile")}

assistant = Assistant(Path(sys.argv[1]))
before = status()
store = assistant.store
assistant.warm_up()
for q in json.loads(sys.argv[2]):
    assistant.ask(q)
for quote in json.loads(sys.argv[3]):
    assistant.cite(quote)
after = status()
print(json.dumps({k: round(after[k] - before[k], 1) for k in after}))
"""


def index_memory(root: Path, qs: list[str], quotes_: list[str]) -> dict[str, float]:
    """Memory the index takes in a fresh process: resident growth (MB) from just before the store loads to after
    it loaded, warmed up for citations and answered the questions and lookups (the model is loaded lazily
    by the first question, so its ~60 MB are included); anonymous vs file-backed (memory-mapped BM25 postings
    and float32 rows, as touched)."""
    out = subprocess.run([sys.executable, "-c", _RSS_CHILD, str(root), json.dumps(qs), json.dumps(quotes_)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    grown = json.loads(out.stdout.strip().splitlines()[-1])
    return {"rss_mb": grown["VmRSS"], "anon_mb": grown["RssAnon"], "file_backed_mb": grown["RssFile"]}


def measure(size: int, n_questions: int, n_quotes: int) -> dict:
    root, kind, source = ensure_store(size)
    assistant = Assistant(root)
    embedder_rss0 = rss_mb()
    t0 = time.perf_counter()
    store = assistant.store  # the product's load path: load_store + checks
    load_s = time.perf_counter() - t0
    index_rss = rss_mb() - embedder_rss0
    snap = assistant.snapshot()
    t0 = time.perf_counter()
    assistant.warm_up()  # model, and the folded text citation lookups search
    warm_s = time.perf_counter() - t0
    qs = questions(source, n_questions)
    for q in qs[:5]:
        assistant.ask(q)
    embed_ms, ask_ms, parts = [], [], {"embed": [], "search": [], "extract": []}
    for q in qs:  # interleaved, so both see the same machine load
        t0 = time.perf_counter()
        snap.embedder.encode_query(q)
        embed_ms.append((time.perf_counter() - t0) * 1e3)
        t0 = time.perf_counter()
        answer = assistant.ask(q)
        ask_ms.append((time.perf_counter() - t0) * 1e3)
        for k in parts:
            parts[k].append(answer.timings_ms[k])
    torch_ms = torch_query_embedding_ms(qs)
    cite_ms, verdicts = [], []
    for quote in quotes(assistant, n_quotes):
        t0 = time.perf_counter()
        verdicts.append(assistant.cite(quote).verdict)
        cite_ms.append((time.perf_counter() - t0) * 1e3)
    row = {
        "chunks": store.n_chunks, "sentences": store.n_sentences, "documents": len(store.docs), "data": kind,
        "source": source, "load_s": round(load_s, 2), "warm_up_s": round(warm_s, 2),
        "index_rss_mb": round(index_rss, 1), "process_rss_mb": round(rss_mb(), 1),
        "embed_p50_ms": round(pct(embed_ms, 0.5), 2), "ask_p50_ms": round(pct(ask_ms, 0.5), 2),
        "ask_p95_ms": round(pct(ask_ms, 0.95), 2),
        "ask_parts_p50_ms": {k: round(pct(v, 0.5), 2) for k, v in parts.items()},
        "ratio_ask_to_embed": round(pct(ask_ms, 0.5) / pct(embed_ms, 0.5), 2),
        "torch_embed_p50_ms": round(pct(torch_ms, 0.5), 2),
        "ratio_ask_to_torch_embed": round(pct(ask_ms, 0.5) / pct(torch_ms, 0.5), 2),
        "cite_p50_ms": round(pct(cite_ms, 0.5), 2), "cite_p95_ms": round(pct(cite_ms, 0.95), 2),
        "cite_exact_share": round(verdicts.count("exact") / len(verdicts), 3),
        "n_questions": len(qs), "n_quotes": len(cite_ms),
        "recall_at_10": recall_at_10(store, [snap.embedder.encode_query(q) for q in qs]),
        "index_memory_fresh_process": index_memory(root, qs[:20], quotes(assistant, 5)),
    }
    missed = (size == 10_000 and (row["ratio_ask_to_torch_embed"] > TARGETS["ask_ratio_10k"]
                                  or row["cite_p50_ms"] > TARGETS["cite_p50_ms_10k"])
              or size >= 1_000_000 and row["ask_p50_ms"] > TARGETS["ask_p50_ms_1m"])
    row["targets_missed"] = bool(missed)
    row["profile_asks_after_embedding"] = profile_asks(assistant, qs[:20])
    return row


def git_commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return out.stdout.strip() + ("+dirty" if dirty else "")


def print_table(rows: list[dict]) -> None:
    head = (f"{'chunks':>9} {'sents':>9} {'data':>9} {'ask p50':>8} {'ask p95':>8} {'embed':>6} {'ratio':>6} "
            f"{'torch':>6} {'ratio':>6} {'cite p50':>8} {'RSS MB':>7} {'R@10 s/c':>11}  ask parts p50 "
            f"(embed/search/extract)")
    print(head)
    for r in rows:
        p = r["ask_parts_p50_ms"]
        recall = r["recall_at_10"]
        print(f"{r['chunks']:>9,} {r['sentences']:>9,} {r['data']:>9} {r['ask_p50_ms']:>8.1f} {r['ask_p95_ms']:>8.1f} "
              f"{r['embed_p50_ms']:>6.1f} {r['ratio_ask_to_embed']:>6.2f} {r['torch_embed_p50_ms']:>6.1f} "
              f"{r['ratio_ask_to_torch_embed']:>6.2f} {r['cite_p50_ms']:>8.1f} {r['index_rss_mb']:>7.0f} "
              f"{recall['sentences']['recall_at_10']:>5.3f}/{recall['chunks']['recall_at_10']:<5.3f}"
              f"  {p['embed']:.1f}/{p['search']:.1f}/{p['extract']:.1f}")


def main() -> None:
    load_at_start = Path("/proc/loadavg").read_text().split()[0]
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    ap.add_argument("--questions", type=int, default=60)
    ap.add_argument("--quotes", type=int, default=40)
    args = ap.parse_args()
    rows = []
    for size in args.sizes:
        row = measure(size, args.questions, args.quotes)
        rows.append(row)
        print_table([row])
        print(row["profile_asks_after_embedding"])
    print()
    print_table(rows)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({
        "bench": "bench_scale.py", "commit": git_commit(), "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"2 CPU cores, no GPU; {IndexSettings().backend} embedding backend; load average at start "
                   f"{load_at_start}",
        "targets": TARGETS, "settings": asdict(IndexSettings()), "results": rows,
        **({} if max(args.sizes) >= 1_000_000 else {"not_run": {"1000000": NOT_RUN_1M}}),
    }, indent=1))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
