"""Errors every layer may raise and the interfaces (CLI, app) turn into one-line messages. They sit at the bottom
of the package, so the embedding layer can say "the model cannot be loaded" without knowing about the index."""

from __future__ import annotations

import errno


class IndexUnavailable(Exception):
    """The index is missing, damaged, or was built with settings this program cannot use."""


class ModelUnavailable(IndexUnavailable):
    """The embedding model (the one the index was built with, or the one asked for) cannot be loaded here."""

    def __init__(self, model: str, cause: BaseException) -> None:
        self.detail = _detail(cause)
        full = _write_error(cause)
        if full is not None:  # a full disk while placing the model's export: say that, not "install the model"
            message = (f"cannot write the index: {full.strerror} (while placing the embedding model {model!r} in "
                       "the index folder); the previous index is unchanged")
        else:
            message = (f"the embedding model {model!r} cannot be loaded ({self.detail}); models must already be on "
                       "disk (downloads are switched off): install it, or build the index with an available model "
                       "(`assistant index --model NAME_OR_PATH`)")
        super().__init__(message)
        self.model = model


class ReaderUnavailable(IndexUnavailable):
    """The reader model or the learned ranker shipped with the package is missing or damaged; the message names
    the fix. A subclass of IndexUnavailable so that every interface shows it as its one-line error."""


def _detail(cause: BaseException, limit: int = 160) -> str:
    """The cause's first line, cut at a word; a ModelUnavailable wrapped again keeps only its own detail (the
    ONNX loader re-wraps the torch loader's error, which printed the whole reason twice)."""
    if isinstance(cause, ModelUnavailable):
        return cause.detail
    lines = str(cause).strip().splitlines()
    text = (lines[0] if lines else "") or type(cause).__name__
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def _write_error(cause: BaseException | None) -> OSError | None:
    """The OSError saying the disk is full (or read-only, or over quota) anywhere in ``cause``'s chain, or None."""
    seen = 0
    while cause is not None and seen < 10:
        if isinstance(cause, OSError) and cause.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
            return cause
        cause, seen = cause.__cause__ or cause.__context__, seen + 1
    return None
