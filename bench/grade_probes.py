"""Does "kirklees 2019 rating" quote the report's headline judgement? Probes written from the bundled reports'
judgement tables, one per report and question form, scored by rule (no gold answers typed by hand).

    .venv/bin/python bench/grade_probes.py [--index index] [--code PATH] [--out bench/results/grade_probes.json]

For each of the bundled Ofsted reports (documents/ofsted/ofsted-<council>-<day>-<month>-<year>.pdf) and each form
with a year ("{council} {year} rating", ...), a probe is right when the answer is given and its top quote is from
that report and states the headline judgement ("Overall effectiveness <grade>", "The overall judgement is ...",
"Children's services in X are ..."; not "... contribute to overall effectiveness are: 1. Children who need help
and protection <grade>"). For each council and each form without a year ("{council} rating"), right is
the same from the council's latest report. The year is the one in the file name (the publication's), as a user
reading the list would type it. ``--code`` runs another checkout's question path (a git worktree of an older
commit) over the same index, for before/after figures. These probes were written while changing the grade
questions (ninth session), so they measure that class, not the product in general: the gold test halves do.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORMS_WITH_YEAR = ("{council} {year} rating", "what was {council} rated in {year}", "{council} ofsted grade {year}",
                   "what grade did {council} get in {year}")
FORMS_WITHOUT_YEAR = ("{council} rating", "what is {council}'s ofsted grade", "is {council} still inadequate")
_GRADE = r"(?:outstanding|good|requires? improvement|inadequate)"
HEADLINE = re.compile(rf"overall effectiveness\W{{0,3}}{_GRADE}|{_GRADE} in (?:their|its) overall effectiveness"
                      r"|overall judgement is|children[’']s services in .{0,60}\b(?:are|is|require)", re.IGNORECASE)


def reports(folder: Path) -> list[tuple[str, str, str]]:
    """(file name, council, year) of each bundled Ofsted report."""
    out = []
    for path in sorted(folder.glob("ofsted-*.pdf")):
        parts = path.stem.split("-")
        out.append((path.name, parts[1], parts[-1]))
    return out


def right(answer, report: str) -> bool:  # noqa: ANN001 (an Answer of whichever checkout --code names)
    top = answer.quotes[0] if answer.quotes else None
    return bool(answer.answered and top and top.doc.endswith("/" + report)
                and HEADLINE.search(" ".join(top.text.split())))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, default=ROOT / "index")
    ap.add_argument("--code", type=Path, default=ROOT, help="checkout whose assistant package answers")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "grade_probes.json")
    args = ap.parse_args()
    sys.path.insert(0, str(args.code.resolve()))
    from assistant.api import Assistant

    assistant = Assistant(args.index)
    listed = reports(ROOT / "documents" / "ofsted")
    dates = {Path(d.doc).name: d.date or "" for d in assistant.store.docs}
    latest: dict[str, str] = {}
    for name, council, _ in listed:
        if dates.get(name, "") >= dates.get(latest.get(council, ""), ""):
            latest[council] = name
    results: dict[str, dict[str, object]] = {}
    for form in FORMS_WITH_YEAR + FORMS_WITHOUT_YEAR:
        probes = ([(form.format(council=c, year=y), name) for name, c, y in listed] if "{year}" in form
                  else [(form.format(council=c), name) for c, name in sorted(latest.items())])
        wrong = [q for q, name in probes if not right(assistant.ask(q), name)]
        results[form] = {"right": len(probes) - len(wrong), "of": len(probes), "wrong": wrong}
        print(f"{form!r}: {len(probes) - len(wrong)} of {len(probes)}")
    args.out.write_text(json.dumps({"bench": "bench/grade_probes.py", "code": str(args.code), "forms": results},
                                   indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
