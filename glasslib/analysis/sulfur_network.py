"""Descriptors of sulfur: the topology of the S–S bond network (non-differentiable).

==========================  ==================================================================
descriptor                  definition
==========================  ==================================================================
sulfur                      ``s8_fraction``: S atoms in closed 8-cycles of two-coordinated S
                            (intact S₈ rings); ``s_chain_end_fraction``: one-coordinated S
==========================  ==================================================================

:func:`sulfur_descriptors` is the ``sulfur`` entry of the registry in :mod:`glasslib.analysis.report`.
"""

from __future__ import annotations

import numpy as np

from glasslib.analysis.bonds import BondGraph, group_ranges
from glasslib.analysis.descriptors import AnalysisSettings, distribution
from glasslib.core.errors import InputError
from glasslib.core.structures import Structures


def sulfur_rings(graph: BondGraph) -> dict:
    """S₈ rings and chain ends of the S–S bond graph (other elements ignored).

    Walks every chain of two-coordinated S atoms; a walk that closes on its start with zero
    net image shift is a ring (a walk that closes through the cell is an endless chain).
    Returns ``s8_fraction`` (S atoms in closed 8-rings), ``s_chain_end_fraction`` (S₁, one
    S neighbour), ``s_isolated_fraction`` (no S neighbour), ``s_branch_fraction`` (three or
    more), ``s_ring_size_counts`` (closed rings of two-coordinated S by size) and
    ``s_coordination_distribution``.
    """
    is_s, deg, in_s8, ring_sizes = _walk_chains(graph)
    n_s = int(is_s.sum())
    ds = deg[is_s]
    return {
        "s8_fraction": float(in_s8.sum()) / n_s,
        "s_chain_end_fraction": float((ds == 1).sum()) / n_s,
        "s_isolated_fraction": float((ds == 0).sum()) / n_s,
        "s_branch_fraction": float((ds >= 3).sum()) / n_s,
        "s_ring_size_counts": {str(k): v for k, v in sorted(ring_sizes.items())},
        "s_coordination_distribution": distribution(ds),
    }


def s8_atoms(graph: BondGraph) -> np.ndarray:
    """(n_atoms,) bool: the atoms of intact S₈ rings (the ones :func:`sulfur_rings` counts)."""
    return _walk_chains(graph)[2]


def _walk_chains(graph: BondGraph):
    """(is_s, S–S degree, in-S₈ mask, {ring size: count}) of the S–S bond graph (atom indices of ``graph``)."""
    is_s = graph.species == 16
    if not is_s.any():
        raise InputError("the sulfur analysis needs S atoms")
    g = graph.restrict(is_s)
    deg, first = group_ranges(g.i, g.n_atoms)
    visited = np.zeros(g.n_atoms, bool)
    in_s8 = np.zeros(g.n_atoms, bool)
    ring_sizes: dict[int, int] = {}
    for start in np.flatnonzero(is_s & (deg == 2)):
        if visited[start]:
            continue
        edge, shift, members = first[start], np.zeros(3, np.int64), [start]
        closed = False
        while True:
            shift = shift + g.shift[edge]
            nxt = g.j[edge]
            if nxt == start:
                closed = not shift.any()
                break
            if deg[nxt] != 2 or visited[nxt] or nxt in members:
                break
            members.append(nxt)
            a, b = first[nxt], first[nxt] + 1
            edge = b if a == g.rev[edge] else a
        visited[members] = True
        if closed:
            ring_sizes[len(members)] = ring_sizes.get(len(members), 0) + 1
            if len(members) == 8:
                in_s8[members] = True
    return is_s, deg, in_s8, ring_sizes


def sulfur_descriptors(structure: Structures, graph: BondGraph, settings: AnalysisSettings) -> dict:
    """S₈ rings and chain ends of one structure (needs S)."""
    return sulfur_rings(graph)
