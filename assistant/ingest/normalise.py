"""Text normalisation, applied exactly once to every document (and the same way to questions and quotes).

Every offset the product reports indexes into normalised text, so this is the one place where characters,
whitespace and words broken by hyphenation at a line end are made uniform. Single line breaks are kept: PDF
line structure marks headings, bullets and table rows.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

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
WORD = re.compile(r"[^\W\d_]+")
_HYPHEN_PAIR = re.compile(r"(?=\b([^\W\d_]+-[^\W\d_]+))")
_BROKEN_WORD = re.compile(r"[^\W\d_]+-\n[^\W\d_]*")
_HYPHEN_END = re.compile(r"([^\W\d_]+)-$")
# Prefixes that keep their hyphen ("multi-agency") when the document shows neither spelling of the word.
_COMPOUND_PREFIXES = frozenset({"multi", "co", "non", "self", "well", "cross", "inter", "anti", "semi", "ex",
                                "post", "pre", "sub", "re", "de", "e", "un", "mid", "over", "under"})
_MIN_EVIDENCE_WORDS = 1000  # below this, word counts say nothing about a hyphen


def normalise_text(text: str) -> str:
    """The shared normaliser: documents, questions and quotes all pass through it."""
    basic = normalise_basic(text)
    return join_hyphenated(basic, *vocabulary([basic]))


def normalise_basic(text: str) -> str:
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


def normalise_glyph(char: str) -> str:
    """One drawn character as page text has it ("ﬁ" -> "fi", a Symbol-font bullet -> "•", invisible -> ""),
    so glyphs of a PDF's text layer line up with the stored text (ingest.char_boxes)."""
    return unicodedata.normalize("NFC", _SPACES.sub(" ", _INVISIBLE.sub("", char.translate(_GLYPHS))))


def vocabulary(texts: list[str]) -> tuple[Counter[str], Counter[str]]:
    """Word and hyphenated-pair counts, excluding the words broken across lines that we must decide on."""
    words: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    for text in texts:
        low = _BROKEN_WORD.sub(" ", text.lower())
        words.update(WORD.findall(low))
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


def join_hyphenated(text: str, words: Counter[str], pairs: Counter[str]) -> str:
    """Rejoin words hyphenated at a line break and move the break after the word ("evidenced-based\\n")."""
    lines = text.split("\n")
    i = 0
    while i < len(lines) - 1:
        end, nxt = _HYPHEN_END.search(lines[i]), lines[i + 1]
        if end is None or not nxt[:1].islower():
            i += 1
            continue
        token, _, rest = nxt.partition(" ")
        suffix = WORD.match(token)
        keep = _keep_hyphen(end.group(1), suffix.group() if suffix else "", words, pairs)
        lines[i] = (lines[i] if keep else lines[i][:-1]) + token
        if rest:
            lines[i + 1] = rest
        else:
            del lines[i + 1]
    return "\n".join(lines)


