"""glasslib.analysis.local_structure: coordination and angles of a perfect network, and the one
closest-pair definition (overall and per species pair) on crystals with known distances."""

from __future__ import annotations

import math

import ase.build
import numpy as np
import pytest
from ase.spacegroup import crystal

from glasslib.analysis.local_structure import closest_pair, closest_pairs, local_structure, pair_name, species_pairs
from glasslib.core.structures import concatenate, from_ase

A_SI = 5.431  # Å


@pytest.fixture(scope="module")
def diamond():
    return from_ase([ase.build.bulk("Si", "diamond", a=A_SI, cubic=True).repeat(2)])


def test_diamond_is_a_perfect_tetrahedral_network(diamond):
    ls = local_structure(diamond, bond_cutoff=2.6)
    assert ls.coordination_mean == 4 and ls.fourfold_fraction == 1 and ls.coordination_counts == {4: 64}
    assert ls.angle_mean_deg == pytest.approx(math.degrees(math.acos(-1 / 3)), abs=1e-9)
    assert ls.angle_std_deg < 1e-9 and ls.angle_fraction_below_70 == 0
    assert ls.closest_pair_A == pytest.approx(A_SI * math.sqrt(3) / 4, rel=1e-12)


def test_closest_pair_is_the_minimum_over_the_structures(diamond):
    squeezed = from_ase([ase.build.bulk("Si", "diamond", a=0.9 * A_SI, cubic=True).repeat(2)])
    both = concatenate([diamond, squeezed])
    assert closest_pair(both) == pytest.approx(0.9 * A_SI * math.sqrt(3) / 4, rel=1e-12)
    assert closest_pair(diamond, r_max=2.0) == math.inf  # no pair within 2 Å


def test_closest_pairs_per_species_pair_of_rocksalt():
    a = 5.64  # NaCl, Å: Na-Cl a/2, Na-Na and Cl-Cl a/√2
    nacl = from_ase([crystal(["Na", "Cl"], [(0, 0, 0), (0.5, 0.5, 0.5)], spacegroup=225, cellpar=[a, a, a, 90, 90, 90])])
    assert species_pairs(nacl) == [(11, 11), (11, 17), (17, 17)]
    assert [pair_name(*p) for p in species_pairs(nacl)] == ["Na-Na", "Na-Cl", "Cl-Cl"]
    got = closest_pairs(nacl)
    assert got["Na-Cl"] == pytest.approx(a / 2, rel=1e-12)
    assert got["Na-Na"] == pytest.approx(a / np.sqrt(2), rel=1e-12) and got["Cl-Cl"] == pytest.approx(a / np.sqrt(2), rel=1e-12)
    assert closest_pairs(nacl, r_max=3.0) == {"Na-Na": None, "Na-Cl": pytest.approx(a / 2), "Cl-Cl": None}
