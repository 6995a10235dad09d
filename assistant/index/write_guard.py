"""A build folder that is being written is removed again if the write fails, and the failure said plainly.

A full disk (or a quota, or a folder made read-only) used to leave a half-written ``build-*`` folder until a later
build succeeded, and faiss reports its own write errors as ``RuntimeError("... No space left on device")``,
which reached the user as a traceback. Here the folder goes at once and the error becomes the OSError it is,
which the CLI and the app already turn into one line; the previous build stays current and untouched.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_WRITE_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EIO)


@contextmanager
def discarded_on_failure(folder: Path, pointer: Path) -> Iterator[None]:
    """Remove ``folder`` if the block fails, unless ``pointer`` already names it (the swap happened: it is live)."""
    try:
        yield
    except BaseException as exc:
        try:
            live = pointer.read_text().strip() == folder.name
        except OSError:
            live = False
        if not live:
            shutil.rmtree(folder, ignore_errors=True)
        if isinstance(exc, RuntimeError):
            raise as_os_error(exc) from exc
        raise


def as_os_error(exc: RuntimeError) -> OSError | RuntimeError:
    """faiss's "... No space left on device" (and the like) as the OSError it is; any other error unchanged."""
    text = str(exc)
    for code in _WRITE_ERRORS:
        if os.strerror(code) in text:
            return OSError(code, os.strerror(code))
    return exc
