"""Ask and citation latency against corpus size, next to one raw query embedding measured in the same run.

    .venv/bin/python bench/bench_scale.py [--sizes 1000 10000 100000 1000000] [--questions 60] [--quotes 40]

Every size is a store in the product's on-disk format (scale_stores.py: real subsets of the SQuAD and SciFact
bench indexes up to 15k chunks, synthetic beyond; built once and cached, and the indexes they come from are built
when missing), loaded with the product's load path (``Assistant``) and timed through ``Assistant.ask`` /
``Assistant.cite`` with the model warm. Beside each ask, one raw query embedding with the store's backend and one
with torch (the issue's yardstick, "one raw MiniLM query embedding") are timed.

Questions are real (SQuAD dev questions; SciFact claims for the SciFact store); quotes for the citation lookup
are verbatim sentences of the store (10-40 words). "RSS" is the growth of the process's resident memory while
the index loads (model already loaded). The load average at the start is recorded with the results.
A cProfile of the asks after the embedding (by own time) is printed and saved for every size.
Writes bench/results/scale.json (or --out).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_core import torch_query_embedding_ms  # noqa: E402
from metrics import pct  # noqa: E402
from public_data import data_root, require_data  # noqa: E402
from scale_stores import SEED, ensure_store  # noqa: E402

from assistant.api import Assistant, check_question  # noqa: E402
from assistant.config import IndexSettings  # noqa: E402

OUT = ROOT / "bench" / "results" / "scale.json"
TARGETS = {"ask_ratio_10k": 1.5, "ask_p50_ms_1m": 60.0, "cite_p50_ms_10k": 50.0}
NOT_RUN_1M = "not asked for in this run (--sizes); the 1M store takes ~10 min to build here, once, then is cached"


def questions(source: str, n: int) -> list[str]:
    if source == "scifact":
        lines = require_data(data_root(), "scifact/queries.jsonl").read_text().splitlines()
        qs = [json.loads(line)["text"] for line in lines]
    else:
        data = json.loads(require_data(data_root(), "squad/dev-v1.1.json").read_text())["data"]
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
    ap.add_argument("--out", type=Path, default=OUT, help="results file (default bench/results/scale.json)")
    args = ap.parse_args()
    rows = []
    for size in args.sizes:
        row = measure(size, args.questions, args.quotes)
        rows.append(row)
        print_table([row])
        print(row["profile_asks_after_embedding"])
    print()
    print_table(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "bench": "bench_scale.py", "commit": git_commit(), "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"2 CPU cores, no GPU; {IndexSettings().backend} embedding backend; load average at start "
                   f"{load_at_start}",
        "targets": TARGETS, "settings": asdict(IndexSettings()), "results": rows,
        **({} if max(args.sizes) >= 1_000_000 else {"not_run": {"1000000": NOT_RUN_1M}}),
    }, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
