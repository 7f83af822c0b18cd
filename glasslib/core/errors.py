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


class NumericalError(GlassError):
    """A computation went non-finite (a NaN or inf score, guidance gradient or χ²): the run stops
    and names the step and the structure instead of writing NaN structures. One line, like
    :class:`InputError`; ``step`` and ``structure`` (0-based, when known) are kept as attributes."""

    def __init__(self, message: str, *, step: int | None = None, structure: int | None = None):
        super().__init__(" ".join(str(message).split()))
        self.step, self.structure = step, structure


def reject_unknown_keys(d, allowed, what: str) -> None:
    """One-line :class:`InputError` naming the keys of ``d`` not in ``allowed`` (e.g. a config
    read from JSON written by another version)."""
    unknown = sorted(set(d) - set(allowed))
    if unknown:
        raise InputError(f"unknown {what} keys {unknown}")
