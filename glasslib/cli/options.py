"""Option parsers and option spellings shared by several ``glass`` subcommands (one name per concept;
old names kept as deprecated aliases that say which name to use)."""

from __future__ import annotations

import argparse
import sys

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
