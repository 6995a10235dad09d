"""A document's date (ingest/dates.py): read from its text first, then its file's metadata, then its name; stored
in the index with the document and shown with every quote (null when there is none)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pypdf import PdfWriter
from test_documents import make_pdf

from assistant.api import Assistant
from assistant.cli import main
from assistant.ingest.dates import dates_in, document_date, name_date
from assistant.ingest.documents import load_document

# The bundled Ofsted reports: the inspection dates printed on each cover page (copied from page 1), and the date
# the index must give the document: the last day of the inspection. The file names carry the publication dates,
# weeks or months later.
OFSTED_COVERS = {
    "ofsted-bradford-23-may-2014.pdf": ("Inspection date: 18 Feb 2014 – 12 March 2014", "2014-03-12"),
    "ofsted-bradford-29-october-2018.pdf": ("Inspection dates: 17 September to 28 September 2018", "2018-09-28"),
    "ofsted-bradford-31-january-2023.pdf": ("Inspection dates: 21 November to 2 December 2022", "2022-12-02"),
    "ofsted-bradford-21-may-2026.pdf": ("Inspection dates: 12 to 23 January 2026", "2026-01-23"),
    "ofsted-calderdale-20-march-2015.pdf": ("Inspection date: 13 January 2015 – 4 February 2015", "2015-02-04"),
    "ofsted-calderdale-19-december-2018.pdf": ("Inspection dates: 12 November 2018 to 23 November 2018",
                                               "2018-11-23"),
    "ofsted-calderdale-15-may-2024.pdf": ("Inspection dates: 19 to 23 February 2024", "2024-02-23"),
    "ofsted-kirklees-25-november-2016.pdf": ("Inspection date: 12 September to 6 October 2016", "2016-10-06"),
    "ofsted-kirklees-05-august-2019.pdf": ("Inspection dates: 10 June 2019 to 21 June 2019", "2019-06-21"),
    "ofsted-kirklees-28-august-2024.pdf": ("Inspection dates: 8 to 19 July 2024", "2024-07-19"),
    "ofsted-leeds-27-march-2015.pdf": ("Inspection date: 20 January 2015 – 11 February 2015", "2015-02-11"),
    "ofsted-leeds-18-december-2018.pdf": ("Inspection dates: 29 October 2018 to 2 November 2018", "2018-11-02"),
    "ofsted-leeds-09-may-2022.pdf": ("Inspection dates: 21 February to 4 March 2022", "2022-03-04"),
    "ofsted-leeds-12-august-2025.pdf": ("Inspection dates: 30 June 2025 to 4 July 2025", "2025-07-04"),
    "ofsted-wakefield-20-september-2016.pdf": ("Inspection date: 05 July 2016–27 July 2016", "2016-07-27"),
    "ofsted-wakefield-17-july-2018.pdf": ("Inspection dates: 4 June to 15 June 2018", "2018-06-15"),
    "ofsted-wakefield-05-january-2022.pdf": ("Inspection dates: 8 November 2021 to 19 November 2021", "2021-11-19"),
    "ofsted-wakefield-18-july-2025.pdf": ("Inspection dates: 24 to 28 March 2025", "2025-03-28"),
}


def test_every_bundled_ofsted_report_is_dated_by_the_inspection_dates_on_its_cover(bundled_assistant) -> None:
    records = {Path(d.doc).name: d for d in bundled_assistant.store.docs if d.doc.startswith("ofsted/")}
    assert set(records) == set(OFSTED_COVERS)  # every bundled report, none left out
    for name, (cover_line, expected) in OFSTED_COVERS.items():
        record = records[name]
        assert cover_line in record.pages[0], name  # the expectation is what page 1 says
        assert (record.date, record.date_source) == (expected, "inspection dates"), name
        assert name_date(Path(name).stem) != expected  # the file name's (publication) date was not used


def test_a_news_dateline_dates_an_article_and_running_text_does_not(bundled_assistant) -> None:
    dated = {d.doc: d.date for d in bundled_assistant.store.docs if d.doc.startswith("seeds/")}
    assert dated["seeds/003_98677d9ecc32f826.txt"] == "2021-08-04"  # the "04/08/21" line under the headline
    # "The visit, which took place on 28 April 2021, ..." is what the article reports, not when it was written
    assert dated["seeds/004_946a8aef52dcef49.txt"] is None


@pytest.mark.parametrize(("texts", "created", "stem", "expected"), [
    (["Title\nInspection dates: 21 November to 2 December 2022\nLead inspector: A"], "2023-01-30",
     "report-31-january-2023", ("2022-12-02", "inspection dates")),
    (["Headline\n\n04/08/21\n\nBody text."], None, "", ("2021-08-04", "dateline")),
    (["Headline\nPublished: Monday 4 August 2021, 10:32 am\nBody."], None, "", ("2021-08-04", "dateline")),
    (["A report with no date in its first lines."], "2019-04-02", "minutes-2023-01-31", ("2019-04-02",
                                                                                          "file metadata")),
    (["A report with no date in its first lines."], None, "minutes-2023-01-31", ("2023-01-31", "file name")),
    (["A report."], None, "council minutes 31 January 2023", ("2023-01-31", "file name")),
    (["The visit, which took place on 28 April 2021, was the fifth since the inspection."], None,
     "000_f5e8a315e98d3725", None),
    (["Date of previous inspection: 3 March 2015"], None, "", None),  # another event's date, not the document's
    (["Headline\n31/02/2021\nBody."], None, "", None),  # no such day
])
def test_document_date_trusts_the_text_then_metadata_then_the_file_name(texts, created, stem, expected) -> None:
    found = document_date(texts, created, stem)
    assert (None if found is None else (found.value, found.source)) == expected


def test_dates_in_reads_british_and_iso_forms() -> None:
    assert [d for d, _, _ in dates_in("from 5 July 2016–27 July 2016, then 2017-01-09 and 9/1/17")] == [
        "2016-07-05", "2016-07-27", "2017-01-09", "2017-01-09"]
    assert dates_in("section 2.1.10 of version 3.2") == []  # section numbers are not dates
    assert name_date("f5e8a315e98d3725") is None  # a hash in a file name is not a date


def test_a_pdf_without_a_date_in_its_text_is_dated_by_its_creation_date(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "board-minutes.pdf", ["Improvement board minutes\nThe board met and agreed a plan."])
    writer = PdfWriter(clone_from=pdf)
    writer.add_metadata({"/CreationDate": "D:20190402101527+01'00'"})
    writer.write(pdf)
    doc = load_document(pdf, tmp_path)
    assert (doc.date, doc.date_source) == ("2019-04-02", "file metadata")


def test_a_document_without_a_date_is_stored_and_shown_with_a_null_date(make_corpus, tmp_path: Path,
                                                                        capsys) -> None:
    docs = make_corpus({"harbour.txt": "The Kestrel Bay harbour was rebuilt after a winter storm.\n"
                                       "The harbour master, Agnes Pollard, keeps a logbook of every vessel.\n",
                        "notes-12-march-2024.txt": "The orchard grows forty varieties of apple on a slope.\n"})
    index = tmp_path / "index"
    Assistant(index).build(docs)
    dates = {d.doc: d.date for d in Assistant(index).store.docs}
    assert dates == {"harbour.txt": None, "notes-12-march-2024.txt": "2024-03-12"}
    code = main(["ask", "Who keeps a logbook of every vessel in the harbour?", "--index", str(index), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["quotes"]
    assert out["quotes"][0]["doc"] == "harbour.txt" and out["quotes"][0]["date"] is None  # null, not a guess
