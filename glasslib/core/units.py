"""Unit constants and the one conversion from a mass density to a cubic box.

Every module that turns a density (g/cm³) into a cell, or a cell into a density, uses these;
there is no second copy of the constant.
"""

from __future__ import annotations

import math

import numpy as np
from ase.data import atomic_masses as _ASE_MASSES

from glasslib.core.errors import InputError

#: g/cm³ per (amu/Å³): 10²⁴ Å³/cm³ / N_A
AMU_PER_A3_TO_G_PER_CM3 = 1.66053906660


def atomic_masses() -> np.ndarray:
    """(119,) standard atomic masses, amu, indexed by atomic number (ASE's table)."""
    return np.asarray(_ASE_MASSES, dtype=np.float64)


def cubic_box_length(masses_amu, density: float) -> float:
    """Edge L (Å) of the cube that holds atoms of these masses (amu) at ``density`` (g/cm³):

        L = (Σ m · 1.66054 / ρ)^{1/3}.
    """
    if not (isinstance(density, (int, float, np.floating)) and math.isfinite(density) and density > 0):
        raise InputError(f"density must be a positive number (g/cm³), got {density}")
    mass = float(np.sum(np.asarray(masses_amu, dtype=np.float64)))
    return (mass * AMU_PER_A3_TO_G_PER_CM3 / float(density)) ** (1.0 / 3.0)


def mass_density(masses_amu, volume: float) -> float:
    """Mass density (g/cm³) of atoms of these masses (amu) in ``volume`` Å³."""
    return float(np.sum(np.asarray(masses_amu, dtype=np.float64))) / float(volume) * AMU_PER_A3_TO_G_PER_CM3
