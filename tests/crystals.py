"""Crystal builders shared by the analysis and OVITO-adapter tests (known-answer structures)."""

from __future__ import annotations

import math

import ase.build


def diamond(n=3):
    """Cubic diamond Si, 8·n³ atoms."""
    return ase.build.bulk("Si", "diamond", 5.431, cubic=True).repeat(n)


def lonsdaleite(reps=(4, 4, 3)):
    """Hexagonal diamond Si with the bond length of diamond Si (ideal c/a, u = 3/8)."""
    a = 5.431 / math.sqrt(2)
    return ase.build.bulk("SiSi", "wurtzite", a=a, c=a * math.sqrt(8 / 3), u=3 / 8).repeat(reps)
