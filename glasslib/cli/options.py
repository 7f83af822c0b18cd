"""Parsers for option values shared by several ``glass`` subcommands."""

from __future__ import annotations

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
