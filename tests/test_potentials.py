"""glasslib.diffusion.potentials: the Stillinger-Weber, Tersoff and Vashishta energies in torch against
LAMMPS's pair_style sw, tersoff and vashishta (same files), the diamond ground states, a Si-O dimer and a
linear O-Si-O by hand, float64 gradcheck and bad parameter files."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from ase.build import bulk

from glasslib.core.errors import InputError
from glasslib.core.geometry import neighbor_pairs
from glasslib.core.structures import concatenate, from_ase
from glasslib.diffusion.potentials import (LAMMPS_METAL_QQR2E, StillingerWeber, Tersoff, Vashishta, _triplets,
                                           load_potential, read_sw_file, read_tersoff_file, read_vashishta_file)
from glasslib.diffusion.sampling import cubic_cell
from glasslib.simulate.lammps_env import open_lammps, run_commands
from glasslib.simulate.placement import random_positions
from glasslib.simulate.systems import C_TERSOFF, SI_SW, SI_TERSOFF, SIO2_VASHISHTA

SW_FILE = SI_SW.engine.potential_file(SI_SW)  # the file that made the a-Si training sets
SIC_FILE = C_TERSOFF.engine.potential_file(C_TERSOFF)  # a-C training sets: its C-C-C entry
VASHISHTA_FILE = SIO2_VASHISHTA.engine.potential_file(SIO2_VASHISHTA)  # the SiO2 training sets' file
#: (LAMMPS system, element, diamond lattice constant Å) of each potential compared with LAMMPS
CASES = {"sw Si": (SI_SW, "Si", 5.431), "tersoff Si": (SI_TERSOFF, "Si", 5.431), "tersoff C": (C_TERSOFF, "C", 3.567)}


def _diamond(repeat=2, rattle=0.0, seed=1, a=5.431, element="Si"):
    atoms = bulk(element, "diamond", a=a, cubic=True).repeat(repeat)
    if rattle:
        atoms.rattle(rattle, seed=seed)
    return atoms


def _energy_and_gradient(energy_fn, s):
    """(energies (S,) eV, detached; ∂E/∂positions (N, 3) eV/Å) of ``energy_fn`` on structures ``s``."""
    pos = s.positions.clone().requires_grad_(True)
    energy = energy_fn(s.with_positions(pos))
    (grad,) = torch.autograd.grad(energy.sum(), pos)
    return energy.detach(), grad


def _lammps_energy_forces(atoms, system=SI_SW):
    """Independent route: LAMMPS with the system's pair style and file, run 0 (eV, eV/Å in input order)."""
    lmp = open_lammps()
    try:
        path = system.engine.potential_file(system)
        types = 1 + np.array([system.species.index(e) for e in atoms.get_chemical_symbols()])
        system.engine.setup(lmp, system, types, atoms.positions, atoms.cell.array, path, "test")
        run_commands(lmp, "run 0")
        n = len(atoms)
        ids = np.array(lmp.numpy.extract_atom("id")[:n])
        forces = np.array(lmp.numpy.extract_atom("f")[:n])[np.argsort(ids)]
        return float(lmp.get_thermo("pe")), forces
    finally:
        lmp.close()


@pytest.mark.parametrize("potential", list(CASES))
@pytest.mark.parametrize("case", ["rattled diamond", "disordered"])
def test_energy_and_forces_match_lammps(potential, case):
    system, element, a = CASES[potential]
    if case == "rattled diamond":
        atoms = _diamond(rattle=0.1 * a / 5.431, a=a, element=element)
    else:  # large displacements: pairs and triplets near the cutoff, angles far from tetrahedral, and
        # (Tersoff) bond orders in LAMMPS's intermediate branches
        atoms = _diamond(rattle=0.3 * a / 5.431, seed=7, a=1.03 * a, element=element)
    s = from_ase([atoms], dtype=torch.float64)
    energy, grad = _energy_and_gradient(load_potential(system.engine.potential_file(system), element), s)
    pe, forces = _lammps_energy_forces(atoms, system)
    assert abs(float(energy[0]) - pe) < 1e-9 * abs(pe)
    assert np.abs(-grad.numpy() - forces).max() < 1e-9
    assert np.abs(forces).max() > 0.5  # a real test: the forces are not small


def test_diamond_is_the_ground_state_at_minus_two_epsilon():
    """Analytic case: in ideal diamond at a = 5.431 Å the bond length is 2^(1/6) σ, where φ₂ = −ε,
    and every angle is tetrahedral (φ₃ = 0), so E = −ε per bond = −2ε per atom; the forces vanish."""
    params = read_sw_file(SW_FILE)
    s = from_ase([_diamond(repeat=3)], dtype=torch.float64)
    energy, grad = _energy_and_gradient(StillingerWeber(params), s)
    assert abs(float(energy[0]) / s.n_atoms + 2 * params.epsilon) < 1e-4
    assert float(grad.abs().max()) < 1e-3
    # a batch gives each structure its own energy; float32 in, float32 out
    batch = concatenate([from_ase([_diamond()]), from_ase([_diamond(rattle=0.1)])])
    e64 = StillingerWeber(params)(batch)
    e32 = StillingerWeber(params)(batch.to(dtype=torch.float32))
    assert e32.dtype == torch.float32 and torch.allclose(e32.double(), e64, rtol=1e-5)
    assert float(e64[0]) < float(e64[1])


def test_tersoff_diamond_and_an_isolated_dimer():
    """Tersoff diamond is a force-free minimum (−4.63 eV/atom for Si T3, −7.37 for C, their
    published cohesive energies), and two atoms with no third neighbour (ζ = 0, b = 1) have the pair
    energy A e^(−λ₁r) − B e^(−λ₂r) with a finite force equal to LAMMPS's."""
    for element, a, cohesive in (("Si", 5.431, -4.63), ("C", 3.567, -7.37)):
        pot = Tersoff(SIC_FILE if element == "C" else SI_TERSOFF.engine.potential_file(SI_TERSOFF), element)
        s = from_ase([_diamond(a=a, element=element)], dtype=torch.float64)
        energy, grad = _energy_and_gradient(pot, s)
        assert abs(float(energy[0]) / s.n_atoms - cohesive) < 0.01 and float(grad.abs().max()) < 1e-3
    import ase

    dimer = ase.Atoms("C2", positions=[(5.0, 5.0, 5.0), (6.4, 5.2, 5.0)], cell=np.eye(3) * 12.0, pbc=True)
    s = from_ase([dimer], dtype=torch.float64)
    pot = Tersoff(SIC_FILE, "C")
    energy, grad = _energy_and_gradient(pot, s)
    c, r = pot.params, float(np.linalg.norm(dimer.positions[1] - dimer.positions[0]))
    assert abs(float(energy[0]) - (c.A * math.exp(-c.lambda1 * r) - c.B * math.exp(-c.lambda2 * r))) < 1e-9
    pe, forces = _lammps_energy_forces(dimer, C_TERSOFF)
    assert bool(torch.isfinite(grad).all()) and np.abs(-grad.numpy() - forces).max() < 1e-9


@pytest.mark.parametrize("potential", ["sw Si", "tersoff C"])
def test_gradcheck_float64(potential):
    system, element, a = CASES[potential]
    s = from_ase([_diamond(repeat=1, rattle=0.2 * a / 5.431, seed=3, a=a, element=element)], dtype=torch.float64)
    energy = load_potential(system.engine.potential_file(system), element)

    def f(pos):
        return energy(s.with_positions(pos))

    assert torch.autograd.gradcheck(f, (s.positions.clone().requires_grad_(True),), eps=1e-6, atol=1e-6)


def test_triplets_are_every_pair_of_bonds_once():
    s = from_ase([_diamond(rattle=0.3, seed=2)], dtype=torch.float64)
    pairs = neighbor_pairs(s, 3.77, full=True)
    p, q = _triplets(pairs.i, s.n_atoms)
    counts = torch.bincount(pairs.i, minlength=s.n_atoms)
    assert p.numel() == int((counts * (counts - 1) // 2).sum())
    assert bool((pairs.i[p] == pairs.i[q]).all()) and bool((p < q).all())
    assert len(set(zip(p.tolist(), q.tolist()))) == p.numel()


def test_bad_parameter_files(tmp_path):
    missing = tmp_path / "none.sw"
    with pytest.raises(InputError, match="none.sw: cannot read"):
        read_sw_file(missing)
    short = tmp_path / "short.sw"
    short.write_text("Si Si Si 2.1683 2.0951 1.80\n")
    with pytest.raises(InputError, match="short.sw: not a Stillinger-Weber file"):
        read_sw_file(short)
    two = tmp_path / "two.sw"
    two.write_text("\n".join(f"{a} {b} {c} 2.1683 2.0951 1.80 21.0 1.20 -0.333 7.05 0.60 4.0 0.0 0.0"
                             for a in ("Si", "Ge") for b in ("Si", "Ge") for c in ("Si", "Ge")))
    with pytest.raises(InputError, match=r"two.sw: this Stillinger-Weber file has the elements \['Ge', 'Si'\]: name"):
        read_sw_file(two)
    assert read_sw_file(two, "Ge").element == "Ge"
    with pytest.raises(InputError, match=r"Si.sw: no C-C-C entry in this Stillinger-Weber file \(it has \['Si'\]\)"):
        read_sw_file(SW_FILE, "C")
    with pytest.raises(InputError, match=r"SiC.tersoff: this Tersoff file has the elements \['C', 'Si'\]"):
        read_tersoff_file(SIC_FILE)
    assert read_tersoff_file(SIC_FILE, "C").R == 1.95
    word = tmp_path / "word.sw"
    word.write_text("Si Si Si 2.1683 2.0951 x 21.0 1.20 -0.333 7.05 0.60 4.0 0.0 0.0\n")
    with pytest.raises(InputError, match="non-numeric"):
        read_sw_file(word)
    other = tmp_path / "Si.tersoff"
    other.write_text("")
    with pytest.raises(InputError, match="Si.tersoff: not a Tersoff file"):
        load_potential(other)
    unknown = tmp_path / "CuZr.eam.fs"
    unknown.write_text("")
    with pytest.raises(InputError, match="CuZr.eam.fs: no differentiable version"):
        load_potential(unknown)
    assert load_potential(SW_FILE).elements == ("Si",)


def _silica(n_units=32, density=2.2, min_distance=1.4, seed=0):
    """Random SiO2 at ``density`` g/cm³, no pair closer than ``min_distance`` Å: Si-O pairs inside the
    three-body range r₀ = 2.6 Å at every angle, and all pairs out to the 10 Å cutoff (> half the cell)."""
    import ase

    symbols = ["Si"] * n_units + ["O"] * (2 * n_units)
    z = torch.tensor([ase.data.atomic_numbers[e] for e in symbols])
    box = float(cubic_cell(len(symbols), z, density)[0, 0])
    pos = random_positions(len(symbols), box, min_distance, np.random.default_rng(seed))
    return ase.Atoms(symbols, positions=pos, cell=np.eye(3) * box, pbc=True)


def test_vashishta_matches_lammps():
    atoms = _silica()
    s = from_ase([atoms], dtype=torch.float64)
    energy, grad = _energy_and_gradient(load_potential(VASHISHTA_FILE, ["O", "Si"]), s)
    pe, forces = _lammps_energy_forces(atoms, SIO2_VASHISHTA)
    assert abs(float(energy[0]) - pe) < 1e-9 * abs(pe)
    assert np.abs(-grad.numpy() - forces).max() < 1e-9
    assert np.abs(forces).max() > 1.0
    # the Coulomb unit is LAMMPS's own (metal units)
    lmp = open_lammps()
    try:
        run_commands(lmp, "units metal")
        assert lmp.extract_global("qqr2e") == LAMMPS_METAL_QQR2E
    finally:
        lmp.close()


def test_vashishta_dimer_and_linear_trimer_by_hand():
    """Analytic cases from the file's entries. A Si-O pair alone: U₂(r) = V(r) − V(r_c) − (r − r_c) V′(r_c),
    V′ by central differences. A linear O-Si-O adds the O-O pair at 2r and the angle term
    B e^(2γ/(r − r₀)) δ² / (1 + C δ²) with δ = −1 − cos θ₀ (no angle is centred on an O: one bond each)."""
    import ase

    e = read_vashishta_file(VASHISHTA_FILE).entries

    def v(r, entry):
        inv = [1.0 / entry[k] if entry[k] else 0.0 for k in ("lambda1", "lambda4")]
        return (entry["H"] / r ** entry["eta"] + LAMMPS_METAL_QQR2E * entry["Zi"] * entry["Zj"] * math.exp(-r * inv[0]) / r
                - entry["D"] * math.exp(-r * inv[1]) / r**4 - entry["W"] / r**6)

    def u2(r, entry):
        rc, h = entry["rc"], 1e-5
        slope = (v(rc + h, entry) - v(rc - h, entry)) / (2 * h)
        return v(r, entry) - v(rc, entry) - (r - rc) * slope

    r, cell = 1.62, np.eye(3) * 30.0
    sio, oo, osi = e[("Si", "O", "O")], e[("O", "O", "O")], e[("O", "Si", "Si")]
    pot = Vashishta(VASHISHTA_FILE)
    dimer = ase.Atoms("SiO", positions=[(10, 10, 10), (10 + r, 10, 10)], cell=cell, pbc=True)
    assert abs(float(pot(from_ase([dimer], dtype=torch.float64))[0]) - u2(r, sio)) < 1e-9
    assert abs(u2(r, sio) - u2(r, osi)) < 1e-12  # the pair is the same from either side
    trimer = ase.Atoms("OSiO", positions=[(10 - r, 10, 10), (10, 10, 10), (10 + r, 10, 10)], cell=cell, pbc=True)
    delta = -1.0 - sio["costheta0"]
    angle = sio["B"] * math.exp(2 * sio["gamma"] / (r - sio["r0"])) * delta**2 / (1 + sio["C"] * delta**2)
    expected = 2 * u2(r, sio) + u2(2 * r, oo) + angle
    assert angle > 0.1 and abs(float(pot(from_ase([trimer], dtype=torch.float64))[0]) - expected) < 1e-9


def test_vashishta_gradcheck_float64_and_float32():
    s = from_ase([_silica(n_units=8, density=2.2, min_distance=1.4, seed=2)], dtype=torch.float64)
    energy = Vashishta(VASHISHTA_FILE)

    def f(pos):
        return energy(s.with_positions(pos))

    assert torch.autograd.gradcheck(f, (s.positions.clone().requires_grad_(True),), eps=1e-6, atol=1e-6)
    e32 = energy(s.to(dtype=torch.float32))
    assert e32.dtype == torch.float32 and torch.allclose(e32.double(), energy(s), rtol=1e-5)


def test_vashishta_bad_files_and_cells(tmp_path):
    words = [w for line in Path(VASHISHTA_FILE).read_text().splitlines() for w in line.split("#", 1)[0].split()]
    entries = [words[k:k + 17] for k in range(0, len(words), 17)]

    def write(name, rows):
        path = tmp_path / name
        path.write_text("\n".join(" ".join(row) for row in rows) + "\n")
        return path

    assert read_vashishta_file(VASHISHTA_FILE).elements == ("O", "Si")
    assert read_vashishta_file(VASHISHTA_FILE, "Si").elements == ("Si",)
    with pytest.raises(InputError, match=r"no Vashishta parameters for \['C'\] in this file \(it has \['O', 'Si'\]\)"):
        read_vashishta_file(VASHISHTA_FILE, ["Si", "C"])
    with pytest.raises(InputError, match="missing.vashishta: Vashishta file has no entry for O-O-Si"):
        read_vashishta_file(write("missing.vashishta", [row for row in entries if row[:3] != ["O", "O", "Si"]]))
    with pytest.raises(InputError, match="twice.vashishta: Vashishta file has two entries for Si-Si-Si"):
        read_vashishta_file(write("twice.vashishta", entries + [entries[0]]))
    negative = [row[:3] + ["-1.0"] + row[4:] if row[:3] == ["Si", "Si", "Si"] else row for row in entries]
    with pytest.raises(InputError, match="negative.vashishta: Vashishta entry Si-Si-Si has negative H"):
        read_vashishta_file(write("negative.vashishta", negative))
    skew = [row[:15] + ["2.0"] + row[16:] if row[:3] == ["Si", "O", "Si"] else row for row in entries]
    with pytest.raises(InputError, match="skew.vashishta: three-body parameters of Si-O-Si and Si-Si-O differ"):
        read_vashishta_file(write("skew.vashishta", skew))
    import ase

    copper = ase.Atoms("SiCu", positions=[(1, 1, 1), (3, 1, 1)], cell=np.eye(3) * 25.0, pbc=True)
    with pytest.raises(InputError, match=r"cover \['O', 'Si'\], not \['Cu'\]"):
        Vashishta(VASHISHTA_FILE)(from_ase([copper], dtype=torch.float64))
    with pytest.raises(InputError, match=r"Si.sw: the stillinger-weber term supports single-element cells only; "
                                         r"this cell has \['O', 'Si'\]"):
        load_potential(SW_FILE, ["Si", "O"])
