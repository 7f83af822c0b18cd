"""Tests for glasslib.diffusion.guidance: DPS gradient through the Tweedie estimate, normalisation, schedules,
and guidance lowering a toy spectral mismatch."""

from __future__ import annotations

import math

import ase
import ase.build
import numpy as np
import pytest
import torch
from ase.units import kB

from glasslib.diffusion.sde import VESDE, Denoiser
from glasslib.core.errors import InputError, NumericalError
from glasslib.core.geometry import neighbor_pairs
from glasslib.diffusion.guidance import (
    constant,
    coordination_penalty,
    ramp,
    window,
    with_autoguidance,
    with_potential_guidance,
    with_spectral_guidance,
)
from glasslib.diffusion.model import ScoreNet, ScoreNetConfig
from glasslib.spectra.kinds import KINDS
from glasslib.spectra.targets import Target
from glasslib.diffusion.sampling import cubic_cell, initial_noise, sample, time_grid
from glasslib.core.structures import from_ase

SDE = VESDE(k=3.0, sigma_min=0.01)
S0 = 0.3


def _structures(n_sys=2, n=6, seed=0):
    rng = np.random.default_rng(seed)
    return from_ase([ase.Atoms(f"Si{n}", scaled_positions=rng.random((n, 3)), cell=np.eye(3) * 5.0, pbc=True)
                     for _ in range(n_sys)])


def linear_score(x, t):
    """Score of N(0, s0² + σ²): x̂₀ = s0²/(s0² + σ²) · x, so ∂x̂₀/∂x = s0²/(s0² + σ²) I."""
    var = S0**2 + SDE.sigma(torch.as_tensor(t, dtype=x.dtype)) ** 2
    return -x.positions / var[x.system_idx, None]


def mean_position(x):
    """Toy observable: (S, 3) mean position of each structure."""
    out = torch.zeros(x.n_systems, 3, dtype=x.dtype).index_add_(0, x.system_idx, x.positions)
    return out / x.n_atoms_per_system[:, None].to(x.dtype)


def soft_pair_count(r0=2.6, width=0.3):
    """Toy observable: (S, 1) mean number of neighbours closer than ~r0 (smooth step)."""
    def obs(x):
        p = neighbor_pairs(x, r0 + 4 * width, full=True)
        w = torch.sigmoid((r0 - p.distances) / width * 4)
        return (torch.zeros(x.n_systems, dtype=x.dtype).index_add_(0, p.system, w) / x.n_atoms_per_system.to(x.dtype))[:, None]
    return obs


@pytest.mark.parametrize("through_score", [True, False])
def test_dps_gradient_through_tweedie_jacobian(through_score):
    x = _structures()
    t = torch.tensor([0.1, 0.3], dtype=torch.float64)
    target = torch.tensor([2.0, 2.5, 3.0], dtype=torch.float64)
    guided = with_spectral_guidance(linear_score, [mean_position], [target], [1.5], sigma_fn=SDE.sigma,
                                    step_size=0.7, normalize=False, through_score=through_score)
    out = guided(x, t)
    s = linear_score(x, t)
    sigma2 = SDE.sigma(t) ** 2
    x0 = x.positions + sigma2[x.system_idx, None] * s
    n = x.n_atoms_per_system.to(torch.float64)
    # L_b = 1.5 · mean_k (y_k − m_k)², m = mean position: ∂L/∂x̂₀_i = 1.5 · (2/3)(m − y)/n_b
    m = mean_position(x.with_positions(x0))
    grad_x0 = (1.5 * 2.0 / 3.0 * (m - target) / n[:, None])[x.system_idx]
    jac = (S0**2 / (S0**2 + sigma2))[x.system_idx, None] if through_score else 1.0
    assert torch.allclose(out, s - 0.7 * jac * grad_x0, atol=1e-12)
    assert torch.allclose(guided.last_loss, 1.5 * ((m - target) ** 2).mean(-1))


def test_normalised_step_size_is_rms_ratio():
    x = _structures()
    t = torch.tensor([0.2, 0.5], dtype=torch.float64)
    guided = with_spectral_guidance(linear_score, [mean_position], [torch.zeros(3)], sigma_fn=SDE.sigma, step_size=0.3)
    s = linear_score(x, t)
    delta = guided(x, t) - s
    for b in range(2):
        sel = x.system_idx == b
        rms = lambda v: float(v[sel].pow(2).sum(-1).mean().sqrt())
        assert math.isclose(rms(delta), 0.3 * rms(s), rel_tol=1e-9)


def test_schedules_and_zero_weight_leave_score_unchanged():
    x = _structures()
    t = torch.tensor([0.8, 0.8], dtype=torch.float64)
    s = linear_score(x, t)
    off = with_spectral_guidance(linear_score, [mean_position], [torch.zeros(3)], schedules=[ramp(0.5, 0.1)], sigma_fn=SDE.sigma)
    assert torch.equal(off(x, t), s) and off.last_loss is None
    zero = with_spectral_guidance(linear_score, [mean_position], [torch.zeros(3)], weights=[0.0], sigma_fn=SDE.sigma)
    assert torch.equal(zero(x, t), s)
    r = ramp(0.5, 0.1)(torch.tensor([0.9, 0.5, 0.3, 0.1, 0.01]))
    assert torch.allclose(r, torch.tensor([0.0, 0.0, 0.5, 1.0, 1.0], dtype=torch.float64))
    assert torch.equal(window(0.5, 0.2)(torch.tensor([0.6, 0.4, 0.1])), torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64))
    assert float(constant(2.0)(torch.tensor([0.3]))) == 2.0


def test_bad_targets():
    x = _structures()
    t = torch.tensor([0.1, 0.1], dtype=torch.float64)
    with pytest.raises(InputError, match="grid"):
        with_spectral_guidance(linear_score, [mean_position], [torch.zeros(4)], sigma_fn=SDE.sigma)(x, t)
    with pytest.raises(InputError, match="NaN"):
        with_spectral_guidance(linear_score, [mean_position], [torch.tensor([0.0, float("nan"), 0.0])], sigma_fn=SDE.sigma)
    with pytest.raises(InputError):
        with_spectral_guidance(linear_score, [mean_position, mean_position], [torch.zeros(3)], sigma_fn=SDE.sigma)


def test_gradient_reaches_x_through_the_network():
    """DPS through a real score network differs from the identity-Jacobian shortcut, and matches
    a finite difference of L(x̂₀(x)) along a random direction."""
    torch.manual_seed(0)
    den = Denoiser(ScoreNet(ScoreNetConfig(species=(14,), cutoff=3.0, angular_cutoff=2.6, hidden=8, channels=2, n_layers=1)).double().requires_grad_(False), SDE)
    x = _structures(n_sys=1, n=8)
    t = torch.tensor([0.3], dtype=torch.float64)
    obs = soft_pair_count()
    kw = dict(sigma_fn=SDE.sigma, step_size=1.0, normalize=False)
    g_dps = den.score(x, t) - with_spectral_guidance(den.score, [obs], [torch.tensor([0.5])], **kw)(x, t)
    g_id = den.score(x, t) - with_spectral_guidance(den.score, [obs], [torch.tensor([0.5])], through_score=False, **kw)(x, t)
    assert not torch.allclose(g_dps, g_id)

    def loss(pos):
        xx = x.with_positions(pos)
        x0 = pos + SDE.sigma(0.3) ** 2 * den.score(xx, t)
        return float(((obs(x.with_positions(x0)) - 0.5) ** 2).sum().detach())

    v = torch.randn(x.positions.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    h = 1e-5
    fd = (loss(x.positions + h * v) - loss(x.positions - h * v)) / (2 * h)
    assert math.isclose(fd, float((g_dps * v).sum()), rel_tol=1e-5, abs_tol=1e-9)


def _run(score, seed=0, n_sys=2, n=16):
    gen = torch.Generator().manual_seed(seed)
    x = initial_noise(n_sys, n, cubic_cell(n, 14, 2.3), 14, gen)
    return sample(score, x, time_grid(20, 1.0, SDE.t_min), generator=gen, sde=SDE, n_corrector=0)


def test_guidance_lowers_toy_mismatch():
    """A near-uninformative prior (untrained tiny network) plus guidance towards fewer close pairs."""
    torch.manual_seed(0)
    den = Denoiser(ScoreNet(ScoreNetConfig(species=(14,), cutoff=3.0, angular_cutoff=2.6, hidden=8, channels=2, n_layers=1)).double().requires_grad_(False), SDE)
    obs, target = soft_pair_count(), torch.tensor([0.5])
    plain = _run(den.score)
    guided = _run(with_spectral_guidance(den.score, [obs], [target], sigma_fn=SDE.sigma, step_size=1.0, normalize="sigma"))
    err = lambda x: ((obs(x) - target) ** 2).mean()
    assert float(err(guided)) < 0.5 * float(err(plain))


def test_gr_guidance_lowers_gr_error():
    """g(r) of diamond Si (16 atoms at 2.3 g/cm³) as the target; zero score (uniform prior)."""
    r = torch.linspace(0.1, 4.0, 40, dtype=torch.float64)
    obs = KINDS["gr"].observable(r, smearing=0.15)
    cell = cubic_cell(16, 14, 2.3)
    a = float(cell[0, 0]) / 2 ** (1 / 3)  # 8-atom cubic diamond cells, stacked twice along z
    ref = from_ase(ase.build.bulk("Si", "diamond", a=a, cubic=True).repeat((1, 1, 2)))
    assert math.isclose(float(ref.mass_density), 2.3, rel_tol=1e-9)
    target = Target.from_structures("gr", ref, r, smearing=0.15).values()
    assert torch.allclose(target, obs(ref).mean(0))  # the same curve by both routes
    zero = lambda x, t: torch.zeros_like(x.positions)
    plain = _run(zero, n_sys=2)
    guided = _run(with_spectral_guidance(zero, [obs], [target], sigma_fn=SDE.sigma, step_size=2.0, normalize="sigma"), n_sys=2)
    err = lambda x: float(((obs(x) - target) ** 2).mean())
    assert err(guided) < 0.5 * err(plain)


def test_coordination_penalty_observable():
    x = from_ase(ase.build.bulk("Si", "diamond", a=5.43, cubic=True))
    obs = coordination_penalty(4.0, cutoff=2.8, width=0.3)
    assert float(obs(x)) < 1e-5  # diamond: every atom four-fold
    off = coordination_penalty(3.0, cutoff=2.8, width=0.3)
    assert math.isclose(float(off(x)), 1.0, rel_tol=1e-4)


def test_observable_without_gradient_is_a_clear_error():
    x = _structures()
    flat = lambda s: torch.ones(s.n_systems, 2, dtype=s.dtype)
    guided = with_spectral_guidance(linear_score, [flat], [torch.zeros(2)], sigma_fn=SDE.sigma, through_score=False)
    with pytest.raises(InputError, match="no gradient"):
        guided(x, torch.tensor([0.1, 0.1], dtype=torch.float64))


# ------------------------------------------------------------------ autoguidance
S_WEAK = 0.6  # the weak toy model's data width, Å (wider than S0: the "blurrier" model)


def _gaussian_score(width):
    """Exact score of N(0, width² + σ²) (non-periodic toy)."""
    def score(x, t):
        var = width**2 + SDE.sigma(torch.as_tensor(t, dtype=x.dtype)) ** 2
        return -x.positions / var[x.system_idx, None]
    return score


def _points(n_sys, n, gen, std):
    from glasslib.core.structures import Structures

    total = n_sys * n
    return Structures(positions=std * torch.randn(total, 3, generator=gen, dtype=torch.float64),
                      cell=torch.zeros(n_sys, 3, 3, dtype=torch.float64), species=torch.full((total,), 14),
                      system_idx=torch.arange(n_sys).repeat_interleave(n), pbc=torch.zeros(n_sys, 3, dtype=torch.bool))


def _linear_score_variance(times, precision) -> float:
    """Variance after Euler–Maruyama with a linear score −a(t) x from N(0, s0² + σ_max²) on ``times``:
    v ← (1 − Δ_k a_k)² v + Δ_k per step, then the final Tweedie step v ← (1 − σ_N² a_N)² v."""
    v = S0**2 + SDE.sigma_max**2
    tl = times.tolist()
    for t_hi, t_lo in zip(tl[:-1], tl[1:]):
        delta = SDE.sigma(t_hi) ** 2 - SDE.sigma(t_lo) ** 2
        v = (1.0 - delta * precision(t_hi)) ** 2 * v + delta
    return v * (1.0 - SDE.sigma(tl[-1]) ** 2 * precision(tl[-1])) ** 2


def test_autoguidance_formula_and_gating():
    x = _structures()
    t = torch.tensor([0.02, 0.5], dtype=torch.float64)  # σ = 0.06 and 1.5 Å
    good, weak = _gaussian_score(S0), _gaussian_score(S_WEAK)
    s, s_weak = good(x, t), weak(x, t)
    auto = with_autoguidance(good, weak, 2.5)
    assert torch.allclose(auto(x, t), s + 1.5 * (s - s_weak), atol=1e-14)
    assert torch.equal(with_autoguidance(good, weak, 1.0)(x, t), s)  # w = 1: the plain score
    assert torch.allclose(with_autoguidance(good, good, 3.0)(x, t), s, atol=1e-14)  # nothing to extrapolate
    gated = with_autoguidance(good, weak, 2.5, sigma_fn=SDE.sigma, sigma_range=(0.1, 1.0))(x, t)
    assert torch.equal(gated, s)  # both structures outside [0.1, 1] Å
    t_mixed = torch.tensor([0.1, 0.5], dtype=torch.float64)  # σ = 0.3 (inside) and 1.5 Å (outside)
    gated = with_autoguidance(good, weak, 2.5, sigma_fn=SDE.sigma, sigma_range=(0.1, 1.0))(x, t_mixed)
    s, s_weak = good(x, t_mixed), weak(x, t_mixed)
    first = x.system_idx == 0
    assert torch.allclose(gated[first], (s + 1.5 * (s - s_weak))[first], atol=1e-14)
    assert torch.equal(gated[~first], s[~first])


def test_autoguidance_bad_arguments():
    good, weak = _gaussian_score(S0), _gaussian_score(S_WEAK)
    for w in (0.5, float("nan")):
        with pytest.raises(InputError, match="weight"):
            with_autoguidance(good, weak, w)
    with pytest.raises(InputError, match="sigma_fn"):
        with_autoguidance(good, weak, 2.0, sigma_range=(0.1, 1.0))
    with pytest.raises(InputError, match="sigma_range"):
        with_autoguidance(good, weak, 2.0, sigma_fn=SDE.sigma, sigma_range=(1.0, 0.1))


@pytest.mark.parametrize("w", [1.0, 2.0])
def test_autoguided_sampling_matches_the_variance_recursion(w):
    """Linear scores keep the samples Gaussian: Euler–Maruyama with s = −a_k x maps the variance as
    v ← (1 − Δ_k a_k)² v + Δ_k, and the final Tweedie step as v ← (1 − σ_N² a_N)² v. The sampled
    variance of the autoguided Gaussian toy equals this recursion (an independent route), and
    autoguidance (w = 2) sharpens the samples below the data variance S0² (w = 1 reproduces it)."""
    good, weak = _gaussian_score(S0), _gaussian_score(S_WEAK)
    auto = with_autoguidance(good, weak, w)
    times = time_grid(400, 1.0, SDE.t_min, 7.0)
    gen = torch.Generator().manual_seed(0)
    x = _points(4, 2500, gen, math.sqrt(S0**2 + SDE.sigma_max**2))
    out = sample(auto, x, times, generator=gen, sde=SDE, n_corrector=0)

    def precision(t):
        sig2 = SDE.sigma(t) ** 2
        return w / (S0**2 + sig2) - (w - 1.0) / (S_WEAK**2 + sig2)

    v = _linear_score_variance(times, precision)
    var = float(out.positions.var())
    assert abs(var / v - 1.0) < 0.05
    if w == 1.0:
        assert abs(var / S0**2 - 1.0) < 0.05
    else:
        assert var < 0.8 * S0**2


# ------------------------------------------------------------------ potential guidance (physics term)
def _harmonic(kappa):
    """Toy potential E = κ/2 Σ_i |x_i|² per structure, eV (κ in eV/Å²)."""
    def energy(x):
        return 0.5 * kappa * torch.zeros(x.n_systems, dtype=x.dtype).index_add_(0, x.system_idx, (x.positions**2).sum(-1))
    return energy


def test_potential_guidance_formula_and_gating():
    """s − β ∇E(x̂₀) with x̂₀ = x + σ² s, β = 1/k_B T, only where σ ≤ sigma_max (per structure)."""
    x = _structures()
    t = torch.tensor([0.1, 0.5], dtype=torch.float64)  # σ = 0.3 Å (on) and 1.5 Å (off)
    kappa, temperature = 2.0, 500.0
    guided = with_potential_guidance(linear_score, _harmonic(kappa), temperature, sigma_fn=SDE.sigma, sigma_max=0.5)
    out = guided(x, t)
    s = linear_score(x, t)
    sigma = SDE.sigma(t)[x.system_idx, None]
    x0 = x.positions + sigma**2 * s
    beta = 1.0 / (kB * temperature)
    on = x.system_idx == 0
    assert torch.allclose(out[on], (s - beta * kappa * x0)[on], rtol=1e-12, atol=1e-12)
    assert torch.equal(out[~on], s[~on])
    assert guided.last_energy.shape == (2,)
    off = with_potential_guidance(linear_score, _harmonic(kappa), temperature, sigma_fn=SDE.sigma, sigma_max=0.1)
    assert torch.equal(off(x, t), s) and off.last_energy is None


def test_potential_force_cap_limits_each_atom_and_only_where_it_binds():
    """max_force caps each atom's force norm at F: atoms whose κ|x̂₀| exceeds F get F along the same
    direction, the others keep the exact term."""
    x = _structures()
    t = torch.tensor([0.1, 0.1], dtype=torch.float64)
    kappa, temperature, cap = 2.0, 500.0, 5.0
    s = linear_score(x, t)
    x0 = x.positions + SDE.sigma(t)[x.system_idx, None] ** 2 * s
    force = kappa * x0  # ∇E at the Tweedie estimate
    norm = force.norm(dim=1, keepdim=True)
    assert bool((norm > cap).any()) and bool((norm < cap).any())  # both cases occur
    capped = with_potential_guidance(linear_score, _harmonic(kappa), temperature, sigma_fn=SDE.sigma, sigma_max=0.5,
                                     max_force=cap)(x, t)
    beta = 1.0 / (kB * temperature)
    expected = s - beta * torch.where(norm > cap, force * cap / norm, force)
    assert torch.allclose(capped, expected, rtol=1e-12, atol=1e-12)
    with pytest.raises(InputError, match="max_force"):
        with_potential_guidance(linear_score, _harmonic(kappa), temperature, sigma_fn=SDE.sigma, max_force=0.0)


def test_potential_guided_sampling_matches_the_variance_recursion():
    """A Gaussian prior N(0, s0²) tilted by a harmonic potential stays Gaussian: the guided score is
    linear, −a(t) x with a = (1 + βκ s0²)/(s0² + σ²) below sigma_max, so the sampled variance follows the
    Euler–Maruyama recursion of the autoguidance test (an independent route). As σ → 0 the score is
    that of the tilted law N(0, 1/(1/s0² + βκ)) = N(0, s0²/2), but along the way it is stronger than the
    tilted marginal's exact score 1/(s0²/2 + σ²), so the samples come out sharper: about 0.35 s0² (the
    recursion gives 0.348; with the exact tilted score it gives 0.506, and with the gradient taken through
    the Tweedie Jacobian, DPS-style, 0.93). T sets the strength; it is not the samples' temperature."""
    temperature = 300.0
    beta = 1.0 / (kB * temperature)
    kappa = 1.0 / (beta * S0**2)  # βκ s0² = 1: the tilted variance is s0²/2
    sigma_max = 0.5
    guided = with_potential_guidance(_gaussian_score(S0), _harmonic(kappa), temperature, sigma_fn=SDE.sigma,
                                     sigma_max=sigma_max)
    times = time_grid(400, 1.0, SDE.t_min, 7.0)
    gen = torch.Generator().manual_seed(0)
    x = _points(4, 2500, gen, math.sqrt(S0**2 + SDE.sigma_max**2))
    out = sample(guided, x, times, generator=gen, sde=SDE, n_corrector=0)

    def precision(t):
        sig2 = SDE.sigma(t) ** 2
        gain = 1.0 + beta * kappa * S0**2 if SDE.sigma(t) <= sigma_max else 1.0
        return gain / (S0**2 + sig2)

    v = _linear_score_variance(times, precision)
    var = float(out.positions.var())
    assert abs(var / v - 1.0) < 0.05
    assert 0.3 < var / S0**2 < 0.4  # tilted past N(0, s0²/2), far from the prior's s0²


def test_potential_guidance_bad_arguments_and_non_finite_force():
    for name, value in (("temperature", 0.0), ("temperature", float("nan")), ("sigma_max", -1.0)):
        kwargs = {"temperature": 300.0, "sigma_max": 0.5, name: value}
        with pytest.raises(InputError, match=name):
            with_potential_guidance(linear_score, _harmonic(1.0), kwargs["temperature"], sigma_fn=SDE.sigma,
                                    sigma_max=kwargs["sigma_max"])

    def broken(x):
        return (x.positions.sum() * torch.tensor(float("nan"), dtype=x.dtype)).reshape(1).expand(x.n_systems)

    guided = with_potential_guidance(linear_score, broken, 300.0, sigma_fn=SDE.sigma, sigma_max=0.5)
    with pytest.raises(NumericalError, match="non-finite potential force in structure 0"):
        guided(_structures(), torch.tensor([0.1, 0.1], dtype=torch.float64))
