"""Tests for glasslib.spectra.histogram: the windowed Gaussian kernel and the plain histogram."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import glasslib.spectra.histogram as histogram
from glasslib.core.errors import InputError
from glasslib.spectra.histogram import smeared_histogram


def _dense(x, w, group, n_groups, start, dx, n_bins, sigma):
    """Reference: the full samples × bins Gaussian kernel, no truncation."""
    grid = start + dx * torch.arange(n_bins, dtype=x.dtype)
    k = torch.exp(-((grid[None, :] - x[:, None]) ** 2) / (2 * sigma**2)) / (sigma * math.sqrt(2 * math.pi))
    out = torch.zeros(n_groups, n_bins, dtype=x.dtype)
    return out.index_add(0, group, w[:, None] * k)


def _samples(n=400, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = 1.0 + 6.0 * torch.rand(n, generator=gen, dtype=torch.float64)
    w = torch.rand(n, generator=gen, dtype=torch.float64) + 0.5
    g = torch.randint(0, 3, (n,), generator=gen)
    return x, w, g


@pytest.mark.parametrize("sigma", [0.03, 0.2])
def test_windowed_matches_dense_kernel(sigma):
    x, w, g = _samples()
    kw = dict(start=0.0, dx=0.01, n_bins=800, sigma=sigma, weights=w, group=g, n_groups=3)
    ref = _dense(x, w, g, 3, 0.0, 0.01, 800, sigma)
    # at n_sigma = 4 each sample loses at most its Gaussian mass beyond 4σ − Δx/2 (the window
    # is centred on the nearest bin), P(|Z| > 4) = 6.3e-5 for σ ≫ Δx
    h4 = smeared_histogram(x, **kw)
    dropped = float((ref - h4).sum()) * 0.01
    bound = float(w.sum()) * math.erfc((4 - 0.5 * 0.01 / sigma) / math.sqrt(2))
    assert bool((ref - h4 >= -1e-12).all()) and 0 < dropped <= bound
    assert float((h4 - ref).abs().max()) < 1e-3 * float(ref.max())
    h12 = smeared_histogram(x, **kw, n_sigma=12.0)
    assert torch.allclose(h12, ref, rtol=1e-12, atol=1e-12)


def test_chunked_equals_unchunked(monkeypatch):
    x, w, g = _samples(3000, seed=1)
    kw = dict(start=0.0, dx=0.02, n_bins=400, sigma=0.1, weights=w, group=g, n_groups=3)
    ref = smeared_histogram(x, **kw)
    monkeypatch.setattr(histogram, "CHUNK_ELEMENTS", 64)  # → chunks of 1024 samples
    assert torch.allclose(smeared_histogram(x, **kw), ref, rtol=1e-13, atol=1e-13)


def test_mass_is_conserved():
    x, w, g = _samples()
    h = smeared_histogram(x, start=0.0, dx=0.01, n_bins=800, sigma=0.05, weights=w, group=g, n_groups=3)
    per_group = torch.zeros(3, dtype=torch.float64).index_add(0, g, w)
    assert torch.allclose(h.sum(dim=1) * 0.01, per_group, rtol=1e-4)


def test_plain_histogram_counts():
    x, w, _ = _samples(1000, seed=2)
    start, dx, n = 0.05, 0.1, 80  # bins [0, 0.1), [0.1, 0.2), ... [7.9, 8.0)
    h = smeared_histogram(x, start=start, dx=dx, n_bins=n, sigma=0.0)
    counts, _ = np.histogram(x.numpy(), bins=np.arange(n + 1) * dx)
    assert np.array_equal((h[0] * dx).round().numpy().astype(int), counts)
    hw = smeared_histogram(x, start=start, dx=dx, n_bins=n, sigma=0.0, weights=w)
    cw, _ = np.histogram(x.numpy(), bins=np.arange(n + 1) * dx, weights=w.numpy())
    assert np.allclose(hw[0].numpy() * dx, cw)
    # samples outside the grid are dropped
    out = smeared_histogram(torch.tensor([-1.0, 100.0]), start=start, dx=dx, n_bins=n, sigma=0.0)
    assert float(out.sum()) == 0.0


def test_gradcheck_samples_and_weights():
    x, w, g = _samples(12, seed=3)
    x = x.clone().requires_grad_(True)
    w = w.clone().requires_grad_(True)

    def f(x, w):
        return smeared_histogram(x, start=0.5, dx=0.05, n_bins=140, sigma=0.12, weights=w, group=g, n_groups=3)

    assert torch.autograd.gradcheck(f, (x, w), eps=1e-6, atol=1e-7)


def test_peak_position_and_dtype():
    x = torch.tensor([2.345], dtype=torch.float32)
    h = smeared_histogram(x, start=0.0, dx=0.001, n_bins=5000, sigma=0.05)
    assert h.dtype == torch.float32
    grid = torch.arange(5000) * 0.001
    assert abs(float((grid * h[0]).sum() / h[0].sum()) - 2.345) < 1e-5


def test_bad_arguments():
    x = torch.ones(3)
    with pytest.raises(InputError):
        smeared_histogram(x[None], start=0, dx=0.1, n_bins=10, sigma=0.1)
    with pytest.raises(InputError):
        smeared_histogram(x, start=0, dx=0.0, n_bins=10, sigma=0.1)
    with pytest.raises(InputError):
        smeared_histogram(x, start=0, dx=0.1, n_bins=10, sigma=-1.0)
