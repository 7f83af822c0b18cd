"""glasslib.simulate.starts: the start configuration of a task, drawn from its generator."""

from __future__ import annotations

import ase
import numpy as np
import pytest

from glasslib.core.errors import InputError
from glasslib.core.units import AMU_PER_A3_TO_G_PER_CM3
from glasslib.simulate.ice import ice_rule_report
from glasslib.simulate.starts import atoms_in_cube, given_atoms, given_water
from glasslib.simulate.systems import get_system
from glasslib.simulate.tasks import initial_configuration, make_task


def test_ice_start_of_rigid_water_obeys_the_ice_rules_at_the_requested_density():
    types, pos, cell = initial_configuration(make_task("HDA", n_atoms=96, density=0.95), np.random.default_rng(0))
    atoms = ase.Atoms(numbers=np.where(types == 1, 8, 1), positions=pos, cell=cell, pbc=True)
    assert np.all(ice_rule_report(atoms)["donated"] == 2)
    assert abs(96 / 3 * 18.015 / atoms.get_volume() * AMU_PER_A3_TO_G_PER_CM3 - 0.95) < 1e-6


def test_atomic_start_shuffles_species_at_the_task_density():
    task = make_task("CuZr", n_atoms=100, composition="Cu64Zr36", density=7.0)
    system = get_system("CuZr")
    types, pos, cell = atoms_in_cube(task, system, np.random.default_rng(1))
    assert np.bincount(types).tolist() == [0, 64, 36] and not np.all(np.diff(types) >= 0)
    mass = np.asarray(system.masses)[types - 1].sum()
    assert abs(mass / np.linalg.det(cell) * AMU_PER_A3_TO_G_PER_CM3 - 7.0) < 1e-9
    again = atoms_in_cube(task, system, np.random.default_rng(1))
    assert all(np.array_equal(a, b) for a, b in zip((types, pos, cell), again))


def test_given_start_structures():
    si = get_system("a-Si")
    a = ase.Atoms("Si2", positions=[[0, 0, 0], [6.0, 1.0, 1.0]], cell=[5.0, 5.0, 5.0], pbc=True)
    types, pos, cell = given_atoms(a, si)
    assert types.tolist() == [1, 1] and np.allclose(pos[1], [1.0, 1.0, 1.0])  # wrapped into the cell
    with pytest.raises(InputError, match="not in a-Si-SW"):
        given_atoms(ase.Atoms("C", cell=[5.0, 5.0, 5.0], pbc=True), si)
    with pytest.raises(InputError, match="orthogonal"):
        given_atoms(ase.Atoms("Si", cell=[[5, 0, 0], [1, 5, 0], [0, 0, 5]], pbc=True), si)
    with pytest.raises(InputError, match="O, H, H"):
        given_water(ase.Atoms("HOH", cell=[5.0, 5.0, 5.0], pbc=True))
