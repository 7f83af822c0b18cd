"""File helpers: atomic writes (a reader never sees a half-written file) and file hashes.

Every file a glasslib command or notebook writes goes through a temporary file in the target's
folder and a rename, so an interrupted run leaves the old file (or nothing), never a partial one.
A write that the file system refuses (a read-only folder, a full disk) is a one-line
:class:`~glasslib.core.errors.InputError` naming the file; :func:`require_writable` asks the
same question before a command computes anything.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from glasslib.core.errors import InputError


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    A reader never sees a half-written file, and an interrupted write leaves the old file
    (or nothing) in place.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:  # a read-only folder, a full disk, a file where a folder should be
        raise InputError(f"cannot write ({exc.strerror or type(exc).__name__}); nothing was written", path) from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Text version of :func:`atomic_write_bytes` (UTF-8)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def require_writable(path: str | os.PathLike) -> None:
    """One-line :class:`InputError` unless ``path`` could be written: its nearest existing ancestor
    must be a folder this process may write into (a read-only output folder is refused before any
    computation, not after it). The folders in between are created by the write itself."""
    path = Path(os.path.abspath(path))
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise InputError(f"cannot write here: {folder} is not a folder", path)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"cannot write here: the folder {folder} is read-only", path)


def sha256_file(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_marked_section(path: str | os.PathLike, section: str, start: str, end: str, *, new_file_heading: str) -> Path:
    """Put ``section`` (which begins with the marker line ``start`` and ends with ``end``) into the
    text file ``path``: it replaces the text between the markers if both are there, otherwise it is
    appended; a missing file starts with ``new_file_heading``. The rest of the file is kept; the
    write is atomic. Used for the generated parts of hand-written documents (model cards)."""
    path = Path(path)
    text = path.read_text() if path.exists() else new_file_heading.rstrip("\n") + "\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    return atomic_write_text(path, text)

