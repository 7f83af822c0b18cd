"""Tests for glasslib.spectra.form_factors and glasslib.spectra.scattering.

Evidence, per STYLE §11: analytic cases (two atoms, S → 1 at high Q, f₀(0) = Z, closed-form
transforms), two routes that agree (histogram Debye vs exact pair Debye vs transform of
g(r) on a 3000-atom periodic glass; vesin vs dense pairs), an independent code
(DebyeCalculator on finite clusters), measured data (NIMROD vitreous SiO₂) with the wrong
conventions shown to fail, float64 gradchecks and invariances.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

from glasslib.core.errors import InputError
from glasslib.spectra.form_factors import (
    element_symbol,
    neutron_scattering_lengths,
    scattering_weights,
    xray_form_factors,
)
from glasslib.core.geometry import dense_pairs, neighbor_pairs, wrap
from glasslib.spectra.measured import convert, read_mint01
from glasslib.analysis.metrics import r_factor
from glasslib.core.paths import data_path
from glasslib.spectra.rdf import PairDistribution, pair_distribution
from glasslib.spectra.transforms import pdf_from_fq
from glasslib.spectra.scattering import (
    _binned_sinc_sum,
    structure_factor,
    structure_factor_from_gr,
    total_structure_factor,
    uniform_background,
)
from glasslib.core.structures import Structures, concatenate, read_structures

A_SI = "a-Si/glass-epsr_Si_2.5_00.xyz"
DM2 = "SiO2/dm2_bks_glass/sio2_3000_glass_0_1k_sample0.dat"
SIO2_MAP = {1: "O", 2: "Si"}


# ------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def a_si() -> Structures:
    return read_structures(data_path(A_SI))


@pytest.fixture(scope="module")
def sio2() -> Structures:
    return read_structures(data_path(DM2), species_map=SIO2_MAP)


def _cluster(structures: Structures, radius: float) -> Structures:
    """Atoms within ``radius`` of the cell centre (minimum image), as a finite cluster."""
    s = wrap(structures)
    cell = s.cell[0]
    v = s.positions - cell.sum(0) / 2
    frac = v @ torch.linalg.inv(cell)
    v = (frac - torch.round(frac)) @ cell
    keep = v.norm(dim=1) < radius
    n = int(keep.sum())
    return Structures(
        positions=v[keep],
        cell=torch.zeros(1, 3, 3, dtype=v.dtype),
        species=s.species[keep],
        system_idx=torch.zeros(n, dtype=torch.long),
        pbc=torch.zeros(1, 3, dtype=torch.bool),
    )


def _small(seed=0, n=8, box=6.0, dtype=torch.float64, species=(8, 14)) -> Structures:
    g = torch.Generator().manual_seed(seed)
    cell = torch.tensor([[box, 0.0, 0.0], [0.4, box * 0.95, 0.0], [-0.3, 0.5, box * 1.05]], dtype=dtype)
    frac = torch.rand(n, 3, generator=g, dtype=dtype)
    z = torch.tensor([species[k % len(species)] for k in range(n)])
    return Structures(
        positions=frac @ cell, cell=cell[None], species=z,
        system_idx=torch.zeros(n, dtype=torch.long), pbc=torch.ones(1, 3, dtype=torch.bool),
    )


def _two_atoms(d: float, species=(14, 14)) -> Structures:
    return Structures(
        positions=torch.tensor([[0.0, 0.0, 0.0], [d * 0.6, d * 0.8, 0.0]], dtype=torch.float64),
        cell=torch.zeros(1, 3, 3, dtype=torch.float64),
        species=torch.tensor(species),
        system_idx=torch.zeros(2, dtype=torch.long),
        pbc=torch.zeros(1, 3, dtype=torch.bool),
    )


# -------------------------------------------------------------- scattering weights
def test_xray_form_factors_at_zero_are_z_and_use_s_equals_q_over_4pi():
    import xraydb

    zs = [1, 6, 8, 14, 29, 40, 79]
    f0 = xray_form_factors(zs, torch.tensor([0.0]))[:, 0]
    assert torch.allclose(f0, torch.tensor(zs, dtype=f0.dtype), rtol=2e-3, atol=2e-3)
    q = torch.tensor([2 * math.pi, 4 * math.pi * 0.5, 20.0], dtype=torch.float64)  # s = 0.5, 0.5, 20/4π
    f = xray_form_factors(["Si"], q)[0]
    ref = xraydb.f0("Si", [0.5, 0.5, 20.0 / (4 * math.pi)])
    assert np.allclose(f.numpy(), ref, rtol=1e-12)
    assert f.dtype == torch.float64
    assert xray_form_factors([14], q.float()).dtype == torch.float32


def test_neutron_scattering_lengths_from_periodictable_with_isotopes():
    import periodictable

    b = neutron_scattering_lengths([14, 8, "H"])
    assert b[0].item() == pytest.approx(periodictable.elements[14].neutron.b_c)
    assert b[0].item() == pytest.approx(4.1491, abs=0.01)  # Sears (1992); periodictable 2.x has 4.1507
    assert b[1].item() == pytest.approx(5.803, abs=0.01)
    assert b[2].item() == pytest.approx(-3.74, abs=0.01)
    d = neutron_scattering_lengths([1], isotopes={1: "D"})
    assert d.item() == pytest.approx(6.67, abs=0.01)
    for spec in ("H[2]", "2H"):
        assert neutron_scattering_lengths([1], isotopes={"H": spec}).item() == d.item()
    assert neutron_scattering_lengths([1], isotopes={1: 6.671}).item() == 6.671
    w = scattering_weights([14, 8], torch.linspace(0, 10, 5, dtype=torch.float32), "neutron")
    assert w.shape == (2, 5) and w.dtype == torch.float32 and bool((w[:, 0:1] == w).all())


def test_unknown_element_or_isotope_is_a_clear_error():
    q = torch.linspace(0, 10, 5)
    with pytest.raises(InputError, match="Es"):
        xray_form_factors([99], q)
    with pytest.raises(InputError, match="Po"):
        neutron_scattering_lengths([84])
    with pytest.raises(InputError, match="isotope"):
        neutron_scattering_lengths([1], isotopes={1: "Xx[3]"})
    with pytest.raises(InputError, match="radiation"):
        scattering_weights([14], q, "electron")
    s = _two_atoms(2.0, species=(84, 84))
    with pytest.raises(InputError, match="Po") as exc:
        structure_factor(s, q, radiation="neutron", periodic=False)
    assert "\n" not in str(exc.value)


# ------------------------------------------------------------------ analytic cases
@pytest.mark.parametrize("method, tol", [("pairs", 1e-12), ("histogram", 2e-4)])
def test_two_atom_cluster_is_one_plus_sinc(method, tol):
    d = 2.3456
    q = torch.arange(0.0, 30.0, 0.05, dtype=torch.float64)
    sf = structure_factor(_two_atoms(d), q, periodic=False, method=method)
    exact = 1.0 + torch.sinc(q * d / math.pi)
    assert (sf.s[0] - exact).abs().max() < tol
    # Si–O dimer: S − 1 = f_Si f_O sinc(Qd) / ⟨f⟩²  with ⟨f⟩ = (f_Si + f_O)/2
    sf = structure_factor(_two_atoms(d, (8, 14)), q, periodic=False, method=method)
    f = xray_form_factors([8, 14], q)
    exact = 1.0 + f[0] * f[1] * torch.sinc(q * d / math.pi) / (0.5 * (f[0] + f[1])) ** 2
    assert (sf.s[0] - exact).abs().max() < tol
    assert torch.allclose(sf.s, total_structure_factor(sf.partials, sf.concentrations, sf.weights))


def test_periodic_operator_needs_periodic_structures_or_cluster_mode():
    q = torch.linspace(1, 10, 4, dtype=torch.float64)
    with pytest.raises(InputError, match="not periodic"):
        structure_factor(_two_atoms(2.0), q)
    assert structure_factor(_two_atoms(2.0), q, periodic=False).s.shape == (1, 4)
    with pytest.raises(InputError, match="method"):
        structure_factor(_small(), q, method="fft")
    with pytest.raises(InputError, match="window"):
        structure_factor(_small(), q, window="hann")
    with pytest.raises(InputError, match="Q grid"):
        structure_factor(_small(), torch.tensor([[1.0]]))


def test_uniform_background_closed_forms_match_quadrature():
    rc = 7.3
    q = torch.tensor([0.0, 1e-4, 0.2, math.pi / rc, math.pi / rc + 1e-7, 1.0, 5.0, 31.0], dtype=torch.float64)
    r = torch.linspace(0, rc, 200001, dtype=torch.float64)
    for window in (None, "lorch"):
        w = torch.ones_like(r) if window is None else torch.sinc(r / rc)
        integrand = (4 * math.pi * r**2 * w)[:, None] * torch.sinc(r[:, None] * q[None, :] / math.pi)
        ref = torch.trapezoid(integrand, r, dim=0)
        assert torch.allclose(uniform_background(q, rc, window), ref, rtol=1e-7, atol=1e-7)


def test_structure_factor_tends_to_one_at_high_q(a_si):
    q = torch.arange(20.0, 40.0, 0.1, dtype=torch.float64)
    dev = (structure_factor(a_si, q).s[0] - 1).abs()
    assert dev[q >= 35].max() < 0.01
    assert dev[q >= 35].max() < dev[q < 25].max()
    # and S(Q) of a glass is small at low Q (no forward-scattering spike: background removed)
    s_low = structure_factor(a_si, torch.tensor([0.5, 0.8], dtype=torch.float64)).s
    assert bool((s_low.abs() < 0.2).all())


def test_instrument_effects():
    s = _small(n=12)
    q = torch.arange(0.5, 15.0, 0.05, dtype=torch.float64)
    base = structure_factor(s, q, cutoff=5.0)
    dw = structure_factor(s, q, cutoff=5.0, biso=0.5)
    assert torch.allclose(dw.s - 1, (base.s - 1) * torch.exp(-0.5 * q**2 / (8 * math.pi**2)))
    broad = structure_factor(s, q, cutoff=5.0, qbroad=0.3)
    assert (broad.s - 1).abs().max() < (base.s - 1).abs().max()  # smoother
    assert torch.allclose((broad.s - 1).sum(), (base.s - 1).sum(), rtol=0.05)  # area kept away from the edges


# ---------------------------------------------------------------- two routes agree
@pytest.mark.parametrize("radiation", ["neutron", "xray"])
def test_debye_routes_and_gr_transform_agree_on_a_3000_atom_glass(sio2, radiation):
    """Histogram Debye vs exact pair Debye vs sine transform of g(r), Lorch window in all.

    Matching settings: Debye cutoff R_c = transform Rmax = 12 Å, Lorch window
    W(r) = sinc(πr/R_c) in both, g(r) as a plain (σ = 0) histogram on r = 0, Δr, ..., R_c.
    """
    rc, dr = 12.0, 0.005
    q = torch.arange(0.5, 20.0 + 1e-9, 0.05, dtype=torch.float64)
    hist = structure_factor(sio2, q, radiation=radiation, cutoff=rc, method="histogram")
    pd = pair_distribution(sio2, torch.arange(0.0, rc + dr / 2, dr, dtype=torch.float64))
    route_a = structure_factor_from_gr(pd, q, radiation=radiation, lorch=True, rmax=rc)
    m = q >= 1.0
    assert (hist.s - route_a.s)[:, m].abs().max() < 1e-3  # measured 1.4e-4
    assert (hist.partials - route_a.partials)[..., m].abs().max() < 2e-3  # measured 3.2e-4
    qs = q[::4]
    exact = structure_factor(sio2, qs, radiation=radiation, cutoff=rc, method="pairs")
    assert (hist.s[:, ::4] - exact.s).abs().max() < 1e-4  # measured 1e-5 (dr = 0.002 Å)
    assert (hist.partials[..., ::4] - exact.partials).abs().max() < 1e-4
    assert torch.allclose(hist.partials, hist.partials.transpose(1, 2))


def test_dense_and_neighbor_list_pairs_give_the_same_structure_factor():
    s = _small(seed=3, n=10, box=5.0)  # cutoff beyond half the cell: many images per pair
    q = torch.arange(0.5, 12.0, 0.25, dtype=torch.float64)
    one_element = _small(seed=3, n=10, box=5.0, species=(14,))  # distances-only forward path
    batch = concatenate([s, _small(seed=4, n=7, box=5.5)])  # one group per system and species pair
    for structures in (s, one_element, batch):
        for method in ("pairs", "histogram"):
            lean = structure_factor(structures, q, cutoff=6.5, method=method)
            dense = structure_factor(structures, q, cutoff=6.5, method=method, pairs=dense_pairs(structures, 6.5))
            full = structure_factor(
                structures, q, cutoff=6.5, method=method, pairs=neighbor_pairs(structures, 7.0, full=True)
            )
            assert torch.allclose(lean.s, dense.s, atol=1e-12)
            assert torch.allclose(lean.partials, full.partials, atol=1e-12)


# ------------------------------------------------------------ independent code
def _debyecalculator(radiation):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from debyecalculator import DebyeCalculator

        return DebyeCalculator(
            qmin=1.0, qmax=20.0, qstep=0.05, biso=0.0, qdamp=0.0, device="cpu", dtype=torch.float64, radiation_type=radiation
        )


def test_cluster_debye_matches_debyecalculator(a_si, sio2):
    """DebyeCalculator 1.1.1 sums pairs i < j and adds half the self term:
    iq = (1/2)[Σ_{i≠j} f_i f_j sinc + Σ_i f_i²] and sq = Σ_{i<j}/(N⟨f⟩²) = (S − 1)/2 in the
    Faber–Ziman convention used here. Its X-ray table is the same Waasmaier–Kirfel fit at
    s = Q/4π; its neutron b (Si 4.1491, O 5.803 fm, Sears) are passed as overrides."""
    # single element: I(Q) = N f² S(Q) = 2·iq_DC
    c = _cluster(a_si, 9.0)
    dc = _debyecalculator("xray")
    q = dc.q.squeeze(-1)
    symbols = [element_symbol(z) for z in c.species.tolist()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        iq_dc = torch.as_tensor(dc.iq((symbols, c.positions.numpy()))[1])
    for method, tol in (("pairs", 1e-6), ("histogram", 1e-4)):
        sf = structure_factor(c, q, periodic=False, method=method)
        intensity = c.n_atoms * sf.mean_weight[0] ** 2 * sf.s[0]
        assert ((intensity - 2 * iq_dc) / (2 * iq_dc)).abs().max() < tol
    # two elements, X-ray and neutron: S − 1 = 2·sq_DC
    c = _cluster(sio2, 7.5)
    symbols = [element_symbol(z) for z in c.species.tolist()]
    for radiation, isotopes in (("xray", None), ("neutron", {"Si": 4.1491, "O": 5.803})):
        dc = _debyecalculator(radiation)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sq_dc = torch.as_tensor(dc.sq((symbols, c.positions.numpy()))[1])
        sf = structure_factor(c, q, periodic=False, radiation=radiation, isotopes=isotopes, method="pairs")
        assert ((sf.s[0] - 1) - 2 * sq_dc).abs().max() < 1e-6  # measured 3e-8
        assert ((sf.s[0] - 1) - sq_dc).abs().max() > 0.1  # the halved convention is visibly different
        if radiation == "xray":  # f₀ evaluated at Q instead of s = Q/4π: clearly wrong
            wrong = total_structure_factor(sf.partials, sf.concentrations, xray_form_factors(sf.elements, 4 * math.pi * q))
            assert ((wrong[0] - 1) - 2 * sq_dc).abs().max() > 0.1


# ------------------------------------------------------------------ measured data
def test_sio2_glass_neutron_sq_matches_nimrod_and_wrong_conventions_do_not(sio2):
    """DM2 BKS glass vs NIMROD vitreous SiO₂ (Gudrun i(Q) → Faber–Ziman S(Q)), Q = 0.5–10 Å⁻¹.

    Measured: R = 0.31 (the rest is the potential: BKS Si–O = 1.645 Å vs 1.61 Å, FSDP
    position). Halving the distinct term (Σ_{i<j} without the factor 2) gives R ≈ 0.56,
    skipping the periodic background term or the fm²→barn factor is far worse.
    """
    meas = read_mint01(data_path("SiO2/SiO2_NIMROD.mint01"), qmax=10.0)
    meas = convert(meas, "sq", composition={"Si": 1, "O": 2})
    q = meas.x[meas.x >= 0.5]
    target = meas.y[meas.x >= 0.5] - 1
    sf = structure_factor(sio2, q, radiation="neutron", cutoff=10.0)
    model = sf.s[0] - 1
    r_ok = r_factor(model, target).item()
    assert r_ok < 0.35
    background = sio2.number_density[0] * uniform_background(q, 10.0, "lorch")
    wrong = {
        "halved distinct term": model / 2,
        "no uniform-density subtraction": model + background,
        "b in fm² read as barn": (model + 1) * 100 - 1,
    }
    for name, variant in wrong.items():
        r = r_factor(variant, target).item()
        assert r > 0.5 and r > 1.5 * r_ok, name


def test_debye_fq_transforms_to_the_reduced_pdf(a_si):
    """G(r) from the Debye F(Q) (Q ≤ 30 Å⁻¹) reproduces 4πρ₀r[g(r) − 1] of the same structure."""
    from glasslib.spectra.rdf import reduced_pdf

    q = torch.arange(0.0, 30.0, 0.02, dtype=torch.float64)
    r = torch.arange(0.0, 7.0, 0.02, dtype=torch.float64)
    sf = structure_factor(a_si, q, cutoff=15.0, window=None, biso=0.1)
    g = pdf_from_fq(q, sf.f, r, lorch=False)
    pd = pair_distribution(a_si, r, sigma=math.sqrt(0.1) / (2 * math.pi))  # biso = 8π²σ²/2 ⇔ σ = √B/2π
    ref = reduced_pdf(pd)
    m = (r > 1.5) & (r < 6.5)
    assert (g - ref)[:, m].abs().max() < 0.05 * ref[:, m].abs().max()


# --------------------------------------------------------------------- gradcheck
def test_gradcheck_debye_both_methods_positions_and_cell():
    base = _small(seed=1, n=6, box=5.0)
    images = torch.tensor([[0, 0, 0], [1, 0, -1], [0, 2, 0], [-1, -1, 1], [0, 0, 0], [3, 0, 1]], dtype=torch.float64)
    base = base.with_positions(base.positions + images @ base.cell[0])  # unwrapped: exercises the image offsets
    q = torch.tensor([0.7, 1.9, 3.3, 5.1], dtype=torch.float64)
    for method in ("pairs", "histogram"):
        def f(pos, cell, method=method):
            s = base.replace(positions=pos, cell=cell)
            out = structure_factor(s, q, radiation="xray", cutoff=4.5, method=method, dr=0.01)
            return out.s, out.partials

        pos = base.positions.clone().requires_grad_(True)
        cell = base.cell.clone().requires_grad_(True)
        assert torch.autograd.gradcheck(f, (pos, cell), eps=1e-6, atol=1e-6, rtol=1e-4)

    one = _small(seed=2, n=5, box=4.5, species=(14,))  # single element: pair distances without species groups

    def f1(pos, cell=one.cell):
        return structure_factor(one.replace(positions=pos, cell=cell), q, cutoff=4.0, dr=0.01).s

    pos = one.positions.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(f1, (pos,), eps=1e-6, atol=1e-6, rtol=1e-4)
    assert torch.autograd.gradcheck(f1, (pos, one.cell.clone().requires_grad_(True)), eps=1e-6, atol=1e-6, rtol=1e-4)

    cl = _two_atoms(2.1, (8, 14))

    def g(pos):
        return structure_factor(cl.replace(positions=pos), q, periodic=False, method="pairs").s

    assert torch.autograd.gradcheck(g, (cl.positions.clone().requires_grad_(True),))


def test_gradcheck_linear_binning_distances_and_weights():
    gen = torch.Generator().manual_seed(5)
    d = (0.3 + 4.0 * torch.rand(40, generator=gen, dtype=torch.float64)).requires_grad_(True)
    w = torch.rand(40, generator=gen, dtype=torch.float64).requires_grad_(True)
    group = torch.randint(0, 3, (40,), generator=gen)
    q = torch.tensor([0.5, 2.0, 7.5], dtype=torch.float64)

    def f(d, w):
        return _binned_sinc_sum(d, w, group, 3, q, 0.05, 4.5, "lorch")

    assert torch.autograd.gradcheck(f, (d, w), eps=1e-7, atol=1e-6)
    # linear interpolation between nodes is exact for distances on the nodes
    on_node = torch.tensor([1.0, 2.5], dtype=torch.float64)
    exact = torch.sinc(on_node[:, None] * q / math.pi).sum(0)
    assert torch.allclose(_binned_sinc_sum(on_node, None, None, 1, q, 0.05, 4.5, None)[0], exact, atol=1e-12)


def test_gradcheck_transform_route():
    g = torch.Generator().manual_seed(0)
    r = torch.linspace(0.05, 6.0, 25, dtype=torch.float64)
    q = torch.tensor([0.5, 2.0, 4.0], dtype=torch.float64)
    partials = torch.rand(1, 2, 2, 25, generator=g, dtype=torch.float64)
    partials = 0.5 * (partials + partials.transpose(1, 2))
    conc = torch.tensor([[2 / 3, 1 / 3]], dtype=torch.float64)

    def route_a(p, rho):
        pd = PairDistribution(r=r, g=p.sum((1, 2)), partials=p, elements=(8, 14), concentrations=conc, density=rho)
        return structure_factor_from_gr(pd, q, radiation="xray").s

    assert torch.autograd.gradcheck(
        route_a, (partials.requires_grad_(True), torch.tensor([0.066], dtype=torch.float64, requires_grad=True))
    )


def test_gradcheck_smeared_gr_through_transform():
    base = _small(seed=2, n=5, box=4.5)
    r = torch.arange(0.0, 4.0, 0.05, dtype=torch.float64)
    q = torch.tensor([1.0, 3.0], dtype=torch.float64)

    def f(pos):
        pd = pair_distribution(base.with_positions(pos), r, sigma=0.2)
        return structure_factor_from_gr(pd, q, radiation="neutron").s

    assert torch.autograd.gradcheck(f, (base.positions.clone().requires_grad_(True),), atol=1e-6, rtol=1e-4)


# --------------------------------------------------------------------- invariance
def test_debye_is_invariant_under_permutation_translation_lattice_shifts_and_supercell(a_si):
    q = torch.arange(0.5, 20.0, 0.1, dtype=torch.float64)
    ref = structure_factor(a_si, q, cutoff=10.0).s
    g = torch.Generator().manual_seed(0)
    n = a_si.n_atoms
    perm = torch.randperm(n, generator=g)
    permuted = a_si.replace(positions=a_si.positions[perm], species=a_si.species[perm])
    shifted = a_si.with_positions(a_si.positions + torch.tensor([3.1, -7.7, 12.9], dtype=torch.float64))
    lattice = torch.randint(-2, 3, (n, 3), generator=g).to(torch.float64) @ a_si.cell[0]
    images = a_si.with_positions(a_si.positions + lattice)
    for variant in (permuted, shifted, images):
        assert torch.allclose(structure_factor(variant, q, cutoff=10.0).s, ref, atol=1e-10)
    import ase.build

    from glasslib.core.structures import from_ase, to_ase

    supercell = from_ase(ase.build.make_supercell(to_ase(a_si)[0], 2 * np.eye(3)))
    assert torch.allclose(structure_factor(supercell, q, cutoff=10.0).s, ref, atol=1e-10)
    batch = structure_factor(concatenate([a_si, shifted]), q, cutoff=10.0).s
    assert torch.allclose(batch, ref.expand(2, -1), atol=1e-10)
