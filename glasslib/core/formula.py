"""Chemical formulas: ``"SiO2"``, ``"H2O"``, ``"Cu64.5Zr35.5"``, ``"Cu0.5Zr0.5"`` ↔ amounts and atom counts.

One parser for every place that takes a composition from a user (``glass simulate --composition``,
``glass sample --composition``, the dataset specs). A formula is a run of element symbols, each
followed by an optional non-negative amount (default 1); a symbol may repeat (amounts add up).
Amounts are relative: ``Cu64.5Zr35.5`` and ``Cu0.645Zr0.355`` are the same composition.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Mapping

from ase.data import atomic_numbers

from glasslib.core.errors import InputError

_TOKEN = re.compile(r"([A-Z][a-z]?)(\d+(?:\.\d*)?|\.\d+)?")

#: counts closer than this (in atoms) to an integer are taken as that integer
COUNT_TOLERANCE = 1e-6


def parse_formula(text: str) -> dict[str, float]:
    """``"Cu64.5Zr35.5"`` → ``{"Cu": 64.5, "Zr": 35.5}`` (element → amount, in order of appearance).

    Raises:
        InputError: not a formula, an unknown element symbol, or no positive amount.
    """
    s = str(text).replace(" ", "")
    tokens = list(_TOKEN.finditer(s))
    if not s or "".join(m.group(0) for m in tokens) != s:
        raise InputError(f"cannot parse formula {text!r} (use e.g. SiO2, H2O, Cu64.5Zr35.5 or Cu0.5Zr0.5)")
    amounts: dict[str, float] = {}
    for m in tokens:
        el, num = m.group(1), m.group(2)
        if el not in atomic_numbers or el == "X":
            raise InputError(f"formula {text!r}: {el!r} is not an element symbol")
        amounts[el] = amounts.get(el, 0.0) + (float(num) if num else 1.0)
    if not all(math.isfinite(v) for v in amounts.values()) or sum(amounts.values()) <= 0:
        raise InputError(f"formula {text!r} needs a positive total amount")
    return amounts


def fractions_of(amounts: Mapping[str, float]) -> dict[str, float]:
    """Atom fractions (summing to 1) of element → amount."""
    total = float(sum(amounts.values()))
    return {el: float(v) / total for el, v in amounts.items()}


def atom_counts(amounts: Mapping[str, float], n_atoms: int, *, what: str = "composition") -> dict[str, int]:
    """Exact integer atom counts of a composition in ``n_atoms`` atoms.

    ``SiO2`` in 648 atoms → ``{"Si": 216, "O": 432}``. The counts must come out as integers (no
    rounding): otherwise :class:`InputError` says which counts are fractional and which atom
    numbers would work (the smallest one and its multiples).
    """
    if not (isinstance(n_atoms, int) and n_atoms >= 1):
        raise InputError(f"number of atoms must be a positive integer, got {n_atoms}")
    frac = fractions_of(amounts)
    raw = {el: f * n_atoms for el, f in frac.items()}
    counts = {el: round(v) for el, v in raw.items()}
    if all(abs(raw[el] - counts[el]) <= COUNT_TOLERANCE for el in raw) and sum(counts.values()) == n_atoms:
        return {el: c for el, c in counts.items() if c > 0}
    step = smallest_cell(amounts)
    shown = ", ".join(f"{v:.4g} {el}" for el, v in raw.items())
    hint = f"use a multiple of {step} atoms" if step else "give integer amounts, e.g. Cu129Zr71"
    raise InputError(f"{what} {formula_label(amounts)} in {n_atoms} atoms gives {shown}, not whole atoms; {hint}")


def smallest_cell(amounts: Mapping[str, float], max_atoms: int = 100000) -> int | None:
    """Smallest number of atoms holding the composition in whole atoms (None if over ``max_atoms``)."""
    fracs = [Fraction(f).limit_denominator(max_atoms) for f in fractions_of(amounts).values()]
    n = 1
    for f in fracs:
        n = n * f.denominator // math.gcd(n, f.denominator)
        if n > max_atoms:
            return None
    return n


def formula_label(amounts: Mapping[str, float]) -> str:
    """``{"Si": 216, "O": 432}`` → ``"Si216O432"``; non-integer amounts keep up to 4 decimals (``Cu0.645Zr0.355``)."""
    return "".join(f"{el}{round(float(v), 4):g}" if float(v) != 1 else el for el, v in amounts.items())
