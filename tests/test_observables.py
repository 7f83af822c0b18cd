"""RMC observables: the histogram -> g(r) map equals glasslib's pair_distribution for a histogram
counted independently, the S(Q)/F(Q) maps are exactly affine, targets on other grids are
interpolated onto the model grid, and a target's measurement model is applied as guidance applies it."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from glasslib import rmc

from glasslib.core.errors import InputError
from glasslib.core.paths import data_path
from glasslib.core.structures import Structures, read_structures
from glasslib.rmc.observables import affine_coefficients, histogram_pair_distribution, pair_observable
from glasslib.spectra.measurement import MeasurementModel
from glasslib.spectra.rdf import pair_distribution
from glasslib.spectra.scattering import structure_factor_from_gr
from glasslib.spectra.targets import Target

DR = 0.05


@pytest.fixture(scope="module")
def asi() -> Structures:
    return read_structures(data_path("a-Si/glass-epsr_Si_2.5_00.xyz"))


def _grid() -> torch.Tensor:
    return torch.arange(DR / 2, 7.9, DR, dtype=torch.float64)


def _counted_histogram(s: Structures, r_max: float, dr: float):
    """(P, R) minimum-image pair histograms by brute force over all pairs (numpy), with elements and counts."""
    pos, box = s.positions.numpy(), np.diag(s.cell[0].numpy())
    z = s.species.numpy()
    elements = sorted(set(z.tolist()))
    n_bins = int(round(r_max / dr))
    pairs = [(a, b) for a in range(len(elements)) for b in range(a, len(elements))]
    hist = np.zeros((len(pairs), n_bins))
    for i, j in itertools.combinations(range(len(z)), 2):
        d = pos[j] - pos[i]
        d = np.linalg.norm(d - box * np.round(d / box))
        k = int(d // dr)
        if k < n_bins:
            a, b = sorted((elements.index(z[i]), elements.index(z[j])))
            hist[pairs.index((a, b)), k] += 1
    counts = [int((z == e).sum()) for e in elements]
    return torch.as_tensor(hist), elements, counts


def test_histogram_pair_distribution_equals_pair_distribution_of_a_counted_histogram():
    s = rmc.random_start("Si:1,O:2", 96, 2.2, min_distance=1.3, seed=3)
    assert float(s.cell[0, 0, 0]) > 11.0  # r_max = 5.5 Å stays below half the cell
    r = torch.arange(0.05, 5.5, 0.1, dtype=torch.float64)
    hist, elements, counts = _counted_histogram(s, 5.5, 0.1)
    volume = float(torch.linalg.det(s.cell[0]))
    mine = histogram_pair_distribution(hist, elements, counts, volume, r)
    ref = pair_distribution(s, r, sigma=0.0)
    assert torch.allclose(mine.partials, ref.partials, rtol=0, atol=1e-10)
    assert torch.allclose(mine.g, ref.g, rtol=0, atol=1e-10)
    # S(Q) and F(Q) are affine in the histogram: b + J·H from autograd is the operator itself
    q = torch.linspace(0.5, 12.0, 40, dtype=torch.float64)
    for kind in ("sq-xray", "fq-neutron"):
        target = Target(kind, tuple(q.tolist()), (1.0,) * len(q))
        f = pair_observable(target, elements, counts, volume, r, q, True)
        jac, b = affine_coefficients(f, hist.numel())
        sf = structure_factor_from_gr(ref, q, radiation=target.radiation, lorch=True)
        want = (sf.s if kind.startswith("sq") else sf.f)[0].numpy()
        np.testing.assert_allclose(b + jac @ hist.reshape(-1).numpy(), want, rtol=0, atol=1e-9, err_msg=kind)


def test_target_on_a_different_grid_is_interpolated_within_range(asi):
    r_coarse = torch.arange(1.0, 6.0, 0.13, dtype=torch.float64)
    g = pair_distribution(asi, r_coarse, sigma=0.02).g[0]
    fit = rmc.RMC(asi, [Target("gr", tuple(r_coarse.tolist()), tuple(g.tolist()))], rmc.RMCConfig(dr=DR))
    s = fit.spectra()["gr"]
    assert s["x"][0] >= 1.0 and s["x"][-1] <= float(r_coarse[-1]) and len(s["x"]) == 99
    np.testing.assert_allclose(s["target"], np.interp(s["x"], r_coarse.numpy(), g.numpy()), atol=1e-12)
    # a dense S(Q) is interpolated onto max_q_points uniform points spanning its range
    q = torch.linspace(0.8, 18.0, 1000, dtype=torch.float64)
    sq = structure_factor_from_gr(pair_distribution(asi, _grid(), sigma=0.0), q).s[0]
    fit = rmc.RMC(asi, [Target("sq-xray", tuple(q.tolist()), tuple(sq.tolist()))],
                  rmc.RMCConfig(dr=DR, max_q_points=150))
    s = fit.spectra()["sq-xray"]
    assert len(s["x"]) == 150 and s["x"][0] == pytest.approx(0.8) and s["x"][-1] == pytest.approx(18.0)
    np.testing.assert_allclose(s["target"], np.interp(s["x"], q.numpy(), sq.numpy()), atol=1e-12)
    far = torch.arange(9.0, 12.0, 0.1, dtype=torch.float64)
    with pytest.raises(InputError, match="does not overlap the model grid"):
        rmc.RMC(asi, [Target("gr", tuple(far.tolist()), (1.0,) * len(far))], rmc.RMCConfig(dr=DR))


# ------------------------------------------------------------- measurement model
def test_measurement_model_of_targets_is_fitted_as_guidance_applies_it(asi):
    """A g(r) with smearing and Q damping: RMC's (pairs at bin centres, smeared) equals guidance's
    (Gaussians at the exact distances) to 0.03 (0.8 % of the first peak, the binning), while the
    plain histogram and the undamped curve are further than 0.1 away; S(Q) with
    B_iso and Q broadening equals glasslib's operator on the run's histogram. Given in the order
    S(Q) first, g(r) second, each observable keeps its name. Q_max termination is refused."""
    dr = 0.02
    r = torch.as_tensor([(k + 0.5) * dr for k in range(50, 340)], dtype=torch.float64)
    q = torch.linspace(1.0, 15.0, 141, dtype=torch.float64)
    gr_model = MeasurementModel(smearing=0.08, qdamp=0.15)
    sq_model = MeasurementModel(biso=0.6, qbroad=0.05)
    sq = Target.from_structures("sq-xray", asi, q, measurement=sq_model)
    gr = Target.from_structures("gr", asi, r, measurement=gr_model)
    fit = rmc.RMC(asi, [sq, gr], rmc.RMCConfig(dr=dr, seed=0))
    assert fit.obs.names == ["sq-xray", "gr"]  # both dense, in the order given
    spectra = fit.spectra()
    np.testing.assert_allclose(spectra["gr"]["x"], r.numpy(), atol=1e-12)
    guidance = gr.observable()(asi)[0].numpy()
    assert np.abs(spectra["gr"]["model"] - guidance).max() < 0.03
    plain = fit.pair_distribution().g[0].numpy()[50:340]
    undamped = Target.from_structures("gr", asi, r, measurement=MeasurementModel(smearing=0.08)).observable()(asi)[0]
    assert np.abs(plain - guidance).max() > 0.1 and np.abs(undamped.numpy() - guidance).max() > 0.1
    pd = fit.pair_distribution()
    x = torch.as_tensor(spectra["sq-xray"]["x"])
    ref = structure_factor_from_gr(pd, x, radiation="xray", lorch=fit.config.lorch, biso=0.6, qbroad=0.05).s[0]
    np.testing.assert_allclose(spectra["sq-xray"]["model"], ref.numpy(), rtol=0, atol=1e-10)
    bare = structure_factor_from_gr(pd, x, radiation="xray", lorch=fit.config.lorch).s[0]
    assert float((ref - bare).abs().max()) > 0.02
    terminated = Target.from_structures("gr", asi, r, measurement=MeasurementModel(qmax=20.0))
    with pytest.raises(InputError, match="Q_max termination"):
        rmc.RMC(asi, [terminated], rmc.RMCConfig(dr=dr, seed=0))
    adf = Target.from_structures("adf", asi, cutoff=2.8, measurement=MeasurementModel(smearing=3.0))
    with pytest.raises(InputError, match="plain bond-angle histogram"):
        rmc.RMC(asi, [adf], rmc.RMCConfig(dr=dr, seed=0))
