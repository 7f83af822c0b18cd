"""glasslib.simulate.paracrystalline: diamond grains in an amorphous Si matrix, relaxed by the
matrix's engine; the crystalline fraction measured with OVITO (glasslib.analysis)."""

from __future__ import annotations

import ase
import numpy as np
import pytest
from ase.build import bulk
from ase.neighborlist import neighbor_list

from glasslib.analysis import crystallinity
from glasslib.core.errors import InputError
from glasslib.core.structures import from_ase
from glasslib.core.units import cubic_box_length
from glasslib.simulate.paracrystalline import A_SI, ParacrystallineBuilder, diamond_sphere, insert_crystallites
from glasslib.simulate.placement import random_positions
from glasslib.simulate.systems import get_system
from glasslib.simulate.tasks import make_task, simulate


def diamond_fraction(atoms) -> dict:
    """``cubic``: fraction of cubic-diamond atoms; ``crystalline``: cubic or hexagonal diamond atoms plus
    their first and second diamond neighbours (OVITO's IdentifyDiamondModifier)."""
    res = crystallinity(from_ase(atoms))[0]
    return {"cubic": res["diamond_type_fractions"].get("cubic_diamond", 0.0), "crystalline": res["crystallinity"]}


def _random_matrix(n=512, density=2.28, seed=0):
    box = cubic_box_length(np.full(n, 28.0855), density)
    pos = random_positions(n, box, 2.1, np.random.default_rng(seed))
    return ase.Atoms(symbols=["Si"] * n, positions=pos, cell=np.eye(3) * box, pbc=True)


def test_diamond_sphere_geometry():
    pts = diamond_sphere(7.5)
    assert np.any(np.all(pts == 0, axis=1)) and np.all(np.linalg.norm(pts, axis=1) <= 7.5 + 1e-9)
    d = np.linalg.norm(pts[:, None] - pts[None], axis=-1)[np.triu_indices(len(pts), 1)]
    assert abs(d.min() - A_SI * np.sqrt(3) / 4) < 1e-9  # Si-Si bond 2.352 A
    # atom count close to crystal density x sphere volume
    assert abs(len(pts) - 8 / A_SI**3 * 4 / 3 * np.pi * 7.5**3) / len(pts) < 0.15


def test_diamond_fraction_of_crystal_and_random_matrix():
    crystal = bulk("Si", "diamond", a=A_SI, cubic=True).repeat(3)
    assert diamond_fraction(crystal) == {"cubic": 1.0, "crystalline": 1.0}
    assert diamond_fraction(_random_matrix())["crystalline"] < 0.02


def test_insert_crystallites():
    matrix = _random_matrix()
    a = insert_crystallites(matrix, n_grains=1, radius=7.5, seed=3)
    b = insert_crystallites(matrix, n_grains=1, radius=7.5, seed=3)
    np.testing.assert_array_equal(a.positions, b.positions)
    grain = a.arrays["grain"]
    n_grain = int((grain == 0).sum())
    assert n_grain == len(diamond_sphere(7.5)) == a.info["grain_atoms"]
    i, j, d = neighbor_list("ijd", a, 2.2)
    assert not np.any((grain[i] == -1) & (grain[j] == 0))  # no matrix atom within the contact distance
    assert abs(len(a) - len(matrix)) < 0.1 * len(matrix)  # density kept close to the matrix's
    frac = diamond_fraction(a)
    assert 0.05 < frac["crystalline"] <= n_grain / len(a) + 1e-9
    with pytest.raises(InputError, match="does not fit"):
        insert_crystallites(matrix, n_grains=1, radius=15.0, seed=0)
    with pytest.raises(InputError, match="could not place"):
        insert_crystallites(matrix, n_grains=8, radius=6.0, seed=0, max_tries=200)


def test_paracrystalline_system_options():
    t = make_task("paracrystalline", n_atoms=512, options={"n_grains": 1})
    assert dict(t.options) == {"n_grains": 1.0, "grain_radius": 7.5, "relax_temperature": 300.0, "relax_time": 10.0}
    with pytest.raises(InputError, match="unknown option"):
        make_task("paracrystalline", options={"grain_size": 3})
    with pytest.raises(InputError, match="unknown option"):
        make_task("a-Si", options={"n_grains": 1})


@pytest.mark.slow
def test_paracrystalline_si_keeps_its_grain_after_relaxation():
    """512-atom SW matrix (100 K/ps), one 7.5 A grain, 5 ps at 300 K + minimisation (~20 s)."""
    task = make_task("paracrystalline", n_atoms=512, seed=1, melt_temperature=2500.0, melt_time=2.0,
                     quench_rate=100.0, anneal_time=1.0, options={"n_grains": 1, "relax_time": 5.0})
    system = get_system("paracrystalline")
    matrix, inserted, a = system.engine.stages(task, system)
    info = a.info
    fractions = {"matrix": diamond_fraction(matrix)["crystalline"], "inserted": diamond_fraction(inserted)["crystalline"],
                 "relaxed": diamond_fraction(a)["crystalline"]}
    print({k: round(v, 3) for k, v in fractions.items()})
    assert info["system"] == "a-Si-paracrystalline" and info["matrix_system"] == "a-Si-SW"
    assert fractions["matrix"] < 0.02
    assert fractions["relaxed"] > 0.08  # the grain (87 of ~500 atoms) survives
    assert info["minimized"] and info["grain_atoms"] == 87


def test_builder_runs_the_matrix_with_its_own_engine():
    system = get_system("paracrystalline")
    assert isinstance(system.engine, ParacrystallineBuilder) and system.engine.matrix is get_system("a-Si-SW")
    task = make_task(system, n_atoms=216, seed=1, options={"n_grains": 1})
    matrix_task = system.engine.matrix_task(task)
    assert matrix_task.system == "a-Si-SW" and matrix_task.options == () and matrix_task.protocol == task.protocol
    assert (matrix_task.n_atoms, matrix_task.density) == (task.n_atoms, task.density)
    assert matrix_task.seed != task.seed and matrix_task == system.engine.matrix_task(task)
    a = simulate(make_task(system, n_atoms=216, seed=1, melt_time=0.1, quench_rate=50000.0, anneal_time=0.0,
                           options={"n_grains": 1, "grain_radius": 4.0, "relax_time": 0.1}))
    assert a.info["system"] == "a-Si-paracrystalline" and a.info["start"] == "given structure"
    assert "crystalline_fraction" not in a.info  # a measurement, made in glasslib.analysis
