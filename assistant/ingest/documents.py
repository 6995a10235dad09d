"""Document discovery, loading and text normalisation.

Every offset the product reports indexes into `Page.text`, so text is normalised exactly once, here, and
stored normalised; the same `normalise_text` is applied to questions and pasted quotes so they compare
like with like. Single line breaks are kept: PDF line structure marks headings, bullets and table rows.
Web furniture (ads, teasers, sidebars, reader comments) is removed from .txt/.md/.html files by the
general rules in `assistant.cleaning`; PDFs lose repeated running headers and page numbers instead.
"""

from __future__ import annotations

import errno
import hashlib
import io
import itertools
import logging
import os
import re
import stat
import unicodedata
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader

from assistant.ingest.cleaning import clean_web_text, html_to_text

# Bump when loading, cleaning or normalisation rules change: stored offsets from older rules are invalid
# even though the files' content hashes are unchanged.
LOADER_VERSION = 1
SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".md", ".html", ".htm", ".pdf"})
IGNORED_NAMES: frozenset[str] = frozenset(
    {"sources.md", "sources.txt", "readme.md", "readme.txt", "readme.html", "readme", "license", "licence",
     "copying", "notice", "notice.md", "notice.txt", "changelog.md", "contributing.md", "authors.md"}
)
_IGNORED_PREFIXES = ("license", "licence", "copying")  # LICENSE.txt, LICENCE-CC-BY.md, ...
_TITLE_MAX = 200
_CONTEXT_MAX = 300

# Ligatures unfolded, and Symbol/Wingdings bullet glyphs (private-use code points in PDFs made with Word)
# mapped to real bullets so bullet lists look alike whatever font drew them.
_GLYPHS = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st",
                         "\uf0b7": "•", "\uf06e": "•", "\uf06c": "•", "\uf0a7": "•", "\uf0a8": "•",
                         "\uf0d8": "•", "\uf076": "•", "\uf0fc": "•", "\uf02d": "-"})
_INVISIBLE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
                        r"\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]")
_SPACES = re.compile(r"[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_SPACE_RUN = re.compile(r" {2,}")
_LINE_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x85\u2028\u2029]")
_WORD = re.compile(r"[^\W\d_]+")
_HYPHEN_PAIR = re.compile(r"(?=\b([^\W\d_]+-[^\W\d_]+))")
_BROKEN_WORD = re.compile(r"[^\W\d_]+-\n[^\W\d_]*")
_HYPHEN_END = re.compile(r"([^\W\d_]+)-$")
# Prefixes that keep their hyphen ("multi-agency") when the document shows neither spelling of the word.
_COMPOUND_PREFIXES = frozenset({"multi", "co", "non", "self", "well", "cross", "inter", "anti", "semi", "ex",
                                "post", "pre", "sub", "re", "de", "e", "un", "mid", "over", "under"})
_MIN_EVIDENCE_WORDS = 1000  # below this, word counts say nothing about a hyphen
_PAGE_NUMBER = re.compile(r"(?:page\s+)?(\d{1,4})(?:\s*(?:of|/)\s*\d{1,4})?", re.IGNORECASE)
_TITLE_STOP = re.compile(r"(inspection dates?|dates? of (inspection|visit)|lead inspector|report published"
                         r"|published|judgement|the overall judgement|contents|summary)\b", re.IGNORECASE)
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(rf"\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b|\b\d{{1,2}}(st|nd|rd|th)?\s+{_MONTH}(\s|$)"
                   rf"|\b{_MONTH}\s+(19|20)\d\d\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*$")


@dataclass(frozen=True)
class Page:
    number: int | None  # 1-based for PDFs; None for text, Markdown and HTML files
    text: str  # normalised text: every offset in the product indexes into this string


@dataclass(frozen=True)
class Document:
    doc: str  # path relative to the documents root, POSIX separators
    title: str
    context: str  # title | humanised file stem | early date line: metadata every chunk can carry
    pages: tuple[Page, ...]
    content_hash: str  # sha256 of the raw bytes, so an index can tell which files changed


class DocumentError(Exception):
    """A file that cannot be loaded; str() is a one-line human reason such as 'encrypted PDF'."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


def is_ignored(name: str) -> bool:
    """Corpus metadata (attribution, licences) is not evidence and must never be quoted."""
    low = name.lower()
    return low in IGNORED_NAMES or low.startswith(_IGNORED_PREFIXES)


@dataclass(frozen=True)
class Scan:
    """What a documents folder holds: the files to load, and the entries that cannot be indexed, each once.

    Problems are what a user put in the folder and would expect to be indexed: an unsupported file type, a
    broken or looping symbolic link, a folder link that loops back on itself, a special file (FIFO, device).
    Hidden files and corpus metadata (SOURCES.md, licences) are skipped silently.
    """

    files: tuple[Path, ...]
    problems: tuple[DocumentError, ...]


def discover(root: Path) -> list[Path]:
    """Supported files under root, sorted by relative path; hidden and metadata files are skipped."""
    return list(scan(root).files)


def scan(root: Path) -> Scan:
    """Supported files under root (sorted by relative path) and the entries that cannot be indexed.

    Symlinked directories are followed once each (by real path), so a link loop cannot recurse forever; a
    link back to one of its own parent folders is reported as a loop.
    """
    found: list[tuple[str, Path]] = []
    problems: list[tuple[str, DocumentError]] = []

    def report(path: Path, reason: str) -> None:
        problems.append((_relative(path, root), DocumentError(path, reason)))

    seen_dirs: set[str] = set()
    for current, dirs, files in os.walk(root, followlinks=True):
        real = os.path.realpath(current)
        if real in seen_dirs:
            dirs[:] = []
            continue
        seen_dirs.add(real)
        kept = []
        for d in sorted(d for d in dirs if not d.startswith(".")):
            target = os.path.realpath(Path(current) / d)
            if target == real or real.startswith(target.rstrip(os.sep) + os.sep):
                report(Path(current) / d, "symlink loop (the folder link points back to a folder containing it)")
            else:
                kept.append(d)
        dirs[:] = kept
        for name in files:
            path = Path(current) / name
            if name.startswith(".") or is_ignored(name):
                continue
            reason = _not_loadable(path)
            if reason:
                report(path, reason)
            else:
                found.append((_relative(path, root), path))
    return Scan(tuple(path for _, path in sorted(found)), tuple(e for _, e in sorted(problems, key=lambda p: p[0])))


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
    suffix = path.suffix.lower()
    if suffix in SUPPORTED_SUFFIXES:
        return None
    return f"unsupported file type '{suffix or path.name}' (supported: PDF, TXT, MD, HTML)"


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


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def normalise_text(text: str) -> str:
    """The shared normaliser: documents, questions and quotes all pass through it."""
    basic = _normalise_basic(text)
    return _join_hyphenated(basic, *_vocabulary([basic]))


def _normalise_basic(text: str) -> str:
    """Character and whitespace normalisation; idempotent, keeps single line breaks."""
    text = _LINE_BREAKS.sub("\n", text.translate(_GLYPHS))
    text = unicodedata.normalize("NFC", _SPACES.sub(" ", _INVISIBLE.sub("", text)))
    out: list[str] = []
    for line in text.split("\n"):
        line = _SPACE_RUN.sub(" ", line.strip(" "))
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def _vocabulary(texts: list[str]) -> tuple[Counter[str], Counter[str]]:
    """Word and hyphenated-pair counts, excluding the words broken across lines that we must decide on."""
    words: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    for text in texts:
        low = _BROKEN_WORD.sub(" ", text.lower())
        words.update(_WORD.findall(low))
        pairs.update(_HYPHEN_PAIR.findall(low))
    return words, pairs


def _keep_hyphen(prefix: str, suffix: str, words: Counter[str], pairs: Counter[str]) -> bool:
    """Trust the document's own spelling; without it, keep the hyphen unless neither part is a word anywhere
    in a document big enough to tell: born-digital reports break lines at hyphens only where the word has
    one ("evidenced-|based", "for-|profit" stay), while "recom-|mendations" is a broken word."""
    p, s = prefix.lower(), suffix.lower()
    joined, hyphenated = words[p + s], pairs[f"{p}-{s}"]
    if joined != hyphenated:
        return hyphenated > joined
    return p in words or s in words or p in _COMPOUND_PREFIXES or words.total() < _MIN_EVIDENCE_WORDS


def _join_hyphenated(text: str, words: Counter[str], pairs: Counter[str]) -> str:
    """Rejoin words hyphenated at a line break and move the break after the word ("evidenced-based\\n")."""
    lines = text.split("\n")
    i = 0
    while i < len(lines) - 1:
        end, nxt = _HYPHEN_END.search(lines[i]), lines[i + 1]
        if end is None or not nxt[:1].islower():
            i += 1
            continue
        token, _, rest = nxt.partition(" ")
        suffix = _WORD.match(token)
        keep = _keep_hyphen(end.group(1), suffix.group() if suffix else "", words, pairs)
        lines[i] = (lines[i] if keep else lines[i][:-1]) + token
        if rest:
            lines[i + 1] = rest
        else:
            del lines[i + 1]
    return "\n".join(lines)


def load_document(path: Path, root: Path) -> Document:
    """Load, clean and normalise one file; any failure is a DocumentError with a one-line reason."""
    try:
        return _load(path, root)
    except DocumentError:
        raise
    except Exception as exc:  # a bad file must never stop an index build
        raise DocumentError(path, f"unexpected error: {_short(exc)}") from exc


def _load(path: Path, root: Path) -> Document:
    suffix = path.suffix.lower()
    unsupported = unsupported_reason(path)
    if unsupported:
        raise DocumentError(path, unsupported)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(path, f"cannot read file: {exc.strerror or exc}") from exc
    numbers: list[int | None]
    if suffix == ".pdf":
        texts = _strip_page_furniture([_normalise_basic(t) for t in _read_pdf(path, data)])
        numbers, hint = list(range(1, len(texts) + 1)), _pdf_title(texts[0])
    else:
        text, hint = _read_text(path, data, suffix)
        texts, numbers = [_normalise_basic(clean_web_text(text))], [None]
    if not any(texts):
        raise DocumentError(path, "no extractable text" + (" (scanned PDF?)" if suffix == ".pdf" else ""))
    vocabulary = _vocabulary(texts)
    texts = [_join_hyphenated(t, *vocabulary) for t in texts]
    stem = _humanise_stem(path.stem)
    title = _shorten(_normalise_basic(hint or _first_meaningful_line(next(t for t in texts if t)) or stem
                                      or path.name))
    context = _context([title, stem, _date_line(next(t for t in texts if t))])
    pages = tuple(Page(n, t) for n, t in zip(numbers, texts, strict=True))
    return Document(_relative(path, root), title, context, pages, hashlib.sha256(data).hexdigest())


def _short(exc: BaseException) -> str:
    message = str(exc).strip().splitlines()
    return (message[0][:120] if message else "") or type(exc).__name__


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        pass
    try:  # resolved only when needed: resolving a symlink loop raises
        return path.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError, RuntimeError):
        return path.name


def _read_pdf(path: Path, data: bytes) -> list[str]:
    """Raw text per page; pypdf's chatter about malformed objects is silenced, its errors are reported."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                try:
                    decrypted = reader.decrypt("")
                except Exception as exc:
                    raise DocumentError(path, f"encrypted PDF (cannot decrypt: {_short(exc)})") from exc
                if not decrypted:
                    raise DocumentError(path, "encrypted PDF (password required)")
            if len(reader.pages) == 0:
                raise DocumentError(path, "PDF has no pages")
            return [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except Exception as exc:
        raise DocumentError(path, f"corrupt or unreadable PDF: {_short(exc)}") from exc
    finally:
        logger.setLevel(level)


def _strip_page_furniture(texts: list[str]) -> list[str]:
    """Drop running headers/footers and page numbers from the first and last three lines of each page.

    A line is furniture when (digits folded) it recurs at a page edge on at least half the pages, which
    needs three pages to be meaningful. Bare numbers go only when close to the page's own number, so a
    table's last figure survives.
    """
    pages = [t.split("\n") for t in texts]

    def edges(lines: list[str]) -> list[int]:
        filled = [i for i, line in enumerate(lines) if line]
        return sorted(set(filled[:3] + filled[-3:]))

    def key(line: str) -> str:
        return re.sub(r"\d+", "#", line).casefold()

    counts = Counter(k for lines in pages for k in {key(lines[i]) for i in edges(lines)})
    for number, lines in enumerate(pages, 1):
        for i in edges(lines):
            bare = _PAGE_NUMBER.fullmatch(lines[i])
            recurring = len(pages) >= 3 and counts[key(lines[i])] * 2 >= len(pages)
            if (bare and abs(int(bare.group(1)) - number) <= 5) or (recurring and _WORD.search(lines[i])):
                lines[i] = ""
    return [_normalise_basic("\n".join(lines)) for lines in pages]


def _decode(path: Path, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DocumentError(path, "binary file, not text") from exc
    head = data[:8192]
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13) or b == 127)
    if b"\x00" in head or controls * 10 > len(head):
        raise DocumentError(path, "binary file, not text")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _read_text(path: Path, data: bytes, suffix: str) -> tuple[str, str | None]:
    """Decoded text (visible text for HTML) and a title from the markup when it has one."""
    text = _decode(path, data)
    if not text.strip():
        raise DocumentError(path, "empty file")
    if suffix in (".html", ".htm"):
        return html_to_text(text)
    if suffix == ".md":
        heading = re.search(r"^#{1,6}\s+(.+)$", _normalise_basic(text), re.MULTILINE)
        return text, heading.group(1).strip(" #") if heading else None
    return text, None


def _pdf_title(text: str) -> str | None:
    """Title block of page 1: the lines before an "Inspection date(s)"-like label or before a lone 'and'
    that starts a second title part; failing that, the 1-3 lines before the first sentence."""
    lines = [line for line in text.split("\n") if _WORD.search(line)][:10]
    for stop, line in enumerate(lines):
        if _TITLE_STOP.match(line) or line.lower() in ("and", "&"):
            if stop:
                return re.sub(r"(?<=[^\W\d_])\d{1,2}$", "", " ".join(lines[:stop]))  # footnote mark
            break
    head = list(itertools.takewhile(lambda line: not _SENTENCE_END.search(line), lines[:3]))
    title = " ".join(head or lines[:1])
    return title if len(title.split()) >= 3 else None


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
