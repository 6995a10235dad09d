"""Errors every layer may raise and the interfaces (CLI, app) turn into one-line messages. They sit at the bottom
of the package, so the embedding layer can say "the model cannot be loaded" without knowing about the index."""

from __future__ import annotations


class IndexUnavailable(Exception):
    """The index is missing, damaged, or was built with settings this program cannot use."""


class ModelUnavailable(IndexUnavailable):
    """The embedding model (the one the index was built with, or the one asked for) cannot be loaded here."""

    def __init__(self, model: str, cause: BaseException) -> None:
        lines = str(cause).strip().splitlines()
        detail = (lines[0][:160] if lines else "") or type(cause).__name__
        super().__init__(
            f"the embedding model {model!r} cannot be loaded ({detail}); models must already be on disk "
            "(downloads are switched off): install it, or build the index with an available model "
            "(`assistant index --model NAME_OR_PATH`)"
        )
        self.model = model
