"""bench_scale's store on ``qdrant+local`` beside the local backend: write time, ask p50, memory.

    .venv/bin/python bench/bench_scale_qdrant.py [--size 100000] [--questions 20] [--squad-only] [--out PATH]

The store is bench_scale's (``scale_stores.ensure_store``: real subsets up to 15k chunks, synthetic beyond;
cached); with ``--squad-only`` a synthetic store of the same recipe whose sentences are spliced from SQuAD's alone
(built here, not cached: it spares re-embedding the 65k SciFact texts when that bench index is stale). Both backends
get the same units, vectors and tokens (every unit's text tokenised again by ``lexical.tokenize``), written by each
backend's ``BuildStorage.write``: the local folder (``write_store``: FAISS index chosen by size, bm25s) and Qdrant's
embedded local mode (``QdrantStorage.write``: collections with dense and sparse vectors). "Build" here is that write
(the embedding, the same for both, is not repeated). Asks are timed through ``Assistant.ask`` in this process,
interleaved; memory is the resident growth of a fresh process from before the index loads to after it answered 10
questions (model included, as in bench_scale). Local mode is qdrant-client's in-process engine (brute force, in
Python): it is the test double of a Qdrant server, and its latency says nothing about a server's.
Writes bench/results/scale_qdrant.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_scale import git_commit, questions  # noqa: E402
from metrics import pct  # noqa: E402
from scale_stores import ensure_store, synthetic  # noqa: E402

from assistant.api import Assistant  # noqa: E402
from assistant.index.build import chunk_embedding_text  # noqa: E402
from assistant.index.lexical import Bm25Index, tokenize  # noqa: E402
from assistant.index.qdrant_store import QdrantStorage, disconnect  # noqa: E402
from assistant.index.store import ARRAY_NAMES, load_store, write_store  # noqa: E402

OUT = ROOT / "bench" / "results" / "scale_qdrant.json"
WORK = Path("/tmp/bench-scale-qdrant")

_RSS_CHILD = """
import json, sys
from pathlib import Path
from assistant.api import Assistant

def status():
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return {k: int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "RssAnon", "RssFile")}

before = status()
t0 = __import__("time").perf_counter()
assistant = Assistant(Path(sys.argv[1]), store=sys.argv[2] or None)
store = assistant.store
load_s = __import__("time").perf_counter() - t0
for q in json.loads(sys.argv[3]):
    assistant.ask(q)
after = status()
print(json.dumps({**{k: round(after[k] - before[k], 1) for k in after}, "load_s": round(load_s, 2)}))
"""


def memory(index_dir: Path, store: str, qs: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-c", _RSS_CHILD, str(index_dir), store, json.dumps(qs)],
                         capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        raise SystemExit(f"memory child failed for {store or 'local'}:\n{out.stderr[-3000:]}")
    grown = json.loads(out.stdout.strip().splitlines()[-1])
    return {"rss_mb": grown["VmRSS"], "anon_mb": grown["RssAnon"], "file_backed_mb": grown["RssFile"],
            "load_s": grown["load_s"]}


def write_both(source_root: Path, spec: str) -> tuple[Path, dict]:
    """The cached store written again by both backends from the same units; (local root, seconds each)."""
    s = load_store(source_root)
    sent_tokens = [tokenize(s.sentence_text(i)) for i in range(s.n_sentences)]
    chunk_tokens = [tokenize(chunk_embedding_text(s.docs[d], s.docs[d].pages[p], a, b)) for d, p, a, b in
                    zip(s.chunk_doc, s.arrays["chunk_page"], s.arrays["chunk_start"], s.arrays["chunk_end"],
                        strict=True)]
    arrays = {k: s.arrays[k] for k in ARRAY_NAMES}
    manifest = {k: v for k, v in s.manifest.items() if k not in ("checksums", "vector_index")}
    sent_vectors, chunk_vectors = s.sent_vectors[:], s.chunk_vectors[:]
    seconds = {}
    local_root = WORK / "local"
    shutil.rmtree(local_root, ignore_errors=True)
    t0 = time.perf_counter()
    write_store(local_root, manifest, s.docs, arrays, sent_vectors, chunk_vectors, Bm25Index.build(sent_tokens),
                Bm25Index.build(chunk_tokens))
    seconds["local"] = round(time.perf_counter() - t0, 1)
    storage = QdrantStorage(spec, WORK / "qidx")
    t0 = time.perf_counter()
    with storage.lock():
        storage.write(manifest, s.docs, arrays, sent_vectors, chunk_vectors, storage.lexical(sent_tokens),
                      storage.lexical(chunk_tokens), s.page_boxes)
    seconds["qdrant+local"] = round(time.perf_counter() - t0, 1)
    disconnect(spec)
    return local_root, seconds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--questions", type=int, default=20)
    ap.add_argument("--squad-only", action="store_true", help="synthetic store from SQuAD sentences alone")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--reuse-written", metavar="JSON", default=None,
                    help="skip the writes: measure the stores an earlier run of this script left in its work "
                         "folder, whose printed write seconds are given here, e.g. "
                         "'{\"local\": 81.7, \"qdrant+local\": 1247.5}'")
    args = ap.parse_args()
    load_at_start = Path("/proc/loadavg").read_text().split()[0]
    spec = f"qdrant+local:{WORK / 'qdrant'}"
    if args.squad_only:
        source_root, kind, source = WORK / f"store-{args.size}", "synthetic (SQuAD sentences only)", "squad"
        if not args.reuse_written:
            synthetic(args.size, source_root, sources=("squad",))
    else:
        source_root, kind, source = ensure_store(args.size)
    if args.reuse_written:
        local_root, write_s = WORK / "local", json.loads(args.reuse_written)
        write_s["measured"] = "by an earlier run of this script over the same stores (their writes were not repeated)"
    else:
        shutil.rmtree(WORK / "qdrant", ignore_errors=True)
        local_root, write_s = write_both(source_root, spec)
    print("write seconds", write_s, flush=True)
    qs = questions(source, args.questions)
    mem = {"local": memory(local_root, "", qs[:10]), "qdrant+local": memory(WORK / "qidx", spec, qs[:10])}
    print("memory", mem, flush=True)
    backends = {"local": Assistant(local_root), "qdrant+local": Assistant(WORK / "qidx", store=spec)}
    for a in backends.values():
        a.warm_up()
        a.ask(qs[0])
    ask_ms: dict[str, list[float]] = {k: [] for k in backends}
    same = 0
    for q in qs:  # interleaved: both see the same machine load
        got = {}
        for name, a in backends.items():
            t0 = time.perf_counter()
            answer = a.ask(q)
            ask_ms[name].append((time.perf_counter() - t0) * 1e3)
            got[name] = (answer.answered, [(x.doc, x.start, x.end) for x in answer.quotes])
        same += got["local"] == got["qdrant+local"]
    store = backends["local"].store
    result = {
        "bench": "bench_scale_qdrant.py", "commit": git_commit(), "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"2 CPU cores shared with other jobs; load average at start {load_at_start}",
        "chunks": store.n_chunks, "sentences": store.n_sentences, "documents": len(store.docs), "data": kind,
        "write_s": write_s, "memory_fresh_process": mem,
        "ask_p50_ms": {k: round(pct(v, 0.5), 1) for k, v in ask_ms.items()},
        "ask_p95_ms": {k: round(pct(v, 0.95), 1) for k, v in ask_ms.items()},
        "n_questions": len(qs), "same_answer_and_quotes": same,
    }
    print(json.dumps(result, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
