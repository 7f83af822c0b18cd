"""F(Q) <-> G(r) sine transforms: an analytic pair, and gradcheck in float64."""

from __future__ import annotations

import math

import pytest
import torch

from glasslib.core.errors import InputError
from glasslib.spectra.transforms import check_grid, fq_from_pdf, lorch_window, pdf_from_fq, trapezoid_weights


def test_pdf_from_fq_of_a_gaussian_pair_peak_and_back():
    """F(Q) = sin(Qd) exp(−Q²σ²/2) ⇔ G(r) = [e^{−(r−d)²/2σ²} − e^{−(r+d)²/2σ²}] / (σ√2π)."""
    d, sig = 2.5, 0.15
    q = torch.arange(0.0, 40.0, 0.01, dtype=torch.float64)
    r = torch.arange(0.0, 10.0, 0.01, dtype=torch.float64)
    fq = torch.sin(q * d) * torch.exp(-0.5 * (q * sig) ** 2)
    exact = (torch.exp(-0.5 * ((r - d) / sig) ** 2) - torch.exp(-0.5 * ((r + d) / sig) ** 2)) / (sig * math.sqrt(2 * math.pi))
    g = pdf_from_fq(q, fq, r, lorch=False)
    assert (g - exact).abs().max() < 1e-4
    back = fq_from_pdf(r, exact, q)
    assert (back - fq).abs().max() < 1e-4
    # Lorch modification: broadened but same area under the peak; qdamp envelope
    gl = pdf_from_fq(q, fq, r, lorch=True)
    assert torch.trapezoid(gl, r).item() == pytest.approx(torch.trapezoid(exact, r).item(), rel=1e-3)
    assert gl.max() < exact.max()
    gd = pdf_from_fq(q, fq, r, lorch=False, qdamp=0.1)
    assert torch.allclose(gd, g * torch.exp(-0.5 * (r * 0.1) ** 2))
    with pytest.raises(InputError, match="points"):
        pdf_from_fq(q, fq[:-1], r)



def test_gradcheck_pdf_transforms():
    g = torch.Generator().manual_seed(0)
    r = torch.linspace(0.5, 6.0, 25, dtype=torch.float64)
    qg = torch.linspace(0.3, 12.0, 30, dtype=torch.float64)
    fq = torch.randn(2, 30, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: pdf_from_fq(qg, x, r, qdamp=0.05), (fq,))
    gr = torch.randn(25, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: fq_from_pdf(r, x, qg, lorch=True), (gr,))


def test_grid_helpers():
    x = torch.tensor([0.0, 1.0, 3.0], dtype=torch.float64)
    assert torch.equal(trapezoid_weights(x), torch.tensor([0.5, 1.5, 1.0], dtype=torch.float64))
    assert float(lorch_window(torch.tensor([0.0, 2.0, 5.0]), 4.0)[0]) == 1.0
    assert float(lorch_window(torch.tensor([0.0, 2.0, 5.0]), 4.0)[2]) == 0.0
    with pytest.raises(InputError, match="non-negative"):
        check_grid([-1.0, 1.0], "Q")
