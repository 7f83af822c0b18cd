"""Measurement model (glasslib.spectra.measurement): the termination operator against the
independent route S(Q) (Debye sum) -> F(Q) -> G(r) (pdf_from_fq), limits, errors, gradcheck."""

import math
from pathlib import Path

import pytest
import torch

from glasslib.core.errors import InputError
import ase

from glasslib.core.structures import from_ase, read_structures
from glasslib.diffusion.generate import GuidanceTerm, SampleConfig, generate
from glasslib.spectra.kinds import get_kind
from glasslib.spectra.measurement import MeasurementModel, measured_observable, termination_kernel
from glasslib.spectra.rdf import pair_distribution, reduced_pdf
from glasslib.spectra.scattering import structure_factor
from glasslib.spectra.targets import Target
from glasslib.spectra.transforms import pdf_from_fq


def _random_cell(n=64, length=10.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    # jittered simple-cubic lattice: no overlapping atoms, an amorphous-like g(r)
    k = round(n ** (1 / 3))
    grid = torch.stack(torch.meshgrid(*(torch.arange(k),) * 3, indexing="ij"), -1).reshape(-1, 3).double()
    pos = (grid + 0.5) * (length / k) + 0.35 * torch.randn(grid.shape, generator=g, dtype=torch.float64)
    return from_ase(ase.Atoms(numbers=[14] * k**3, positions=pos.numpy(), cell=[length] * 3, pbc=True))


@pytest.mark.parametrize("lorch", [False, True])
def test_termination_matches_debye_route(lorch):
    s = _random_cell()
    dr = 0.01
    r_in = dr * torch.arange(1, 1801, dtype=torch.float64)
    G = reduced_pdf(pair_distribution(s, r_in, sigma=0.0))
    r_out = torch.arange(0.05, 8.0001, 0.05, dtype=torch.float64)
    a = G @ termination_kernel(r_out, r_in, 16.0, lorch=lorch).T
    q = torch.linspace(0.0, 16.0, 3201, dtype=torch.float64)
    sf = structure_factor(s, q[1:], radiation="neutron", cutoff=float(r_in[-1]) + dr / 2, window=None, method="pairs")
    fq = torch.cat([torch.zeros(1, 1, dtype=torch.float64), sf.f], dim=1)
    b = pdf_from_fq(q, fq, r_out, qmax=16.0, lorch=lorch)
    assert float((a - b).abs().max()) < 0.02 * float(b.abs().max())


def test_high_qmax_recovers_plain_gr_and_low_qmax_broadens():
    s = _random_cell(seed=1)
    r = torch.arange(0.05, 6.0001, 0.05, dtype=torch.float64)
    kind = get_kind("gr")
    plain = kind.observable(r, smearing=0.1)(s)
    high = measured_observable(kind, r, MeasurementModel(smearing=0.1, qmax=60.0))(s)
    low = measured_observable(kind, r, MeasurementModel(smearing=0.1, qmax=8.0, lorch=True))(s)
    far = r >= 0.5  # below, 1 + G/(4πρr) amplifies the transform's rounding as r → 0 (as in measured g(r))
    assert float((high - plain)[:, far].abs().max()) < 0.05 * float(plain.max())
    assert float(low.max()) < float(plain.max()) - 0.05  # a Lorch-terminated peak is lower and broader


def test_fields_must_apply_to_the_kind():
    with pytest.raises(InputError, match="qmax"):
        measured_observable(get_kind("sq-xray"), torch.linspace(1, 10, 10, dtype=torch.float64),
                            MeasurementModel(qmax=20.0))
    with pytest.raises(InputError, match="applies: none"):
        MeasurementModel(smearing=0.1).check_kind(get_kind("exafs"))
    with pytest.raises(InputError, match="Lorch"):
        MeasurementModel(lorch=True)
    with pytest.raises(InputError, match="biso"):
        MeasurementModel(biso=-1.0)


def test_gradcheck_float64():
    s = _random_cell(n=8, length=5.0, seed=2)
    r = torch.arange(0.2, 4.0001, 0.2, dtype=torch.float64)
    obs = measured_observable(get_kind("gr"), r, MeasurementModel(smearing=0.2, qmax=12.0, lorch=True, qdamp=0.03))

    def f(pos):
        return obs(s.with_positions(pos))

    pos = s.positions.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(f, (pos,), eps=1e-6, atol=1e-5)


def test_guidance_with_the_measurement_model_fits_a_target_made_with_it():
    """A g(r) "measured" up to Q_max = 8 1/Å with the Lorch function (from the EPSR a-Si structure):
    guiding the a-Si prior with the target's measurement model fits it far better than guiding with
    the plain g(r) of the same values (measured: R 1.3e-4 with, 0.038 without, 0.13 unguided)."""
    data = Path(__file__).resolve().parents[1] / "data"
    ref = read_structures(data / "a-Si" / "glass-epsr_Si_2.5_00.xyz")
    r = torch.arange(1.6, 5.0001, 0.05, dtype=torch.float64)
    model = MeasurementModel(qmax=8.0, lorch=True)
    observe = measured_observable(get_kind("gr"), r, model)
    with torch.no_grad():
        y = observe(ref).mean(0)
    with_model = Target("gr", tuple(r.tolist()), tuple(y.tolist()), source="EPSR a-Si, Qmax 8 Lorch", measurement=model)
    plain = Target("gr", tuple(r.tolist()), tuple(y.tolist()), source="EPSR a-Si, Qmax 8 Lorch")
    assert with_model.measurement == model and plain.measurement is None

    def r_factor(structures):
        with torch.no_grad():
            p = observe(structures).mean(0)
        return float(((p - y) ** 2).sum() / (y ** 2).sum())

    prior = data / "models" / "asi_sw_prior" / "checkpoint.pt"
    config = SampleConfig(n=2, atoms=64, density=2.28, seed=0, steps=20)
    fitted = {name: r_factor(generate(prior, config, terms).structures)
              for name, terms in (("with", [GuidanceTerm(with_model)]), ("without", [GuidanceTerm(plain)]),
                                  ("unguided", []))}
    assert fitted["with"] < 0.2 * fitted["without"] and fitted["without"] < fitted["unguided"], fitted
    assert fitted["with"] < 0.005, fitted
