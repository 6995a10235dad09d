"""Answers, citation checks and evaluation reports as files a user can keep: Markdown, CSV and citation strings.

Pure functions over the result dataclasses (no screen, no files), shared by the app's download buttons and the
CLI's ``ask --format``. Every export carries the full attribution of each quote (document, title, page,
character offsets into the stored page text, score or verdict, highlight), so a reader can check it.

User strings (document text, titles, file names, questions) are made inert for each format: in Markdown every
character Markdown or HTML could act on is backslash-escaped and whitespace runs fold to one space (so ``|``
cannot split a table cell, nor ``<script>`` open a tag); in CSV the csv module quotes, and a text cell that
starts like a spreadsheet formula (``=``, ``+``, ``-``, ``@``) gets a leading ``'`` so a spreadsheet shows it as
text instead of running it (the OWASP advice for CSV injection). Page text in CSV is otherwise verbatim.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from assistant.cite.types import Citation, Match
from assistant.evaluation import EvalReport, QuestionResult, failures_first
from assistant.query.per_document import PerDocumentAnswer
from assistant.query.types import Answer, Quote
from assistant.render import NO_ANSWER

CSV_ENCODING = "utf-8-sig"  # with a byte-order mark, which spreadsheets need to read UTF-8 as UTF-8
# Escaped wherever they are. With "[" and "<" escaped, "(", "!" and ":" cannot make a link or an image, so a
# citation keeps its parentheses readable.
_MD_ACTIVE = frozenset("\\`*_[]|<>~$&#")
_MD_LINE_START = re.compile(r"^(?:([-+=])|(\d+)([.)]))")  # active only where a line starts: lists, rules
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")

ANSWER_COLUMNS = ("question", "answered", "kind", "rank", "doc", "title", "date", "page", "start", "end", "score",
                  "highlight", "highlight_start", "highlight_end", "text", "also_in", "citation")
CITATION_COLUMNS = ("sentence", "quote", "verdict", "kind", "match", "part", "doc", "title", "page", "start", "end",
                    "similarity", "quotes_another_source", "text", "citation")
REPORT_COLUMNS = ("result", "id", "question", "expected", "expected_doc", "expected_also_docs", "answered", "got",
                  "got_doc", "got_title", "got_page", "got_start", "got_end", "highlight", "rank", "doc_rank",
                  "evidence", "em", "f1", "latency_ms")


def _fold(text: str) -> str:
    """One line: whitespace runs (newlines included) to one space, invisible control characters dropped."""
    return " ".join(_UNSAFE.sub("", text).split())


# --- citation strings --------------------------------------------------------------------------------------------

def citation_string(text: str, title: str, doc: str, pages: Sequence[int | None] = ()) -> str:
    """``"quote" - Title (file, p. N)``: what a user pastes under a quote. The file is the document's file name;
    no page for a document without pages; ``pp. N–M`` for a passage across a page break."""
    numbers = sorted({p for p in pages if p is not None})
    where = Path(doc).name
    if len(numbers) == 1:
        where += f", p. {numbers[0]}"
    elif numbers:
        where += f", pp. {numbers[0]}–{numbers[-1]}"
    return f'"{_fold(text)}" - {_fold(title) or Path(doc).name} ({where})'


def quote_citation(quote: Quote) -> str:
    return citation_string(quote.text, quote.title, quote.doc, (quote.page,))


def _match_text(match: Match) -> str:
    return " ".join(p.text for p in match.parts) if match.parts else match.text


def match_citation(match: Match) -> str:
    pages = [p.page for p in match.parts] if match.parts else [match.page]
    return citation_string(_match_text(match), match.title, match.doc, pages)


# --- Markdown ----------------------------------------------------------------------------------------------------

def md_escape(text: str) -> str:
    """``text`` on one line with every character Markdown (or HTML inside Markdown) could act on escaped."""
    folded = _fold(text)
    m = _MD_LINE_START.match(folded)
    out = "".join(f"\\{c}" if c in _MD_ACTIVE else c for c in folded)
    if m and m.group(1):
        out = "\\" + out
    elif m:
        out = f"{m.group(2)}\\{out[len(m.group(2)):]}"
    return out


def _md_quote_text(quote: Quote, highlight: bool) -> str:
    """The quote's text escaped, with the answer span in bold."""
    if not highlight or quote.highlight_start is None or quote.highlight_end is None:
        return md_escape(quote.text)
    a, b = quote.highlight_start - quote.start, quote.highlight_end - quote.start
    t = quote.text
    inner = md_escape(t[a:b])
    return " ".join(s for s in (md_escape(t[:a]), f"**{inner}**" if inner else "", md_escape(t[b:])) if s)


def _page(page: int | None) -> str:
    return "none (a document without pages)" if page is None else str(page)


def _quote_md(quote: Quote, heading: str, closest: bool) -> list[str]:
    lines = [f"## {heading}", "", f"> {_md_quote_text(quote, highlight=not closest)}", "",
             f"- Document: {md_escape(quote.doc)}", f"- Title: {md_escape(quote.title)}",
             f"- Date: {quote.date or 'unknown'}",
             f"- Page: {_page(quote.page)}", f"- Characters: {quote.start}–{quote.end}", f"- Score: {quote.score:.4f}"]
    if quote.ocr:
        lines.append("- Text read by OCR from a scanned page: check the words against the page")
    if quote.highlight and not closest:
        lines.append(f"- Highlight: {md_escape(quote.highlight)} (characters {quote.highlight_start}–"
                     f"{quote.highlight_end})")
    for loc in quote.also_in:
        page = f", page {loc.page}" if loc.page is not None else ""
        lines.append(f"- Same words also in: {md_escape(loc.doc)}{page}, characters {loc.start}–{loc.end}")
    lines += [f"- Citation: {md_escape(quote_citation(quote))}", ""]
    return lines


def answer_markdown(answer: Answer) -> str:
    """The question and each quote (or closest passage) with its full attribution."""
    lines = [f"# {md_escape(answer.question)}", ""]
    if answer.searched_as:
        lines += [f"Searched as: {md_escape(answer.searched_as)}", ""]
    if answer.answered:
        n = len(answer.quotes)
        lines += [f"Answered with {n} verbatim quote{'s' if n != 1 else ''} from the documents (evidence "
                  f"{answer.evidence:.2f}). Characters are offsets into the page's stored text.", ""]
    else:
        lines += [f"**{NO_ANSWER}**", ""]
        if answer.scope.ruled_out:
            lines += [md_escape(answer.scope.ruled_out), ""]
        if answer.quotes:
            lines += ["The closest passages follow. They are **not** an answer.", ""]
    if answer.scope.searched:
        lines += [md_escape(answer.scope.searched), ""]
    for i, quote in enumerate(answer.quotes, 1):
        heading = f"Quote {i}" if answer.answered else f"Closest passage {i} (not an answer)"
        lines += _quote_md(quote, heading, closest=not answer.answered)
    return "\n".join(lines)


def _match_md(match: Match, heading: str) -> list[str]:
    pages = sorted({p.page for p in match.parts if p.page is not None})
    parts = "; ".join(f"page {p.page}: {p.start}–{p.end}" if len(match.parts) > 1 else f"{p.start}–{p.end}"
                      for p in match.parts)
    lines = [f"### {heading}", "", f"> {md_escape(_match_text(match))}", "",
             f"- Document: {md_escape(match.doc)}", f"- Title: {md_escape(match.title)}",
             f"- Page: {', '.join(map(str, pages)) or _page(None)}", f"- Characters: {parts}",
             f"- Similarity: {match.similarity:.4f}"]
    if match.quoted:
        lines.append("- Quotes another source: the document has these words inside quotation marks")
    changed = [d for d in match.diff if d.op != "same"]
    if changed:
        lines.append("- Differences: " + "; ".join(
            f"document “{md_escape(d.source)}”, quote “{md_escape(d.quote)}”" for d in changed))
    lines += [f"- Citation: {md_escape(match_citation(match))}", ""]
    return lines


def _check_md(c: Citation, heading: str) -> list[str]:
    found = f" Found in {len(c.matches)} place{'s' if len(c.matches) != 1 else ''}." if c.matches else ""
    lines = [f"## {heading}", "", f"> {md_escape(c.quote)}", "", f"**Verdict: {c.verdict}.**{found}", ""]
    for i, m in enumerate(c.matches, 1):
        lines += _match_md(m, f"Match {i}")
    for i, m in enumerate(c.closest, 1):
        lines += _match_md(m, f"Closest passage {i} (not the quote)")
    return lines


def citation_markdown(c: Citation) -> str:
    """A citation check: the verdict, each match with its attribution; a paragraph's sentences one by one."""
    lines = ["# Citation check", ""] + _check_md(c, "Quote")
    for n, sc in enumerate(c.sentences, 1):
        lines += _check_md(sc, f"Sentence {n}")
    return "\n".join(lines)


def _cell_md(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(round(value, 4))
    return md_escape(str(value))


def _table_md(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell_md(v) for v in row) + " |" for row in rows]
    return lines + [""]


def report_markdown(report: EvalReport, gold_name: str = "", strictness: str = "") -> str:
    """An evaluation report: the metrics, then every question (failures first) with the top quote's attribution."""
    about = ", ".join(s for s in (f"gold set {md_escape(gold_name)}" if gold_name else "",
                                  f"strictness {md_escape(strictness)}" if strictness else "",
                                  f"{len(report.results)} questions, answer@k with k = {report.k}") if s)
    lines = ["# Evaluation report", "", about[0].upper() + about[1:] + ".", "", "## Metrics", ""]
    lines += _table_md(("Metric", "Value"), [(k, v) for k, v in report.metrics.items()])
    lines += ["## Per question, failures first", "",
              "Got is the first quote (empty when the assistant abstained); Start and End are its character "
              "offsets into the page's stored text.", ""]
    header = ("Result", "ID", "Question", "Expected", "Expected document", "Got", "Document", "Title", "Page",
              "Start", "End", "Highlight", "Rank", "Evidence")
    rows = [("pass" if r.passed else "FAIL", r.id, r.question, " / ".join(r.expected) or "(not answerable)",
             r.expected_doc, r.got, r.got_doc, r.got_title, r.got_page, r.got_start, r.got_end, r.highlight, r.rank,
             r.evidence) for r in failures_first(report.results)]
    return "\n".join(lines + _table_md(header, rows))


# --- CSV ---------------------------------------------------------------------------------------------------------

def _csv_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([_csv_value(v) for v in row] for row in rows)
    return out.getvalue()


def answer_csv(answer: Answer) -> str:
    """One row per quote (or closest passage, kind ``closest``) with its full attribution."""
    kind = "quote" if answer.answered else "closest"
    rows = [(answer.question, answer.answered, kind, i, q.doc, q.title, q.date, q.page, q.start, q.end,
             round(q.score, 4),
             q.highlight if answer.answered else None, q.highlight_start if answer.answered else None,
             q.highlight_end if answer.answered else None, q.text,
             "; ".join(f"{loc.doc}{f' p. {loc.page}' if loc.page is not None else ''} {loc.start}-{loc.end}"
                       for loc in q.also_in), quote_citation(q))
            for i, q in enumerate(answer.quotes, 1)]
    if not rows:
        rows = [(answer.question, False, "none") + (None,) * (len(ANSWER_COLUMNS) - 3)]
    return _csv(ANSWER_COLUMNS, rows)


def as_answer(across: PerDocumentAnswer) -> Answer:
    """An across-documents answer as one Answer: each answering document's quote, in the listed (date) order,
    so the Markdown and CSV builders serve both kinds of question."""
    quotes = tuple(r.quote for r in across.answers if r.quote is not None)
    return Answer(across.question, bool(quotes), quotes, max((r.evidence or 0.0 for r in across.answers), default=0.0),
                  across.timings_ms)


def _check_rows(c: Citation, sentence: int | None) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for kind, matches in (("match", c.matches), ("closest", c.closest)):
        for i, m in enumerate(matches, 1):
            parts = m.parts or ()
            for j, p in enumerate(parts, 1):
                rows.append((sentence, c.quote, c.verdict, kind, i, j, m.doc, m.title, p.page, p.start, p.end,
                             round(m.similarity, 4), m.quoted, p.text, match_citation(m)))
    return rows or [(sentence, c.quote, c.verdict, "none") + (None,) * (len(CITATION_COLUMNS) - 4)]


def citation_csv(c: Citation) -> str:
    """One row per page part of every match (a match across a page break has one per page); for a paragraph, the
    whole paragraph's rows (``sentence`` empty) and then each sentence's."""
    rows = _check_rows(c, None)
    for n, sc in enumerate(c.sentences, 1):
        rows += _check_rows(sc, n)
    return _csv(CITATION_COLUMNS, rows)


def _report_row(r: QuestionResult) -> tuple[object, ...]:
    return ("pass" if r.passed else "FAIL", r.id, r.question, json.dumps(list(r.expected), ensure_ascii=False),
            r.expected_doc, json.dumps(list(r.expected_also_docs), ensure_ascii=False), r.answered, r.got, r.got_doc,
            r.got_title, r.got_page, r.got_start, r.got_end, r.highlight, r.rank, r.doc_rank, round(r.evidence, 4),
            r.em, round(r.f1, 4), round(r.latency_ms, 2))


def report_csv(report: EvalReport) -> str:
    """One row per question, failures first; ``expected`` and ``expected_also_docs`` are JSON lists."""
    return _csv(REPORT_COLUMNS, [_report_row(r) for r in failures_first(report.results)])


def file_stem(prefix: str, text: str, max_words: int = 8) -> str:
    """A safe file name stem from a question or quote: ``answer-who-led-the-2022-inspection``."""
    words = re.findall(r"[a-z0-9]+", text.lower())[:max_words]
    return "-".join([prefix, *words]) if words else prefix
