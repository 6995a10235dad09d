"""Command line: ``assistant index``, ``ask`` and ``cite`` (contracts in DESIGN.md).

Every subcommand takes ``--index DIR`` and ``--json``. Exit 0 on success, 2 on bad usage or bad input (including
files that could not be indexed, after every good file was indexed), with a one-line error on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from .config import DEFAULT_DOCS_DIR, DEFAULT_INDEX_DIR, IndexSettings
from .store import IndexUnavailable

EXIT_OK, EXIT_BAD = 0, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        sys.stderr.write(f"assistant: error: {message}\n")
        raise SystemExit(EXIT_BAD)


def _common() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--index", type=Path, default=DEFAULT_INDEX_DIR, help="index folder (default: index/)")
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
    p_ask = sub.add_parser("ask", parents=[common], help="answer a question ('-' reads one question a line)")
    p_ask.add_argument("question", help="the question, or '-' to read questions from stdin")
    p_ask.add_argument("--k", type=int, default=None, help="number of quotes (default 3)")
    p_ask.add_argument("--doc", action="append", help="only search this document (path or file name); repeatable")
    p_cite = sub.add_parser("cite", parents=[common], help="find where a quote comes from and whether it is exact")
    p_cite.add_argument("quote", help="the quote, or '-' to read one quote a line from stdin")
    return parser


def _fail(message: str) -> int:
    sys.stderr.write(f"assistant: error: {message}\n")
    return EXIT_BAD


def cmd_index(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .api import Assistant

    settings = IndexSettings(model=args.model) if args.model else IndexSettings()
    bar: tqdm | None = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if args.quiet:
            return
        if bar is None:
            bar = tqdm(total=total, desc="Embedding", unit="text", file=sys.stderr, mininterval=0.5)
        bar.update(done - bar.n)

    def problem(p) -> None:
        sys.stderr.write(f"skipped {p.doc}: {p.reason}\n")

    try:
        report = Assistant(args.index).build(args.docs, settings, progress, problem)
    except FileNotFoundError as exc:
        return _fail(str(exc))
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        out = {k: v for k, v in report.__dict__.items() if k != "problems"}
        out["problems"] = [p.__dict__ for p in report.problems]
        print(json.dumps(out, ensure_ascii=False))
    else:
        if report.rebuild_reason:
            print(f"Clean rebuild: {report.rebuild_reason}")
        state = "updated" if report.written else "already up to date"
        print(
            f"Index {state}: {report.n_documents} documents, {report.n_pages} pages, {report.n_chunks} chunks, "
            f"{report.n_sentences} sentences ({len(report.added)} added, {len(report.changed)} changed, "
            f"{len(report.removed)} removed, {len(report.unchanged)} unchanged; {report.embedded} texts embedded "
            f"in {report.seconds:.1f} s)"
        )
    if report.problems:
        return _fail(f"{len(report.problems)} file(s) could not be indexed (listed above); all others were indexed")
    return EXIT_OK


def _print_answer(answer) -> None:
    print(f"Q: {answer.question}")
    if not answer.answered:
        print("The documents do not answer this question.")
        if answer.quotes:
            print("Closest passages (not an answer):")
    for n, q in enumerate(answer.quotes, 1):
        page = f", page {q.page}" if q.page is not None else ""
        body = textwrap.fill(" ".join(q.text.split()), width=100, initial_indent="    ", subsequent_indent="    ")
        print(f"[{n}] {q.title}\n    ({q.doc}{page}, characters {q.start}-{q.end}, score {q.score:.2f})")
        print(body.replace("    ", "    “", 1) + "”")
        if q.highlight:
            print(f"    answer: {q.highlight}")
        for loc in q.also_in:
            print(f"    also in: {loc.doc}" + (f", page {loc.page}" if loc.page is not None else ""))
    print()


def cmd_ask(args: argparse.Namespace) -> int:
    from .api import Assistant, BadQuestion

    if args.k is not None and not 1 <= args.k <= 50:
        return _fail("--k must be between 1 and 50")
    assistant = Assistant(args.index)
    questions = [ln for ln in sys.stdin.read().splitlines() if ln.strip()] if args.question == "-" else [args.question]
    status = EXIT_OK
    for question in questions:
        try:
            answer = assistant.ask(question, k=args.k, docs=args.doc)
        except BadQuestion as exc:
            if args.question != "-":
                return _fail(str(exc))
            print(json.dumps({"question": question[:200], "error": str(exc)}), flush=True)
            status = EXIT_BAD
            continue
        if args.json or args.question == "-":
            print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
        else:
            _print_answer(answer)
    return status


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
        where = f", page {pages}" if pages else ""
        role = " (quoting another source)" if m.quoted else ""
        print(f"{indent}[{n}] {m.title}{role}\n{indent}    ({m.doc}{where}, characters {m.start}-{m.end}, "
              f"similarity {m.similarity:.2f})")
        body = " ".join(" ".join(p.text.split()) for p in m.parts)
        print(textwrap.fill(f"“{body}”", width=100, initial_indent=indent + "    ", subsequent_indent=indent + "    "))
        if m.diff and c.verdict != "exact":
            print(textwrap.fill("diff: " + _diff_line(m), width=100, initial_indent=indent + "    ",
                                subsequent_indent=indent + "      "))
    if c.sentences:
        counts = {v: sum(sc.verdict == v for sc in c.sentences) for v in ("exact", "near", "not_found")}
        print(f"{indent}{len(c.sentences)} sentences: {counts['exact']} exact, {counts['near']} near, "
              f"{counts['not_found']} not found")
    for n, sc in enumerate(c.sentences, 1):
        print(f"{indent}Sentence {n}: “{sc.quote}”")
        _print_citation(sc, indent + "    ")
    if not indent:
        print()


def cmd_cite(args: argparse.Namespace) -> int:
    from .api import Assistant
    from .citations import BadQuote

    assistant = Assistant(args.index)
    quotes = [ln for ln in sys.stdin.read().splitlines() if ln.strip()] if args.quote == "-" else [args.quote]
    status = EXIT_OK
    for quote in quotes:
        try:
            citation = assistant.cite(quote)
        except BadQuote as exc:
            if args.quote != "-":
                return _fail(str(exc))
            print(json.dumps({"quote": quote[:200], "error": str(exc)}), flush=True)
            status = EXIT_BAD
            continue
        if args.json or args.quote == "-":
            print(json.dumps(citation.to_json(), ensure_ascii=False), flush=True)
        else:
            _print_citation(citation)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return {"index": cmd_index, "ask": cmd_ask, "cite": cmd_cite}[args.command](args)
    except IndexUnavailable as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return _fail("interrupted")
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
