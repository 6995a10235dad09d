"""Questions asked across documents (`assistant ask --per-doc`, the Ask page's "Across documents"): the best quote of
each document that answers, oldest document first, each with its date; documents outside the question's scope
(another council, a council the library does not hold) are not listed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT
from streamlit.testing.v1 import AppTest
from test_app import ask, html_bodies, notices, quote_blocks, visible_text

from assistant.cli import main
from assistant.folding import fold_text

CASELOADS = "What did inspectors say about social worker caseloads in Bradford?"
SHEFFIELD = "What did inspectors say about social worker caseloads in Sheffield?"
BRADFORD_REPORTS = [  # (file, the date on its cover: the last day of the inspection), oldest first
    ("ofsted/ofsted-bradford-23-may-2014.pdf", "2014-03-12"),
    ("ofsted/ofsted-bradford-29-october-2018.pdf", "2018-09-28"),
    ("ofsted/ofsted-bradford-31-january-2023.pdf", "2022-12-02"),
    ("ofsted/ofsted-bradford-21-may-2026.pdf", "2026-01-23"),
]


def _blocks(out: str) -> list[list[str]]:
    """The text output's paragraphs, as lists of lines."""
    return [b.splitlines() for b in out.strip().split("\n\n")]


def test_per_doc_lists_one_caseload_quote_per_bradford_report_oldest_first(bundled_index: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "assistant", "ask", "--per-doc", CASELOADS, "--index",
                           str(bundled_index)], capture_output=True, text=True, cwd=REPO_ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    quotes = [b for b in _blocks(proc.stdout) if len(b) >= 3 and b[1].startswith("    (")]
    reports = [(b[1].strip("( ").split(",")[0], b[0].split()[0], " ".join(b[2:])) for b in quotes
               if "/ofsted-" in b[1]]
    assert [(doc, date) for doc, date, _ in reports] == BRADFORD_REPORTS  # one each, in date order, no other council
    for doc, _, text in reports:
        assert "caseload" in fold_text(text), (doc, text)  # the quote is about caseloads
    assert quotes[:4] == [b for b in quotes if "/ofsted-" in b[1]]  # the dated reports before undated articles
    assert all(b[0].startswith("undated") for b in quotes[4:])
    assert proc.stdout.rstrip().splitlines()[-1].startswith("Not listed: does not mention Bradford (14)")


def test_per_doc_json_quotes_are_exact_slices_with_dates(bundled_assistant, capsys) -> None:
    assert main(["ask", "--per-doc", CASELOADS, "--index", str(bundled_assistant.index_dir), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["answered"] is True and out["scope_words"] == ["Bradford"] and out["unknown_words"] == []
    records = {d.doc: d for d in bundled_assistant.store.docs}
    docs = [q["doc"] for q in out["quotes"]]
    assert len(docs) == len(set(docs))  # one quote per document
    assert [(q["doc"], q["date"]) for q in out["quotes"][:4]] == BRADFORD_REPORTS
    for q in out["quotes"]:
        record = records[q["doc"]]
        page = record.page_numbers.index(q["page"])
        assert record.pages[page][q["start"]:q["end"]] == q["text"]  # verbatim, at its offsets
        assert q["date"] == record.date  # "YYYY-MM-DD" or null (the undated news articles, listed last)
        assert "bradford" in fold_text(" ".join(record.pages))  # every answering document is about Bradford
    refused = {r["doc"]: r["reason"] for r in out["refused"]}
    for council in ("leeds", "kirklees", "calderdale", "wakefield"):
        reports = [d for d in records if f"ofsted-{council}-" in d]
        assert reports and all(refused[d] == "does not mention Bradford" for d in reports)
    assert out["documents_read"] == len(records) - 14 and out["timings_ms"]["total"] > 0


def test_per_doc_about_a_council_not_in_the_library_quotes_nothing(bundled_assistant, capsys) -> None:
    for question in (SHEFFIELD, SHEFFIELD.lower()):
        result = bundled_assistant.ask_per_document(question)
        assert not result.answered and result.quotes == () and result.documents_read == 0
        assert [w.lower() for w in result.unknown_words] == ["sheffield"]
        assert len(result.refused) == len(bundled_assistant.store.docs)
        assert {r.reason.lower() for r in result.refused} == {"does not mention sheffield"}
    assert main(["ask", "--per-doc", SHEFFIELD, "--index", str(bundled_assistant.index_dir)]) == 0
    assert "No document mentions Sheffield: no document answers." in capsys.readouterr().out


def test_a_report_that_names_another_council_in_passing_is_not_about_it(bundled_assistant) -> None:
    # The 2019 Kirklees report names Leeds City Council as its improvement partner: that is not a report on Leeds
    result = bundled_assistant.ask_per_document("How well are care leavers supported in Leeds?")
    assert [Path(r.doc).name.split("-")[1] for r in result.answers] == ["leeds"] * len(result.answers)
    assert len(result.answers) == 4 and [r.date for r in result.answers] == sorted(r.date for r in result.answers)
    kirklees = next(r for r in result.refused if r.doc.endswith("kirklees-05-august-2019.pdf"))
    assert kirklees.reason == "mentions Leeds only in passing"


def test_per_doc_takes_the_document_filter_and_refuses_k(bundled_assistant, capsys) -> None:
    args = ["ask", "--per-doc", CASELOADS, "--index", str(bundled_assistant.index_dir), "--json"]
    assert main([*args, "--doc", "ofsted-bradford-31-january-2023.pdf", "--doc", "ofsted-leeds-09-may-2022.pdf"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [q["doc"] for q in out["quotes"]] == ["ofsted/ofsted-bradford-31-january-2023.pdf"]
    assert [r["doc"] for r in out["refused"]] == ["ofsted/ofsted-leeds-09-may-2022.pdf"]
    assert main([*args, "--k", "2"]) == 2
    assert "--k does not apply to --per-doc" in capsys.readouterr().err


def test_the_ask_page_asks_across_documents_with_dates(bundled_app: AppTest) -> None:
    bundled_app.toggle(key="setting_across").set_value(True)
    at = ask(bundled_app, CASELOADS)
    blocks = quote_blocks(at)
    assert len(blocks) == 7  # the four Bradford reports, then three news articles
    for (doc, date), block in zip(BRADFORD_REPORTS, blocks, strict=False):
        day = int(date[8:])
        assert doc in block and f" · dated {day} " in block and date[:4] in block
        assert "caseload" in fold_text(visible_text(block))
    headings = [visible_text(b) for b in html_bodies(at) if b.startswith('<div style="font-weight: 600')]
    assert headings == ["12 March 2014", "28 September 2018", "2 December 2022", "23 January 2026"] + ["Undated"] * 3
    summary = next(visible_text(b) for b in html_bodies(at) if "documents answer" in visible_text(b))
    assert summary.startswith("7 of 23 documents answer. Not listed: does not mention Bradford (14)")

    at = ask(at, SHEFFIELD)
    assert notices(at, "info") == ["No document mentions Sheffield, so none answers this question."]
    assert len(quote_blocks(at)) == 7  # the earlier answer stays; nothing was quoted for Sheffield
