"""Public benchmark data (SciFact, SQuAD) as the product sees it: one document file per abstract or paragraph.

The data sits beside the repository in ``../shared/bench`` (read-only, never copied into the project); set
``ASSISTANT_BENCH_DATA`` (or pass ``--data``) to read it from elsewhere. Documents and indexes are written to a
cache outside the repository (``~/.cache/bradford-assistant-bench``, or ``ASSISTANT_BENCH_CACHE``) and built with
the product's own ``build_index``, so a second run only checks content hashes.

Document layout, chosen so the whole text is indexed with exact offsets and a real title:

* SQuAD: ``<article-slug>/<pid:05d>.html``: ``<title>`` the Wikipedia article's title, ``<p>`` the paragraph.
  ``pid`` is the paragraph's position in dev-v1.1 (all 2,067); dev-v2.0's 1,204 paragraphs are a subset and map
  to the same files by their text. The title reaches the document's context line (embedded and BM25-indexed with
  every chunk, as DPR-style open-domain QA keeps titles) but is not a quotable line of text; the numeric file stem
  adds nothing to the context. ``layout="md"`` writes ``# <title>``, a blank line, then the paragraph instead,
  which makes the title line a sentence of every paragraph (kept to measure that effect: bench_squad.py --layout).
* SciFact: ``<doc_id>.md`` holding ``# <paper title>``, a blank line, then the abstract (BEIR indexes title + text).

Every bench script gets the index it needs from ``squad_index``, ``scifact_index`` or ``bundled_index``, which build
it when it is missing or stale, so no script depends on another having run first. To build them ahead of a run:

    .venv/bin/python bench/public_data.py squad scifact bundled
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

DATA_ENV = "ASSISTANT_BENCH_DATA"
CACHE_ENV = "ASSISTANT_BENCH_CACHE"
REPO_ROOT = Path(__file__).resolve().parents[1]


def data_root(override: Path | str | None = None) -> Path:
    """``--data`` flag, else $ASSISTANT_BENCH_DATA, else ``../shared/bench`` beside the repository."""
    if override:
        return Path(override)
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV])
    return Path(__file__).resolve().parents[2] / "shared" / "bench"


def cache_root(override: Path | str | None = None) -> Path:
    if override:
        return Path(override)
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    return Path.home() / ".cache" / "bradford-assistant-bench"


def write_if_changed(path: Path, text: str) -> bool:
    """Write only when the bytes differ, so the incremental index build sees unchanged files as unchanged."""
    data = text.encode("utf-8")
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def sync_docs(docs_dir: Path, files: dict[str, str]) -> int:
    """Make ``docs_dir`` hold exactly ``files`` (relative path -> text); returns how many were (re)written."""
    written = sum(write_if_changed(docs_dir / rel, text) for rel, text in files.items())
    if docs_dir.is_dir():
        for path in docs_dir.rglob("*"):
            if path.is_file() and path.relative_to(docs_dir).as_posix() not in files:
                path.unlink()
    return written


def squad_doc_name(title: str, pid: int, layout: str = "html") -> str:
    """A SQuAD paragraph's document path relative to the docs folder (what Quote.doc reports)."""
    return f"{slug(title)}/{pid:05d}.{layout}"


def slug(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-") or "untitled"


# --- SQuAD ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SquadParagraph:
    pid: int  # position among dev-v1.1's paragraphs
    article: int  # position of the article in its file
    title: str  # Wikipedia article title, underscores as spaces
    context: str

    def doc_name(self, layout: str = "html") -> str:
        """The document path relative to the docs folder (what Quote.doc reports)."""
        return squad_doc_name(self.title, self.pid, layout)

    @property
    def doc(self) -> str:
        return self.doc_name()


@dataclass(frozen=True)
class SquadQuestion:
    qid: str
    question: str
    answers: tuple[str, ...]  # de-duplicated, official order; empty when unanswerable (v2.0)
    pid: int
    article: int


def _read_squad(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["data"]


def squad_paragraphs(root: Path) -> list[SquadParagraph]:
    """All 2,067 dev-v1.1 paragraphs; they are the document collection for both versions."""
    out: list[SquadParagraph] = []
    for a, art in enumerate(_read_squad(root / "squad" / "dev-v1.1.json")):
        for p in art["paragraphs"]:
            out.append(SquadParagraph(len(out), a, art["title"].replace("_", " "), p["context"]))
    return out


def squad_questions(root: Path, version: str, paragraphs: list[SquadParagraph]) -> list[SquadQuestion]:
    """Questions of ``dev-v1.1`` or ``dev-v2.0``, each pointing at its paragraph's pid (matched by text)."""
    by_text = {p.context: p.pid for p in paragraphs}
    out: list[SquadQuestion] = []
    for a, art in enumerate(_read_squad(root / "squad" / f"dev-v{version}.json")):
        for p in art["paragraphs"]:
            pid = by_text[p["context"]]
            for qa in p["qas"]:
                answers = tuple(dict.fromkeys(x["text"] for x in qa["answers"]))
                out.append(SquadQuestion(qa["id"], qa["question"], answers, pid, a))
    return out


def squad_document_text(p: SquadParagraph, layout: str = "html") -> str:
    if layout == "md":
        return f"# {p.title}\n\n{p.context}\n"
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(p.title)}</title></head>\n"
            f"<body><p>{html.escape(p.context, quote=False)}</p></body></html>\n")


def write_squad_docs(paragraphs: list[SquadParagraph], docs_dir: Path, layout: str = "html") -> int:
    """One file per paragraph (and nothing else) in ``docs_dir``; returns how many files were (re)written."""
    return sync_docs(docs_dir, {p.doc_name(layout): squad_document_text(p, layout) for p in paragraphs})


# --- SciFact ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SciFact:
    corpus: dict[str, tuple[str, str]]  # doc id -> (title, abstract)
    queries: dict[str, str]
    qrels: dict[str, dict[str, dict[str, int]]]  # split -> query id -> doc id -> relevance

    @staticmethod
    def doc_name(doc_id: str) -> str:
        return f"{doc_id}.md"


def load_scifact(root: Path) -> SciFact:
    base = root / "scifact"
    corpus: dict[str, tuple[str, str]] = {}
    with (base / "corpus.jsonl").open(encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            corpus[str(d["_id"])] = (d.get("title") or "", d.get("text") or "")
    with (base / "queries.jsonl").open(encoding="utf-8") as f:
        queries = {str(d["_id"]): d["text"] for d in map(json.loads, f)}
    qrels: dict[str, dict[str, dict[str, int]]] = {}
    for split in ("train", "test"):
        rel: dict[str, dict[str, int]] = {}
        with (base / "qrels" / f"{split}.tsv").open(encoding="utf-8") as f:
            next(f)  # header
            for line in f:
                q, d, s = line.rstrip("\n").split("\t")
                rel.setdefault(q, {})[d] = int(s)
        qrels[split] = rel
    return SciFact(corpus, queries, qrels)


def scifact_train_halves(data: SciFact) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """SciFact's train claims cut in two, (reader half, selection half): the reader may train on the first
    (training/scifact_groups.py) and bench_scifact.py chooses its reader rerank on the second, claims the reader
    never saw. Claims citing a common abstract stay on one side (SciFact pairs a claim with its negation, both
    citing the same abstract), so the cut follows connected groups of claims and abstracts, each group's side
    fixed by a CRC of its smallest abstract id: no randomness, no look at any score. Test claims are in neither."""
    import zlib

    train = data.qrels["train"]
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for qid, rel in train.items():
        for doc in rel:
            parent[root("q" + qid)] = root("d" + doc)
    members: dict[str, list[str]] = {}
    for node in list(parent):
        members.setdefault(root(node), []).append(node)
    side: dict[str, int] = {}
    for group in members.values():
        key = min((n[1:] for n in group if n[0] == "d"), key=lambda d: (len(d), d))
        for n in group:
            if n[0] == "q":
                side[n[1:]] = zlib.crc32(key.encode()) % 2
    reader = {q: r for q, r in train.items() if side[q] == 0}
    select = {q: r for q, r in train.items() if side[q] == 1}
    return reader, select


def scifact_document_text(title: str, abstract: str) -> str:
    return f"# {' '.join(title.split()) or 'Untitled'}\n\n{abstract}\n"


def write_scifact_docs(data: SciFact, docs_dir: Path) -> int:
    return sync_docs(docs_dir, {SciFact.doc_name(i): scifact_document_text(t, a) for i, (t, a) in data.corpus.items()})


def provenance() -> dict[str, object]:
    """Which product code produced a result: the commit, and whether assistant/ had uncommitted changes."""
    import subprocess

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            return ""

    return {"git_commit": git("rev-parse", "--short", "HEAD").strip() or None,
            "assistant_uncommitted_changes": bool(git("status", "--porcelain", "assistant").strip())}


# --- building ---------------------------------------------------------------------------------------------


def ensure_index(docs_dir: Path, index_dir: Path) -> dict[str, object]:
    """Bring the cached index up to date with the product's incremental build; returns a summary for results."""
    from assistant.index.build import build_index

    t0 = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 30 or done == total:
            last[0] = now
            print(f"  embedded {done}/{total} texts ({now - t0:.0f} s)", flush=True)

    report = build_index(docs_dir, index_dir, on_progress=progress)
    if report.problems:
        raise SystemExit(f"{len(report.problems)} documents could not be indexed, e.g. {report.problems[0]}")
    return {
        "documents": report.n_documents, "sentences": report.n_sentences, "chunks": report.n_chunks,
        "embedded_now": report.embedded, "build_seconds": round(time.perf_counter() - t0, 1),
        "index": str(index_dir),
    }


# --- the bench indexes, built on demand ---------------------------------------------------------------------


def require_data(root: Path, rel: str) -> Path:
    """The data file ``root/rel``, or a one-line exit saying where it was looked for."""
    path = root / rel
    if not path.is_file():
        raise SystemExit(f"{rel} not found under {root}; pass --data or set {DATA_ENV}")
    return path


def squad_index(data: Path | str | None = None, cache: Path | str | None = None, layout: str = "html",
                ) -> tuple[list[SquadParagraph], Path, dict[str, object]]:
    """SQuAD dev paragraphs, the index of one file per paragraph (built or brought up to date), its summary."""
    root = data_root(data)
    require_data(root, "squad/dev-v1.1.json")
    folder = cache_root(cache) / ("squad" if layout == "html" else "squad-md")
    paragraphs = squad_paragraphs(root)
    write_squad_docs(paragraphs, folder / "docs", layout)
    return paragraphs, folder / "index", ensure_index(folder / "docs", folder / "index")


def scifact_index(data: Path | str | None = None, cache: Path | str | None = None,
                  ) -> tuple[SciFact, Path, dict[str, object]]:
    """SciFact, the index of one file per abstract (built or brought up to date: ~15 min the first time)."""
    root = data_root(data)
    require_data(root, "scifact/corpus.jsonl")
    folder = cache_root(cache) / "scifact"
    sci = load_scifact(root)
    write_scifact_docs(sci, folder / "docs")
    return sci, folder / "index", ensure_index(folder / "docs", folder / "index")


def bundled_index(cache: Path | str | None = None) -> tuple[Path, dict[str, object]]:
    """The bundled corpus (documents/) indexed in the bench cache, apart from the app's own index/."""
    folder = cache_root(cache) / "bundled"
    return folder / "index", ensure_index(REPO_ROOT / "documents", folder / "index")


def existing_index(index: Path) -> Path:
    """``index`` when it holds a build, else a one-line exit naming the command that builds it (the scripts that
    take --index measure the index they are given; they do not build the app's index behind its back)."""
    from assistant.index.store import current_folder

    if current_folder(index) is None:
        raise SystemExit(f"no index in {index}; build it with: .venv/bin/assistant index documents --index {index}")
    return index


INDEXES = {"squad": lambda: squad_index()[1:], "scifact": lambda: scifact_index()[1:], "bundled": bundled_index}


def main() -> None:
    ap = argparse.ArgumentParser(description="Build (or bring up to date) the bench indexes in the bench cache.")
    ap.add_argument("names", nargs="+", choices=sorted(INDEXES))
    for name in ap.parse_args().names:
        index, build = INDEXES[name]()
        print(f"{name}: {index} {build}", flush=True)


if __name__ == "__main__":
    main()
