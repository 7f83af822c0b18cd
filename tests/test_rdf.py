"""Tests for glasslib.spectra.rdf: analytic cases, two routes, OVITO/ASE, gradients and invariances."""

from __future__ import annotations

import math
from pathlib import Path

import ase
import ase.build
import numpy as np
import pytest
import torch

from glasslib.core.errors import InputError
from glasslib.analysis import ovito_adapter
from glasslib.core.geometry import dense_pairs, half_to_full, neighbor_pairs
from glasslib.spectra.rdf import (
    PairDistribution,
    differential_correlation,
    pair_distribution,
    peak_position,
    radial_distribution,
    reduced_pdf,
    running_coordination,
    total_correlation,
    weighted_g,
)
from glasslib.core.structures import Structures, concatenate, from_ase, read_structures, to_ase

DATA = Path(__file__).resolve().parents[1] / "data"
ASI_XYZ = DATA / "a-Si/glass-epsr_Si_2.5_00.xyz"
SIO2_LAMMPS = DATA / "SiO2/dm2_bks_glass/sio2_3000_glass_1k_sample0.dat"
TRICLINIC = np.array([[7.0, 0.0, 0.0], [1.9, 6.4, 0.0], [-1.2, 1.5, 7.3]])


def _grid(r_max, dr, dtype=torch.float64):
    """Bin centres (k + ½)Δr, k = 0 .. r_max/Δr − 1 (OVITO's and ASE's bins)."""
    n = int(round(r_max / dr))
    return (torch.arange(n, dtype=dtype) + 0.5) * dr


def _mixture(n=20, seed=0, cell=TRICLINIC, min_dist=1.3) -> Structures:
    """Random two-species structure (Si, O) without very close pairs."""
    rng = np.random.default_rng(seed)
    cell = np.asarray(cell)
    pts = []
    while len(pts) < n:
        f = rng.random(3)
        x = f @ cell
        ok = True
        for y in pts:
            d = x - y
            frac = np.linalg.solve(cell.T, d)
            if np.linalg.norm((frac - np.round(frac)) @ cell) < min_dist:
                ok = False
                break
        if ok:
            pts.append(x)
    symbols = ["Si" if k % 3 == 0 else "O" for k in range(n)]
    return from_ase(ase.Atoms(symbols, positions=np.array(pts), cell=cell, pbc=True))


def _perturbed_diamond(seed=0, amplitude=0.08) -> Structures:
    atoms = ase.build.bulk("Si", "diamond", 5.431, cubic=True)  # 8 atoms
    atoms.set_chemical_symbols(["Si", "C"] * 4)
    rng = np.random.default_rng(seed)
    atoms.positions += amplitude * rng.standard_normal(atoms.positions.shape)
    atoms.cell = atoms.cell.array + 0.05 * rng.standard_normal((3, 3))
    return from_ase(atoms)


# ------------------------------------------------------------------- analytic cases
def test_two_atoms_in_a_large_box():
    d, L = 3.1234, 20.0
    direction = np.array([1.0, 2.0, 2.0]) / 3.0
    s = from_ase(ase.Atoms("Si2", positions=[[4.0, 5.0, 6.0], [4.0, 5.0, 6.0] + d * direction], cell=[L] * 3, pbc=True))
    rho = 2 / L**3
    r = _grid(8.0, 0.01)

    # plain histogram: one bin, g = V / (N² · shell) · 2 ordered pairs; n(r) steps 0 → 1
    pd = pair_distribution(s, r)
    k = int(d / 0.01)
    assert pd.g[0].nonzero().flatten().tolist() == [k]
    shell = 4 * math.pi / 3 * ((r[k] + 0.005) ** 3 - (r[k] - 0.005) ** 3)
    assert math.isclose(float(pd.g[0, k]), L**3 / 4 * 2 / float(shell), rel_tol=1e-12)
    _, n = running_coordination(pd)
    assert torch.equal(n[0, :k], torch.zeros(k, dtype=torch.float64))
    assert torch.allclose(n[0, k:], torch.ones_like(n[0, k:]), atol=1e-12)
    # below the pair, G(r) = −4πρ0 r
    assert torch.allclose(reduced_pdf(pd)[0, :k], -4 * math.pi * rho * r[:k])

    # Gaussian: R(r) = 4πr²ρ0 g(r) is exactly the unit Gaussian centred at d
    # (n_sigma = 6: the kernel mass dropped beyond 6σ is 2e-9)
    pd = pair_distribution(s, r, sigma=0.05, n_sigma=6.0)
    R = radial_distribution(pd)[0]
    assert math.isclose(float(R.sum() * 0.01), 1.0, abs_tol=1e-8)
    assert math.isclose(float((r * R).sum() / R.sum()), d, abs_tol=1e-8)
    gauss = torch.exp(-((r - d) ** 2) / (2 * 0.05**2)) / (0.05 * math.sqrt(2 * math.pi))
    window = (r - d).abs() < 6 * 0.05 - 0.01
    assert torch.allclose(R[window], gauss[window], rtol=1e-12)
    _, n = running_coordination(pd)
    assert abs(float(n[0, -1]) - 1.0) < 1e-5  # shell volume vs 4πr²Δr: O(Δr²/12r²)


def test_diamond_shells_and_coordination():
    a = 5.431
    s = from_ase(ase.build.bulk("Si", "diamond", a).repeat(3))  # 54 atoms, triclinic (fcc primitive) cell
    r = _grid(4.8, 0.01)
    pd = pair_distribution(s, r)
    shells = [a * math.sqrt(3) / 4, a / math.sqrt(2), a * math.sqrt(11) / 4]
    bins = [int(x / 0.01) for x in shells]
    assert sorted(pd.g[0].nonzero().flatten().tolist()) == bins  # nothing but the three shells
    _, n = running_coordination(pd)
    for k, expect in zip(bins, [4.0, 16.0, 28.0]):  # 4, then +12, then +12 neighbours
        assert abs(float(n[0, k]) - expect) < 1e-10
        assert abs(float(n[0, k - 1]) - (expect - {4.0: 4, 16.0: 12, 28.0: 12}[expect])) < 1e-10
    # smeared version: same areas, peak maxima at the shell radii
    pd = pair_distribution(s, r, sigma=0.04)
    _, n = running_coordination(pd)
    for x, expect in zip(shells, [4.0, 16.0, 28.0]):
        j = int((x + 0.25) / 0.01)  # between shells
        assert abs(float(n[0, j]) - expect) < 2e-3
    R = radial_distribution(pd)[0]
    peak = int(torch.argmax(R[: int(3.0 / 0.01)]))
    assert abs(float(r[peak]) - shells[0]) < 0.01


def test_ideal_gas_tends_to_one():
    """Random positions: E[g_αβ] = (N_α − δ_αβ)/N_α at every r below the box length."""
    gen = torch.Generator().manual_seed(1)
    n, L = 1000, 25.0
    pos = torch.rand(n, 3, generator=gen, dtype=torch.float64) * L
    species = torch.where(torch.arange(n) < 400, 14, 8)  # 400 Si, 600 O
    s = Structures(pos, torch.eye(3, dtype=torch.float64)[None] * L, species, torch.zeros(n, dtype=torch.long), torch.ones(1, 3, dtype=torch.bool))
    r = _grid(12.0, 0.1)
    pd = pair_distribution(s, r)
    big = r > 3.0
    # ~2.3e5 pairs in range: relative standard error ≈ 2e-3 for g, ≈ 5e-3 for Si–Si
    assert abs(float(pd.g[0, big].mean()) - (n - 1) / n) < 0.01
    p = pd.partials[0][:, :, big].mean(dim=-1)  # elements (8, 14)
    assert abs(float(p[1, 1]) - 399 / 400) < 0.03 and abs(float(p[0, 0]) - 599 / 600) < 0.02
    assert abs(float(p[0, 1]) - 1.0) < 0.02 and float(p[0, 1]) == float(p[1, 0])
    # independent check of the α ≠ β bookkeeping: one-species g equals Σ c_α c_β g_αβ
    one = pair_distribution(s.replace(species=torch.full_like(species, 14)), r)
    assert torch.allclose(one.g, pd.g, rtol=1e-12, atol=1e-12)
    assert torch.allclose(torch.einsum("sa,sb,sabk->sk", pd.concentrations, pd.concentrations, pd.partials), pd.g)


# ----------------------------------------------------------------------- two routes
@pytest.mark.parametrize("sigma", [0.0, 0.1])
def test_neighbor_list_and_dense_pairs_agree(sigma):
    s = _mixture(16, seed=2)
    r = _grid(8.0, 0.05)  # beyond half the cell: several images of each pair
    cutoff = 8.0 + 0.025 + 4 * sigma + 0.3  # larger than needed: the extra pairs are dropped
    ref = pair_distribution(s, r, sigma=sigma)
    dense = pair_distribution(s, r, sigma=sigma, pairs=dense_pairs(s, cutoff))
    full = pair_distribution(s, r, sigma=sigma, pairs=half_to_full(neighbor_pairs(s, cutoff)))
    for other in (dense, full):
        assert torch.allclose(other.partials, ref.partials, rtol=1e-12, atol=1e-12)
        assert torch.allclose(other.g, ref.g, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ independent codes
def _ovito_rdf(structures: Structures, cutoff: float, n_bins: int, partial: bool):
    x, curves = ovito_adapter.coordination_rdf(structures, cutoff, n_bins, partial=partial)
    return x, curves[0]


@pytest.mark.parametrize(
    "path, species_map, cutoff, n_bins",
    [(ASI_XYZ, None, 7.0, 350), (SIO2_LAMMPS, {1: "O", 2: "Si"}, 8.0, 400)],
)
def test_matches_ovito_coordination_analysis(path, species_map, cutoff, n_bins):
    """OVITO bins [kΔr, (k+1)Δr) and divides by the exact shell volume and N_α N_β / V: the
    same convention, so the plain histograms agree to rounding."""
    s = read_structures(path, species_map=species_map)
    r = _grid(cutoff, cutoff / n_bins)
    pd = pair_distribution(s, r)
    x, total = _ovito_rdf(s, cutoff, n_bins, partial=False)
    assert np.allclose(x, r.numpy(), rtol=0, atol=1e-12)
    assert np.allclose(pd.g[0].numpy(), total["total"], rtol=1e-9, atol=1e-12)
    _, partials = _ovito_rdf(s, cutoff, n_bins, partial=True)
    symbols = {8: "O", 14: "Si"}
    for a, za in enumerate(pd.elements):
        for b, zb in enumerate(pd.elements):
            key = f"{symbols[za]}-{symbols[zb]}"
            if key in partials:
                assert np.allclose(pd.partials[0, a, b].numpy(), partials[key], rtol=1e-9, atol=1e-12), key
    assert len(partials) == len(pd.elements) * (len(pd.elements) + 1) // 2


def test_matches_ase_get_rdf():
    """ASE bins (kΔr, (k+1)Δr] with the exact shell volume: equal except for distances on an edge."""
    from ase.geometry.rdf import get_rdf

    s = read_structures(ASI_XYZ)
    rdf, rr = get_rdf(to_ase(s)[0], 7.5, 300)
    pd = pair_distribution(s, _grid(7.5, 0.025))
    assert np.allclose(rr, pd.r.numpy(), atol=1e-12)
    assert np.allclose(pd.g[0].numpy(), rdf, rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------- derived forms
def test_derived_functions_relations():
    s = _mixture(20, seed=3)
    pd = pair_distribution(s, _grid(6.0, 0.05), sigma=0.1)
    rho, r = pd.density[:, None], pd.r
    G = reduced_pdf(pd)
    assert torch.allclose(G, 4 * math.pi * rho * r * (pd.g - 1))
    assert torch.allclose(differential_correlation(pd, [1.0, 1.0]), G)
    b = torch.tensor([5.803, 4.1491], dtype=torch.float64)  # neutron b (fm) of O, Si
    D, T = differential_correlation(pd, b), total_correlation(pd, b)
    mean_b = (pd.concentrations * b).sum(dim=1)[:, None]
    assert torch.allclose(T - D, 4 * math.pi * rho * r * mean_b**2)
    gw = weighted_g(pd, b)
    assert torch.allclose(D, 4 * math.pi * rho * r * mean_b**2 * (gw - 1))  # D = (Σcb)² G_weighted
    assert torch.allclose(weighted_g(pd, [2.0, 2.0]), pd.g)
    assert torch.allclose(radial_distribution(pd), 4 * math.pi * r**2 * rho * pd.g)
    n_ab, n = running_coordination(pd)
    assert torch.allclose(n, torch.einsum("sa,sabk->sk", pd.concentrations, n_ab))
    # c_α n_αβ = c_β n_βα (every α–β pair counted from both ends)
    c = pd.concentrations[0]
    assert torch.allclose(c[0] * n_ab[0, 0, 1], c[1] * n_ab[0, 1, 0])
    with pytest.raises(InputError):
        weighted_g(pd, [1.0, 2.0, 3.0])


def test_batch_with_missing_element_and_fixed_elements():
    a = _mixture(18, seed=4)
    b = from_ase(ase.build.bulk("Si", "diamond", 5.431, cubic=True))
    r = _grid(5.0, 0.05)
    both = pair_distribution(concatenate([a, b]), r, sigma=0.05)
    assert both.elements == (8, 14) and both.g.shape == (2, 100) and both.partials.shape == (2, 2, 2, 100)
    assert torch.isfinite(both.partials).all() and torch.isfinite(both.g).all()
    assert torch.equal(both.concentrations[1], torch.tensor([0.0, 1.0], dtype=torch.float64))
    assert float(both.partials[1, 0].abs().max()) == 0.0 and float(both.partials[1, :, 0].abs().max()) == 0.0
    alone_a = pair_distribution(a, r, sigma=0.05)
    alone_b = pair_distribution(b, r, sigma=0.05, elements=[14, 8])
    assert torch.allclose(both.partials[0], alone_a.partials[0]) and torch.allclose(both.g[1], alone_b.g[0])
    assert torch.allclose(both.g[1], pair_distribution(b, r, sigma=0.05).g[0])
    assert torch.allclose(both.density, torch.stack([alone_a.density[0], alone_b.density[0]]))
    with pytest.raises(InputError, match="not in elements"):
        pair_distribution(a, r, elements=[14])


# ------------------------------------------------------------------------ gradients
def test_gradcheck_pair_distribution_positions_and_cell():
    s = _perturbed_diamond(seed=1)
    r = torch.linspace(1.5, 4.0, 26, dtype=torch.float64)

    b = torch.tensor([6.646, 4.149], dtype=torch.float64)  # neutron-like weights of C, Si (fm)

    def f(pos, cell):
        pd = pair_distribution(s.replace(positions=pos, cell=cell), r, sigma=0.2)
        return (pd.g, pd.partials, reduced_pdf(pd), running_coordination(pd)[1], differential_correlation(pd, b),
                total_correlation(pd, b), radial_distribution(pd), weighted_g(pd, b))

    pos = s.positions.clone().requires_grad_(True)
    cell = s.cell.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(f, (pos, cell), eps=1e-6, atol=1e-6, rtol=1e-5)


def test_plain_histogram_gradient_through_density():
    s = _perturbed_diamond(seed=2)
    cell = s.cell.clone().requires_grad_(True)
    pd = pair_distribution(s.replace(cell=cell), _grid(4.0, 0.1))
    pd.g.sum().backward()
    # g ∝ V with fixed counts (σ = 0): d(Σg)/d cell = Σg · d ln V / d cell = Σg · cell⁻ᵀ
    expect = pd.g.sum().detach() * torch.linalg.inv(s.cell[0]).T
    assert torch.allclose(cell.grad[0], expect)


def test_zero_radius_bin_is_finite():
    s = _perturbed_diamond(seed=3)
    pos = s.positions.clone().requires_grad_(True)
    pd = pair_distribution(s.with_positions(pos), torch.arange(0.0, 4.0, 0.05, dtype=torch.float64), sigma=0.1)
    assert float(pd.g[0, 0].detach()) == 0.0
    reduced_pdf(pd).sum().backward()
    assert torch.isfinite(pos.grad).all()


# ----------------------------------------------------------------------- invariances
def _assert_same(pd1: PairDistribution, pd2: PairDistribution, tol=1e-10):
    assert torch.allclose(pd1.partials, pd2.partials, rtol=tol, atol=tol)
    assert torch.allclose(pd1.g, pd2.g, rtol=tol, atol=tol)
    assert torch.allclose(pd1.density, pd2.density, rtol=tol)


def test_invariances():
    s = _mixture(20, seed=5)
    r = _grid(6.0, 0.05)
    ref = pair_distribution(s, r, sigma=0.08)
    gen = torch.Generator().manual_seed(0)

    perm = torch.randperm(s.n_atoms, generator=gen)
    _assert_same(ref, pair_distribution(s.replace(positions=s.positions[perm], species=s.species[perm]), r, sigma=0.08))

    _assert_same(ref, pair_distribution(s.with_positions(s.positions + torch.tensor([3.3, -7.1, 11.9], dtype=torch.float64)), r, sigma=0.08))

    lattice = torch.randint(-3, 4, (s.n_atoms, 3), generator=gen).double() @ s.cell[0]
    _assert_same(ref, pair_distribution(s.with_positions(s.positions + lattice), r, sigma=0.08))

    q, _ = torch.linalg.qr(torch.randn(3, 3, generator=gen, dtype=torch.float64))
    q = q * torch.linalg.det(q)  # proper rotation
    _assert_same(ref, pair_distribution(s.replace(positions=s.positions @ q.T, cell=s.cell @ q.T), r, sigma=0.08))

    big = from_ase(to_ase(s)[0].repeat((2, 2, 2)))
    _assert_same(ref, pair_distribution(big, r, sigma=0.08))
    _assert_same(pair_distribution(s, r), pair_distribution(big, r))


def test_dtype_follows_input():
    s = _mixture(12, seed=6).to(dtype=torch.float32)
    pd = pair_distribution(s, _grid(5.0, 0.05), sigma=0.1)
    assert pd.g.dtype == pd.partials.dtype == pd.r.dtype == pd.density.dtype == torch.float32
    ref = pair_distribution(s.to(dtype=torch.float64), _grid(5.0, 0.05), sigma=0.1)
    assert torch.allclose(pd.g.double(), ref.g, rtol=1e-3, atol=1e-3)


# ------------------------------------------------------------------------ bad input
def test_bad_input():
    s = _mixture(10, seed=7)
    cluster = from_ase(ase.Atoms("Si2", positions=[[0, 0, 0], [2.3, 0, 0]]))
    with pytest.raises(InputError, match="not periodic"):
        pair_distribution(cluster, _grid(5.0, 0.1))
    for bad in (torch.ones(3, 3), [1.0], [0.0, 0.1, 0.3], [0.3, 0.2, 0.1], [-0.1, 0.0, 0.1], [0.0, float("nan")]):
        with pytest.raises(InputError):
            pair_distribution(s, bad)
    with pytest.raises(InputError):
        pair_distribution(s, _grid(5.0, 0.1), sigma=-0.1)
    with pytest.raises(InputError, match="cutoff"):
        pair_distribution(s, _grid(5.0, 0.1), sigma=0.1, pairs=neighbor_pairs(s, 5.0))


def test_peak_position_respects_the_window():
    r = torch.arange(0.01, 8.0, 0.01, dtype=torch.float64)
    g = torch.exp(-((r - 2.35) ** 2) / 0.01) + 2.0 * torch.exp(-((r - 5.0) ** 2) / 0.01)
    assert peak_position(r, g) == pytest.approx(5.0, abs=1e-9)
    assert peak_position(r, g, 2.0, 3.8) == pytest.approx(2.35, abs=1e-9)
    assert peak_position(r, g, r_max=3.0) == pytest.approx(2.35, abs=1e-9)
