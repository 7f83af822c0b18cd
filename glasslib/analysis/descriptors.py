"""Generic structural descriptors of generated and reference structures (non-differentiable).

Every descriptor is computed per structure from its bond graph (:mod:`glasslib.analysis.bonds`)
and returned as plain numbers, lists and dicts with self-explaining keys, so that
:func:`glasslib.analysis.report.analyze` can write them to JSON unchanged. The descriptors that
are never used as guidance targets are the paper's independent checks. Rings are in
:mod:`glasslib.analysis.rings`; descriptors of one kind of system (water, sulfur, tetrahedral
networks) in their own modules, chosen by the registry of :mod:`glasslib.analysis.report`.

==========================  ==================================================================
descriptor                  definition
==========================  ==================================================================
coordination                n_i = number of bonds of atom i; ``coordination_A_B`` = mean
                            number of B neighbours of an A atom; distributions are fractions
bond angles                 θ_jik at every atom i between two of its bonds (0–180°)
dihedral angles             |φ_ijkl| for every bond path i–j–k–l (i ≠ k, l ≠ j), with
                            φ = atan2(|b2| b1·(b2×b3), (b1×b2)·(b2×b3)), b1 = r_j − r_i, ...
                            (staggered diamond: 60° and 180° in the ratio 2:1)
entropy                     QUESTS information entropy H = −(1/N) Σ_i ln[(1/N) Σ_j
                            exp(−|x_i − x_j|²/2h²)] of the per-atom descriptors x (Schwalbe-
                            Koda et al., Nat. Commun. 16, 4014 (2025)), nats; 0 when every
                            environment is the same (perfect crystal), at most ln N
==========================  ==================================================================
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch
from quests.descriptor import get_descriptors
from quests.entropy import entropy as quests_entropy

from glasslib.analysis.bonds import BondGraph, expand_ranges, group_ranges, positive_number
from glasslib.core.errors import InputError
from glasslib.core.structures import Structures, to_ase
from glasslib.spectra.angles import triplet_index
from glasslib.spectra.form_factors import element_symbol

#: QUESTS defaults: Gaussian bandwidth h (Å⁻¹, descriptor units), cutoff (Å), neighbours k
ENTROPY_BANDWIDTH, ENTROPY_CUTOFF, ENTROPY_NEIGHBORS = 0.015, 5.0, 32


@dataclass(frozen=True)
class AnalysisSettings:
    """The parameters a descriptor set reads (see :func:`glasslib.analysis.report.analyze`).

    cutoff: bond cutoffs (:func:`glasslib.analysis.bonds.bond_cutoffs`); max_ring_size: largest
    ring searched; angle_bin: angle histogram bin, degrees; hbond_r_oo, hbond_angle: the water
    H-bond criterion, Å and degrees; cluster: the structures are finite clusters (no periodic
    images; OVITO-based descriptors run without a cell).
    """

    cutoff: object = None
    max_ring_size: int = 10
    angle_bin: float = 2.0
    hbond_r_oo: float = 3.5
    hbond_angle: float = 30.0
    cluster: bool = False

    def __post_init__(self):
        positive_number(self.angle_bin, "angle bin (degrees)")
        if self.angle_bin > 90:
            raise InputError(f"angle bin must be at most 90 degrees, got {self.angle_bin}")
        positive_number(self.hbond_r_oo, "H-bond O-O distance (Å)")
        if not 0 < positive_number(self.hbond_angle, "H-bond angle (degrees)") <= 180:
            raise InputError(f"H-bond angle must be at most 180 degrees, got {self.hbond_angle}")


def distribution(values: np.ndarray) -> dict[str, float]:
    """Fraction of each integer value, ``{"4": 0.9, ...}`` (empty for no values)."""
    if values.size == 0:
        return {}
    counts = np.bincount(values.astype(np.int64))
    return {str(k): float(c) / values.size for k, c in enumerate(counts) if c}


# ------------------------------------------------------------- coordination
def coordination(graph: BondGraph) -> dict:
    """Mean coordination and its distribution, overall, per element and per element pair."""
    z = graph.species
    deg = graph.degree
    out = {"coordination_mean": float(deg.mean()), "coordination_distribution": distribution(deg)}
    elements = sorted(set(z.tolist()))
    for a in elements:
        centre = z == a
        sa = element_symbol(a)
        if len(elements) > 1:
            out[f"coordination_{sa}"] = float(deg[centre].mean())
            out[f"coordination_distribution_{sa}"] = distribution(deg[centre])
        for b in elements:
            n_b = np.bincount(graph.i, weights=(z[graph.j] == b).astype(float), minlength=graph.n_atoms)
            out[f"coordination_{sa}_{element_symbol(b)}"] = float(n_b[centre].mean())
            out[f"coordination_distribution_{sa}_{element_symbol(b)}"] = distribution(np.rint(n_b[centre]))
    return out


# ----------------------------------------------------------------- angles
def bond_angles(graph: BondGraph) -> tuple[np.ndarray, np.ndarray]:
    """(angles in degrees, centre atom) of every pair of bonds sharing an atom."""
    e1, e2 = (t.numpy() for t in triplet_index(torch.as_tensor(graph.i), graph.n_atoms))
    a, b = graph.vec[e1], graph.vec[e2]
    theta = np.degrees(np.arctan2(np.linalg.norm(np.cross(a, b), axis=1), (a * b).sum(1)))
    return theta, graph.i[e1]


def dihedral_angles(graph: BondGraph) -> np.ndarray:
    """|φ| in degrees (0–180) of every bond path i–j–k–l, each path counted once.

    Every bond j–k is taken once as the central bond, with every other bond j–i of j and
    every other bond k–l of k (images included).
    """
    deg, first = group_ranges(graph.i, graph.n_atoms)
    central = np.flatnonzero(np.arange(graph.i.shape[0]) < graph.rev)  # each bond once
    c, e1 = expand_ranges(central, deg[graph.i[central]], first[graph.i[central]])  # bonds j → i
    keep = e1 != c  # not the central bond itself
    c, e1 = c[keep], e1[keep]
    row, e3 = expand_ranges(np.arange(c.shape[0]), deg[graph.j[c]], first[graph.j[c]])  # bonds k → l
    c, e1 = c[row], e1[row]
    keep = e3 != graph.rev[c]  # not back along the central bond
    c, e1, e3 = c[keep], e1[keep], e3[keep]
    b1, b2, b3 = -graph.vec[e1], graph.vec[c], graph.vec[e3]
    n1, n2 = np.cross(b1, b2), np.cross(b2, b3)
    y = np.linalg.norm(b2, axis=1) * (b1 * n2).sum(1)
    return np.abs(np.degrees(np.arctan2(y, (n1 * n2).sum(1))))


def angle_histogram(angles: np.ndarray, bin_width: float = 2.0) -> tuple[list[float], list[float]]:
    """(bin centres, probability density per degree) on [0, 180]."""
    n_bins = int(round(180.0 / bin_width))
    if n_bins < 1 or abs(n_bins * bin_width - 180.0) > 1e-9:
        raise InputError(f"angle bin width must divide 180 degrees, got {bin_width}")
    hist, edges = np.histogram(angles, bins=n_bins, range=(0.0, 180.0))
    density = hist / max(angles.size, 1) / bin_width
    return (0.5 * (edges[1:] + edges[:-1])).tolist(), density.tolist()


def angle_summary(prefix: str, angles: np.ndarray, bin_width: float) -> dict:
    """Mean, std, count and histogram of ``angles`` (degrees) under keys ``<prefix>_...``."""
    grid, hist = angle_histogram(angles, bin_width)
    return {
        f"{prefix}_mean_deg": float(angles.mean()) if angles.size else None,
        f"{prefix}_std_deg": float(angles.std()) if angles.size else None,
        f"{prefix}_count": int(angles.size),
        f"{prefix}_bin_centers_deg": grid,
        f"{prefix}_histogram": hist,
    }


# ------------------------------------------------------------------ entropy
def information_entropy(
    structures: Structures,
    *,
    bandwidth: float = ENTROPY_BANDWIDTH,
    cutoff: float = ENTROPY_CUTOFF,
    k: int = ENTROPY_NEIGHBORS,
) -> np.ndarray:
    """QUESTS information entropy of each structure, nats (see the module docstring).

    The descriptor of an atom is QUESTS' default (sorted inverse distances of its ``k``
    nearest neighbours within ``cutoff`` Å, weighted by a smooth cutoff, and the same for
    the neighbour-neighbour distances), the same for every element. ``bandwidth`` h is the
    Gaussian kernel width in descriptor units (Å⁻¹); 0.015 is QUESTS' default, tuned for
    condensed phases. The first call compiles numba kernels (about 25 s, cached on disk).
    """
    h = positive_number(bandwidth, "entropy bandwidth")
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's type-safety warnings inside quests
        for atoms in to_ase(structures):
            x = get_descriptors([atoms], k=int(k), cutoff=float(cutoff))
            out.append(max(float(quests_entropy(x, h)), 0.0))
    return np.asarray(out)
