"""Document discovery and loading: which files a documents folder holds, and one file into a Document.

The format of a file (its reader, chosen by suffix) comes from ``ingest.registry``; every offset the product
reports indexes into ``Page.text``, normalised once by ``ingest.normalise``. What is the same for every format
lives here: hyphenation joined with the whole document's vocabulary, the title, and the context line (title,
humanised file name, an early date line) that every chunk carries.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from assistant.ingest.char_boxes import page_boxes
from assistant.ingest.dates import document_date
from assistant.ingest.normalise import WORD as _WORD
from assistant.ingest.normalise import join_hyphenated, normalise_basic, vocabulary
from assistant.ingest.registry import format_for, supported_label
from assistant.ingest.types import Document, DocumentError, Page, short_reason

# Bump when loading, cleaning or normalisation rules change: stored offsets from older rules are invalid
# even though the files' content hashes are unchanged.
LOADER_VERSION = 3  # 2: documents carry a date (ingest.dates); 3: scanned PDF pages read by OCR (ingest.scanned)
IGNORED_NAMES: frozenset[str] = frozenset(
    {"sources.md", "sources.txt", "readme.md", "readme.txt", "readme.html", "readme", "license", "licence",
     "copying", "notice", "notice.md", "notice.txt", "changelog.md", "contributing.md", "authors.md"}
)
_IGNORED_PREFIXES = ("license", "licence", "copying")  # LICENSE.txt, LICENCE-CC-BY.md, ...
_TITLE_MAX = 200
_CONTEXT_MAX = 300
MAX_DEPTH = 64  # folders nested deeper are reported, not walked (real libraries are a few levels deep)

_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(rf"\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b|\b\d{{1,2}}(st|nd|rd|th)?\s+{_MONTH}(\s|$)"
                   rf"|\b{_MONTH}\s+(19|20)\d\d\b", re.IGNORECASE)


def is_ignored(name: str) -> bool:
    """Corpus metadata (attribution, licences) is not evidence and must never be quoted."""
    low = name.lower()
    return low in IGNORED_NAMES or low.startswith(_IGNORED_PREFIXES)


@dataclass(frozen=True)
class Scan:
    """What a documents folder holds: the files to load, and the entries that cannot be indexed, each once.

    Problems are what a user put in the folder and would expect to be indexed: an unsupported file type, a
    broken or looping symbolic link, a folder link that loops back on itself, a link leading outside the folder,
    a special file (FIFO, device), a folder that cannot be read or is nested too deep.
    Hidden files and corpus metadata (SOURCES.md, licences) are skipped silently.
    """

    files: tuple[Path, ...]
    problems: tuple[DocumentError, ...]


def discover(root: Path) -> list[Path]:
    """Supported files under root, sorted by relative path; hidden and metadata files are skipped."""
    return list(scan(root).files)


def scan(root: Path) -> Scan:
    """Supported files under root (sorted by relative path) and the entries that cannot be indexed.

    Walked iteratively (a folder nested a thousand levels deep must not overflow Python's stack), top-down in
    name order like os.walk. Symlinked directories are followed once each (by real path), so a link loop cannot
    recurse forever; a link back to one of its own parent folders is reported as a loop. A link to a file or
    folder outside the documents folder is reported and never read: the index would otherwise quote whatever it
    points at (``passwd.txt -> /etc/passwd``). A folder that cannot be read, or is nested deeper than MAX_DEPTH,
    is reported like a file that cannot be read; everything else is still found.
    """
    found: list[tuple[str, Path]] = []
    problems: list[tuple[str, DocumentError]] = []

    def report(path: Path, reason: str) -> None:
        problems.append((_relative(path, root), DocumentError(path, reason)))

    root_real = os.path.realpath(root)
    seen_dirs: set[str] = set()
    stack: list[tuple[Path, int]] = [(root, 0)]
    while stack:
        current, depth = stack.pop()
        real = os.path.realpath(current)
        if real in seen_dirs:
            continue
        seen_dirs.add(real)
        try:
            with os.scandir(current) as it:
                entries = sorted((e for e in it if not e.name.startswith(".")), key=lambda e: e.name)
        except OSError as exc:
            report(current, f"cannot read folder: {exc.strerror or exc}")
            continue
        subfolders: list[Path] = []
        for entry in entries:
            path = current / entry.name
            if not _is_utf8(entry.name):  # its name cannot be stored, shown or searched as text
                report(path, "the name is not valid UTF-8 text (rename it to index it)")
            elif _is_folder(entry):
                reason = _folder_problem(path, real, root_real, depth + 1)
                if reason:
                    report(path, reason)
                else:
                    subfolders.append(path)
            elif not is_ignored(entry.name):
                reason = _not_loadable(path) or _outside_reason(path, root_real, "file")
                if reason:
                    report(path, reason)
                else:
                    found.append((_relative(path, root), path))
        stack.extend((folder, depth + 1) for folder in reversed(subfolders))  # first name is walked first
    return Scan(tuple(path for _, path in sorted(found)), tuple(e for _, e in sorted(problems, key=lambda p: p[0])))


def _is_utf8(name: str) -> bool:
    """False for a name whose bytes are not UTF-8 (Python holds them as lone surrogates, which the tokenizer, JSON
    and the terminal all reject: one such file used to stop the whole build with a traceback)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def display_name(name: str) -> str:
    """A relative path as text that can be stored and shown: undecodable bytes as ``\\xff`` escapes."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _is_folder(entry: os.DirEntry[str]) -> bool:
    """A folder, or a link to one (followed, as os.walk(followlinks=True) does); False for anything unreadable."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _folder_problem(path: Path, parent_real: str, root_real: str, depth: int) -> str | None:
    """Why a subfolder is not walked (a link loop, a link leaving the documents folder, too deep), or None."""
    target = os.path.realpath(path)
    if target == parent_real or parent_real.startswith(target.rstrip(os.sep) + os.sep):
        return "symlink loop (the folder link points back to a folder containing it)"
    outside = _outside_reason(path, root_real, "folder")
    if outside:
        return outside
    if depth > MAX_DEPTH:
        return f"folder nested too deep (more than {MAX_DEPTH} levels); its contents were not indexed"
    return None


def _outside_reason(path: Path, root_real: str, kind: str) -> str | None:
    """The reason for skipping a symbolic link whose target lies outside the documents folder, else None."""
    target = os.path.realpath(path)
    if target == root_real or target.startswith(root_real.rstrip(os.sep) + os.sep):
        return None
    return f"symbolic link to a {kind} outside the documents folder (not followed)"


def _not_loadable(path: Path) -> str | None:
    """Why an entry found in the folder cannot be loaded at all (before reading it), or None."""
    try:
        info = path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop (the link points back to itself)"
        if path.is_symlink():
            return "broken symbolic link (its target does not exist)"
        return f"cannot read file: {exc.strerror or exc}"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    return unsupported_reason(path)


def unsupported_reason(path: Path) -> str | None:
    """'unsupported file type ...' for a file whose extension no loader handles, else None."""
    if format_for(path) is not None:
        return None
    return f"unsupported file type '{path.suffix.lower() or path.name}' (supported: {supported_label()})"


def check_size(path: Path, max_bytes: int | None) -> None:
    """DocumentError when the file is over the size limit: checked before the file is read or hashed."""
    if max_bytes is None:
        return
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DocumentError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if size > max_bytes:
        raise DocumentError(path, f"file too large ({_megabytes(size)}; the limit is {_megabytes(max_bytes)})")


def _megabytes(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**17 else f"{n / 2**10:.1f} KB"


def load_document(path: Path, root: Path) -> Document:
    """Load, clean and normalise one file; any failure is a DocumentError with a one-line reason."""
    try:
        return _load(path, root)
    except DocumentError:
        raise
    except Exception as exc:  # a bad file must never stop an index build
        raise DocumentError(path, f"unexpected error: {short_reason(exc)}") from exc


def _load(path: Path, root: Path) -> Document:
    fmt = format_for(path)
    if fmt is None:
        raise DocumentError(path, unsupported_reason(path) or "unsupported file type")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(path, f"cannot read file: {exc.strerror or exc}") from exc
    extracted = fmt.read(path, data)
    texts, numbers, hint = extracted.texts, extracted.numbers, extracted.title
    if not any(texts):
        raise DocumentError(path, "no extractable text" + fmt.empty_hint)
    words = vocabulary(texts)
    texts = [join_hyphenated(t, *words) for t in texts]
    stem = _humanise_stem(path.stem)
    title = _shorten(normalise_basic(hint or _first_meaningful_line(next(t for t in texts if t)) or stem
                                     or path.name))
    context = _context([title, stem, _date_line(next(t for t in texts if t))])
    boxes = page_boxes(texts, extracted.glyphs)  # after the last change to the text: offsets must hold
    pages = tuple(Page(n, t, b) for n, t, b in zip(numbers, texts, boxes, strict=True))
    dated = document_date(texts, extracted.created, path.stem)
    return Document(_relative(path, root), title, context, pages, hashlib.sha256(data).hexdigest(),
                    dated.value if dated else None, dated.source if dated else None,
                    extracted.ocr_pages, extracted.notes)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        pass
    try:  # resolved only when needed: resolving a symlink loop raises
        return path.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError, RuntimeError):
        return path.name


def _first_meaningful_line(text: str) -> str | None:
    return next((line for line in text.split("\n") if len(_WORD.findall(line)) >= 3), None)


def _shorten(text: str, limit: int = _TITLE_MAX) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _humanise_stem(stem: str) -> str:
    """'ofsted-bradford-31-january-2023' -> 'ofsted bradford 31 january 2023'; hashes and bare ids -> ''."""
    tokens = [t for t in re.split(r"[-_.\s]+", stem) if t]
    tokens = [t for t in tokens if not (len(t) >= 8 and re.fullmatch(r"[0-9a-fA-F]+", t)
                                        and re.search(r"\d", t) and re.search(r"[a-fA-F]", t))]
    return " ".join(tokens) if any(not t.isdigit() for t in tokens) else ""


def _date_line(text: str) -> str:
    """The first short line with a date near the start ('Inspection dates: ...', a '04/08/21' dateline)."""
    lines = [line for line in text.split("\n") if line][:40]
    return next((line for line in lines if len(line.split()) <= 15 and _DATE.search(line)), "")


def _context(parts: list[str]) -> str:
    kept: list[str] = []
    for part in parts:
        part = " ".join(part.split())
        if part and not any(part.casefold() in k.casefold() for k in kept):
            kept.append(part)
    return _shorten(" | ".join(kept), _CONTEXT_MAX)
