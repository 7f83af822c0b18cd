"""Local structure of a network glass in a few numbers: coordination, bond angles, closest pairs.

Also the one definition of the closest pair (:func:`closest_pair`, :func:`closest_pairs` per
species pair) that every study reports.

One definition used wherever an ensemble of a-Si-like structures is judged (the RMC baseline,
the GLASS prior): bonds are pairs closer than ``bond_cutoff``; per structure, the mean
coordination, the fraction of four-fold atoms, the mean and standard deviation of the bond
angles and the fraction below 70° (three-membered-ring-like angles, absent in a good
tetrahedral network), and the closest pair; then the mean over the structures (the closest pair:
the minimum).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from ase.data import chemical_symbols

from glasslib.core.geometry import pair_distances
from glasslib.core.structures import Structures
from glasslib.spectra.angles import bond_angles, coordination_numbers

#: an angle below this (degrees) counts as "small"
SMALL_ANGLE = 70.0
#: pairs up to this distance (Å) are searched for the closest pair
CLOSEST_SEARCH = 3.0


@dataclass(frozen=True)
class LocalStructure:
    """Local-structure numbers of a batch (module docstring).

    Attributes:
        coordination_mean, fourfold_fraction, angle_mean_deg, angle_std_deg,
        angle_fraction_below_70: means over the structures of the per-structure values.
        closest_pair_A: the closest pair in any structure, Å (inf if none within 3 Å).
        coordination_counts: {coordination number: atoms}, over all structures.
        coordination: (n_atoms,) integer coordination of every atom.
        angles: (n_angles,) every bond angle, degrees.
    """

    coordination_mean: float
    fourfold_fraction: float
    angle_mean_deg: float
    angle_std_deg: float
    angle_fraction_below_70: float
    closest_pair_A: float
    coordination_counts: dict
    coordination: np.ndarray
    angles: np.ndarray


def local_structure(structures: Structures, bond_cutoff: float) -> LocalStructure:
    """:class:`LocalStructure` of ``structures`` with bonds shorter than ``bond_cutoff`` Å
    (computed in float64 on the CPU)."""
    x = structures.to(device="cpu", dtype=torch.float64)
    cn = coordination_numbers(x, bond_cutoff).round().long().numpy()
    theta, _, tsys = bond_angles(x, bond_cutoff)
    theta, tsys = theta.numpy(), tsys.numpy()
    sidx = x.system_idx.numpy()
    per = []
    for k in range(x.n_systems):
        c, t = cn[sidx == k], theta[tsys == k]
        per.append((c.mean(), np.mean(c == 4), t.mean() if t.size else np.nan, t.std() if t.size else np.nan,
                    np.mean(t < SMALL_ANGLE) if t.size else np.nan))
    means = [float(np.mean([p[i] for p in per])) for i in range(5)]
    closest = closest_pair(x)
    counts = {int(k): int(v) for k, v in zip(*np.unique(cn, return_counts=True))}
    return LocalStructure(*means, closest, counts, cn, theta)


def closest_pair(structures: Structures, r_max: float = CLOSEST_SEARCH) -> float:
    """The closest interatomic distance (Å) in any of ``structures``; inf if no pair is within ``r_max`` Å."""
    d = pair_distances(structures.to(device="cpu", dtype=torch.float64), r_max)[0]
    return float(d.min()) if d.numel() else float("inf")


def species_pairs(structures: Structures) -> list[tuple[int, int]]:
    """Every unordered pair (Z_a ≤ Z_b) of the elements present."""
    els = sorted(structures.elements)
    return [(a, b) for i, a in enumerate(els) for b in els[i:]]


def pair_name(a: int, b: int) -> str:
    """``"Si-O"`` for atomic numbers (14, 8): the label of a species pair."""
    return f"{chemical_symbols[a]}-{chemical_symbols[b]}"


def closest_pairs(structures: Structures, r_max: float = 4.0) -> dict[str, float | None]:
    """The closest distance (Å) per species pair (:func:`pair_name` of :func:`species_pairs`) over
    ``structures``; None for a pair with no member within ``r_max`` Å."""
    x = structures.to(device="cpu", dtype=torch.float64)
    d, i, j, _ = pair_distances(x, r_max)
    zi, zj = x.species[i], x.species[j]
    lo, hi = torch.minimum(zi, zj), torch.maximum(zi, zj)
    out = {}
    for a, b in species_pairs(x):
        m = (lo == a) & (hi == b)
        out[pair_name(a, b)] = float(d[m].min()) if bool(m.any()) else None
    return out
