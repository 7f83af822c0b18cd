"""Compositions of a system: parsing, atoms per type, labels, ideal-mixing starting density.

Fractions are atom fractions per type, in the order of ``System.species``.
"""

from __future__ import annotations

import math

import numpy as np
from ase.data import atomic_numbers, reference_states

from glasslib.core.errors import InputError
from glasslib.core.formula import parse_formula
from glasslib.core.units import mass_density
from glasslib.simulate.engine import System

def parse_composition(text: str | dict | tuple | list | None, system: System) -> tuple[float, ...]:
    """Atom fractions per type from e.g. ``"Cu0.5Zr0.5"``, ``"Cu64Zr36"``,
    ``{"Cu": 0.64, "Zr": 0.36}`` or a tuple of fractions in type order."""
    if text is None:
        return system.composition
    if isinstance(text, (tuple, list)):
        vals = [float(v) for v in text]
        if len(vals) != len(system.species):
            raise InputError(f"composition needs {len(system.species)} fractions for {system.name}")
        counts = dict(zip(system.species, vals))
    elif isinstance(text, dict):
        counts = {str(k): float(v) for k, v in text.items()}
    else:
        counts = parse_formula(text)
    unknown = sorted(set(counts) - set(system.species))
    if unknown:
        raise InputError(f"composition has element(s) {', '.join(unknown)} not in {system.name} ({', '.join(system.species)})")
    vals = np.array([counts.get(el, 0.0) for el in system.species], dtype=float)
    if (vals < 0).any() or not np.isfinite(vals).all() or vals.sum() <= 0:
        raise InputError(f"composition {text!r} must have non-negative amounts with a positive sum")
    frac = tuple(float(v) for v in vals / vals.sum())
    if system.formula_unit is not None:
        fu = np.array(system.formula_unit, float)
        if not np.allclose(frac, fu / fu.sum(), atol=1e-6):
            raise InputError(f"{system.name} has a fixed stoichiometry; composition {text!r} does not match it")
    return frac


def composition_label(system: System, fractions: tuple[float, ...]) -> str:
    """e.g. ``Cu0.5Zr0.5`` (fractions rounded to 4 digits)."""
    return "".join(f"{el}{round(f, 4):g}" for el, f in zip(system.species, fractions))


def species_counts(system: System, n_atoms: int, fractions: tuple[float, ...]) -> np.ndarray:
    """Atoms per type: exact for a fixed stoichiometry, largest-remainder rounding otherwise."""
    if n_atoms < 1:
        raise InputError(f"number of atoms must be positive, got {n_atoms}")
    if system.formula_unit is not None:
        per = sum(system.formula_unit)
        if n_atoms % per:
            raise InputError(f"{system.name} needs a multiple of {per} atoms (one formula unit), got {n_atoms}")
        return np.array(system.formula_unit) * (n_atoms // per)
    raw = np.asarray(fractions) * n_atoms
    counts = np.floor(raw).astype(int)
    for k in np.argsort(-(raw - counts), kind="stable")[: n_atoms - counts.sum()]:
        counts[k] += 1
    return counts


def _reference_atomic_volume(element: str) -> float | None:
    """Å³ per atom of the element's reference crystal in ``ase.data.reference_states`` (fcc, bcc, hcp)."""
    ref = reference_states[atomic_numbers[element]] or {}
    a = ref.get("a")
    if ref.get("symmetry") == "fcc":
        return a**3 / 4
    if ref.get("symmetry") == "bcc":
        return a**3 / 2
    if ref.get("symmetry") == "hcp":
        return math.sqrt(3) / 4 * a**3 * ref["c/a"]
    return None


def ideal_mixing_density(system: System, fractions: tuple[float, ...]) -> float:
    """Starting density (g/cm³) from elemental atomic volumes: Cu fcc 11.81 Å³, Zr hcp 23.28 Å³
    (used for Cu-Zr, whose NPT quench then finds its own density); other metals from the
    reference crystals of ``ase.data.reference_states`` (Ni fcc 10.90 Å³, Al fcc 16.61 Å³:
    Zr-Ni-Al, run NVT at this density). Systems with other elements keep their own density."""
    volumes = {"Cu": 11.81, "Zr": 23.28}
    for el in system.species:
        if el not in volumes and _reference_atomic_volume(el) is not None:
            volumes[el] = _reference_atomic_volume(el)
    if not system.variable_composition or not all(el in volumes for el in system.species):
        return system.density
    mass = sum(f * m for f, m in zip(fractions, system.masses))
    vol = sum(f * volumes[el] for f, el in zip(fractions, system.species))
    return mass_density(mass, vol)


__all__ = ["parse_composition", "composition_label", "species_counts", "ideal_mixing_density"]
