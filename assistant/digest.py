"""Content hashes of files, read in blocks: what tells a build which documents changed, checks a build's own files
on load, and checks the shipped reader model. At the bottom of the package, so every layer uses the one function."""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
