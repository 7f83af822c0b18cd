"""The bond graph every structural descriptor starts from (non-differentiable).

Two atoms of elements a, b are bonded when closer than r_ab (Å): by default
1.25 (R_a + R_b) with R the covalent radii of ``ase.data.covalent_radii`` (O–H 1.21,
C–C 1.90, Si–O 2.21), except for the pairs in :data:`BOND_CUTOFF_OVERRIDES` (Si–Si 2.85,
the usual first minimum of a-Si's g(r); S–S 2.5 for S–S bonds of 2.0–2.1 Å). One number
sets every pair; a mapping such as ``{"Si-O": 2.0}`` overrides single pairs. Periodic
images are included (vesin neighbour list of :mod:`glasslib.core.geometry`); a non-periodic
structure (a finite cluster) has none.

Besides :class:`BondGraph` and :func:`bond_graph`, the index helpers the descriptor modules
share to walk it (bonds grouped by their first atom) live here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import torch
from ase.data import atomic_numbers, covalent_radii

from glasslib.core.errors import InputError
from glasslib.core.geometry import neighbor_pairs
from glasslib.core.structures import Structures
from glasslib.spectra.form_factors import element_symbol

#: bond cutoffs (Å) that replace the covalent-radius rule, by element-symbol pair
BOND_CUTOFF_OVERRIDES = {("Si", "Si"): 2.85, ("S", "S"): 2.5}
#: bond cutoff = COVALENT_FACTOR × (R_a + R_b) for the other pairs
COVALENT_FACTOR = 1.25


def _z(symbol: str) -> int:
    if symbol not in atomic_numbers:
        raise InputError(f"unknown element {symbol!r} in a bond cutoff")
    return atomic_numbers[symbol]


def positive_number(value, name: str, *, allow_zero: bool = False) -> float:
    """``value`` as a finite float > 0 (or ≥ 0 with ``allow_zero``); :class:`InputError` naming ``name``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}") from None
    if not (math.isfinite(v) and (v > 0 or (allow_zero and v == 0))):
        raise InputError(f"{name} must be a positive number{' or 0' if allow_zero else ''}, got {value}")
    return v


def bond_cutoffs(elements: Sequence[int], cutoff=None) -> dict[tuple[int, int], float]:
    """Cutoff (Å) for every pair (za <= zb) of ``elements``; see the module docstring.

    ``cutoff``: None (defaults), one number (every pair), or a mapping from ``"A-B"`` or
    ``("A", "B")`` to Å that overrides those pairs; 0 means the pair never bonds (e.g.
    ``{"Si-Si": 0}`` for silica, whose Si–Si pairs in edge-sharing tetrahedra come within
    the elemental Si–Si cutoff).
    """
    els = sorted({int(z) for z in elements})
    out = {}
    for a in els:
        for b in els:
            if a <= b:
                key = tuple(sorted((element_symbol(a), element_symbol(b))))
                out[(a, b)] = BOND_CUTOFF_OVERRIDES.get(key, COVALENT_FACTOR * (covalent_radii[a] + covalent_radii[b]))
    if cutoff is None:
        return out
    if isinstance(cutoff, Mapping):
        for pair, value in cutoff.items():
            names = pair.split("-") if isinstance(pair, str) else list(pair)
            if len(names) != 2:
                raise InputError(f"bond cutoff pair must look like 'Si-O', got {pair!r}")
            za, zb = sorted(_z(str(n).strip()) for n in names)
            if (za, zb) in out:
                out[(za, zb)] = positive_number(value, f"cutoff {pair}", allow_zero=True)
        if not max(out.values(), default=0.0) > 0:
            raise InputError("every bond cutoff is zero: no bonds to analyse")
        return out
    value = positive_number(cutoff, "cutoff")
    return {k: value for k in out}


@dataclass(frozen=True)
class BondGraph:
    """Bonds of one structure, both directions, sorted by the first atom.

    Attributes (E directed bonds): ``i``, ``j`` (E,) local atom indices; ``shift`` (E, 3)
    image shifts (r_ij = x_j − x_i + shift @ cell); ``vec`` (E, 3) r_ij in Å; ``rev`` (E,)
    index of the reverse bond j → i; ``species`` (n_atoms,) atomic numbers.
    """

    species: np.ndarray
    i: np.ndarray
    j: np.ndarray
    shift: np.ndarray
    vec: np.ndarray
    rev: np.ndarray

    @property
    def n_atoms(self) -> int:
        return int(self.species.shape[0])

    @property
    def degree(self) -> np.ndarray:
        return np.bincount(self.i, minlength=self.n_atoms)

    def restrict(self, keep_atoms: np.ndarray) -> "BondGraph":
        """Only the bonds between atoms where ``keep_atoms`` (bool, n_atoms) is True."""
        keep = keep_atoms[self.i] & keep_atoms[self.j]
        return graph_from_half_bonds(
            self.species, *(a[keep & (np.arange(len(keep)) < self.rev)] for a in (self.i, self.j, self.shift, self.vec))
        )


def graph_from_half_bonds(species, i, j, shift, vec) -> BondGraph:
    """The :class:`BondGraph` of bonds given once each (i → j, image ``shift``, vector ``vec``)."""
    h = i.shape[0]
    fi, fj = np.concatenate([i, j]), np.concatenate([j, i])
    fs, fv = np.concatenate([shift, -shift]), np.concatenate([vec, -vec])
    rev = np.concatenate([np.arange(h) + h, np.arange(h)])
    order = np.argsort(fi, kind="stable")
    inv = np.empty_like(order)
    inv[order] = np.arange(order.shape[0])
    return BondGraph(species, fi[order], fj[order], fs[order], fv[order], inv[rev[order]])


def bond_graph(structure: Structures, cutoff=None) -> BondGraph:
    """Bond graph of a single structure (``structure.n_systems == 1``) with pair cutoffs."""
    if structure.n_systems != 1:
        raise InputError(f"bond_graph takes one structure, got {structure.n_systems}")
    species = structure.species.cpu().numpy()
    table = bond_cutoffs(np.unique(species), cutoff)
    p = neighbor_pairs(structure.to(dtype=torch.float64), max(table.values()))
    i, j = p.i.cpu().numpy(), p.j.cpu().numpy()
    d = p.distances.detach().cpu().numpy()
    za, zb = np.minimum(species[i], species[j]), np.maximum(species[i], species[j])
    limit = np.zeros(d.shape)
    for (a, b), c in table.items():
        limit[(za == a) & (zb == b)] = c
    keep = d < limit
    return graph_from_half_bonds(
        species, i[keep], j[keep], p.shifts.cpu().numpy()[keep], p.vectors.detach().cpu().numpy()[keep]
    )


def group_ranges(centre: np.ndarray, n_atoms: int) -> tuple[np.ndarray, np.ndarray]:
    """(count, first index) of each atom's run in ``centre`` (sorted atom indices, e.g. ``BondGraph.i``)."""
    deg = np.bincount(centre, minlength=n_atoms)
    return deg, np.cumsum(deg) - deg


def expand_ranges(rows: np.ndarray, count: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row r repeated count[r] times, paired with start[r] + 0, 1, ..., count[r] − 1."""
    rep = np.repeat(rows, count)
    offset = np.arange(rep.shape[0]) - np.repeat(np.cumsum(count) - count, count)
    return rep, np.repeat(start, count) + offset

