"""Tests for glasslib.spectra.angles: bond angles from neighbour triplets, ADF, coordination numbers."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import ase
import ase.build
import numpy as np
import pytest
import torch

from glasslib.spectra.angles import (
    bond_angle_distribution,
    bond_angles,
    coordination_numbers,
    smooth_cutoff,
    triplet_index,
)
from glasslib.core.errors import InputError
from glasslib.core.geometry import dense_pairs, half_to_full
from glasslib.core.structures import from_ase, read_structures, to_ase

DATA = Path(__file__).resolve().parents[1] / "data"
ASI_XYZ = DATA / "a-Si/glass-epsr_Si_2.5_00.xyz"
TETRAHEDRAL = math.degrees(math.acos(-1.0 / 3.0))  # 109.4712°
THETA = torch.arange(0.5, 180.0, 1.0, dtype=torch.float64)  # bins [k, k+1)°


def _diamond(repeat=2):
    return from_ase(ase.build.bulk("Si", "diamond", 5.431).repeat(repeat))


def _perturbed_diamond(seed=0, amplitude=0.08):
    atoms = ase.build.bulk("Si", "diamond", 5.431, cubic=True)  # 8 atoms, NN 2.35 Å, 2nd shell 3.84 Å
    rng = np.random.default_rng(seed)
    atoms.positions += amplitude * rng.standard_normal(atoms.positions.shape)
    atoms.cell = atoms.cell.array + 0.05 * rng.standard_normal((3, 3))
    return from_ase(atoms)


def _dense_angles(structures, cutoff):
    """Reference route: brute-force pairs, then every pair of neighbours of each centre in Python."""
    p = half_to_full(dense_pairs(structures, cutoff))
    vec = p.vectors.detach().numpy()
    out = []
    for i in range(structures.n_atoms):
        legs = vec[(p.i == i).numpy()]
        for a, b in itertools.combinations(legs, 2):
            c = np.clip(a @ b / np.linalg.norm(a) / np.linalg.norm(b), -1, 1)
            out.append(math.degrees(math.acos(c)))
    return np.sort(np.array(out))


# ----------------------------------------------------------------- analytic cases
def test_diamond_single_tetrahedral_peak():
    s = _diamond()
    angles, center, system = bond_angles(s, 2.6)
    assert angles.shape[0] == s.n_atoms * 6  # 4 neighbours → 6 angles per atom
    assert torch.allclose(angles, torch.full_like(angles, TETRAHEDRAL), atol=1e-10)
    assert torch.equal(torch.bincount(center), torch.full((s.n_atoms,), 6))
    p = bond_angle_distribution(s, THETA, cutoff=2.6, sigma=0.0)
    assert p[0].nonzero().flatten().tolist() == [109]  # bin [109°, 110°)
    assert math.isclose(float(p.sum()), 1.0, rel_tol=1e-12)
    p = bond_angle_distribution(s, THETA, cutoff=2.6, sigma=2.0)
    assert abs(float(THETA[p[0].argmax()]) - TETRAHEDRAL) < 1.0
    assert math.isclose(float((THETA * p[0]).sum() / p[0].sum()), TETRAHEDRAL, abs_tol=1e-3)


def test_equilateral_triangle_cluster():
    tri = ase.Atoms("Si3", positions=[[5, 5, 5], [7, 5, 5], [6, 5 + math.sqrt(3), 5]], cell=[20, 20, 20], pbc=True)
    angles, center, _ = bond_angles(from_ase(tri), 2.5)
    assert torch.allclose(angles, torch.full((3,), 60.0, dtype=torch.float64))
    assert sorted(center.tolist()) == [0, 1, 2]
    tri.pbc = False  # a finite cluster gives the same
    assert torch.allclose(bond_angles(from_ase(tri), 2.5)[0], angles)


def test_rocksalt_element_selection():
    """Na centred, Cl neighbours within 3 Å: an octahedron, 12 angles of 90° and 3 of 180°."""
    s = from_ase(ase.build.bulk("NaCl", "rocksalt", 5.64, cubic=True))  # 4 Na + 4 Cl
    angles, center, _ = bond_angles(s, 3.0, center_elements=11, neighbor_elements=[17])
    assert bool((s.species[center] == 11).all()) and angles.shape[0] == 4 * 15
    assert int((angles - 90).abs().lt(1e-9).sum()) == 48 and int((angles - 180).abs().lt(1e-9).sum()) == 12
    assert bond_angles(s, 3.0, center_elements=11, neighbor_elements=11)[0].numel() == 0
    # plain histogram: the last bin [179°, 180°] is closed, so the linear angles are kept
    p = bond_angle_distribution(s, THETA, cutoff=3.0, sigma=0.0, center_elements=11)
    assert math.isclose(float(p[0, 90]), 0.8) and math.isclose(float(p[0, 179]), 0.2)
    # Gaussian: reflected at 180°, so the density still integrates to 1
    p = bond_angle_distribution(s, THETA, cutoff=3.0, sigma=2.0, center_elements=11)
    assert math.isclose(float(p.sum()), 1.0, abs_tol=1e-4)
    assert math.isclose(float(p[0, 170:].sum()), 0.2, abs_tol=1e-4)


def test_adf_integrates_to_one_on_amorphous_silicon():
    s = read_structures(ASI_XYZ)
    for kw in (dict(sigma=0.0), dict(sigma=1.5), dict(sigma=1.5, smooth_width=0.3)):
        p = bond_angle_distribution(s, THETA, cutoff=2.85, **kw)
        # exact for the histogram; the Gaussian loses its mass beyond n_sigma = 4 widths (≤ 6.3e-5)
        assert math.isclose(float(p.sum()) * 1.0, 1.0, abs_tol=1e-12 if kw["sigma"] == 0 else 7e-5), kw
        assert 100 < float(THETA[p[0].argmax()]) < 115  # tetrahedral-like network


def test_structure_without_triplets_gives_zero():
    s = from_ase(ase.Atoms("Si2", positions=[[0, 0, 0], [2.3, 0, 0]], cell=[20, 20, 20], pbc=True))
    p = bond_angle_distribution(s, THETA, cutoff=2.5, sigma=1.0)
    assert torch.equal(p, torch.zeros_like(p))


# ------------------------------------------------------------------- two routes
def test_triplets_match_dense_brute_force_and_count():
    s = _perturbed_diamond(seed=1, amplitude=0.25)
    for cutoff in (2.7, 4.0):
        angles, center, _ = bond_angles(s, cutoff)
        assert np.allclose(np.sort(angles.numpy()), _dense_angles(s, cutoff), atol=1e-8)
        n = coordination_numbers(s, cutoff).long()
        assert angles.shape[0] == int((n * (n - 1) // 2).sum())  # Σ n_i (n_i − 1)/2


def test_triplet_index_against_combinations():
    gen = torch.Generator().manual_seed(0)
    counts = torch.randint(0, 6, (30,), generator=gen)  # includes centres with 0 and 1 edges
    center = torch.repeat_interleave(torch.arange(30), counts)
    e1, e2 = triplet_index(center, 30)
    expect = []
    for i in range(30):
        edges = (center == i).nonzero().flatten().tolist()
        expect += list(itertools.combinations(edges, 2))
    assert sorted(zip(e1.tolist(), e2.tolist())) == sorted(expect)


def test_coordination_numbers():
    s = _diamond()
    assert torch.equal(coordination_numbers(s, 2.6), torch.full((s.n_atoms,), 4.0, dtype=torch.float64))
    assert torch.equal(coordination_numbers(s, 4.0), torch.full((s.n_atoms,), 16.0, dtype=torch.float64))
    # smooth: NN at 2.3517 Å inside the taper [2.2, 2.6] gets f_c = ½[1 + cos(π·0.1517/0.4)]
    fc = 0.5 * (1 + math.cos(math.pi * (5.431 * math.sqrt(3) / 4 - 2.2) / 0.4))
    assert torch.allclose(coordination_numbers(s, 2.6, 0.4), torch.full((s.n_atoms,), 4 * fc, dtype=torch.float64))
    r = torch.tensor([1.0, 2.2, 2.4, 2.6, 3.0], dtype=torch.float64)
    assert torch.allclose(smooth_cutoff(r, 2.6, 0.4), torch.tensor([1.0, 1.0, 0.5, 0.0, 0.0], dtype=torch.float64))


# --------------------------------------------------------------------- gradients
def test_gradcheck_adf_plain_kernel():
    """Hard cutoff at 3.0 Å: neighbours at 2.35 ± 0.3 Å, second shell at 3.84 Å, none near the edge."""
    s = _perturbed_diamond(seed=2)
    theta = torch.arange(60.0, 160.0, 2.0, dtype=torch.float64)

    def f(pos, cell):
        return bond_angle_distribution(s.replace(positions=pos, cell=cell), theta, cutoff=3.0, sigma=4.0)

    pos, cell = s.positions.clone().requires_grad_(True), s.cell.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(f, (pos, cell), eps=1e-6, atol=1e-7)


def test_gradcheck_adf_and_coordination_smooth_cutoff():
    """Taper [2.1, 2.6] Å holds the first-neighbour legs: the weights matter and are differentiable."""
    s = _perturbed_diamond(seed=3)
    theta = torch.arange(60.0, 160.0, 2.0, dtype=torch.float64)

    def f(pos, cell):
        t = s.replace(positions=pos, cell=cell)
        return (
            bond_angle_distribution(t, theta, cutoff=2.6, sigma=4.0, smooth_width=0.5),
            coordination_numbers(t, 2.6, 0.5),
        )

    pos, cell = s.positions.clone().requires_grad_(True), s.cell.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(f, (pos, cell), eps=1e-6, atol=1e-7)


def test_smooth_adf_is_continuous_when_a_neighbour_crosses_the_cutoff():
    s = _perturbed_diamond(seed=4, amplitude=0.0)
    p = half_to_full(dense_pairs(s, 2.6))
    first = int((p.i == 0).nonzero()[0])  # one neighbour k of atom 0
    k, vec, dist = int(p.j[first]), p.vectors[first], float(p.distances[first])
    out = {}
    for smooth in (0.0, 0.3):
        for length in (2.6 - 1e-7, 2.6 + 1e-7):  # move atom k radially across the cutoff of atom 0
            d = torch.zeros_like(s.positions)
            d[k] = vec / dist * (length - dist)
            out[smooth, length] = bond_angle_distribution(
                s.with_positions(s.positions + d), THETA, cutoff=2.6, sigma=2.0, smooth_width=smooth
            )
    jump = lambda w: float((out[w, 2.6 - 1e-7] - out[w, 2.6 + 1e-7]).abs().max())  # noqa: E731
    assert jump(0.3) < 1e-6 < 1e-3 < jump(0.0)  # moving k by 2e-7 Å alone changes P by ~1e-8


# -------------------------------------------------------------------- invariances
def test_invariances():
    s = _perturbed_diamond(seed=5, amplitude=0.2)
    kw = dict(cutoff=2.8, sigma=2.0, smooth_width=0.3)
    ref = bond_angle_distribution(s, THETA, **kw)
    gen = torch.Generator().manual_seed(1)
    perm = torch.randperm(s.n_atoms, generator=gen)
    moved = [
        s.replace(positions=s.positions[perm], species=s.species[perm]),
        s.with_positions(s.positions + torch.tensor([1.7, -3.2, 8.8], dtype=torch.float64)),
        s.with_positions(s.positions + torch.randint(-2, 3, (s.n_atoms, 3), generator=gen).double() @ s.cell[0]),
        from_ase(to_ase(s)[0].repeat((2, 2, 2))),
    ]
    q, _ = torch.linalg.qr(torch.randn(3, 3, generator=gen, dtype=torch.float64))
    q = q * torch.linalg.det(q)
    moved.append(s.replace(positions=s.positions @ q.T, cell=s.cell @ q.T))
    for m in moved:
        assert torch.allclose(bond_angle_distribution(m, THETA, **kw), ref, atol=1e-10)


# ---------------------------------------------------------------------- bad input
def test_bad_input():
    s = _diamond(1)
    with pytest.raises(InputError):
        bond_angle_distribution(s, torch.arange(0.0, 200.0, 1.0), cutoff=2.6)
    with pytest.raises(InputError):
        bond_angle_distribution(s, THETA, cutoff=-1.0)
    with pytest.raises(InputError):
        bond_angle_distribution(s, THETA, cutoff=2.6, smooth_width=3.0)
    with pytest.raises(InputError):
        bond_angle_distribution(s, THETA, cutoff=2.6, sigma=float("nan"))
