"""Citation lookup latency and verdicts on the bundled corpus, model warm.

    .venv/bin/python bench/bench_cite.py [--index index] [--store qdrant+local:PATH] [--n 50] [--out PATH]

Lookups are made from the index itself with a fixed seed: verbatim sentences (expected exact), the same
sentences with one word dropped and one replaced (expected near), and invented sentences that mix the corpus's
own vocabulary in new orders (expected not_found). Reports p50/p95 per kind and overall, and how often the
verdict was the expected one, and every lookup's verdict (to compare backends: ``--store``). Writes
bench/results/cite.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "bench"))

from metrics import pct  # noqa: E402
from public_data import existing_index  # noqa: E402

from assistant.api import Assistant  # noqa: E402


def make_lookups(assistant: Assistant, n: int, seed: int = 7) -> list[tuple[str, str]]:
    """(kind, quote) pairs: 60% exact, 20% near, 20% not_found."""
    rng = random.Random(seed)
    store = assistant.store
    sentences = [" ".join(store.sentence_text(i).split()) for i in range(store.n_sentences)]
    sentences = [s for s in sentences if 10 <= len(s.split()) <= 40]
    picked = rng.sample(sentences, n)
    n_exact, n_near = int(n * 0.6), int(n * 0.2)
    out: list[tuple[str, str]] = [("exact", s) for s in picked[:n_exact]]
    for s in picked[n_exact : n_exact + n_near]:
        words = s.split()
        del words[rng.randrange(1, len(words) - 1)]
        words[rng.randrange(1, len(words) - 1)] = rng.choice(["really", "clearly", "often", "new", "local"])
        out.append(("near", " ".join(words)))
    vocab = [w for s in sentences for w in s.split() if w.isalpha() and len(w) > 3]
    for _ in range(n - len(out)):
        out.append(("not_found", " ".join(rng.sample(vocab, 12)).capitalize() + "."))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=ROOT / "index")
    ap.add_argument("--store", default=None, help="a Qdrant store (as `assistant --store`); default: --index")
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "cite.json")
    args = ap.parse_args()
    assistant = Assistant(args.index if args.store else existing_index(args.index), store=args.store)
    assistant.warm_up()
    lookups = make_lookups(assistant, args.n)
    times: dict[str, list[float]] = {}
    right: dict[str, int] = {}
    verdicts: list[str] = []
    for kind, quote in lookups:
        t0 = time.perf_counter()
        verdict = assistant.cite(quote).verdict
        ms = (time.perf_counter() - t0) * 1e3
        verdicts.append(verdict)
        times.setdefault(kind, []).append(ms)
        times.setdefault("all", []).append(ms)
        ok = verdict == kind or (kind == "near" and verdict == "exact")
        right[kind] = right.get(kind, 0) + ok
    rows = {}
    print(f"{'kind':10s} {'n':>4s} {'p50 ms':>8s} {'p95 ms':>8s} {'expected verdict':>17s}")
    for kind, values in times.items():
        n = len(values)
        acc = sum(right.values()) / n if kind == "all" else right[kind] / n
        rows[kind] = {"n": n, "p50_ms": round(statistics.median(values), 2), "p95_ms": round(pct(values, 0.95), 2),
                      "expected_verdict": round(acc, 3)}
        print(f"{kind:10s} {n:4d} {rows[kind]['p50_ms']:8.2f} {rows[kind]['p95_ms']:8.2f} {acc:17.3f}")
    store = assistant.store
    result = {"command": "python bench/bench_cite.py", "date": time.strftime("%Y-%m-%d"),
              "machine": "2 cores, CPU only, torch backend", "chunks": store.n_chunks,
              "sentences": store.n_sentences, "store": args.store or "local", "lookups": rows, "verdicts": verdicts}
    args.out.write_text(json.dumps(result, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
