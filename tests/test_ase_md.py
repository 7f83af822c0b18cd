"""ASE/CHGNet melt-quench (glasslib.simulate.ase_md, the AseChgnet engine): liquid sulfur and Zr-Ni-Al
at small size and with short protocols (the full-size checks are in notebook 01)."""

import ase
import numpy as np
import pytest
from ase.neighborlist import neighbor_list

import glasslib.simulate.tasks as sim
from glasslib.analysis import bond_graph, sulfur_rings
from glasslib.core.errors import InputError
from glasslib.core.structures import from_ase
from glasslib.simulate.ase_md import AseChgnet, chgnet_weights_file
from glasslib.core.atomic_io import sha256_file
from glasslib.simulate.systems import get_system


@pytest.fixture(scope="module")
def sulfur16():
    task = sim.make_task("sulfur", n_atoms=16, density=1.85, seed=11, melt_time=0.1, anneal_time=0.2)
    return task, sim.simulate(task)


def test_liquid_sulfur_bonds_and_coordination(sulfur16):
    task, a = sulfur16
    i, j, d = neighbor_list("ijd", a, 2.6)  # S–S bonds: first minimum of g(r) near 2.6 Å
    cn = np.bincount(i, minlength=len(a))
    assert 1.98 < d.mean() < 2.15, d.mean()  # S–S bond ≈ 2.05 Å
    assert 1.7 <= cn.mean() <= 2.1 and (cn <= 3).all()  # two-fold: rings and chains
    assert neighbor_list("d", a, 1.8).size == 0  # no pair closer than 1.8 Å
    rings = sulfur_rings(bond_graph(from_ase(a)))
    assert rings["s8_fraction"] + rings["s_chain_end_fraction"] > 0
    info = a.info
    assert info["engine"] == "ase+chgnet" and info["start"] == "rings" and info["system"] == "sulfur-CHGNet"
    assert info["potential_sha256"] == sha256_file(chgnet_weights_file())
    assert abs(info["density_g_cm3"] - 1.85) < 1e-9 and np.isfinite(info["pressure_GPa"])
    assert 250 < info["temperature_mean_K"] < 700  # 450 K target, 16 atoms fluctuate
    assert info["n_md_steps"] == task.protocol.n_md_steps == 150


def test_same_task_same_structure(sulfur16):
    task, a = sulfur16
    again = sim.simulate(task)
    assert np.array_equal(a.positions, again.positions)


def test_zrnial_glass_is_minimised_with_its_composition():
    task = sim.make_task("ZrNiAl", n_atoms=16, seed=3, melt_time=0.1, quench_rate=17000.0, anneal_time=0.1)
    a = sim.simulate(task)
    symbols = a.get_chemical_symbols()
    assert {el: symbols.count(el) for el in ("Zr", "Ni", "Al")} == {"Zr": 10, "Ni": 4, "Al": 2}
    assert neighbor_list("d", a, 2.0).size == 0  # no pair closer than 2.0 Å
    assert a.info["minimized"] and a.info["composition"] == "Zr0.6Ni0.25Al0.15"
    assert np.abs(a.get_momenta()).max() == 0.0
    assert 5.5 < a.info["density_g_cm3"] < 7.5  # ideal-mixing density of Zr60Ni25Al15


@pytest.mark.parametrize(
    "system, kwargs, match",
    [
        ("sulfur", {"ensemble": "npt"}, "NVT only"),
        ("sulfur", {"start": "lattice"}, "not available for sulfur-CHGNet"),
        ("sulfur", {"start": "random"}, "not available for sulfur-CHGNet"),
        ("a-Si", {"start": "rings"}, "not available for a-Si-SW"),
        ("ZrNiAl", {"start": "chains"}, "not available for ZrNiAl-CHGNet"),
        ("sulfur", {"n_atoms": 20}, "multiple of 8"),
        ("sulfur", {"density": 4.0}, "impossible density"),
    ],
)
def test_bad_tasks(system, kwargs, match):
    with pytest.raises(InputError, match=match) as exc:
        task = sim.make_task(system, **kwargs)
        sim.simulate(task)  # the packing check happens when the start is built
    assert "\n" not in str(exc.value)


def test_potential_override_is_refused():
    with pytest.raises(InputError, match="does not apply"):
        sim.make_task("sulfur", potential_file="x.pth")
    assert get_system("sulfur").kind == "ase-chgnet" and isinstance(get_system("ZrNiAl").engine, AseChgnet)


def test_minimise_lowers_the_chgnet_energy_to_its_force_tolerance():
    """CHGNet minimisation (the relax step of sampling for sulfur and Zr-Ni-Al) of a rattled 16-atom
    sulfur glass: the energy falls and every force ends below the tolerance (checked with a fresh
    calculator)."""
    from glasslib.simulate.ase_md import chgnet_calculator

    system = get_system("sulfur")
    task = sim.make_task("sulfur", n_atoms=16, density=1.85, seed=11, melt_time=0.1, anneal_time=0.2)
    start = sim.simulate(task)
    start.rattle(0.15, seed=2)
    start.calc = chgnet_calculator()
    before = float(start.get_potential_energy())
    start.calc = None
    out = system.engine.minimise(start, system, fmax=0.05, max_steps=300)
    assert out.info["energy_eV"] < before - 0.1
    out.calc = chgnet_calculator()
    assert abs(float(out.get_potential_energy()) - out.info["energy_eV"]) < 1e-4
    assert np.linalg.norm(out.get_forces(), axis=1).max() < 0.05
    assert out.get_chemical_symbols() == start.get_chemical_symbols()
    with pytest.raises(InputError, match=r"has no \['Si'\]"):
        system.engine.minimise(ase.Atoms("Si2", positions=[(0, 0, 0), (2.3, 0, 0)], cell=[10, 10, 10], pbc=True), system)
