"""SQuAD v1.1 and v2.0 dev through the product's own index and answering, with our variants side by side.

    .venv/bin/python bench/bench_squad.py [--version 1.1|2.0|both] [--sample 2000] [--seed 0] [--data DIR]
                                          [--out-dir bench/results]

Documents: every dev-v1.1 paragraph (2,067; dev-v2.0's 1,204 are a subset) is one file (see public_data.py),
indexed with the product's build into a cache outside the repository, built here when missing. Answers are the
product's own: ``Assistant.trace`` (the same call as ``Assistant.ask``, with its candidates, scores and decision
kept), and the pipeline's public stages on those candidates for the variants that change only the weights.

v1.1 (squad_v11.py), open (a seeded sample of questions; the index holds all 2,067 paragraphs): paragraph
  recall@1/5/20 of BM25, dense, the product's chunk fusion, a tuned weighted fusion, RRF, and of the product's
  quotes; answer@1/@3 (DESIGN.md rule, counted on the returned quotes whether or not the product abstained) and
  highlight EM/F1 (the package's SQuAD scorer). Closed (only the gold paragraph, via the ``docs`` filter): the
  product's top quote, and the best single sentence by the product's score, by BM25 alone and by dense alone.
v2.0 (squad_v20.py, all 11,873 questions or every n-th, closed and open): share of answerable questions answered
  and of unanswerable ones refused, official v2.0 EM/F1; with the product's threshold, and with thresholds or an
  abstention model chosen on the even-numbered articles and reported on the odd-numbered ones.
Writes squad_v11.json and/or squad_v20.json into --out-dir (default bench/results).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from public_data import data_root, provenance, squad_index, squad_questions  # noqa: E402
from squad_common import SquadProduct  # noqa: E402
from squad_v11 import bench_v11, print_v11  # noqa: E402
from squad_v20 import bench_v20, print_v20  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--version", choices=("1.1", "2.0", "both"), default="both")
    ap.add_argument("--data", type=Path, default=None, help="folder holding squad/ (default ../shared/bench)")
    ap.add_argument("--cache", type=Path, default=None, help="documents and index cache (outside the repo)")
    ap.add_argument("--sample", type=int, default=2000, help="v1.1 open: questions reported")
    ap.add_argument("--tune-sample", type=int, default=1000, help="v1.1 open: other questions to tune the weight")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--closed", choices=("sample", "all"), default="all", help="v1.1 closed: which questions")
    ap.add_argument("--v2-settings", nargs="+", choices=("closed", "open"), default=["closed", "open"])
    ap.add_argument("--v2-limit", type=int, default=0, help="v2.0: every n-th question only (0 = all)")
    ap.add_argument("--layout", choices=("html", "md"), default="html",
                    help="html: title as metadata only (default); md: '# title' line in every paragraph's text")
    ap.add_argument("--examples", type=int, default=60)
    ap.add_argument("--out-dir", type=Path, default=RESULTS, help="where the result files go")
    ap.add_argument("--no-write", action="store_true")
    return ap.parse_args()


def write(args: argparse.Namespace, name: str, res: dict) -> None:
    if args.no_write:
        return
    suffix = "" if args.layout == "html" else "_layout-md"
    args.out_dir.mkdir(parents=True, exist_ok=True)
    out = args.out_dir / f"{name}{suffix}.json"
    out.write_text(json.dumps(res, indent=1, ensure_ascii=False))
    print(f"wrote {out}")


def main() -> None:
    args = parse_args()
    t0 = time.perf_counter()
    paragraphs, index_dir, build = squad_index(args.data, args.cache, args.layout)
    print(f"index: {build}", flush=True)
    product = SquadProduct.open(index_dir, args.layout)
    root = data_root(args.data)
    meta = {"command": "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
            "date": time.strftime("%Y-%m-%d"), **provenance(), "data": str(root), "index": build,
            "documents": ("one HTML file per dev-v1.1 paragraph: <title> the article title (context line only), "
                          "<p> the paragraph" if args.layout == "html" else
                          "one Markdown file per dev-v1.1 paragraph: '# <article title>', blank line, paragraph"),
            "answers": "Assistant.trace; weight variants through Pipeline.rank/decide/quote on the same candidates",
            "machine": "2 cores, CPU only", "backend": product.store.manifest.get("settings", {}).get("backend")}
    if args.version in ("1.1", "both"):
        v11 = squad_questions(root, "1.1", paragraphs)
        res = bench_v11(product, paragraphs, v11, args.sample, args.tune_sample, args.seed, args.closed,
                        args.examples)
        res = {**meta, **res, "total_seconds": round(time.perf_counter() - t0, 1)}
        print_v11(res)
        write(args, "squad_v11", res)
    if args.version in ("2.0", "both"):
        t1 = time.perf_counter()
        v20 = squad_questions(root, "2.0", paragraphs)
        if args.v2_limit:
            v20 = v20[:: args.v2_limit]
        res = bench_v20(product, paragraphs, v20, args.v2_settings, args.examples)
        res = {**meta, **res, "total_seconds": round(time.perf_counter() - t1, 1)}
        print_v20(res)
        write(args, "squad_v20", res)


if __name__ == "__main__":
    main()
