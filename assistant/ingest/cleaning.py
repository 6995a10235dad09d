"""Web pages to article text: visible text of HTML, and removal of page furniture (.txt, .md, .html).

Scraped news pages carry ad slots, "Read more" teasers, doubled image captions, sidebars and reader
comments around the article. Left in, they become quotable "evidence" that no report ever said, so they
are removed here by general line rules (no per-file lists). The input is normalised text; kept lines are
returned unchanged, so the article itself stays byte-for-byte.

Reader comments and pingbacks are dropped entirely, from the first comment-section marker to the end of
the text: they are unverified opinions, not sources, and must never be cited as what a document says.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

FURNITURE_PHRASES = frozenset(
    {
        "hide ad", "advertisement", "advert", "ad", "sponsored", "sponsored content", "skip to content",
        "skip to main content", "skip to navigation", "top of page", "bottom of page", "back to top",
        "share", "share this", "share this article", "share this story", "share on facebook",
        "share on twitter", "share on linkedin", "share via email", "print", "print this page", "email",
        "menu", "search", "close", "sign in", "log in", "login", "register", "subscribe",
        "subscribe now", "newsletter", "sign up to our newsletter", "cookie settings", "accept cookies",
        "accept all cookies", "manage cookies", "loading", "loading...", "continue reading",
        "click here", "view comments", "show comments", "load more",
    }
)
_TEASER_MARKER = re.compile(
    r"(read more|read next|more like this|related|related articles|related stories|related content"
    r"|see also|you may also like|you might also like|recommended|recommended for you"
    r"|more on this story|most read)\s*:?",
    re.IGNORECASE,
)
_RELATED_INLINE = re.compile(r"(related|read more|see also|read next)\s*:\s*\S", re.IGNORECASE)
_COMMENTS_HEADING = re.compile(  # short lines only: "Comments: Our rules", "Leave a comment", ...
    r"(\d+\s+)?comments?\s*(:|\(\d+\)|$)|(leave|post|add|write)\s+a\s+(comment|reply|response)"
    r"|report this comment|join the (conversation|discussion)|have your say",
    re.IGNORECASE,
)
_RESPONSES_TO = re.compile(  # "7 Responses to <headline>", any length
    r"(\d+|one|no)\s+(responses?|comments?|replies|thoughts)\s+(to|on)\s", re.IGNORECASE
)
_IMAGE_FILE = re.compile(r"\S+\.(png|jpe?g|gif|svg|webp|bmp|tiff?)", re.IGNORECASE)
_HAS_WORD_CHAR = re.compile(r"[^\W_]")
_SENTENCE_END = re.compile(r"(?<!\.\.)[.!?][\"'”’)\]]*$")  # "Met Polic..." is a cut teaser, not a sentence
# Authored structure (list items, Markdown headings and tables) is content, never a menu or a sidebar.
_STRUCTURED = re.compile(r"([-*+•▪◼]\s|\d{1,3}[.)]\s|#|\|)")
_SHORT_WORDS = 9
_NEARBY = 3


def html_to_text(markup: str) -> tuple[str, str | None]:
    """Visible text of an HTML page (blocks become lines, entities unescaped) and its <title> or <h1>."""
    parser = _HtmlText()
    parser.feed(markup)
    parser.close()
    return parser.text(), parser.title()


class _HtmlText(HTMLParser):
    """Visible text of an HTML page: blocks become lines, chrome (scripts, nav, footers) is skipped."""

    SKIP = frozenset({"script", "style", "noscript", "template", "head", "nav", "footer", "aside", "form",
                      "svg", "iframe", "button", "select"})
    BLOCK = frozenset({"p", "div", "br", "hr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section",
                       "article", "header", "main", "table", "ul", "ol", "dl", "dt", "dd", "blockquote",
                       "pre", "figure", "figcaption", "caption"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self.h1_parts: list[str] = []
        self.skip = 0
        self.in_title = self.in_h1 = self.in_pre = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self.in_title = True
        elif tag == "body":
            self.skip = 0  # an unclosed <head> ends here
        elif tag in self.SKIP:
            self.skip += 1
        elif tag in self.BLOCK:
            self.parts.append("\n• " if tag == "li" else "\n")
            self.in_pre = self.in_pre or tag == "pre"
            self.in_h1 = self.in_h1 or (tag == "h1" and not self.h1_parts)
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        elif tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")
            self.in_pre = self.in_pre and tag != "pre"
            self.in_h1 = self.in_h1 and tag != "h1"

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title_parts.append(data)
        elif not self.skip:
            self.parts.append(data if self.in_pre else re.sub(r"\s+", " ", data))
            if self.in_h1:
                self.h1_parts.append(data)

    def text(self) -> str:
        return "".join(self.parts)

    def title(self) -> str | None:
        for parts in (self.title_parts, self.h1_parts):
            title = " ".join("".join(parts).split())
            if title:
                return title
        return None


def clean_web_text(text: str) -> str:
    """Drop furniture lines from normalised text; blank lines stay, for the caller to fold."""
    lines = text.split("\n")
    lines = _cut_comments(lines)
    keep = [bool(line) for line in lines]
    _drop_furniture(lines, keep)
    _drop_doubled_and_duplicates(lines, keep)
    _drop_leading_navigation(lines, keep)
    _drop_trailing_sidebar(lines, keep)
    return "\n".join(line for line, k in zip(lines, keep, strict=True) if k or not line)


def _words(line: str) -> int:
    return len(line.split())


def _cut_comments(lines: list[str]) -> list[str]:
    """Cut from the first comment-section marker after the first third of the text to the end.

    A marker near the top is navigation ("Leave a comment" links), so only that line goes.
    """
    lines = list(lines)
    total = sum(len(line) + 1 for line in lines)
    seen = 0
    for i, line in enumerate(lines):
        if (_words(line) <= 6 and _COMMENTS_HEADING.match(line)) or _RESPONSES_TO.match(line):
            if seen > total / 3:
                return lines[:i]
            lines[i] = ""
        seen += len(line) + 1
    return lines


def _is_furniture(line: str) -> bool:
    low = line.lower().rstrip(" .:!>»›")
    return (
        low in FURNITURE_PHRASES
        or not _HAS_WORD_CHAR.search(line)
        or bool(_IMAGE_FILE.fullmatch(line))
        or bool(_RELATED_INLINE.match(line) and _words(line) <= 20)
    )


def _next_nonblank(lines: list[str], keep: list[bool], i: int) -> int | None:
    for j in range(i + 1, len(lines)):
        if lines[j] and keep[j]:
            return j
    return None


def _drop_furniture(lines: list[str], keep: list[bool]) -> None:
    """Generic web strings, punctuation-only lines, image file names, teaser markers and their teaser."""
    for i, line in enumerate(lines):
        if not keep[i]:
            continue
        if _TEASER_MARKER.fullmatch(line):
            keep[i] = False
            j = _next_nonblank(lines, keep, i)
            if j is not None and not _SENTENCE_END.search(lines[j]) and _words(lines[j]) <= 25:
                keep[j] = False
        elif _is_furniture(line):
            keep[i] = False


def _drop_doubled_and_duplicates(lines: list[str], keep: list[bool]) -> None:
    """Captions scraped twice: "XX" next to X, "Image of X" next to X, and exact repeats of a line."""
    live = [i for i, k in enumerate(keep) if k]
    seen: set[str] = set()
    for pos, i in enumerate(live):
        line = lines[i]
        near = [lines[j] for j in live[max(0, pos - _NEARBY) : pos + _NEARBY + 1] if j != i]
        half = len(line) // 2
        doubled = len(line) % 2 == 0 and half >= 10 and line[:half] == line[half:] and line[:half] in near
        alt_text = any(
            _words(other) >= 4 and line.endswith(other) and line != other and _words(line[: -len(other)]) <= 3
            for other in near
        )
        duplicate = _words(line) >= 3 and line in seen
        if doubled or alt_text or duplicate:
            keep[i] = False
        seen.add(line)


def _is_short(line: str) -> bool:
    return _words(line) < _SHORT_WORDS and not _SENTENCE_END.search(line)


def _drop_leading_navigation(lines: list[str], keep: list[bool]) -> None:
    """Three or more 1-3 word lines (no digits, no list items or headings) before the headline are a menu."""
    run: list[int] = []
    for i, line in enumerate(lines):
        if not keep[i]:
            continue
        if _words(line) > 3 or _STRUCTURED.match(line) or any(c.isdigit() for c in line):
            break
        run.append(i)
    if len(run) >= 3:
        for i in run:
            keep[i] = False


def _drop_trailing_sidebar(lines: list[str], keep: list[bool]) -> None:
    """After the last sentence or list item: a tail of lines that are not sentences, mostly short.

    Sidebars (job ads, "Most popular articles", credits) have no sentence-final punctuation. The tail
    must not exceed half of the kept text, so a document made only of short lines is left alone.
    """
    live = [i for i, k in enumerate(keep) if k]
    tail: list[int] = []
    for i in reversed(live):
        if _SENTENCE_END.search(lines[i]) or _STRUCTURED.match(lines[i]):
            break
        tail.append(i)
    if not tail or len(tail) == len(live):
        return
    short = sum(_is_short(lines[i]) for i in tail)
    tail_chars = sum(len(lines[i]) for i in tail)
    kept_chars = sum(len(lines[i]) for i in live)
    if short * 2 >= len(tail) and tail_chars * 2 <= kept_chars:
        for i in tail:
            keep[i] = False
