"""Split the natural gold set into tune and test halves (random, fixed seed, stratified).

    .venv/bin/python eval/split_natural.py [SOURCE.jsonl]

Reads every question (default: eval/natural_gold.jsonl; the order in the file does not matter: items are sorted
by id first), groups them by (answerable: news article or Ofsted report; unanswerable: kind of swap), shuffles
each group with a fixed seed and deals it alternately to the two halves, the first card of each group going to
the half that is smaller so far. Writes natural_gold_tune.jsonl, natural_gold_test.jsonl and natural_gold.jsonl
(tune first). Running it again gives the same files.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from check_natural import SEARCHED  # noqa: E402  (the kind of swap of each unanswerable question)

SEED = 20261201


def stratum(item: dict) -> tuple[str, str]:
    """(answerable, source kind) for an answerable item; (unanswerable, kind of swap) for the others."""
    if not item["answers"]:
        return ("unanswerable", SEARCHED[item["id"]]["kind"])
    return ("answerable", "article" if item["doc"].startswith("seeds/") else "report")


def split(items: list[dict], seed: int = SEED) -> tuple[list[dict], list[dict]]:
    rng = random.Random(seed)
    groups: dict[tuple[str, str], list[dict]] = {}
    for item in sorted(items, key=lambda i: i["id"]):
        groups.setdefault(stratum(item), []).append(item)
    tune: list[dict] = []
    test: list[dict] = []
    for key in sorted(groups):
        group = groups[key]
        rng.shuffle(group)
        first, second = (tune, test) if len(tune) <= len(test) else (test, tune)
        for n, item in enumerate(group):
            (first if n % 2 == 0 else second).append(item)
    return sorted(tune, key=lambda i: i["id"]), sorted(test, key=lambda i: i["id"])


def write(path: Path, items: list[dict]) -> None:
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else HERE / "natural_gold.jsonl"
    items = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    tune, test = split(items)
    write(HERE / "natural_gold_tune.jsonl", tune)
    write(HERE / "natural_gold_test.jsonl", test)
    write(HERE / "natural_gold.jsonl", tune + test)
    for name, half in (("tune", tune), ("test", test)):
        counts: dict[str, int] = {}
        for item in half:
            k = "/".join(stratum(item))
            counts[k] = counts.get(k, 0) + 1
        print(f"{name}: {len(half)} {dict(sorted(counts.items()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
