"""Starting configurations for reverse Monte Carlo: species lists, boxes, closest approaches,
random (hard-sphere) and liquid (LAMMPS melt) starts.

Used by :mod:`glasslib.rmc.engine`; the package :mod:`glasslib.rmc` exports them. Units: Å, g/cm³.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import torch
from ase.data import covalent_radii

from glasslib.core.errors import InputError
from glasslib.core.formula import parse_formula
from glasslib.core.structures import Structures, from_ase
from glasslib.core.units import atomic_masses, cubic_box_length
from glasslib.rmc.kernels import place_random
from glasslib.simulate import SYSTEMS, get_system, make_task, simulate
from glasslib.simulate.lammps import LammpsAtomic
from glasslib.spectra.form_factors import atomic_number, element_symbol


def parse_species(text: str | Sequence[str] | Mapping[str, float]) -> dict[int, float]:
    """A composition as {Z: atom fraction}, sorted by Z, from a formula (``"Si"``, ``"SiO2"``,
    ``"Cu64.5Zr35.5"``: :func:`glasslib.core.formula.parse_formula`, the parser ``glass sample``
    uses), symbols with proportions (``"Si:1,O:2"``, ``"Si,O"`` in equal parts), a sequence of
    symbols or a mapping symbol/Z → amount. A text with ``:`` or ``,`` is read as symbols with
    proportions, any other text as a formula."""
    if isinstance(text, Mapping):
        items = [(k, float(v)) for k, v in text.items()]
    elif isinstance(text, str) and ":" not in text and "," not in text:
        items = list(parse_formula(text).items())
    else:
        parts = [p.strip() for p in (text.split(",") if isinstance(text, str) else text) if p.strip()]
        if not parts:
            raise InputError("no species given")
        items = []
        for p in parts:
            sym, _, frac = p.partition(":")
            try:
                items.append((sym.strip(), float(frac) if frac else 1.0))
            except ValueError:
                raise InputError(f"species {p!r}: expected SYMBOL or SYMBOL:FRACTION") from None
    out: dict[int, float] = {}
    for sym, f in items:
        z = atomic_number(sym)
        if not (f > 0 and math.isfinite(f)):
            raise InputError(f"species {sym}: fraction must be positive, got {f}")
        out[z] = out.get(z, 0.0) + f
    total = sum(out.values())
    return {z: f / total for z, f in sorted(out.items())}


def species_array(species, n_atoms: int) -> np.ndarray:
    """(n_atoms,) atomic numbers for a composition (largest-remainder rounding), sorted by Z."""
    comp = parse_species(species)
    if int(n_atoms) < 1:
        raise InputError(f"number of atoms must be positive, got {n_atoms}")
    zs = list(comp)
    raw = np.array([comp[z] for z in zs]) * int(n_atoms)
    counts = np.floor(raw).astype(int)
    for k in np.argsort(-(raw - counts), kind="stable")[: int(n_atoms) - counts.sum()]:
        counts[k] += 1
    absent = [element_symbol(z) for z, c in zip(zs, counts) if c == 0]
    if absent:
        raise InputError(f"species {', '.join(absent)} would be absent from a structure of {n_atoms} atoms")
    return np.repeat(np.array(zs, dtype=np.int64), counts)


def closest_approach(elements: Sequence[int], min_distance=None) -> np.ndarray:
    """(E, E) closest-approach distances d_αβ (Å) for sorted atomic numbers ``elements``.

    ``min_distance``: a number (all pairs), a mapping ``{"Si-O": 1.5}`` (or a tuple of such
    items), or None. Unnamed pairs get 0.9 × (r_cov,α + r_cov,β) (ASE covalent radii: 2.0 Å for Si–Si).
    """
    el = [int(z) for z in elements]
    d = np.array([[0.9 * (covalent_radii[a] + covalent_radii[b]) for b in el] for a in el])
    if min_distance is None:
        return d
    if isinstance(min_distance, (int, float)):
        if not (min_distance >= 0 and math.isfinite(min_distance)):
            raise InputError(f"closest approach must be a number >= 0, got {min_distance}")
        return np.full_like(d, float(min_distance))
    items = min_distance.items() if isinstance(min_distance, Mapping) else min_distance
    for key, val in items:
        names = str(key).replace("–", "-").split("-")
        if len(names) != 2:
            raise InputError(f"closest-approach pair {key!r}: expected A-B, e.g. Si-O")
        za, zb = atomic_number(names[0].strip()), atomic_number(names[1].strip())
        missing = [element_symbol(z) for z in (za, zb) if z not in el]
        if missing:
            raise InputError(f"closest approach {key}: species {', '.join(missing)} absent from the structure "
                             f"(which has {', '.join(element_symbol(z) for z in el)})")
        if not (float(val) >= 0 and math.isfinite(float(val))):
            raise InputError(f"closest approach {key} must be a number >= 0, got {val}")
        a, b = el.index(za), el.index(zb)
        d[a, b] = d[b, a] = float(val)
    return d


#: random sequential addition of hard spheres jams near this packing fraction
_MAX_PACKING = 0.38


def random_start(species, n_atoms: int, density: float, *, min_distance=None, seed: int = 0,
                 max_tries: int = 20000) -> Structures:
    """Uniform random positions in a cube with every pair at least its closest approach apart.

    Random sequential addition with a cell list (O(N)). Raises :class:`InputError`
    ("impossible density") when the packing fraction Σ_α N_α (π/6) d_αα³ / V exceeds the
    jamming limit 0.38 or an atom cannot be placed in ``max_tries`` attempts.
    """
    z = species_array(species, n_atoms)
    box = cubic_box_length(atomic_masses()[z], density)
    elements = sorted(set(z.tolist()))
    dmin = closest_approach(elements, min_distance)
    idx = np.searchsorted(elements, z)
    packing = float(np.sum(math.pi / 6 * np.diag(dmin)[idx] ** 3)) / box**3
    if packing > _MAX_PACKING:
        raise InputError(f"impossible density: {len(z)} atoms in a {box:.3f} Å box cannot keep their closest "
                         f"approach (packing fraction {packing:.2f} > {_MAX_PACKING}); lower the density or the distances")
    rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
    order = rng.permutation(len(z))  # species placed in random order
    pos = np.zeros((len(z), 3))
    cmax = max(float(dmin.max()), 1e-3)
    nc = max(int(box // cmax), 1)
    k = place_random(pos, idx.astype(np.int64), order.astype(np.int64), box, (dmin**2).astype(np.float64), nc,
                      int(max_tries), rng)
    if k >= 0:
        raise InputError(f"impossible density: could not place atom {k + 1} of {len(z)} at its closest approach "
                         f"in a {box:.3f} Å box after {max_tries} tries")
    return periodic_structure(pos, np.eye(3) * box, z, info={"start": "random", "seed": int(seed)})


def liquid_start(species, n_atoms: int, density: float, *, seed: int = 0, system: str | None = None,
                 temperature: float | None = None, time_ps: float = 2.0) -> Structures:
    """A high-temperature liquid from :func:`glasslib.simulate.simulate` (LAMMPS, NVT, no quench).

    The system (potential) is the first of :data:`glasslib.simulate.systems.SYSTEMS` with exactly these
    species (a-Si-SW for Si) unless ``system`` names one; the liquid is held ``time_ps`` at
    ``temperature`` (default: the system's melt temperature, 3000 K for SW Si) and returned
    unquenched and unminimised.
    """
    comp = parse_species(species)
    want = {element_symbol(z) for z in comp}
    if system is None:
        match = [s for s in SYSTEMS.values() if isinstance(s.engine, LammpsAtomic) and set(s.species) == want]
        if not match:
            raise InputError(f"no simulated system has species {', '.join(sorted(want))}; use the random start")
        system = match[0].name
    sysm = get_system(system)
    fractions = tuple(comp.get(atomic_number(el), 0.0) for el in sysm.species)
    t = float(temperature or sysm.protocol.melt_temperature)
    task = make_task(sysm, n_atoms=int(n_atoms), density=float(density), seed=int(seed),
                     composition=fractions if len(sysm.species) > 1 and sysm.formula_unit is None else None,
                     melt_temperature=t, final_temperature=t, melt_time=float(time_ps), anneal_time=0.0,
                     minimize=False)
    s = from_ase(simulate(task), dtype=torch.float64)
    info = {"start": "liquid", "system": sysm.name, "temperature_K": t, "time_ps": float(time_ps), "seed": int(seed)}
    return s.replace(info=(info,))


def periodic_structure(pos, cell, z, info=None) -> Structures:
    """One periodic float64 structure from positions (N, 3) Å, a cell (3, 3) and atomic numbers (N,)."""
    n = len(z)
    return Structures(torch.as_tensor(pos, dtype=torch.float64), torch.as_tensor(cell, dtype=torch.float64)[None],
                      torch.as_tensor(z, dtype=torch.long), torch.zeros(n, dtype=torch.long),
                      torch.ones(1, 3, dtype=torch.bool), info=(dict(info or {}),))
