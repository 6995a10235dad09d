"""Loading, cleaning and normalising documents: the text every quote and offset is taken from."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from assistant.digest import file_sha256
from assistant.ingest.documents import (
    IGNORED_NAMES,
    Document,
    DocumentError,
    Page,
    check_size,
    discover,
    load_document,
    scan,
)
from assistant.ingest.normalise import normalise_text
from assistant.ingest.registry import supported_suffixes

CORPUS = Path(__file__).resolve().parent.parent / "documents"
BRADFORD_2023 = CORPUS / "ofsted" / "ofsted-bradford-31-january-2023.pdf"
BRADFORD_2014 = CORPUS / "ofsted" / "ofsted-bradford-23-may-2014.pdf"
SEEDS = sorted((CORPUS / "seeds").glob("0*.txt"))


def make_pdf(path: Path, pages: list[str], password: str | None = None) -> Path:
    """A real PDF with one Helvetica text line per input line, built with pypdf alone."""
    writer = PdfWriter()
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                             NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    for text in pages:
        page = writer.add_blank_page(612, 792)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
        body = " ".join(f"({line}) Tj T*" for line in text.split("\n") if line)
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 12 Tf 14 TL 72 720 Td {body} ET".encode("latin-1"))
        page.replace_contents(stream)
    if password is not None:
        writer.encrypt(password)
    writer.write(path)
    return path


def load(path: Path) -> Document:
    return load_document(path, path.parent)


def text_of(doc: Document) -> str:
    return "\n".join(page.text for page in doc.pages)


# --- each format loads -------------------------------------------------------------------------------


def test_interface_constants() -> None:
    assert supported_suffixes() == {".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".odt"}
    assert {"sources.md", "readme.md"} <= IGNORED_NAMES


def test_txt_loads_as_one_unnumbered_page(tmp_path: Path) -> None:
    path = tmp_path / "notes" / "visit.txt"
    path.parent.mkdir()
    path.write_text("Monitoring visit to Bradford\n\nThe visit took place on 28 April 2021.\n")
    doc = load_document(path, tmp_path)
    assert doc.doc == "notes/visit.txt"
    expected = "Monitoring visit to Bradford\n\nThe visit took place on 28 April 2021."
    assert doc.pages == (Page(None, expected),)
    assert doc.title == "Monitoring visit to Bradford"
    assert doc.content_hash == file_sha256(path) and len(doc.content_hash) == 64


def test_markdown_keeps_its_syntax_and_takes_the_first_heading_as_title(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    path.write_text("Draft, not for circulation\n\n# Children's services in Leeds\n\n- **Good** overall\n")
    doc = load(path)
    assert doc.title == "Children's services in Leeds"
    assert "# Children's services in Leeds" in doc.pages[0].text
    assert "- **Good** overall" in doc.pages[0].text


def test_html_keeps_visible_text_only(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Ofsted &amp; Bradford</title><style>p {color: red}</style>"
        "<script>var hidden = '<p>tracking code</p>';</script></head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        "<h1>Ofsted rates services &ldquo;inadequate&rdquo;</h1>"
        "<p>The council&#39;s children&rsquo;s services were judged\n   inadequate in 2018.</p>"
        "<ul><li>Poor leadership.</li><li>High turnover.</li></ul>"
        "<footer>Copyright 2023</footer></body></html>"
    )
    doc = load(path)
    text = doc.pages[0].text
    assert doc.title == "Ofsted & Bradford"
    assert "Ofsted rates services “inadequate”" in text
    assert "The council's children’s services were judged inadequate in 2018." in text
    assert "Poor leadership." in text and "High turnover." in text
    for hidden in ("color", "tracking", "Home", "Copyright"):
        assert hidden not in text


def test_html_title_falls_back_to_first_h1(tmp_path: Path) -> None:
    path = tmp_path / "page.htm"
    path.write_text("<body><h1>Star case added to national review</h1><p>The panel met today.</p></body>")
    assert load(path).title == "Star case added to national review"


def test_bundled_pdf_has_numbered_pages() -> None:
    doc = load_document(BRADFORD_2023, CORPUS)
    assert doc.doc == "ofsted/ofsted-bradford-31-january-2023.pdf"
    assert [page.number for page in doc.pages] == list(range(1, 14))
    assert doc.title == ("Inspection of City of Bradford Metropolitan Borough Council local authority "
                         "children’s services")
    assert "Inspection dates: 21 November to 2 December 2022" in doc.context
    assert "ofsted bradford 31 january 2023" in doc.context
    assert "There are widespread and serious failures" in doc.pages[0].text


def test_tiny_pdf_keeps_empty_pages_so_numbers_stay_right(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "two.pdf", ["Report on fostering services\nCarers are well supported.", "",
                                           "Adoption is timely."])
    doc = load(path)
    assert [(p.number, p.text) for p in doc.pages] == [
        (1, "Report on fostering services\nCarers are well supported."), (2, ""), (3, "Adoption is timely.")
    ]
    assert doc.title == "Report on fostering services"


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("ofsted-bradford-21-may-2026.pdf", "Inspection of Bradford Children and Families Trust"),
        ("ofsted-bradford-23-may-2014.pdf", "City of Bradford Metropolitan District Council Inspection of "
         "services for children in need of help and protection, children looked after and care leavers"),
        ("ofsted-leeds-18-december-2018.pdf", "Leeds Inspection of children’s social care services"),
    ],
)
def test_pdf_titles_come_from_the_title_block(name: str, title: str) -> None:
    assert load_document(CORPUS / "ofsted" / name, CORPUS).title == title


# --- normalisation ---------------------------------------------------------------------------------


def test_normalise_characters() -> None:
    raw = "Cafe\u0301 \ufb01nal e\ufb00ort\u00a0and\u2003more\tword co\u00adordinate zero\u200bwidth bell\x07"
    assert normalise_text(raw) == "Café final effort and more word coordinate zerowidth bell"
    assert unicodedata.is_normalized("NFC", normalise_text(raw))


def test_normalise_lines_and_blank_runs() -> None:
    raw = "\n\n  First   line  \r\nsecond\rthird\n \n\t\n\nfourth\n\n\n"
    assert normalise_text(raw) == "First line\nsecond\nthird\n\nfourth"


def test_hyphen_at_line_break_joins_when_the_document_spells_the_word_whole() -> None:
    raw = "An accurate under-\nstanding of plans. Their understanding is clear."
    assert normalise_text(raw) == "An accurate understanding\nof plans. Their understanding is clear."


def test_hyphen_at_line_break_stays_for_a_real_compound() -> None:
    raw = "a nationally recognised evidenced-\nbased conversations model"
    assert normalise_text(raw) == "a nationally recognised evidenced-based\nconversations model"


def test_hyphen_join_uses_the_whole_document(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "report.pdf", ["Managers lack under-\nstanding of risk.",
                                              "Staff understanding is good."])
    assert load(path).pages[0].text == "Managers lack understanding\nof risk."


def test_bundled_pdf_hyphens_and_headers() -> None:
    pages = load_document(BRADFORD_2023, CORPUS).pages
    assert "recognised evidenced-based\nconversations model" in pages[2].text
    for page in pages[1:]:
        first = page.text.split("\n", 1)[0]
        assert not first.startswith("Inspection of City of Bradford"), page.number
        assert "November to 2 December 2022" not in page.text
    assert pages[1].text.startswith("What needs to improve?")


def test_bundled_pdf_page_numbers_removed() -> None:
    pages = load_document(BRADFORD_2014, CORPUS).pages
    assert len(pages) == 34
    assert pages[2].text.startswith("Section 1: the local authority\nSummary of key findings")
    assert all(line.strip() != str(page.number) for page in pages for line in page.text.split("\n"))


@given(st.text(alphabet=st.one_of(st.sampled_from(list("ab- \n\r\t.\u00ad\u00a0\u200b\ufb01\u0301")),
                                  st.characters(exclude_categories=("Cs",))), max_size=200))
def test_normalise_is_idempotent(raw: str) -> None:
    once = normalise_text(raw)
    assert normalise_text(once) == once
    assert "\r" not in once and "  " not in once and "\n\n\n" not in once


def test_stored_page_text_is_already_normalised() -> None:
    for page in load_document(BRADFORD_2023, CORPUS).pages:
        assert normalise_text(page.text) == page.text


# --- web furniture on the real seeds -----------------------------------------------------------------


@pytest.fixture(scope="module")
def seeds() -> dict[str, str]:
    return {path.name: text_of(load_document(path, CORPUS)) for path in SEEDS}


def test_seed_furniture_is_gone(seeds: dict[str, str]) -> None:
    everything = "\n".join(seeds.values())
    for furniture in ("Hide Ad", "Read More", "Sarah Everard", "Report this comment", "Comments: Our rules",
                      "Responses to", "February 12, 2022", "top of page", "bottom of page", ".png", ", , ,",
                      "Sponsored Content", "Most popular articles", "Job of the week", "Image of Bradford"):
        assert furniture not in everything, furniture
    assert all(line != "|" for line in everything.split("\n"))


def test_seed_duplicates_appear_once(seeds: dict[str, str]) -> None:
    first = seeds["000_f5e8a315e98d3725.txt"]
    caption = ("Bradford Council has been stripped of control over its struggling "
               "children's services department")
    assert first.count(caption) == 1
    third = seeds["003_98677d9ecc32f826.txt"]
    assert third.count("Government to appoint commissioner to council after slow improvement") == 1


def test_seed_article_text_is_kept_verbatim(seeds: dict[str, str]) -> None:
    first = seeds["000_f5e8a315e98d3725.txt"]
    assert ("It comes after Government-appointed commissioner Steve Walker found the department, which has "
            "been rated inadequate by Ofsted since 2018, had 124 social worker vacancies") in first
    assert first.endswith("“provide the impetus to deliver these improvements at pace”.")
    assert seeds["001_6ebd5e04eb28c367.txt"].endswith("We really appreciate the job they do for our "
                                                      "district’s children.”")
    assert "evaluate how agencies acted to safeguard Star" in seeds["002_aa182685e4438675.txt"]
    assert "04/08/21" in seeds["003_98677d9ecc32f826.txt"]
    last = "The letter from Ofsted is available on the Ofsted website."
    assert seeds["004_946a8aef52dcef49.txt"].endswith(last)


def test_seed_titles_and_context() -> None:
    doc = load_document(CORPUS / "seeds" / "003_98677d9ecc32f826.txt", CORPUS)
    assert doc.title == "Government to appoint commissioner to council after slow improvement"
    assert doc.context == "Government to appoint commissioner to council after slow improvement | 04/08/21"
    first = load_document(SEEDS[0], CORPUS)
    assert first.title == ("'High turnover' of social workers preventing struggling children's department "
                           "from improving")


def test_general_rules_work_on_an_unseen_page(tmp_path: Path) -> None:
    path = tmp_path / "article.txt"
    path.write_text(
        "Skip to content\nHome\nNews\nSport\nCouncil budget approved after long debate\n"
        "Advertisement\nThe council approved its budget on Tuesday evening.\nhero.jpg\nRelated:\n"
        "Mayor opens new library\nCouncillors said the plan protects children's services.\n"
        "Trending now\nTen best walks in the Dales\nWeather\nLeave a comment\nGreat news!!\n"
    )
    assert load(path).pages[0].text == (
        "Council budget approved after long debate\nThe council approved its budget on Tuesday evening.\n"
        "Councillors said the plan protects children's services."
    )


def test_short_list_items_at_the_end_are_content(tmp_path: Path) -> None:
    path = tmp_path / "actions.md"
    path.write_text("# Actions agreed\n\nThe board agreed three actions.\n\n- recruit staff\n- cut caseloads")
    assert load(path).pages[0].text.endswith("- recruit staff\n- cut caseloads")


# --- bad inputs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.md", b"  \n\t\r\n ", "empty file"),
        ("binary.txt", bytes(range(256)) * 4, "binary file, not text"),
        ("controls.txt", b"\x01\x02\x03\x04 text " * 50, "binary file, not text"),
        ("random.pdf", os.urandom(2048), "corrupt or unreadable PDF"),
        ("script-only.html", b"<html><script>alert(1)</script></html>", "no extractable text"),
        ("data.csv", b"a,b\n1,2\n", "unsupported file type"),
    ],
)
def test_bad_files_raise_document_error(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(DocumentError) as info:
        load(path)
    assert str(info.value).startswith(reason)
    assert info.value.path == path and "\n" not in str(info.value)


def test_missing_file_is_a_document_error(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="cannot read file"):
        load(tmp_path / "gone.txt")


def test_encrypted_pdf_needs_a_password(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "locked.pdf", ["Confidential case notes"], password="secret")
    with pytest.raises(DocumentError, match=r"^encrypted PDF \(password required\)$"):
        load(path)


def test_encrypted_pdf_with_empty_password_loads(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "open.pdf", ["Inspection of Anytown childrens services"], password="")
    assert load(path).pages[0].text == "Inspection of Anytown childrens services"


def test_pdf_without_text_is_reported_as_scanned(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "scan.pdf", ["", ""])
    with pytest.raises(DocumentError, match=r"no extractable text \(scanned PDF\?\)"):
        load(path)


def test_cp1252_text_decodes(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes(b"caf\xe9 \x93quoted\x94 text from an old word processor")
    assert load(path).pages[0].text == "café “quoted” text from an old word processor"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_byte_order_marks_are_honoured(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes("Children’s services report for the year".encode(encoding))
    assert load(path).pages[0].text == "Children’s services report for the year"


# --- discovery -----------------------------------------------------------------------------------------


def test_discover_finds_nested_supported_files_sorted(tmp_path: Path) -> None:
    for name in ("b.txt", "a/z.pdf", "a/y.md", "a/deep/x.HTML", "SOURCES.md", "a/README.md", "LICENSE.txt",
                 "licence", ".hidden.txt", ".git/config.txt", "a/notes.rtf", "c.htm"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    found = [p.relative_to(tmp_path).as_posix() for p in discover(tmp_path)]
    assert found == ["a/deep/x.HTML", "a/y.md", "a/z.pdf", "b.txt", "c.htm"]


def test_discover_survives_a_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "report.txt").write_text("x")
    (tmp_path / "docs" / "loop").symlink_to(tmp_path / "docs", target_is_directory=True)
    found = [p.relative_to(tmp_path).as_posix() for p in discover(tmp_path)]
    assert found == ["docs/report.txt"]


def test_scan_reports_what_cannot_be_indexed_once_and_skips_metadata_silently(tmp_path: Path) -> None:
    for name in ("a/report.txt", "a/minutes.rtf", "SOURCES.md", ".hidden.pdf", "noext"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    os.mkfifo(tmp_path / "pipe.txt")  # opening it would block forever
    (tmp_path / "gone.pdf").symlink_to(tmp_path / "missing.pdf")
    (tmp_path / "self.md").symlink_to("self.md")
    (tmp_path / "a" / "up").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "b").symlink_to(tmp_path / "a", target_is_directory=True)  # a second name, not a loop
    result = scan(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in result.files] == ["a/report.txt"]
    assert [(e.path.relative_to(tmp_path).as_posix(), e.reason) for e in result.problems] == [
        ("a/minutes.rtf", "unsupported file type '.rtf' (supported: PDF, TXT, MD, HTML, DOCX, ODT)"),
        ("a/up", "symlink loop (the folder link points back to a folder containing it)"),
        ("gone.pdf", "broken symbolic link (its target does not exist)"),
        ("noext", "unsupported file type 'noext' (supported: PDF, TXT, MD, HTML, DOCX, ODT)"),
        ("pipe.txt", "not a regular file"),
        ("self.md", "symlink loop (the link points back to itself)"),
    ]


def test_zero_page_pdf_and_latin1_text(tmp_path: Path) -> None:
    PdfWriter().write(tmp_path / "zero.pdf")
    with pytest.raises(DocumentError, match=r"^PDF has no pages$"):
        load(tmp_path / "zero.pdf")
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Zoë Brontë, façade, naïve, 10 °C, ½ day".encode("latin-1"))
    assert load(latin1).pages[0].text == "Zoë Brontë, façade, naïve, 10 °C, ½ day"


def test_size_limit_is_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("word " * 1000)
    check_size(path, 5000)
    check_size(path, None)
    with pytest.raises(DocumentError, match=r"^file too large \(4\.9 KB; the limit is 2\.0 KB\)$"):
        check_size(path, 2048)


def test_bundled_corpus_loads_completely() -> None:
    paths = discover(CORPUS)
    assert len(paths) == 23 and not any(p.name == "SOURCES.md" for p in paths)
    docs = [load_document(p, CORPUS) for p in paths]
    assert all(d.title and d.context and any(page.text for page in d.pages) for d in docs)
    assert sum(len(d.pages) for d in docs if d.doc.endswith(".pdf")) == 382
