"""A document's date, so answers across documents can be put in time order ("what did each inspection say").

Sources, in order of trust (the first that gives a date wins):

1. ``inspection dates``: an Ofsted-style cover line ("Inspection dates: 12 to 23 January 2026", "Dates of visit:
   ..."): the date is the **last day** of the inspection, when what the report describes was seen.
2. ``dateline``: a short line near the start that is little more than a date ("04/08/21", "Published: 4 August
   2021", "Report published: 20 March 2015"), as a news article or a report carries it.
3. ``file metadata``: the creation date the format's reader found (a PDF's ``/CreationDate``): when the file was
   made, usually days after what it describes.
4. ``file name``: a date in the file's name ("ofsted-bradford-21-may-2026.pdf", "report_2023-01-31.txt"), often a
   publication or download date: the last resort.

A date in running text ("The visit, which took place on 28 April 2021, ...") is not the document's date: it is
what the text talks about. Numeric dates are read day first (British usage: "04/08/21" is 4 August 2021) unless
only month first makes sense. A document with none of these has no date (None), and is listed last.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

_MONTHS = {m: i for i, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")), 1) for m in names}
_MONTH = r"(?P<{}>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<{}>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<{}>(?:19|20)\d\d)"
_DATE = re.compile(
    r"\b(?:" + _DAY.format("d1") + r"\s+" + _MONTH.format("m1") + r",?\s+" + _YEAR.format("y1")  # 4 August 2021
    + r"|" + _MONTH.format("m2") + r"\s+" + _DAY.format("d2") + r",?\s+" + _YEAR.format("y2")  # August 4, 2021
    + r"|(?P<y3>(?:19|20)\d\d)-(?P<n3>[01]?\d)-(?P<d3>[0-3]?\d)"  # 2021-08-04
    + r"|(?P<a4>[0-3]?\d)/(?P<b4>[0-3]?\d)/(?P<y4>(?:19|20)?\d\d)"  # 04/08/21, 4/8/2021
    + r"|(?P<a5>[0-3]?\d)\.(?P<b5>[0-3]?\d)\.(?P<y5>(?:19|20)\d\d)"  # 04.08.2021 (not section numbers: 2.1.10)
    + r")\b", re.IGNORECASE)
_INSPECTION = re.compile(r"^\W*(inspection dates?|dates? of (the )?(inspection|visit)|inspection (took place|"
                         r"carried out)( on)?)\b\s*:?", re.IGNORECASE)
_NOT_OWN_DATE = re.compile(r"\b(previous|last|next|due|deadline|expir\w*|born|until|updated)\b", re.IGNORECASE)
_HEAD_LINES = 40  # where a cover page's inspection line is looked for
_DATELINE_LINES = 12  # where a dateline is looked for
_DATELINE_WORDS = 4  # words a dateline may hold besides its date ("Published:", a weekday, "am", a short byline)
_FIRST_YEAR, _LAST_YEAR = 1900, 2100


@dataclass(frozen=True)
class DocDate:
    value: str  # ISO "YYYY-MM-DD"
    source: str  # "inspection dates", "dateline", "file metadata" or "file name"


def document_date(texts: Sequence[str], created: str | None = None, file_stem: str = "") -> DocDate | None:
    """The document's date from its page ``texts``, the reader's ``created`` metadata (ISO) and its file name."""
    first = next((t for t in texts if t.strip()), "")
    lines = [line.strip() for line in first.split("\n") if line.strip()]
    found = _inspection_date(lines[:_HEAD_LINES])
    if found:
        return DocDate(found, "inspection dates")
    found = _dateline(lines[:_DATELINE_LINES])
    if found:
        return DocDate(found, "dateline")
    if created and _valid(created):
        return DocDate(created, "file metadata")
    found = name_date(file_stem)
    return DocDate(found, "file name") if found else None


def dates_in(text: str) -> list[tuple[str, int, int]]:
    """Every full date in ``text`` as (ISO date, start, end); impossible ones (31 February) are left out."""
    out = []
    for m in _DATE.finditer(text):
        iso = _iso(m)
        if iso:
            out.append((iso, m.start(), m.end()))
    return out


def _iso(m: re.Match[str]) -> str | None:
    g = m.groupdict()
    if g["y1"] or g["y2"]:
        n = "1" if g["y1"] else "2"
        return _make(int(g[f"y{n}"]), _MONTHS[g[f"m{n}"].lower()], int(g[f"d{n}"]))
    if g["y3"]:
        return _make(int(g["y3"]), int(g["n3"]), int(g["d3"]))
    n = "4" if g["y4"] else "5"
    a, b, year = int(g[f"a{n}"]), int(g[f"b{n}"]), int(g[f"y{n}"])
    if year < 100:
        year += 2000 if year < 70 else 1900
    return _make(year, b, a) or _make(year, a, b)  # day first; month first only when day first is impossible


def _make(year: int, month: int, day: int) -> str | None:
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        return None
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _valid(iso: str) -> bool:
    try:
        return _FIRST_YEAR <= dt.date.fromisoformat(iso).year <= _LAST_YEAR
    except ValueError:
        return False


def _inspection_date(lines: list[str]) -> str | None:
    """The last date of an 'Inspection dates: ...' line (with the next line, where the dates may wrap)."""
    for i, line in enumerate(lines):
        label = _INSPECTION.match(line)
        if not label:
            continue
        found = dates_in(line[label.end():]) or dates_in(" ".join([line[label.end():], *lines[i + 1 : i + 2]]))
        if found:
            return found[-1][0]
    return None


def _dateline(lines: list[str]) -> str | None:
    """The date of the first short line that is little more than a date (a dateline or a 'Published:' line)."""
    for line in lines:
        found = dates_in(line)
        if not found or _NOT_OWN_DATE.search(line):
            continue
        rest = line
        for _, start, end in reversed(found):
            rest = rest[:start] + " " + rest[end:]
        if len(re.findall(r"[^\W\d_]+", rest)) <= _DATELINE_WORDS:  # words, not a time's digits
            return found[0][0]
    return None


def name_date(stem: str) -> str | None:
    """A date in a file name's words: '31-january-2023', 'january-31-2023', '2023-01-31', '20230131'."""
    words = " ".join(w for w in re.split(r"[-_.\s]+", stem) if w)
    for iso, _, _ in dates_in(re.sub(r"\b((?:19|20)\d\d) (\d\d) (\d\d)\b", r"\1-\2-\3", words)):
        return iso
    compact = re.search(r"(?<![0-9a-zA-Z])((?:19|20)\d\d)(\d\d)(\d\d)(?![0-9a-zA-Z])", stem)
    return _make(*(int(x) for x in compact.groups())) if compact else None


def pdf_created(metadata: object) -> str | None:
    """A PDF's creation date (pypdf's ``reader.metadata``) as ISO, or None when absent or malformed."""
    try:
        created = getattr(metadata, "creation_date", None)
    except Exception:  # pypdf raises on a malformed date string: no date is the honest answer
        return None
    if not isinstance(created, dt.datetime):
        return None
    iso = created.date().isoformat()
    return iso if _valid(iso) else None
