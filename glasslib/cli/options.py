"""Option parsers, option spellings and the overwrite policy shared by the ``glass`` subcommands.

One name per concept; an old name stays as a deprecated alias that prints one line naming the new
one (:func:`add_deprecated`). One overwrite policy (:func:`refuse_existing`): a command refuses an
existing output in one line unless ``--force`` is given (:func:`add_force`); commands whose
existing output is a run to resume (``glass simulate``, ``train``, ``rmc``, ``batch``) say so in
their ``--out`` help instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from glasslib.core.atomic_io import require_writable
from glasslib.core.errors import InputError


def parse_species_map(text: str | None) -> dict[int, str] | None:
    """``"1=O,2=Si"`` → ``{1: "O", 2: "Si"}`` (LAMMPS atom type → element); None stays None."""
    if text is None:
        return None
    out = {}
    for item in text.split(","):
        t, sep, el = item.partition("=")
        if not sep:
            raise InputError(f"--species-map: expected TYPE=ELEMENT items, got {item!r}")
        try:
            out[int(t)] = el.strip()
        except ValueError:
            raise InputError(f"--species-map: atom type must be an integer, got {t!r}") from None
    return out


class DeprecatedAlias(argparse.Action):
    """An old option name kept working: stores into the new option's ``dest`` and prints one line
    ``glass: warning: OLD is deprecated; use NEW`` on stderr. ``flag=True`` for switches."""

    def __init__(self, option_strings, dest, new: str, flag: bool = False, **kwargs):
        self.new = new
        if flag:
            kwargs["nargs"] = 0
        kwargs.setdefault("help", argparse.SUPPRESS)
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"glass: warning: {option_string} is deprecated; use {self.new}", file=sys.stderr)
        setattr(namespace, self.dest, True if self.nargs == 0 else values)


def add_deprecated(parser, old: str, new: str, dest: str, **kwargs) -> None:
    """Register ``old`` as a hidden, deprecated spelling of ``new`` (same ``dest``)."""
    parser.add_argument(old, dest=dest, action=DeprecatedAlias, new=new, default=argparse.SUPPRESS, **kwargs)


def add_quiet(parser, what: str = "no progress bar or progress lines") -> None:
    """``--quiet`` (and the deprecated ``--no-progress``), dest ``quiet``."""
    parser.add_argument("--quiet", action="store_true", help=what)
    add_deprecated(parser, "--no-progress", "--quiet", "quiet", flag=True)


def add_force(parser, what: str = "overwrite an existing output") -> None:
    """``--force``, dest ``force``: overwrite what :func:`refuse_existing` would refuse."""
    parser.add_argument("--force", action="store_true", help=what)


def refuse_existing(paths, force: bool) -> None:
    """The overwrite policy: one-line :class:`InputError` naming the first of ``paths`` that exists
    (None entries skipped), unless ``force``, or that cannot be written (a read-only folder, a file
    where a folder should be: :func:`~glasslib.core.atomic_io.require_writable`), even with
    ``force``. Called before any computation, so a refused run leaves every file as it was."""
    paths = [p for p in paths if p is not None]
    for path in paths:
        require_writable(path)
    if force:
        return
    for path in paths:
        if Path(os.fspath(path)).exists():
            raise InputError("output exists; pass --force to overwrite it (nothing was overwritten)", path)
