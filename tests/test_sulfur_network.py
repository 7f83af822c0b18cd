"""Sulfur descriptors on an S₈ crystal: every atom in an intact ring, and two chain ends when one
ring is opened."""

from __future__ import annotations

import math

import ase
import numpy as np
from scipy.spatial.transform import Rotation

from glasslib.analysis.bonds import bond_graph
from glasslib.analysis.descriptors import bond_angles, dihedral_angles
from glasslib.analysis.sulfur_network import sulfur_rings
from glasslib.core.structures import from_ase
from glasslib.simulate.sulfur import s8_ring


def s8_crystal(spacing=10.0, n=2, seed=0):
    """n³ randomly oriented S₈ rings on a cubic lattice of the given spacing (Å)."""
    rng = np.random.default_rng(seed)
    ring = s8_ring()
    pos = []
    for idx in np.ndindex(n, n, n):
        rot = Rotation.random(random_state=int(rng.integers(1 << 30))).as_matrix()
        pos.append(ring @ rot.T + spacing * (np.array(idx) + 0.5))
    return ase.Atoms(f"S{8 * n**3}", positions=np.concatenate(pos), cell=[n * spacing] * 3, pbc=True)


def torsion(p0, p1, p2, p3):
    b1, b2, b3 = p1 - p0, p2 - p1, p3 - p2
    n1, n2 = np.cross(b1, b2), np.cross(b2, b3)
    return math.degrees(math.atan2(np.linalg.norm(b2) * b1 @ n2, n1 @ n2))


def test_s8_crystal_all_intact_rings_and_broken_bond_gives_chain_ends():
    ring = s8_ring()
    assert abs(np.linalg.norm(ring[1] - ring[0]) - 2.05) < 1e-12
    assert abs(abs(torsion(*ring[:4])) - 98.8) < 0.5  # α-S₈ torsion ≈ 98–99°
    crystal = s8_crystal()
    g = bond_graph(from_ase(crystal))
    s = sulfur_rings(g)
    assert s["s8_fraction"] == 1.0 and s["s_chain_end_fraction"] == 0.0 and s["s_ring_size_counts"] == {"8": 8}
    theta, _ = bond_angles(g)
    assert np.allclose(theta, 108.0)
    assert np.allclose(dihedral_angles(g), abs(torsion(*ring[:4])))
    # open one ring: swing atom 0 outwards around atom 1, keeping the 0–1 bond
    pos = crystal.get_positions()
    centre = pos[:8].mean(0)
    out = (pos[1] - centre) / np.linalg.norm(pos[1] - centre)
    pos[0] = pos[1] + 2.05 * out
    crystal.set_positions(pos)
    s = sulfur_rings(bond_graph(from_ase(crystal)))
    assert s["s8_fraction"] == 56 / 64 and s["s_chain_end_fraction"] == 2 / 64
    assert s["s_ring_size_counts"] == {"8": 7} and s["s_coordination_distribution"] == {"1": 2 / 64, "2": 62 / 64}
