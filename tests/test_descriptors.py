"""Generic descriptors on known answers: coordination in rock salt, bond and dihedral angles of
diamond Si, the information entropy of perfect and rattled crystals."""

from __future__ import annotations

import math

import ase.build
import numpy as np

from glasslib.analysis.bonds import bond_graph
from glasslib.analysis.descriptors import (
    angle_histogram,
    bond_angles,
    coordination,
    dihedral_angles,
    information_entropy,
)
from glasslib.core.structures import from_ase

from crystals import diamond


def test_coordination_per_species_pair_in_rocksalt():
    nacl = from_ase(ase.build.bulk("NaCl", "rocksalt", a=5.64, cubic=True).repeat(2))
    c = coordination(bond_graph(nacl, 3.2))
    assert c["coordination_mean"] == 6.0 and c["coordination_distribution"] == {"6": 1.0}
    assert c["coordination_Na_Cl"] == 6.0 and c["coordination_Na_Na"] == 0.0
    assert c["coordination_distribution_Cl_Na"] == {"6": 1.0}


def test_diamond_angles_and_dihedrals():
    g = bond_graph(from_ase(diamond()))
    assert np.all(g.degree == 4)
    theta, _ = bond_angles(g)
    assert theta.size == 216 * 6 and np.allclose(theta, math.degrees(math.acos(-1 / 3)))
    phi = dihedral_angles(g)
    assert phi.size == 432 * 9  # every bond: 3 x 3 paths i-j-k-l
    assert np.allclose(np.sort(phi)[: 432 * 6], 60.0) and np.allclose(np.sort(phi)[432 * 6 :], 180.0)
    centres, hist = angle_histogram(phi, 2.0)
    peaks = sorted(np.argsort(hist)[-2:])
    assert [centres[k] for k in peaks] == [61.0, 179.0]
    assert abs(sum(hist) * 2.0 - 1.0) < 1e-12


def test_entropy_zero_for_a_perfect_crystal_and_rising_with_disorder():
    frames = [diamond(2)]
    for amp in (0.02, 0.1):
        a = diamond(2)
        a.rattle(amp, seed=1)
        frames.append(a)
    h = information_entropy(from_ase(frames))
    assert h[0] < 1e-6
    assert 0 < h[1] < h[2] <= math.log(64)
