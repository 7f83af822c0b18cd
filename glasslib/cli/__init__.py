"""The ``glass`` command line: one subcommand per module in ``glasslib.cli``.

Each subcommand module defines ``register(subparsers)`` which adds its parser and sets
``func`` (called with the parsed namespace, returns an exit status). Errors meant for the
user (:class:`glasslib.core.errors.GlassError`) become one line on stderr and exit status 2,
with no traceback.

Every subcommand also takes ``--threads N`` (CPU threads of torch and of the OpenMP/BLAS
libraries the command starts; default: torch's own choice, all cores) and ``--quiet``;
``glass --version`` prints the version.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

import torch

from glasslib import __version__
from glasslib.core.errors import GlassError, InputError

#: subcommand modules, in the order of the data flow
SUBCOMMANDS = ("simulate", "spectra", "analyze", "rmc", "train", "sample", "report", "batch")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="glass", description="GLASS: structures from spectra")
    parser.add_argument("--version", action="version", version=f"glass (glasslib) {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"glasslib.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"glasslib.cli.{name}":
                continue
            raise
        module.register(sub)
    for command in sub.choices.values():
        options = command._option_string_actions
        if "--threads" not in options:
            command.add_argument("--threads", type=int, default=None, metavar="N",
                                 help="CPU threads (torch, OpenMP; default: all cores)")
        if "--quiet" not in options:
            command.add_argument("--quiet", action="store_true", help="print only warnings and errors")
    return parser


def set_threads(n: int | None) -> None:
    """Use ``n`` CPU threads in torch and in the OpenMP/BLAS libraries started from here on."""
    if n is None:
        return
    if n < 1:
        raise InputError(f"--threads must be a positive integer, got {n}")
    torch.set_num_threads(n)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(n)


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        set_threads(getattr(args, "threads", None))
        return int(args.func(args) or 0)
    except GlassError as exc:
        print(f"glass: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("glass: interrupted; finished outputs are kept, rerun to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
