"""Errors that the command line turns into one-line messages.

Every problem with user input (a file, a grid, a structure) raises :class:`InputError`
with a message that names the file (when there is one) and the problem, in one line.
The CLI prints ``glass: error: <message>`` and exits with status 2; library users get
an ordinary exception they can catch.
"""

from __future__ import annotations

import os
from pathlib import Path


class GlassError(Exception):
    """Base class for the errors glasslib raises on purpose."""


class InputError(GlassError, ValueError):
    """Bad user input: the message is one line and names the file when there is one."""

    def __init__(self, message: str, path: str | os.PathLike | None = None):
        message = " ".join(str(message).split())  # keep it on one line
        if path is not None:
            message = f"{os.fspath(path)}: {message}"
        super().__init__(message)
        self.path = None if path is None else Path(path)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    A reader never sees a half-written file, and an interrupted write leaves the old file
    (or nothing) in place.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Text version of :func:`atomic_write_bytes` (UTF-8)."""
    return atomic_write_bytes(path, text.encode("utf-8"))
