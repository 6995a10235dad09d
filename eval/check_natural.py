"""Check the natural gold set (eval/natural_gold*.jsonl) against the bundled documents' stored texts.

    .venv/bin/python eval/check_natural.py            # checks; exit 1 and one line per problem if any fail
    .venv/bin/python eval/check_natural.py --verbose  # also where each answer and each searched term occurs

Texts are the exact page texts the product stores (``load_document``), cached in the temp folder by file hash,
so a second run takes a second or two. Strings are compared after the product's own folding (``fold_text``:
case, whitespace, quote marks, dashes and hyphenation).

Answerable items: ``doc`` exists; an answer sits on one line of ``doc``'s text; every answer occurs in ``doc`` or
in one of ``also_docs``; every also_docs document holds at least one answer; answers are 1-12 words.
Unanswerable items (``answers`` empty, ``doc`` null): each has an entry in ``SEARCHED`` below, the key terms that
were searched in all 23 texts, and the record of why the nearest text does not answer it:
- ``absent``: must occur in no document;
- ``absent_in``: {part of a document path: terms that must occur in no document whose path contains it};
- ``no_report``: (authority, year): no report of that authority was inspected or published in that year;
- ``near``: searched and found, listed with --verbose; ``note`` says why those passages do not answer.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.evaluation import load_gold  # noqa: E402
from assistant.folding import fold_text  # noqa: E402

DOCS = ROOT / "documents"
FILES = [ROOT / "eval" / n for n in ("natural_gold_tune.jsonl", "natural_gold_test.jsonl")]
ALL = ROOT / "eval" / "natural_gold.jsonl"

SEARCHED: dict[str, dict] = {
    "n113": {"kind": "authority", "absent": ["sheffield"], "note": "no Sheffield document"},
    "n114": {"kind": "authority", "absent": ["barnsley"], "note": "no Barnsley document"},
    "n115": {"kind": "authority", "absent": ["rochdale"], "note": "no Rochdale document"},
    "n116": {"kind": "authority", "absent": ["oldham"], "note": "no Oldham document"},
    "n117": {"kind": "authority", "absent": ["doncaster"], "note": "no Doncaster document"},
    "n118": {"kind": "authority", "absent": ["north yorkshire"], "note": "only West Yorkshire councils"},
    "n119": {"kind": "authority", "absent": ["hull"], "note": "no Hull document"},
    "n120": {"kind": "authority", "absent_in": {"leeds": ["commissioner"]}, "near": ["124 social worker vacancies"],
             "note": "the commissioner's vacancy count is Bradford's (seed 000); no Leeds report has a commissioner"},
    "n121": {"kind": "authority", "near": ["trust"],
             "absent_in": {"calderdale": ["children's trust", "arm's length", "arms-length", "not-for-profit"]},
             "note": "only Bradford's services went to a trust; Calderdale's 'trust' hits are 'trusting' etc."},
    "n122": {"kind": "authority", "absent_in": {"wakefield": ["young voice", "youth voice", "your voice"]},
             "near": ["children in care council"],
             "note": "Wakefield reports mention a children in care council but never name its groups "
                     "(Bradford 2023 names three; Calderdale's is Right 2 Voice)"},
    "n123": {"kind": "role", "near": ["director of children's services", "permanent dcs"],
             "note": "Kirklees 2019: 'the recently appointed permanent DCS ... her post', never named"},
    "n124": {"kind": "year", "no_report": ["calderdale", "2021"], "note": "Calderdale: 2015, 2018, 2024"},
    "n125": {"kind": "year", "no_report": ["leeds", "2020"], "note": "Leeds: 2015, 2018, 2022, 2025"},
    "n126": {"kind": "year", "no_report": ["kirklees", "2021"], "note": "Kirklees: 2016, 2019, 2024"},
    "n127": {"kind": "year", "no_report": ["wakefield", "2023"], "near": ["children in care", "480 children"],
             "note": "only the 2016 report counts Wakefield's children in care (480 at 31 March 2016)"},
    "n128": {"kind": "year", "absent_in": {"seeds": ["adoptions"]}, "near": ["adoptions", "49 adoptions"],
             "note": "only the 2014 report counts Bradford's adoptions (49 in the last 12 months)"},
    "n129": {"kind": "year", "no_report": ["calderdale", "2023"], "near": ["child protection plan"],
             "note": "Calderdale's child protection plan count is for January 2015 only (204)"},
    "n130": {"kind": "year", "no_report": ["kirklees", "2013"], "note": "Kirklees: 2016, 2019, 2024"},
    "n131": {"kind": "year", "no_report": ["bradford", "2016"],
             "note": "Bradford: 2014, 2018, 2022 (published 2023), 2026; the JTAI was April 2017"},
    "n132": {"kind": "year", "no_report": ["wakefield", "2013"], "near": ["october 2012"],
             "note": "Wakefield 2016 mentions a previous inspection in October 2012 but no inspector"},
    "n133": {"kind": "role", "near": ["independent chair", "chair of the trust"],
             "note": "the trust's independent chair is mentioned (000, Bradford 2023) but never named"},
    "n134": {"kind": "role", "near": ["director of children and families"],
             "note": "Leeds 2022: 'The director of children and families ... He', never named"},
    "n135": {"kind": "role", "near": ["corporate director"], "note": "Wakefield 2025 mentions the role, no name"},
    "n136": {"kind": "role", "near": ["chair of the lscb", "independent chair"],
             "note": "Calderdale 2015: the LSCB chair 'has been in post since January 2014', never named"},
    "n137": {"kind": "role", "near": ["chief executive"],
             "note": "Kirklees reports mention the chief executive, no name"},
    "n138": {"kind": "role", "near": ["chief officer for corporate parenting"],
             "note": "Leeds 2025 reports the appointment, not the person"},
    "n139": {"kind": "role", "absent_in": {"bradford": ["virtual school head", "headteacher"]},
             "near": ["virtual school"], "note": "Bradford's virtual school is described, its head never named"},
    "n140": {"kind": "role", "near": ["lead member", "portfolio holder"],
             "note": "Bradford 2018 mentions the lead member unnamed; Sue Duffy was 'the new portfolio holder' "
                     "in 2021 (seed 004)"},
    "n141": {"kind": "role", "near": ["leader of the council", "council leader"],
             "note": "Wakefield reports mention the leader, never named"},
    "n142": {"kind": "number", "absent": ["salary", "salaries", "per annum", "pay scale"],
             "near": ["financial returns"], "note": "Bradford 2018: staff left for 'better financial returns', no pay"},
    "n143": {"kind": "number", "near": ["agency costs", "£"],
             "note": "seed 002 gives a £5m a year saving estimate, not what agency staff cost"},
    "n144": {"kind": "number", "absent_in": {"bradford-21-may-2026": ["budget", "£"]}, "near": ["budget"],
             "note": "the trust's report gives no budget; budget figures in the seeds are the council's"},
    "n145": {"kind": "number", "absent": ["salary", "salaries", "per annum", "pay scale"],
             "note": "no pay figures anywhere"},
    "n146": {"kind": "number", "near": ["fostering households", "foster carers"],
             "note": "Calderdale 2015: twelve fostering households approved in 2013-14, no total of carers"},
    "n147": {"kind": "number", "near": ["social workers"],
             "note": "Kirklees reports give no head count of social workers"},
    "n148": {"kind": "number", "absent_in": {"wakefield": ["£"]}, "note": "no money figures in Wakefield reports"},
    "n149": {"kind": "number", "absent_in": {"003_": ["cost"]}, "near": ["£"],
             "note": "seed 003's £28m and £8m are children's services investment, not the review's cost"},
    "n150": {"kind": "number", "absent_in": {"leeds": ["vacancy rate of", "vacancy rate was", "vacancy rates of"]},
             "near": ["vacancy rate"], "note": "Leeds reports say vacancy rates are low or reduced, never a figure "
                                              "(Calderdale 2015 gives 8.7%)"},
}


def _load_texts() -> dict[str, list[str]]:
    """Page texts of every bundled document, as the product stores them, keyed by path under documents/."""
    from assistant.ingest.documents import load_document  # the model-free loader; imported late (slow)
    files = sorted(p for p in DOCS.rglob("*") if p.suffix in {".pdf", ".txt"} and p.name != "SOURCES.md")
    digest = hashlib.sha256(b"".join(hashlib.sha256(p.read_bytes()).digest() for p in files)).hexdigest()[:16]
    cache = Path(tempfile.gettempdir()) / f"natural_gold_texts_{digest}.json"
    if cache.exists():
        return json.loads(cache.read_text(encoding="utf-8"))
    texts = {}
    for p in files:
        doc = load_document(p, DOCS)
        texts[doc.doc] = [pg.text for pg in doc.pages]
    cache.write_text(json.dumps(texts), encoding="utf-8")
    return texts


class Corpus:
    def __init__(self, texts: dict[str, list[str]]) -> None:
        self.docs = sorted(texts)
        self.folded = {d: fold_text("\n".join(pages)) for d, pages in texts.items()}
        self.lines = {d: {fold_text(ln) for page in pages for ln in page.splitlines()} for d, pages in texts.items()}
        self.first_page = {d: pages[0] for d, pages in texts.items()}

    def where(self, term: str) -> list[str]:
        t = fold_text(term)
        return [d for d in self.docs if t in self.folded[d]]

    def on_one_line(self, doc: str, answer: str) -> bool:
        a = fold_text(answer)
        return any(a in ln for ln in self.lines[doc])

    def inspected(self, authority: str, year: str) -> list[str]:
        """Reports of ``authority`` inspected or published in ``year`` (file name, or the first page's dates)."""
        out = []
        for d in self.docs:
            if f"-{authority}-" not in d:
                continue
            dates = " ".join(ln for ln in self.first_page[d].splitlines() if re.match(r"\s*(Inspection|Report) ", ln))
            if d.endswith(f"-{year}.pdf") or year in dates:
                out.append(d)
        return out


def check_answerable(item, corpus: Corpus, problems: list[str], verbose: bool) -> None:
    docs = [item.doc, *item.also_docs]
    for d in docs:
        if d not in corpus.folded:
            problems.append(f"{item.id}: no document {d}")
            return
    if not any(corpus.on_one_line(item.doc, a) for a in item.answers):
        problems.append(f"{item.id}: no answer sits on one line of {item.doc}")
    for a in item.answers:
        if not 1 <= len(a.split()) <= 12:
            problems.append(f"{item.id}: answer {a!r} is not 1-12 words")
        if not any(fold_text(a) in corpus.folded[d] for d in docs):
            problems.append(f"{item.id}: answer {a!r} is in none of {docs}")
    for d in item.also_docs:
        if not any(fold_text(a) in corpus.folded[d] for a in item.answers):
            problems.append(f"{item.id}: also_docs {d} holds none of the answers")
    if verbose:
        for a in item.answers:
            others = [d for d in corpus.where(a) if d not in docs]
            extra = f"; also (unlisted) {others}" if others else ""
            print(f"  {item.id} {a!r}: in {len(corpus.where(a))} docs{extra}")


def check_unanswerable(item, corpus: Corpus, problems: list[str], verbose: bool) -> None:
    entry = SEARCHED.get(item.id)
    if item.doc is not None or item.also_docs:
        problems.append(f"{item.id}: unanswerable but names a document")
    if entry is None:
        problems.append(f"{item.id}: unanswerable with no searched terms recorded in SEARCHED")
        return
    if not entry.get("note") or not (entry.get("absent") or entry.get("absent_in") or entry.get("no_report")
                                     or entry.get("near")):
        problems.append(f"{item.id}: SEARCHED entry needs terms and a note")
    for term in entry.get("absent", []):
        if hits := corpus.where(term):
            problems.append(f"{item.id}: {term!r} should be in no document but is in {hits}")
    for part, terms in entry.get("absent_in", {}).items():
        scope = [d for d in corpus.docs if part in d]
        if not scope:
            problems.append(f"{item.id}: no document path contains {part!r}")
        for term in terms:
            if hits := [d for d in corpus.where(term) if d in scope]:
                problems.append(f"{item.id}: {term!r} should be in no {part!r} document but is in {hits}")
    if nr := entry.get("no_report"):
        if hits := corpus.inspected(*nr):
            problems.append(f"{item.id}: {nr[0]} has a report for {nr[1]}: {hits}")
    if verbose:
        print(f"  {item.id} [{entry['kind']}] {item.question!r}: {entry['note']}")
        for term in entry.get("near", []):
            print(f"      near {term!r}: {corpus.where(term)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    corpus = Corpus(_load_texts())
    problems: list[str] = []
    halves = [load_gold(f) for f in FILES]
    items = [i for half in halves for i in half]
    if [(i.id, i.question) for i in load_gold(ALL)] != [(i.id, i.question) for i in items]:
        problems.append(f"{ALL.name} is not the tune half followed by the test half")
    ids = [i.id for i in items]
    if len(set(ids)) != len(ids):
        problems.append("duplicate ids across the halves")
    for item in sorted(items, key=lambda i: i.id):
        (check_answerable if item.answerable else check_unanswerable)(item, corpus, problems, args.verbose)
    if stale := set(SEARCHED) - {i.id for i in items if not i.answerable}:
        problems.append(f"SEARCHED has ids that are not unanswerable items: {sorted(stale)}")
    for p in problems:
        print(p)
    n_ans = sum(i.answerable for i in items)
    print(f"{len(items)} questions ({n_ans} answerable, {len(items) - n_ans} unanswerable) in "
          f"{len(corpus.docs)} documents: {'OK' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
