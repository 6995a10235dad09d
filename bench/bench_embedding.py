"""Embedding backends on the same passages: torch (sentence-transformers), ONNX Runtime fp32, ONNX int8.

    .venv/bin/python bench/bench_embedding.py [--n 512] [--repeats 3]      # throughput and agreement
    .venv/bin/python bench/bench_embedding.py --gold [--gold-root DIR]     # + gold answer@k with each backend

Throughput, on two passage sets: ``--n`` chunk texts of the bundled corpus, exactly as the index embeds them
(context line + chunk, ~170 tokens), and ``--n`` SQuAD v1.1 dev paragraphs of 100-140 tokens (the issue's
"~120-token passages"), both sampled with a fixed seed; each backend warms up on one batch, then embeds all of them
``--repeats`` times, backends taking turns so that load from other work falls on all of them alike; best and median
passages/s are reported. Agreement: cosine of each passage's vector with torch's. Gold: the bundled corpus indexed
with each backend (a clean build into ``--gold-root/<backend>``), then the tuning and test halves of the gold set
asked against it (answer@1/@3 by evaluation.py's rule). Writes bench/results/embedding.json or --out (``--gold``
updates the gold part and keeps the rest, and the reverse). The chunk texts are read from the bench cache's index of
documents/, built when missing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "bench"))

from public_data import bundled_index, data_root, require_data  # noqa: E402

from assistant.api import Assistant  # noqa: E402
from assistant.config import BACKENDS, DEFAULT_MODEL, IndexSettings  # noqa: E402
from assistant.embedding.embedder import Embedder  # noqa: E402
from assistant.evaluation import evaluate, load_gold  # noqa: E402
from assistant.index.build import build_index, chunk_embedding_text  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "embedding.json"
CACHE = ROOT / "bench" / ".cache" / "models"  # git-ignored, like every export
SEED = 20261122


def git_commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return out.stdout.strip()


def chunk_texts(n: int) -> list[str]:
    """``n`` chunk texts of the bundled corpus, exactly as the build embeds them, sampled with a fixed seed: read
    from the bench cache's index of documents/ (built when missing), so no splitting is re-done here."""
    store = Assistant(bundled_index()[0]).store
    texts = []
    for d, p, s, e in zip(store.chunk_doc, store.chunk_page, store.chunk_start, store.chunk_end, strict=True):
        record = store.docs[int(d)]
        texts.append(chunk_embedding_text(record, record.pages[int(p)], int(s), int(e)))
    picks = np.random.default_rng(SEED).choice(len(texts), size=min(n, len(texts)), replace=False)
    return [texts[i] for i in sorted(picks)]


def squad_paragraphs(n: int, embedder: Embedder, lo: int = 100, hi: int = 140) -> list[str]:
    """``n`` SQuAD v1.1 dev paragraphs of ``lo``-``hi`` tokens (the issue's "~120-token passages"), fixed seed."""
    data = json.loads(require_data(data_root(), "squad/dev-v1.1.json").read_text())["data"]
    paras = [p["context"] for art in data for p in art["paragraphs"]]
    counts = embedder.count_tokens(paras)
    fitting = [p for p, c in zip(paras, counts, strict=True) if lo <= c <= hi]
    picks = np.random.default_rng(SEED).choice(len(fitting), size=min(n, len(fitting)), replace=False)
    return [fitting[i] for i in sorted(picks)]


def load_embedders() -> tuple[dict[str, Embedder], dict[str, float]]:
    embedders: dict[str, Embedder] = {}
    load_s: dict[str, float] = {}
    for backend in BACKENDS:  # load (and export, the first time) before anything is timed
        t0 = time.perf_counter()
        embedders[backend] = Embedder(DEFAULT_MODEL, backend, CACHE)
        embedders[backend].encode(["warm up"])
        load_s[backend] = round(time.perf_counter() - t0, 1)
    return embedders, load_s


def throughput(texts: list[str], embedders: dict[str, Embedder], load_s: dict[str, float], repeats: int,
               batch: int) -> dict[str, object]:
    tokens = embedders["torch"].count_tokens(texts)
    for e in embedders.values():
        e.encode(texts[:batch], batch_size=batch)  # warm-up batch
    rates: dict[str, list[float]] = {b: [] for b in BACKENDS}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(repeats):
        for backend, e in embedders.items():
            t0 = time.perf_counter()
            vectors[backend] = e.encode(texts, batch_size=batch)
            rates[backend].append(len(texts) / (time.perf_counter() - t0))
    base = max(rates["torch"])
    rows: dict[str, dict[str, float]] = {}
    for backend in BACKENDS:
        cos = (vectors[backend] * vectors["torch"]).sum(axis=1)
        rows[backend] = {
            "passages_per_s_best": round(max(rates[backend]), 1),
            "passages_per_s_median": round(statistics.median(rates[backend]), 1),
            "speedup_vs_torch": round(max(rates[backend]) / base, 2),
            "cosine_mean": round(float(cos.mean()), 5), "cosine_min": round(float(cos.min()), 5),
            "load_s_first": load_s[backend],
        }
    return {"passages": len(texts), "tokens_mean": round(float(np.mean(tokens)), 1), "batch": batch,
            "repeats": repeats, "backends": rows}


def op_profile(texts: list[str], embedder: Embedder, top: int = 10) -> dict[str, float]:
    """Where int8 ONNX time goes: ONNX Runtime's own profile of one pass over ``texts``, share of kernel time
    by operator type (quantised MatMuls vs the fp32 attention products, layer norms, ...)."""
    import onnxruntime as ort

    encoder = embedder.onnx
    assert encoder is not None
    options = ort.SessionOptions()
    options.enable_profiling = True
    options.log_severity_level = 3
    with tempfile.TemporaryDirectory() as tmp:
        options.profile_file_prefix = str(Path(tmp) / "ort")
        session, encoder.session = encoder.session, ort.InferenceSession(
            str(encoder.model_file), options, providers=["CPUExecutionProvider"])
        try:
            encoder.encode(texts)
            events = json.loads(Path(encoder.session.end_profiling()).read_text())
        finally:
            encoder.session = session
    by_op: dict[str, float] = {}
    for e in events:
        if e.get("cat") == "Node" and e.get("name", "").endswith("_kernel_time"):
            by_op[e["args"]["op_name"]] = by_op.get(e["args"]["op_name"], 0.0) + e["dur"]
    total = sum(by_op.values()) or 1.0
    return {op: round(us / total, 3) for op, us in sorted(by_op.items(), key=lambda kv: -kv[1])[:top]}


def gold(root: Path) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for backend in BACKENDS:
        index = root / backend
        t0 = time.perf_counter()
        report = build_index(ROOT / "documents", index, IndexSettings(backend=backend))
        row: dict[str, object] = {"build_s": round(time.perf_counter() - t0, 1), "embedded": report.embedded,
                                  "index": str(index)}
        assistant = Assistant(index)
        for half in ("tune", "test"):
            m = evaluate(assistant, load_gold(ROOT / "eval" / f"bundled_gold_{half}.jsonl")).metrics
            row[half] = {k: m[k] for k in ("answer@1", "answer@3", "doc_hit@1", "mrr", "answerable",
                                           "unanswerable_refused")}
        out[backend] = row
        print(f"{backend:10s} build {row['build_s']:6.1f}s  tune {row['tune']}  test {row['test']}", flush=True)
    return out


def print_table(result: dict, key: str = "throughput") -> None:
    tp = result.get(key)
    gd = result.get("gold", {})
    if tp:
        print(f"{key}: {tp['passages']} passages, mean {tp['tokens_mean']} tokens, batch {tp['batch']}, "
              f"{result['machine']}")
    print(f"{'backend':10s} {'pass/s':>7s} {'median':>7s} {'speedup':>7s} {'cos mean':>8s} {'cos min':>8s} "
          f"{'tune@1':>6s} {'tune@3':>6s} {'test@1':>6s} {'test@3':>6s}")
    for backend in BACKENDS:
        r = tp["backends"].get(backend, {}) if tp else {}
        g = gd.get(backend, {})

        def f(v: object, fmt: str) -> str:
            return format(v, fmt) if isinstance(v, int | float) else "-"

        print(f"{backend:10s} {f(r.get('passages_per_s_best'), '7.1f')} {f(r.get('passages_per_s_median'), '7.1f')} "
              f"{f(r.get('speedup_vs_torch'), '6.2f')}x {f(r.get('cosine_mean'), '8.5f')} "
              f"{f(r.get('cosine_min'), '8.5f')} "
              + " ".join(f(g.get(h, {}).get(k), "6.3f") for h in ("tune", "test") for k in ("answer@1", "answer@3")))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=512)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--gold", action="store_true", help="also build an index per backend and run the gold set")
    ap.add_argument("--gold-only", action="store_true", help="only the gold part (keeps the stored throughput)")
    ap.add_argument("--gold-root", type=Path, default=None, help="where the per-backend indexes go (default: tmp)")
    ap.add_argument("--machine", default=f"{os.cpu_count()} cores, loaded (other work running)")
    ap.add_argument("--out", type=Path, default=RESULTS, help="results file, updated in place")
    args = ap.parse_args()
    result = json.loads(args.out.read_text()) if args.out.is_file() else {}
    result.update(bench="bench_embedding.py", commit=git_commit(), date=time.strftime("%Y-%m-%d %H:%M"),
                  machine=args.machine, model=DEFAULT_MODEL)
    if not args.gold_only:
        texts = chunk_texts(args.n)
        embedders, load_s = load_embedders()
        result["throughput"] = throughput(texts, embedders, load_s, args.repeats, args.batch)
        result["throughput_squad"] = throughput(squad_paragraphs(args.n, embedders["torch"]), embedders, load_s,
                                                args.repeats, args.batch)
        result["int8_op_profile"] = op_profile(texts[:256], embedders["onnx-int8"])
        print("int8 kernel time by operator:", result["int8_op_profile"])
    if args.gold or args.gold_only:
        root = args.gold_root or Path(tempfile.mkdtemp(prefix="bench-embedding-"))
        result["gold"] = gold(root)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print_table(result)
    if "throughput_squad" in result:
        print_table(result, "throughput_squad")


if __name__ == "__main__":
    main()
