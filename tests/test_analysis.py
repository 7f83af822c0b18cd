"""Structural analysis validated on known answers: diamond and lonsdaleite Si, an S₈ crystal,
ice Ih, rattled crystals; two routes for rings (own periodic search vs OVITO); the CLI."""

from __future__ import annotations

import json
import math

import ase
import ase.build
import numpy as np
import pytest

from glasslib import analysis as A
from glasslib.errors import InputError
from glasslib.ice import ice_ih
from glasslib.structures import concatenate, from_ase
from glasslib.sulfur import s8_ring

from crystals import diamond, lonsdaleite


def s8_crystal(spacing=10.0, n=2, seed=0):
    """n³ randomly oriented S₈ rings on a cubic lattice of the given spacing (Å)."""
    from scipy.spatial.transform import Rotation

    rng = np.random.default_rng(seed)
    ring = s8_ring()
    pos = []
    for idx in np.ndindex(n, n, n):
        rot = Rotation.random(random_state=int(rng.integers(1 << 30))).as_matrix()
        pos.append(ring @ rot.T + spacing * (np.array(idx) + 0.5))
    return ase.Atoms(f"S{8 * n**3}", positions=np.concatenate(pos), cell=[n * spacing] * 3, pbc=True)


@pytest.fixture(scope="module")
def si216():
    return from_ase(diamond())


def torsion(p0, p1, p2, p3):
    b1, b2, b3 = p1 - p0, p2 - p1, p3 - p2
    n1, n2 = np.cross(b1, b2), np.cross(b2, b3)
    return math.degrees(math.atan2(np.linalg.norm(b2) * b1 @ n2, n1 @ n2))


# ------------------------------------------------------------------ bonds, coordination
def test_bond_cutoffs_defaults_overrides_and_errors():
    t = A.bond_cutoffs([14, 8])
    assert t[(14, 14)] == 2.85 and 2.1 < t[(8, 14)] < 2.3
    assert A.bond_cutoffs([14, 8], {"Si-O": 2.0})[(8, 14)] == 2.0
    assert set(A.bond_cutoffs([14, 8], 3.0).values()) == {3.0}
    assert A.bond_cutoffs([14, 8], {"Si-Si": 0})[(14, 14)] == 0.0  # 0: the pair never bonds
    with pytest.raises(InputError, match="positive"):
        A.bond_cutoffs([14], -1.0)
    with pytest.raises(InputError, match="zero"):
        A.bond_cutoffs([14], {"Si-Si": 0})
    with pytest.raises(InputError, match="unknown element"):
        A.bond_cutoffs([14], {"Xx-Si": 2.0})


def test_coordination_per_species_pair_in_rocksalt():
    nacl = from_ase(ase.build.bulk("NaCl", "rocksalt", a=5.64, cubic=True).repeat(2))
    c = A.coordination(A.bond_graph(nacl, 3.2))
    assert c["coordination_mean"] == 6.0 and c["coordination_distribution"] == {"6": 1.0}
    assert c["coordination_Na_Cl"] == 6.0 and c["coordination_Na_Na"] == 0.0
    assert c["coordination_distribution_Cl_Na"] == {"6": 1.0}


def test_diamond_angles_and_dihedrals(si216):
    g = A.bond_graph(si216)
    assert np.all(g.degree == 4)
    theta, _ = A.bond_angles(g)
    assert theta.size == 216 * 6 and np.allclose(theta, math.degrees(math.acos(-1 / 3)))
    phi = A.dihedral_angles(g)
    assert phi.size == 432 * 9  # every bond: 3 x 3 paths i-j-k-l
    assert np.allclose(np.sort(phi)[: 432 * 6], 60.0) and np.allclose(np.sort(phi)[432 * 6 :], 180.0)
    centres, hist = A.angle_histogram(phi, 2.0)
    peaks = sorted(np.argsort(hist)[-2:])
    assert [centres[k] for k in peaks] == [61.0, 179.0]
    assert abs(sum(hist) * 2.0 - 1.0) < 1e-12


# ------------------------------------------------------------------ rings: two routes
def test_rings_diamond_and_lonsdaleite_own_search_agrees_with_ovito(si216):
    assert A.shortest_path_rings(A.bond_graph(si216), 10) == {n: (432 if n == 6 else 0) for n in range(3, 11)}
    assert A.ring_statistics(si216)[0]["ring_size_counts"]["6"] == 432
    hexa = from_ase(lonsdaleite())
    own = A.shortest_path_rings(A.bond_graph(hexa), 12)
    ovito = A.ring_statistics(hexa, max_ring_size=12)[0]
    assert own == {n: (384 if n == 6 else 0) for n in range(3, 13)}
    # the 17 Å cell lets OVITO see winding cycles, so the periodic search answers
    assert ovito["ring_method"].startswith("periodic") and ovito["ring_size_counts"]["6"] == 384


def test_ring_search_does_not_count_cycles_winding_through_a_small_cell():
    small = from_ase(diamond(2))  # 10.9 Å: 8-bond zigzags wrap around
    assert A.shortest_path_rings(A.bond_graph(small), 12) == {n: (128 if n == 6 else 0) for n in range(3, 13)}
    # a chain through the cell: one atom per cell along x, bonded to its own image
    chain = from_ase(ase.Atoms("C", positions=[[0, 0, 0]], cell=[1.5, 10, 10], pbc=True))
    assert sum(A.shortest_path_rings(A.bond_graph(chain), 8).values()) == 0


def test_rings_of_amorphous_si_own_search_equals_ovito_on_a_supercell():
    """OVITO sees winding cycles in the 16 Å cell but not in its 2x2x2 supercell, where it is
    exact; the periodic search on the small cell must give 1/8 of those counts."""
    from pathlib import Path

    import ase.io

    path = Path(__file__).resolve().parents[1] / "data" / "a-Si" / "glass-epsr_Si_2.5_00.xyz"
    atoms = ase.io.read(path)
    own = A.shortest_path_rings(A.bond_graph(from_ase(atoms)), 10)
    big = A.ring_statistics(from_ase(atoms.repeat(2)))[0]
    assert big["ring_method"] == "ovito"
    assert {int(k): v for k, v in big["ring_size_counts"].items()} == {k: 8 * v for k, v in own.items()}
    assert sum(own.values()) > 400 and own[5] > 100 and own[6] > 100


def test_crystallinity_cubic_and_hexagonal(si216):
    cub = A.crystallinity(si216)[0]
    assert cub["crystallinity_cubic"] == 1.0 and cub["crystallinity_hexagonal"] == 0.0
    hexa = A.crystallinity(from_ase(lonsdaleite()))[0]
    assert hexa["crystallinity_hexagonal"] == 1.0 and hexa["diamond_type_fractions"]["hex_diamond"] == 1.0


# ------------------------------------------------------------------ water
def test_ice_ih_hbond_network_has_only_six_rings_and_chill_plus_hexagonal():
    for reps in ((2, 1, 1), (3, 2, 2)):  # the small cell has 4-cycles winding along c
        ice = from_ase(ice_ih(*reps, seed=4))
        hb = A.hydrogen_bonds(ice)
        n_mol = ice.n_atoms // 3
        assert hb["hbonds_per_molecule"] == 4.0 and hb["hbond_distribution"] == {"4": 1.0}
        assert hb["hbond_donated_mean"] == 2.0 and hb["hbond_accepted_mean"] == 2.0
        assert hb["hbond_ring_size_counts"] == {str(n): (2 * n_mol if n == 6 else 0) for n in range(3, 11)}
    assert A.chill_plus_phases(ice)[0]["chillplus_hexagonal_ice"] == 1.0
    # TIP4P/2005 H sit 2.5° off the O–O axis: a 2° angle criterion finds no H-bond
    assert A.hydrogen_bonds(ice, max_angle=2.0)["hbond_count"] == 0


# ------------------------------------------------------------------ sulfur
def test_s8_crystal_all_intact_rings_and_broken_bond_gives_chain_ends():
    ring = s8_ring()
    assert abs(np.linalg.norm(ring[1] - ring[0]) - 2.05) < 1e-12
    assert abs(abs(torsion(*ring[:4])) - 98.8) < 0.5  # α-S₈ torsion ≈ 98–99°
    crystal = s8_crystal()
    g = A.bond_graph(from_ase(crystal))
    s = A.sulfur_rings(g)
    assert s["s8_fraction"] == 1.0 and s["s_chain_end_fraction"] == 0.0 and s["s_ring_size_counts"] == {"8": 8}
    theta, _ = A.bond_angles(g)
    assert np.allclose(theta, 108.0)
    assert np.allclose(A.dihedral_angles(g), abs(torsion(*ring[:4])))
    # open one ring: swing atom 0 outwards around atom 1, keeping the 0–1 bond
    pos = crystal.get_positions()
    centre = pos[:8].mean(0)
    out = (pos[1] - centre) / np.linalg.norm(pos[1] - centre)
    pos[0] = pos[1] + 2.05 * out
    crystal.set_positions(pos)
    s = A.sulfur_rings(A.bond_graph(from_ase(crystal)))
    assert s["s8_fraction"] == 56 / 64 and s["s_chain_end_fraction"] == 2 / 64
    assert s["s_ring_size_counts"] == {"8": 7} and s["s_coordination_distribution"] == {"1": 2 / 64, "2": 62 / 64}


# ------------------------------------------------------------------ entropy
def test_entropy_zero_for_a_perfect_crystal_and_rising_with_disorder():
    frames = [diamond(2)]
    for amp in (0.02, 0.1):
        a = diamond(2)
        a.rattle(amp, seed=1)
        frames.append(a)
    h = A.information_entropy(from_ase(frames))
    assert h[0] < 1e-6
    assert 0 < h[1] < h[2] <= math.log(64)


# ------------------------------------------------------------------ analyze + CLI
def test_analyze_picks_descriptors_by_species_and_is_json_ready(si216):
    a = diamond(2)
    a.rattle(0.05, seed=2)
    ice = ice_ih(2, 1, 1, seed=0)
    batch = concatenate([from_ase(diamond(2)), from_ase(a), from_ase(ice), from_ase(s8_crystal())])
    rep = A.analyze(batch)
    json.dumps(rep, allow_nan=False)
    si, rattled, water, sulfur = rep["structures"]
    assert si["crystallinity_cubic"] == 1.0 and si["ring_size_counts"]["6"] == 128 and si["entropy_nats"] < 1e-6
    assert rattled["entropy_nats"] > 0 and "dihedral_histogram" in rattled
    assert water["chillplus_hexagonal_ice"] == 1.0 and water["coordination_O_H"] == 2.0
    assert "ring_size_counts" not in water and "s8_fraction" not in water
    assert sulfur["s8_fraction"] == 1.0 and "crystallinity" not in sulfur
    mean = rep["mean"]
    assert mean["crystallinity_cubic"] == 1.0  # mean over the two Si structures
    assert mean["composition"]["Si"] == 32.0  # counts: missing keys count as 0
    assert len(mean["bond_angle_histogram"]) == 90


def _cli(argv, monkeypatch):
    import glasslib.cli as cli

    return cli.main([str(a) for a in argv])


def test_cli_analyze_writes_report_and_image(tmp_path, monkeypatch):
    import ase.io

    a = diamond(2)
    b = a.copy()
    b.rattle(0.05, seed=0)
    traj = tmp_path / "si.extxyz"
    ase.io.write(traj, [a, b])
    out, png = tmp_path / "report.json", tmp_path / "si.png"
    assert _cli(["analyze", traj, "--out", out, "--cutoff", "Si-Si=2.9", "--no-entropy",
                 "--render", png, "--size", "80x60"], monkeypatch) == 0
    rep = json.loads(out.read_text())
    assert rep["n_structures"] == 2 and rep["settings"]["bond_cutoffs_A"] == {"Si-Si": 2.9}
    assert [s["frame"] for s in rep["structures"]] == [0, 1] and rep["structures"][0]["source"] == str(traj)
    assert rep["mean"]["ring_size_counts"]["6"] <= 128 and rep["image"]["color_by"] == "diamond"
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_cli_analyze_bad_input_is_one_line_exit_2(tmp_path, monkeypatch, capsys):
    out = tmp_path / "r.json"
    assert _cli(["analyze", tmp_path / "missing.xyz", "--out", out], monkeypatch) == 2
    assert _cli(["analyze", tmp_path / "missing.xyz", "--out", out, "--cutoff", "Si=x"], monkeypatch) == 2
    assert _cli(["analyze", tmp_path / "missing.xyz", "--out", out, "--size", "big"], monkeypatch) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("glass: error: ") for line in err)
    assert "no such file" in err[0] and "--cutoff" in err[1] and "--size" in err[2]
    assert not out.exists()
