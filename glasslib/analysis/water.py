"""Descriptors of water: the geometric H-bond network and CHILL+ phases (non-differentiable).

==========================  ==================================================================
descriptor                  definition
==========================  ==================================================================
water H-bonds               O_d–H···O_a with r_OO < 3.5 Å and angle(H–O_d···O_a) < 30°
                            (Luzar & Chandler, Nature 379, 55 (1996)); rings are the
                            shortest-path rings of the O–O H-bond graph (own search,
                            periodic images tracked)
CHILL+                      OVITO ChillPlusModifier on the oxygens
intact molecules, census    O with exactly two H within 1.2 Å; the census counts every O by its
                            H and every H by its O within that distance
==========================  ==================================================================

:func:`water_descriptors` is the ``water`` entry of the registry in :mod:`glasslib.analysis.report`.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from glasslib.analysis.bonds import BondGraph, expand_ranges, graph_from_half_bonds, group_ranges
from glasslib.analysis.descriptors import AnalysisSettings, distribution
from glasslib.analysis.ovito_adapter import chill_plus
from glasslib.analysis.rings import shortest_path_rings
from glasslib.core.errors import InputError
from glasslib.core.geometry import neighbor_pairs, pair_distances
from glasslib.core.structures import Structures


def water_census(x: Structures, r_oh: float = 1.2) -> dict:
    """How the H atoms of a batch sit on its O atoms (where broken molecules go wrong).

    Counts, for every O, the H within ``r_oh`` Å and, for every H, the O within ``r_oh`` Å.
    Returns ``o_with_h`` (list, index n: fraction of the O with n H; n = 0 … 4, 4 meaning four or
    more) and ``h_with_o`` (index n: fraction of the H with n O; n = 0 … 2, 2 meaning two or more;
    a "stray" H has none). ``o_with_h[2]`` is the fraction of intact molecules.
    """
    x = x.to(device="cpu", dtype=torch.float64)
    _, i, j, _ = pair_distances(x, r_oh)
    zi, zj = x.species[i], x.species[j]
    oh = ((zi == 8) & (zj == 1)) | ((zi == 1) & (zj == 8))
    o_end = torch.where(zi[oh] == 8, i[oh], j[oh])
    h_end = torch.where(zi[oh] == 1, i[oh], j[oh])
    per_o = torch.bincount(o_end, minlength=x.n_atoms)[x.species == 8].clamp(max=4)
    per_h = torch.bincount(h_end, minlength=x.n_atoms)[x.species == 1].clamp(max=2)
    if per_o.numel() == 0:
        raise InputError("water census: the structures hold no O atom")
    frac = lambda c, n: [float(v) / max(c.numel(), 1) for v in torch.bincount(c, minlength=n)]  # noqa: E731
    return {"o_with_h": frac(per_o, 5), "h_with_o": frac(per_h, 3)}


def water_intact_fraction(x: Structures, r_oh: float = 1.2) -> float:
    """Fraction of the O atoms of the batch with exactly two H within ``r_oh`` Å (intact molecules;
    :func:`water_census` breaks down the rest)."""
    return water_census(x, r_oh)["o_with_h"][2]


def hydrogen_bonds(
    structure: Structures,
    *,
    r_oo: float = 3.5,
    max_angle: float = 30.0,
    r_oh: float = 1.25,
    max_ring_size: int = 10,
) -> dict:
    """Geometric H-bond network of a water structure (Luzar & Chandler 1996).

    Each H belongs to its nearest O within ``r_oh`` Å. O_d donates to O_a when
    r(O_d, O_a) < ``r_oo`` Å and the angle between O_d→H and O_d→O_a is below ``max_angle``
    degrees for one of O_d's hydrogens; a pair is H-bonded if either donates to the other.

    Returns ``hbond_count``, ``hbonds_per_molecule`` (2 × bonds / n_O), ``hbond_distribution``
    (fraction of molecules with n H-bonds), ``hbond_donated_mean``, ``hbond_accepted_mean``
    and ``hbond_ring_size_counts`` (shortest-path rings of the O–O H-bond graph).
    """
    z = structure.species.cpu().numpy()
    is_o, is_h = z == 8, z == 1
    if not is_o.any() or not is_h.any():
        raise InputError("the H-bond analysis needs O and H atoms", structure.source)
    p = neighbor_pairs(structure.to(dtype=torch.float64), max(r_oo, r_oh), full=True)
    i, j, d = p.i.cpu().numpy(), p.j.cpu().numpy(), p.distances.detach().cpu().numpy()
    vec, shift = p.vectors.detach().cpu().numpy(), p.shifts.cpu().numpy()
    # covalent O–H: each H to its nearest O
    oh = np.flatnonzero(is_h[i] & is_o[j] & (d < r_oh))
    oh = oh[np.lexsort((d[oh], i[oh]))]
    oh = oh[np.r_[True, i[oh][1:] != i[oh][:-1]]] if oh.size else oh
    owner, u_h = j[oh], -vec[oh]  # O that owns each H, and the vector O → H
    order = np.argsort(owner, kind="stable")
    owner, u_h = owner[order], u_h[order]
    n_h_of, first_h = group_ranges(owner, z.shape[0])
    # donor → acceptor O–O pairs, expanded over the donor's hydrogens
    oo = np.flatnonzero(is_o[i] & is_o[j] & (d < r_oo))
    e, h = expand_ranges(oo, n_h_of[i[oo]], first_h[i[oo]])
    cos = (u_h[h] * vec[e]).sum(1) / (np.linalg.norm(u_h[h], axis=1) * d[e])
    donate = np.unique(e[cos > math.cos(math.radians(max_angle))])
    # one entry per unordered pair (with its image shift)
    a, b, s = i[donate], j[donate], shift[donate]
    flip = (a > b) | ((a == b) & (np.sign(s) @ np.array([4, 2, 1]) < 0))
    rows = np.column_stack([np.where(flip, b, a), np.where(flip, a, b), np.where(flip[:, None], -s, s)])
    bonds = np.unique(rows, axis=0) if rows.size else rows.reshape(0, 5)
    donated = np.bincount(i[donate], minlength=z.shape[0])[is_o]
    accepted = np.bincount(j[donate], minlength=z.shape[0])[is_o]
    o_index = np.full(z.shape[0], -1)
    o_index[is_o] = np.arange(int(is_o.sum()))
    bi, bj = o_index[bonds[:, 0]], o_index[bonds[:, 1]]
    n_o = int(is_o.sum())
    graph = graph_from_half_bonds(np.full(n_o, 8), bi, bj, bonds[:, 2:5], np.zeros((bonds.shape[0], 3)))
    rings = shortest_path_rings(graph, max_ring_size)
    return {
        "hbond_count": int(bonds.shape[0]),
        "hbonds_per_molecule": 2.0 * bonds.shape[0] / n_o,
        "hbond_distribution": distribution(graph.degree),
        "hbond_donated_mean": float(donated.mean()),
        "hbond_accepted_mean": float(accepted.mean()),
        "hbond_ring_size_counts": {str(k): v for k, v in rings.items()},
    }


def chill_plus_phases(structures: Structures, *, cluster: bool = False) -> list[dict]:
    """CHILL+ phase fractions of the water molecules (keys ``chillplus_<phase>``; ``cluster``:
    finite clusters without images)."""
    return [{f"chillplus_{k}": v for k, v in r["fractions"].items()} for r in chill_plus(structures, cluster=cluster)]


def water_descriptors(structure: Structures, graph: BondGraph, settings: AnalysisSettings) -> dict:
    """H-bond network and CHILL+ phases of one structure (needs O and H)."""
    return {
        **hydrogen_bonds(structure, r_oo=settings.hbond_r_oo, max_angle=settings.hbond_angle,
                         max_ring_size=settings.max_ring_size),
        **chill_plus_phases(structure, cluster=settings.cluster)[0],
    }
