"""Text that came from users (file names, document text, questions, gold files) made safe to print to a terminal.

A file name may hold a newline (which forges an extra line of a report) or an escape sequence (``\\x1b[2J``
clears the screen, OSC sequences set the window title or write links); document text may hold the same. Every
control, format and line-separator character is shown as a visible escape (``\\n``, ``\\x1b``, ``\\u202e``), so
what is printed is one line per record and reaches the terminal as plain characters. The JSON output gets the
same treatment for the characters ``json.dumps`` leaves raw (DEL, C1 controls, bidi overrides), as JSON escapes.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def _unsafe(c: str) -> bool:
    """Whether a terminal could act on the character, or show it as something it is not."""
    return unicodedata.category(c) in _UNSAFE_CATEGORIES


def _visible(c: str) -> str:
    if c in _NAMED:
        return _NAMED[c]
    code = ord(c)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def term(text: object) -> str:
    """``text`` with every character a terminal could act on shown as an escape; one line, always."""
    s = str(text)
    if not any(_unsafe(c) for c in s):  # the common case: nothing to do
        return s
    return "".join(_visible(c) if _unsafe(c) else c for c in s)


def json_line(obj: Any) -> str:
    """``json.dumps`` (non-ASCII kept readable) with every character a terminal could act on as a JSON escape.

    ``json.dumps(ensure_ascii=False)`` escapes only U+0000-U+001F; DEL, the C1 controls (U+009B is an 8-bit CSI)
    and bidi overrides would otherwise reach the terminal raw. Outside strings JSON has no such characters, so
    replacing them everywhere keeps the line valid JSON with the same value.
    """
    text = json.dumps(obj, ensure_ascii=False)
    if not any(_unsafe(c) for c in text):
        return text
    return "".join(_json_escape(c) if _unsafe(c) else c for c in text)


def _json_escape(c: str) -> str:
    code = ord(c)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # a surrogate pair, as JSON spells characters outside the BMP
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
