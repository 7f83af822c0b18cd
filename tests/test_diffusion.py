"""Tests for glasslib.diffusion.sde: VE SDE algebra, periodic perturbation, preconditioning, DSM loss."""

from __future__ import annotations

import math

import ase
import numpy as np
import pytest
import torch
from torch import nn

from glasslib.diffusion.sde import VESDE, Denoiser, dsm_loss, perturb, sample_sigma
from glasslib.core.errors import InputError
from glasslib.core.geometry import to_fractional
from glasslib.core.structures import concatenate, from_ase


def _structures(n_sys=2, n=40, length=6.0):
    rng = np.random.default_rng(0)
    frames = [ase.Atoms(f"Si{n}", scaled_positions=rng.random((n, 3)), cell=np.eye(3) * length, pbc=True) for _ in range(n_sys)]
    return from_ase(frames)


class ConstantNet(nn.Module):
    """Returns a fixed vector per atom: makes the preconditioning algebra checkable."""

    def __init__(self, value=0.0):
        super().__init__()
        self.value = nn.Parameter(torch.tensor(float(value), dtype=torch.float64))
        self.seen = None

    def forward(self, structures, c_noise):
        self.seen = c_noise
        return self.value * torch.ones_like(structures.positions)


def test_sde_schedule():
    sde = VESDE(k=3.0, sigma_min=0.01)
    assert sde.sigma_max == 3.0 and math.isclose(sde.t_min, 0.01 / 3)
    t, h = 0.4, 1e-6
    assert math.isclose(sde.g2(t), (sde.sigma(t + h) ** 2 - sde.sigma(t - h) ** 2) / (2 * h), rel_tol=1e-6)
    assert math.isclose(sde.time(sde.sigma(0.37)), 0.37)
    assert VESDE.from_dict(sde.to_dict()) == sde
    with pytest.raises(InputError):
        VESDE(k=1.0, sigma_min=2.0)


def test_perturb_wraps_and_keeps_unwrapped_noise():
    x = _structures()
    # put atoms on and near the faces, where wrapping matters
    pos = x.positions.clone()
    pos[:4] = torch.tensor([[0.0, 0.0, 0.0], [5.999, 3.0, 3.0], [3.0, 0.001, 5.9999], [6.0, 6.0, 6.0]], dtype=torch.float64)
    x = x.with_positions(pos)
    sigma = torch.tensor([0.8, 2.5], dtype=torch.float64)
    noisy, eps = perturb(x, sigma, torch.Generator().manual_seed(0))
    frac = to_fractional(noisy.positions, noisy.cell, noisy.system_idx)
    assert bool((frac >= 0).all()) and bool((frac < 1).all())
    # noisy − (x0 + σε) is a lattice vector: ε is the unwrapped displacement
    diff = to_fractional(noisy.positions - x.positions - sigma[x.system_idx, None] * eps, x.cell, x.system_idx)
    assert torch.allclose(diff, diff.round(), atol=1e-9)
    assert float(diff.round().abs().sum()) > 0  # some atoms did cross a face
    again, eps2 = perturb(x, sigma, torch.Generator().manual_seed(0))
    assert torch.equal(eps, eps2) and torch.equal(again.positions, noisy.positions)


def test_noise_statistics():
    x = _structures(n_sys=4, n=500)
    _, eps = perturb(x, 0.5, torch.Generator().manual_seed(1))
    assert abs(float(eps.mean())) < 0.05 and abs(float(eps.var()) - 1.0) < 0.05


def test_denoiser_algebra():
    sde = VESDE(k=3.0)
    net = ConstantNet(0.7)
    den = Denoiser(net, sde)
    x = _structures()
    t = torch.tensor([0.2, 0.6], dtype=torch.float64)
    sigma = sde.sigma(t)
    s = den.score(x, t)
    assert torch.allclose(net.seen, 0.25 * torch.log(sigma))  # c_noise = ¼ ln σ
    assert torch.allclose(s, -0.7 / sigma[x.system_idx, None].expand_as(s))  # s = −F/σ
    # Tweedie: D = x + σ² s
    assert torch.allclose(den(x, sigma), x.positions + sigma[x.system_idx, None] ** 2 * s)


def test_dsm_loss_is_epsilon_mse():
    sde = VESDE()
    x = _structures(n_sys=3, n=200)
    den = Denoiser(ConstantNet(0.0), sde)
    loss = dsm_loss(den, x, torch.Generator().manual_seed(0))
    assert abs(float(loss.detach()) - 1.0) < 0.05  # E|ε|²/3 with F = 0
    # λ(σ)=σ² weighting: the loss equals mean σ²‖s + ε/σ‖² computed by hand
    gen_a, gen_b = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    den = Denoiser(ConstantNet(0.3), sde)
    per = dsm_loss(den, x, gen_a, reduce=False)
    sig = sample_sigma(3, sde, gen_b, dtype=torch.float64)
    noisy, eps = perturb(x, sig, gen_b)
    s = den.score(noisy, sde.time(sig))
    manual = (sig[x.system_idx, None] ** 2 * (s + eps / sig[x.system_idx, None]) ** 2).sum(-1)
    manual = torch.stack([manual[x.system_idx == k].mean() / 3 for k in range(3)])
    assert torch.allclose(per, manual)


def test_dsm_loss_minimiser_is_mean_noise():
    """With a constant predictor, the loss is minimised at F = E[ε] = 0 (gradient there ≈ 0)."""
    x = _structures(n_sys=2, n=300)
    net = ConstantNet(0.5)
    loss = dsm_loss(Denoiser(net, VESDE()), x, torch.Generator().manual_seed(2))
    loss.backward()
    assert abs(float(net.value.grad) - 2 * 0.5 * 1.0) < 0.05  # d/dF mean (F − ε)² = 2F


def test_sample_sigma_ranges():
    sde = VESDE(k=3.0, sigma_min=0.01)
    gen = torch.Generator().manual_seed(0)
    s = sample_sigma(20000, sde, gen, dtype=torch.float64)
    assert float(s.min()) >= 0.01 and float(s.max()) <= 3.0
    assert abs(float(torch.log(s).mean()) - 0.5 * (math.log(0.01) + math.log(3.0))) < 0.05
    u = sample_sigma(20000, sde, gen, "uniform_t", dtype=torch.float64)
    assert abs(float(u.mean()) - 0.5 * (0.01 + 3.0)) < 0.05
    with pytest.raises(InputError):
        sample_sigma(3, sde, gen, "bogus")


def test_non_periodic_structures_are_not_wrapped():
    x = _structures(n_sys=1, n=5)
    cluster = x.replace(pbc=torch.zeros_like(x.pbc), cell=torch.zeros_like(x.cell))
    mixed = concatenate([x, cluster])
    noisy, eps = perturb(mixed, 5.0, torch.Generator().manual_seed(0))
    assert torch.allclose(noisy.positions[5:], mixed.positions[5:] + 5.0 * eps[5:])


def test_log_normal_sigma_is_truncated_and_centred():
    sde = VESDE(k=3.0, sigma_min=0.01)
    gen = torch.Generator().manual_seed(0)
    sig = sample_sigma(20000, sde, gen, "log_normal", log_mean=-1.2, log_std=1.0, dtype=torch.float64)
    assert float(sig.min()) >= 0.01 and float(sig.max()) <= 3.0
    # truncation at ln 3 = 1.1 (2.3 std above the mean) and ln 0.01 (3.4 below) barely moves the median
    assert abs(float(sig.log().median()) - (-1.2)) < 0.05
    assert abs(float(sig.log().std()) - 1.0) < 0.05
    with pytest.raises(InputError):
        sample_sigma(3, sde, gen, "log_normal", log_std=0.0)
