"""The ``glass`` command line: one subcommand per module in ``glasslib.cli``.

Each subcommand module defines ``register(subparsers)`` which adds its parser and sets
``func`` (called with the parsed namespace, returns an exit status). Errors meant for the
user (:class:`glasslib.core.errors.GlassError`) become one line on stderr and exit status 2,
with no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from glasslib.core.errors import GlassError

#: subcommand modules, in the order of the data flow
SUBCOMMANDS = ("simulate", "spectra", "analyze", "rmc", "train", "sample", "batch")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="glass", description="GLASS: structures from spectra")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"glasslib.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"glasslib.cli.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return int(args.func(args) or 0)
    except GlassError as exc:
        print(f"glass: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("glass: interrupted; finished outputs are kept, rerun to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
