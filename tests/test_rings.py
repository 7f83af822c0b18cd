"""Rings by two routes: the own periodic shortest-path search against OVITO's FindRingsModifier
on diamond and lonsdaleite Si, small cells with winding cycles, and amorphous Si."""

from __future__ import annotations

from pathlib import Path

import ase
import ase.io
import pytest

from glasslib.analysis.bonds import bond_graph
from glasslib.analysis.rings import ring_statistics, shortest_path_rings
from glasslib.core.structures import from_ase

from crystals import diamond, lonsdaleite

ASI = Path(__file__).resolve().parents[1] / "data" / "a-Si" / "glass-epsr_Si_2.5_00.xyz"


@pytest.fixture(scope="module")
def si216():
    return from_ase(diamond())


def test_rings_diamond_and_lonsdaleite_own_search_agrees_with_ovito(si216):
    assert shortest_path_rings(bond_graph(si216), 10) == {n: (432 if n == 6 else 0) for n in range(3, 11)}
    assert ring_statistics(si216)[0]["ring_size_counts"]["6"] == 432
    hexa = from_ase(lonsdaleite())
    own = shortest_path_rings(bond_graph(hexa), 12)
    ovito = ring_statistics(hexa, max_ring_size=12)[0]
    assert own == {n: (384 if n == 6 else 0) for n in range(3, 13)}
    # the 17 Å cell lets OVITO see winding cycles, so the periodic search answers
    assert ovito["ring_method"].startswith("periodic") and ovito["ring_size_counts"]["6"] == 384


def test_ring_search_does_not_count_cycles_winding_through_a_small_cell():
    small = from_ase(diamond(2))  # 10.9 Å: 8-bond zigzags wrap around
    assert shortest_path_rings(bond_graph(small), 12) == {n: (128 if n == 6 else 0) for n in range(3, 13)}
    # a chain through the cell: one atom per cell along x, bonded to its own image
    chain = from_ase(ase.Atoms("C", positions=[[0, 0, 0]], cell=[1.5, 10, 10], pbc=True))
    assert sum(shortest_path_rings(bond_graph(chain), 8).values()) == 0


def test_rings_of_amorphous_si_own_search_equals_ovito_on_a_supercell():
    """OVITO sees winding cycles in the 16 Å cell but not in its 2x2x2 supercell, where it is
    exact; the periodic search on the small cell must give 1/8 of those counts."""
    atoms = ase.io.read(ASI)
    own = shortest_path_rings(bond_graph(from_ase(atoms)), 10)
    big = ring_statistics(from_ase(atoms.repeat(2)))[0]
    assert big["ring_method"] == "ovito"
    assert {int(k): v for k, v in big["ring_size_counts"].items()} == {k: 8 * v for k, v in own.items()}
    assert sum(own.values()) > 400 and own[5] > 100 and own[6] > 100
