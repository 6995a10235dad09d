"""Command line: ``assistant index``, ``ask``, ``cite`` and ``eval`` (contracts in DESIGN.md).

Every subcommand takes ``--index DIR``, ``--store`` and ``--json``. Exit 0 on success, 2 on bad usage or bad input
(including files that could not be indexed, after every good file was indexed), with a one-line error on stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from assistant.config import DEFAULT_DOCS_DIR, DEFAULT_INDEX_DIR, STORE_ENV, AnswerSettings, IndexSettings
from assistant.errors import IndexUnavailable
from assistant.render import NO_ANSWER, OCR_LABEL
from assistant.terminal import json_line, term

EXIT_OK, EXIT_BAD = 0, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        sys.stderr.write(f"assistant: error: {term(message)}\n")
        raise SystemExit(EXIT_BAD)


def _common() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--index", type=Path, default=DEFAULT_INDEX_DIR, help="index folder (default: index/)")
    p.add_argument("--store", default=os.environ.get(STORE_ENV) or None, help="qdrant+local:PATH or qdrant://HOST:PORT")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    return p


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="assistant", description="Answers questions with verbatim, cited quotes.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    common = _common()
    p_index = sub.add_parser("index", parents=[common], help="build or update the index incrementally")
    p_index.add_argument("docs", nargs="?", type=Path, default=DEFAULT_DOCS_DIR, help="documents folder")
    p_index.add_argument("--model", help="sentence-transformers model name or path (default: bundled MiniLM)")
    p_index.add_argument("--quiet", action="store_true", help="no progress bar")
    p_index.add_argument("--max-file-mb", type=float, default=None, metavar="MB",
                         help=f"skip (and report) files larger than this (default: {IndexSettings().max_file_mb:g})")
    p_index.add_argument("--allow-empty", action="store_true",
                         help="allow a build that removes every document (refused otherwise: a wrong or unmounted "
                              "documents folder would wipe the index)")
    p_index.add_argument("--ray", metavar="ADDRESS", help="load, split and embed new documents on a Ray cluster: "
                         "HOST:PORT, ray://HOST:PORT, or local[:N] to start N local workers (docs/SCALING.md)")
    p_ask = sub.add_parser("ask", parents=[common], help="answer a question ('-' reads one question a line)")
    p_ask.add_argument("question", help="the question, or '-' to read questions from stdin")
    p_ask.add_argument("--k", type=int, default=None, help="number of quotes (default 3)")
    p_ask.add_argument("--doc", action="append", help="only search this document (path or file name); repeatable")
    p_ask.add_argument("--per-doc", action="store_true",
                       help="across documents: the best quote of each document that answers, oldest document first "
                            "(documents are dated by their inspection dates, a dateline, file metadata or file name)")
    p_ask.add_argument("--no-reader", action="store_true",
                       help="rank with the first stage alone (no cross-encoder, no learned ranker): for comparison")
    p_ask.add_argument("--format", choices=("text", "markdown", "csv"), default="text",
                       help="text (default), or Markdown or CSV with every quote's full attribution (the app's export)")
    p_cite = sub.add_parser("cite", parents=[common], help="find where a quote comes from and whether it is exact")
    p_cite.add_argument("quote", help="the quote, or '-' to read one quote a line from stdin")
    p_eval = sub.add_parser("eval", parents=[common], help="measure answers against a gold Q&A set (JSONL)")
    p_eval.add_argument("gold", type=Path, help="gold file: one {id, question, answers, doc} object a line")
    p_eval.add_argument("--k", type=int, default=3, help="quotes per question for answer@k (default 3)")
    p_eval.add_argument("--out", type=Path, help="also write the full JSON report to this file")
    p_eval.add_argument("--quiet", action="store_true", help="no progress bar")
    p_eval.add_argument("--no-reader", action="store_true", help="evaluate the first stage alone (for comparison)")
    return parser


def _fail(message: str) -> int:
    """One line on stderr (names in the message are shown escaped: they come from users), exit status 2."""
    sys.stderr.write(f"assistant: error: {term(message)}\n")
    return EXIT_BAD


def cmd_index(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from assistant.index.build import EmptyBuildRefused, build_index
    from assistant.index.storage import open_storage

    if args.max_file_mb is not None and not (args.max_file_mb > 0 and math.isfinite(args.max_file_mb)):
        return _fail("--max-file-mb must be a positive number")
    overrides = {"model": args.model, "max_file_mb": args.max_file_mb}
    settings = IndexSettings(**{k: v for k, v in overrides.items() if v is not None})
    bar: tqdm | None = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if args.quiet:
            return
        if bar is None:
            bar = tqdm(total=total, desc="Embedding", unit="text", file=sys.stderr, mininterval=0.5)
        bar.update(done - bar.n)

    def problem(p) -> None:
        sys.stderr.write(f"skipped {term(p.doc)}: {term(p.reason)}\n")

    try:
        report = build_index(args.docs, args.index, settings, progress, problem, allow_empty=args.allow_empty,
                             storage=open_storage(args.index, args.store), ray=args.ray)
    except FileNotFoundError as exc:
        return _fail(str(exc))
    except EmptyBuildRefused as exc:
        return _fail(f"{exc}; pass --allow-empty to empty the index")
    except OSError as exc:  # e.g. the index folder is not writable or the disk is full: the old index stays
        return _fail(f"cannot write the index in {args.index}: {exc.strerror or exc}; the previous index is unchanged")
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        out = {k: v for k, v in report.__dict__.items() if k not in ("problems", "notes")}
        out["problems"] = [p.__dict__ for p in report.problems]
        out["notes"] = [p.__dict__ for p in report.notes]
        print(json_line(out))
    else:
        if report.rebuild_reason:
            print(f"Clean rebuild: {term(report.rebuild_reason)}")
        state = "updated" if report.written else "already up to date"
        print(f"Index {state}: {report.n_documents} documents, {report.n_pages} pages, {report.n_chunks} chunks, "
              f"{report.n_sentences} sentences ({len(report.added)} added, {len(report.changed)} changed, "
              f"{len(report.removed)} removed, {len(report.unchanged)} unchanged; {report.embedded} texts embedded "
              f"in {report.seconds:.1f} s)")
    for note in report.notes:
        sys.stderr.write(f"partly read {term(note.doc)}: {term(note.reason)}\n")
    if report.problems:
        return _fail(f"{len(report.problems)} file(s) could not be indexed (listed above); all others were indexed")
    return EXIT_OK


def _print_answer(answer) -> None:
    lines = [f"Q: {term(answer.question)}", *(f"Searched as: {term(s)}" for s in [answer.searched_as] if s),
             *([] if answer.answered else [NO_ANSWER])]
    lines += [term(note) for note in (answer.scope.ruled_out, answer.scope.searched) if note]
    lines += ["Closest passages (not an answer):"] if not answer.answered and answer.quotes else []
    print("\n".join(lines))
    for n, q in enumerate(answer.quotes, 1):
        _print_quote(f"[{n}] {term(q.title)}", q)
    print()


def _print_quote(heading: str, q, dated: bool = True) -> None:
    """A quote under its heading: source (file, page, offsets, the document's date, score), text, answer span."""
    page = f", page {q.page}" if q.page is not None else ""
    dated = f", dated {q.date}" if q.date and dated else ""
    dated += f", {OCR_LABEL}" if q.ocr else ""
    body = textwrap.fill(term(" ".join(q.text.split())), width=100, initial_indent="    ", subsequent_indent="    ")
    print(f"{heading}\n    ({term(q.doc)}{page}, characters {q.start}-{q.end}{dated}, score {q.score:.2f})")
    print(body.replace("    ", "    “", 1) + "”")
    if q.highlight:
        print(f"    answer: {term(q.highlight)}")
    for loc in q.also_in:
        print(f"    also in: {term(loc.doc)}" + (f", page {loc.page}" if loc.page is not None else ""))


def _print_per_document(result) -> None:
    """One quote per answering document, oldest first, each headed by its date; then why the others do not."""
    print(f"Q: {term(result.question)}")
    total = len(result.answers) + len(result.refused)
    scope = f" (about {', '.join(term(w) for w in result.scope_words)})" if result.scope_words else ""
    if result.unknown_words:
        print(f"No document mentions {', '.join(term(w) for w in result.unknown_words)}: no document answers.")
    elif not result.answers:
        print(f"No document answers this question{scope}.")
    else:
        print(f"{len(result.answers)} of {total} documents answer{scope}, oldest first:")
    for r in result.answers:
        _print_quote(f"\n{r.date or 'undated':10s}  {term(r.title)}", r.quote, dated=False)
    if result.refused and result.answers:
        print(f"\nNot listed: {term(result.not_listed())}")
    print()


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.api import Assistant, BadQuestion

    if args.k is not None and not 1 <= args.k <= 50:
        return _fail("--k must be between 1 and 50")
    if args.format != "text" and (args.json or args.question == "-"):
        return _fail("--format markdown|csv takes one question, without --json ('ask -' prints JSON lines)")
    assistant = Assistant(args.index, AnswerSettings(reader=not args.no_reader), args.store)
    if args.per_doc:
        if args.k is not None:
            return _fail("--k does not apply to --per-doc (one quote per document)")
        return _for_each_input(args.question, "question", lambda q: assistant.ask_per_document(q, docs=args.doc),
                               BadQuestion, _print_per_document, args.json)
    return _for_each_input(args.question, "question", lambda q: assistant.ask(q, k=args.k, docs=args.doc),
                           BadQuestion, _answer_printer(args.format), args.json)


def _answer_printer(fmt: str) -> Callable[[Any], None]:
    """How a single answer is printed: the text view, or an export (its lines made terminal-safe: a CSV keeps
    page text verbatim, control characters included)."""
    if fmt == "text":
        return _print_answer
    from assistant.export import answer_csv, answer_markdown

    build = answer_markdown if fmt == "markdown" else answer_csv
    return lambda answer: print("\n".join(term(line) for line in build(answer).splitlines()))


def _for_each_input(value: str, key: str, run: Callable[[str], Any], bad: type[Exception],
                    show: Callable[[Any], None], as_json: bool) -> int:
    """Run one input, or with '-' one per stdin line (JSON lines out, a bad line reported and skipped).

    Lines are answered as they arrive and each answer is flushed at once, so the batch mode works as a pipe to a
    long-lived process (a question typed now is answered now, not when the input ends).
    """
    status = EXIT_OK
    for line in _input_lines(value):
        try:
            result = run(line)
        except bad as exc:
            if value != "-":
                return _fail(str(exc))
            print(json_line({key: line[:200], "error": str(exc)}), flush=True)
            status = EXIT_BAD
            continue
        if as_json or value == "-":
            print(json_line(result.to_json()), flush=True)
        else:
            show(result)
    return status


def _input_lines(value: str) -> Iterator[str]:
    """The single argument, or with '-' each non-blank stdin line as soon as it is read."""
    if value != "-":
        yield value
        return
    for line in iter(sys.stdin.readline, ""):
        line = line.rstrip("\r\n")
        if line.strip():
            yield line


_DIFF_MARKS = {"added": ("{+", "+}"), "dropped": ("[-", "-]")}


def _diff_line(match) -> str:
    """Source words with the quote's differences marked: [-only in source-] {+only in quote+}."""
    out = []
    for d in match.diff:
        if d.op == "same":
            out.append(d.source)
        elif d.op == "changed":
            out.append(f"[-{d.source}-]{{+{d.quote}+}}")
        else:
            a, b = _DIFF_MARKS[d.op]
            out.append(f"{a}{d.quote or d.source}{b}")
    return " ".join(out)


def _print_citation(c, indent: str = "") -> None:
    label = {"exact": "EXACT: found word for word", "near": "NEAR: a close variant was found",
             "not_found": "NOT FOUND: the documents do not contain this quote"}[c.verdict]
    if c.sentences and c.verdict == "near":
        label = "PARTLY FOUND: some sentences were found (each sentence's verdict below)"
    print(f"{indent}{label}" + (f" ({len(c.matches)} place(s))" if c.matches else ""))
    shown = c.matches or c.closest
    if c.closest and not c.matches:
        print(f"{indent}Closest passages (not the quote):")
    for n, m in enumerate(shown, 1):
        pages = ", ".join(str(p.page) for p in m.parts if p.page is not None)
        where = (f", page {pages}" if pages else "") + (f", dated {m.date}" if m.date else "")
        role = " (quoting another source)" if m.quoted else ""
        print(f"{indent}[{n}] {term(m.title)}{role}\n{indent}    ({term(m.doc)}{where}, characters {m.start}-{m.end}, "
              f"similarity {m.similarity:.2f})")
        body = term(" ".join(" ".join(p.text.split()) for p in m.parts))
        print(textwrap.fill(f"“{body}”", width=100, initial_indent=indent + "    ", subsequent_indent=indent + "    "))
        if m.diff and c.verdict != "exact":
            print(textwrap.fill("diff: " + term(_diff_line(m)), width=100, initial_indent=indent + "    ",
                                subsequent_indent=indent + "      "))
    if c.sentences:
        counts = {v: sum(sc.verdict == v for sc in c.sentences) for v in ("exact", "near", "not_found")}
        print(f"{indent}{len(c.sentences)} sentences: {counts['exact']} exact, {counts['near']} near, "
              f"{counts['not_found']} not found")
    for n, sc in enumerate(c.sentences, 1):
        print(f"{indent}Sentence {n}: “{term(sc.quote)}”")
        _print_citation(sc, indent + "    ")
    if not indent:
        print()


def cmd_cite(args: argparse.Namespace) -> int:
    from assistant.api import Assistant
    from assistant.cite.types import BadQuote

    assistant = Assistant(args.index, store=args.store)
    return _for_each_input(args.quote, "quote", assistant.cite, BadQuote, _print_citation, args.json)


def _cell(text: str | None, width: int) -> str:
    text = term(" ".join((text or "—").split()))
    return text if len(text) <= width else text[: width - 1] + "…"


def _print_report(report) -> None:
    from assistant.evaluation import failures_first

    m, k = report.metrics, report.k
    print(f"{m['questions']} questions ({m['answerable']} answerable, {m['unanswerable']} unanswerable)\n")
    rows = [
        ("answer@1", m["answer@1"]), (f"answer@{k}", m[f"answer@{k}"]), ("doc hit@1", m["doc_hit@1"]),
        (f"doc hit@{k}", m[f"doc_hit@{k}"]), (f"MRR@{k}", m["mrr"]), ("highlight EM", m["highlight_em"]),
        ("highlight F1", m["highlight_f1"]), ("unanswerable refused", m["unanswerable_refused"]),
        ("answerable wrongly refused", m["answerable_wrongly_refused"]), ("refusal AUROC", m["refusal_auroc"]),
        ("latency p50 (ms)", m["latency_p50_ms"]), ("latency p95 (ms)", m["latency_p95_ms"]),
    ]
    for name, value in rows:
        if value is None:  # AUROC without both kinds of question
            print(f"  {name:28s} {'-':>8s}")
        else:
            print(f"  {name:28s} {value:8.3f}" if "latency" not in name else f"  {name:28s} {value:8.1f}")
    print(f"\n{'':2s}{'id':14s} {'result':6s} {'rank':>4s}  {'question':40s} {'expected':28s} got")
    for r in failures_first(report.results):
        expected = " | ".join(r.expected) if r.expected else "(unanswerable)"
        got, rank = r.got if r.answered else "(abstained)", str(r.rank) if r.rank is not None else "-"
        print(f"  {_cell(r.id, 14):14s} {'pass' if r.passed else 'FAIL':6s} {rank:>4s}  {_cell(r.question, 40):40s} "
              f"{_cell(expected, 28):28s} {_cell(got, 60)}")


def cmd_eval(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from assistant.api import Assistant
    from assistant.evaluation import GoldFormatError, evaluate, load_gold

    if not 1 <= args.k <= 50:
        return _fail("--k must be between 1 and 50")
    problem = _unwritable(args.out) if args.out else None
    if problem:  # checked before the run, which takes minutes: its results must not be lost at the end
        return _fail(f"cannot write the report to {args.out}: {problem}")
    try:
        items = load_gold(args.gold)
    except FileNotFoundError:
        return _fail(f"gold file {args.gold} not found")
    except IsADirectoryError:
        return _fail(f"gold file {args.gold} is a folder; give a JSONL file")
    except OSError as exc:
        return _fail(f"cannot read gold file {args.gold}: {exc.strerror or exc}")
    except (GoldFormatError, UnicodeDecodeError) as exc:
        return _fail(str(exc))
    if not items:
        return _fail(f"gold file {args.gold} has no questions")
    bar = None if args.quiet else tqdm(total=len(items), desc="Evaluating", unit="q", file=sys.stderr)
    report = evaluate(Assistant(args.index, AnswerSettings(reader=not args.no_reader), args.store), items, k=args.k,
                      on_progress=(lambda done, total: bar.update(done - bar.n)) if bar else None)
    _ = bar.close() if bar is not None else None
    data = report.to_json()
    if args.json:  # shown first: if writing --out fails after all, the results are still on the screen
        print(json_line(data))
    else:
        _print_report(report)
    if args.out:
        try:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(data, indent=1, ensure_ascii=False))
        except OSError as exc:
            return _fail(f"cannot write the report to {args.out}: {exc.strerror or exc} (the results are above)")
        if not args.json:
            print(f"\nFull report written to {term(args.out)}")
    return EXIT_OK


def _unwritable(out: Path) -> str | None:
    """Why the report file ``out`` could not be written (checked before a long run), or None."""
    if out.is_dir():
        return "it is a folder"
    parent = next((p for p in (out.parent, *out.parent.parents) if p.exists()), Path("."))
    if not parent.is_dir():
        return f"{parent} is not a folder"
    if out.exists() and not os.access(out, os.W_OK) or not out.exists() and not os.access(parent, os.W_OK):
        return "permission denied"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return {"index": cmd_index, "ask": cmd_ask, "cite": cmd_cite, "eval": cmd_eval}[args.command](args)
    except IndexUnavailable as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return _fail("interrupted")
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
