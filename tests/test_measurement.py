"""Measurement model (glasslib.spectra.measurement): the termination operator against the
independent route S(Q) (Debye sum) -> F(Q) -> G(r) (pdf_from_fq), limits, errors, gradcheck."""

import math

import pytest
import torch

from glasslib.core.errors import InputError
import ase

from glasslib.core.structures import from_ase
from glasslib.spectra.kinds import get_kind
from glasslib.spectra.measurement import MeasurementModel, measured_observable, termination_kernel
from glasslib.spectra.rdf import pair_distribution, reduced_pdf
from glasslib.spectra.scattering import structure_factor
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
