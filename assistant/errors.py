"""Errors every layer may raise and the interfaces (CLI, app) turn into one-line messages. They sit at the bottom
of the package, so the embedding layer can say "the model cannot be loaded" without knowing about the index."""

from __future__ import annotations


class IndexUnavailable(Exception):
    """The index is missing, damaged, or was built with settings this program cannot use."""


class ModelUnavailable(IndexUnavailable):
    """The embedding model (the one the index was built with, or the one asked for) cannot be loaded here."""

    def __init__(self, model: str, cause: BaseException) -> None:
        self.detail = _detail(cause)
        detail = self.detail
        super().__init__(
            f"the embedding model {model!r} cannot be loaded ({detail}); models must already be on disk "
            "(downloads are switched off): install it, or build the index with an available model "
            "(`assistant index --model NAME_OR_PATH`)"
        )
        self.model = model


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
