"""Variance-exploding noise process, preconditioned denoiser and denoising score matching loss.

Noise process (Song et al. 2021, "Score-based generative modeling through SDEs", Eq. 9 and
App. B, the VE SDE), with EDM's linear schedule (Karras et al. 2022, Table 1, σ(t) = t,
here scaled by k so that t ∈ (0, 1]):

    dx = g(t) dw,     σ(t) = k·t,     g(t)² = dσ²/dt = 2 k² t,
    p_t(x | x₀) = N(x₀, σ(t)² I)  (positions, Å; wrapped into the cell).

Periodic positions. The perturbed structure is x̃ = wrap(x₀ + σε). Its density on the torus
is the image sum p_σ(x̃) = ∫ p₀(x₀) Σ_n N(x̃ + nL; x₀, σ²) dx₀, whose score is
∇log p_σ(x̃) = −E[ε | x̃]/σ over the joint posterior of (x₀, image n), with ε the *unwrapped*
displacement that was actually drawn. So the regression target is ε itself, never the
wrapped coordinate difference (which jumps by a lattice vector when an atom crosses a face);
:func:`perturb` returns ε alongside the wrapped structures.

Preconditioning (EDM Eq. 7, D(x; σ) = c_skip x + c_out F(c_in x; c_noise)), specialised to
periodic coordinates where only displacements mean anything and cutoffs are physical:

    c_skip = 1,   c_in = 1 (the network sees Å),   c_out = −σ,   c_noise = ¼ ln σ,

i.e. the network predicts the unit noise ε̂ = F (ε-prediction, the NCSN/DDPM choice), and

    D(x; σ) = x − σ F,        s(x, σ) = (D − x)/σ² = −F/σ      (Tweedie: D = x + σ² s).

Loss (denoising score matching, Vincent 2011; Song et al. 2021 Eq. 7) with λ(σ) = σ²:

    L = E_σ E_{x₀, ε} λ(σ) ‖s(x̃, σ) + ε/σ‖² = E ‖F(x̃; c_noise(σ)) − ε‖²,

averaged over atoms per structure, then over structures (each structure weighs the same).
σ is drawn log-uniformly on [σ_min, σ_max] (default), log-normally (EDM's ln σ ~ N(P_mean, P_std²),
truncated to [σ_min, σ_max]: concentrates training where the loss is learnable, between the
unpredictable extremes) or uniformly in t (Song et al.).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import torch
from torch import nn

from glasslib.core.errors import InputError, reject_unknown_keys
from glasslib.core.geometry import wrap_positions
from glasslib.core.structures import Structures

SIGMA_DISTRIBUTIONS = ("log_uniform", "log_normal", "uniform_t")


@dataclass(frozen=True)
class VESDE:
    """The VE SDE with σ(t) = k·t on t ∈ [t_min, 1] (see the module docstring).

    Attributes:
        k: σ at t = 1, Å (σ_max). A few Å: large enough that p_1 is close to uniform on the
            scale of bond lengths.
        sigma_min: smallest noise level used in training and the default sampling grid, Å.
    """

    k: float = 3.0
    sigma_min: float = 0.01

    def __post_init__(self):
        if not (math.isfinite(self.k) and self.k > 0):
            raise InputError(f"VE SDE: k must be positive, got {self.k}")
        if not (0 < self.sigma_min < self.k):
            raise InputError(f"VE SDE: need 0 < sigma_min < k, got sigma_min={self.sigma_min}, k={self.k}")

    @property
    def sigma_max(self) -> float:
        return self.k

    @property
    def t_min(self) -> float:
        return self.sigma_min / self.k

    def sigma(self, t):
        """σ(t) = k·t, Å (float or tensor, like ``t``)."""
        return self.k * t

    def time(self, sigma):
        """t(σ) = σ/k."""
        return sigma / self.k

    def g2(self, t):
        """Diffusion coefficient g(t)² = dσ²/dt = 2k²t, Å² per unit time."""
        return 2.0 * self.k**2 * t

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "VESDE":
        reject_unknown_keys(d, (f.name for f in fields(cls)), "SDE config")
        return cls(**d)


def _per_system(value, structures: Structures) -> torch.Tensor:
    """Scalar or (n_systems,) → (n_systems,) tensor in the positions' dtype/device."""
    v = torch.as_tensor(value, dtype=structures.dtype, device=structures.device).reshape(-1)
    if v.shape[0] == 1:
        v = v.expand(structures.n_systems)
    if v.shape[0] != structures.n_systems:
        raise InputError(f"need one time/noise level per structure ({structures.n_systems}), got {v.shape[0]}")
    return v


def wrap_structures(structures: Structures, positions: torch.Tensor | None = None) -> Structures:
    """``positions`` (default: the structures') wrapped into the cell for periodic systems only."""
    pos = structures.positions if positions is None else positions
    periodic = structures.periodic
    if bool(periodic.all()):
        pos = wrap_positions(pos, structures.cell, structures.system_idx)
    elif bool(periodic.any()):
        mask = periodic[structures.system_idx][:, None]
        safe_cell = torch.where(periodic[:, None, None], structures.cell, torch.eye(3, dtype=pos.dtype, device=pos.device))
        pos = torch.where(mask, wrap_positions(pos, safe_cell, structures.system_idx), pos)
    return structures.with_positions(pos)


def perturb(structures: Structures, sigma, generator: torch.Generator) -> tuple[Structures, torch.Tensor]:
    """Draw x̃ = wrap(x₀ + σ ε), ε ~ N(0, I) per atom and axis.

    Args:
        structures: clean batch x₀ (positions Å).
        sigma: noise level(s), Å: scalar or (n_systems,). (Use ``sde.sigma(t)`` for times.)
        generator: the source of ε, on the positions' device.

    Returns:
        (noisy structures, wrapped; ε (n_atoms, 3), the unwrapped unit noise, the loss target).
    """
    sig = _per_system(sigma, structures)
    eps = torch.randn(structures.positions.shape, generator=generator, dtype=structures.dtype, device=generator.device)
    eps = eps.to(structures.device)
    noisy = wrap_structures(structures, structures.positions + sig[structures.system_idx, None] * eps)
    return noisy, eps


def sample_sigma(
    n: int,
    sde: VESDE,
    generator: torch.Generator,
    distribution: str = "log_uniform",
    *,
    log_mean: float = -1.2,
    log_std: float = 1.2,
    dtype=torch.float32,
) -> torch.Tensor:
    """(n,) training noise levels on [σ_min, σ_max], Å, drawn from ``generator`` (one uniform each).

    ``log_mean``/``log_std`` (ln Å) parameterise ``"log_normal"``, sampled by the inverse CDF of
    the normal truncated to [ln σ_min, ln σ_max].
    """
    u = torch.rand(n, generator=generator, dtype=torch.float64, device=generator.device)
    lo, hi = math.log(sde.sigma_min), math.log(sde.sigma_max)
    if distribution == "log_uniform":
        sig = torch.exp(lo + (hi - lo) * u)
    elif distribution == "log_normal":
        if not log_std > 0:
            raise InputError(f"log_normal sigma distribution needs log_std > 0, got {log_std}")
        cdf = [0.5 * math.erfc(-(b - log_mean) / (log_std * math.sqrt(2.0))) for b in (lo, hi)]
        p = (cdf[0] + (cdf[1] - cdf[0]) * u).clamp(1e-12, 1.0 - 1e-12)
        sig = torch.exp(log_mean + log_std * torch.special.ndtri(p)).clamp(sde.sigma_min, sde.sigma_max)
    elif distribution == "uniform_t":
        sig = sde.sigma(sde.t_min + (1.0 - sde.t_min) * u)
    else:
        raise InputError(f"unknown sigma distribution {distribution!r}; expected one of {SIGMA_DISTRIBUTIONS}")
    return sig.to(dtype)


class Denoiser(nn.Module):
    """EDM-style wrapper around the network: owns all σ algebra (module docstring).

    ``denoiser(structures, sigma)`` is D(x; σ) (unwrapped positions, Å);
    ``denoiser.score(structures, t)`` is s(x, t) = −F/σ(t) (Å⁻¹), the callable samplers and
    guidance take. Both return tensors in the positions' dtype and device.
    """

    def __init__(self, net: nn.Module, sde: VESDE):
        super().__init__()
        self.net = net
        self.sde = sde

    @staticmethod
    def c_noise(sigma: torch.Tensor) -> torch.Tensor:
        """EDM's noise conditioning input c_noise = ¼ ln σ."""
        return 0.25 * torch.log(sigma)

    def epsilon(self, structures: Structures, sigma) -> torch.Tensor:
        """F(x; c_noise(σ)) = ε̂, the predicted unit noise, (n_atoms, 3)."""
        sig = _per_system(sigma, structures)
        out = self.net(structures, self.c_noise(sig))
        return out.to(dtype=structures.dtype, device=structures.device)

    def forward(self, structures: Structures, sigma) -> torch.Tensor:
        """D(x; σ) = x − σ F, (n_atoms, 3) Å (not wrapped)."""
        sig = _per_system(sigma, structures)
        return structures.positions - sig[structures.system_idx, None] * self.epsilon(structures, sig)

    def score(self, structures: Structures, t) -> torch.Tensor:
        """s(x, t) = (D − x)/σ² = −F/σ(t), (n_atoms, 3), Å⁻¹. ``t`` scalar or (n_systems,)."""
        sig = self.sde.sigma(_per_system(t, structures))
        return -self.epsilon(structures, sig) / sig[structures.system_idx, None]


def dsm_loss(
    denoiser: Denoiser,
    structures: Structures,
    generator: torch.Generator,
    *,
    sigma: torch.Tensor | None = None,
    distribution: str = "log_uniform",
    log_mean: float = -1.2,
    log_std: float = 1.2,
    reduce: bool = True,
) -> torch.Tensor:
    """Denoising score matching with λ(σ) = σ² (module docstring): E‖F(x̃) − ε‖².

    Args:
        denoiser: the preconditioned network.
        structures: clean training batch x₀.
        generator: draws σ (unless given) and ε, in that order.
        sigma: (n_systems,) noise levels, Å; drawn with :func:`sample_sigma` if None
            (``distribution``, ``log_mean``, ``log_std`` as there).
        reduce: mean over structures (scalar) if True, else (n_systems,) per-structure losses.
    """
    if sigma is None:
        sigma = sample_sigma(structures.n_systems, denoiser.sde, generator, distribution, log_mean=log_mean,
                             log_std=log_std, dtype=structures.dtype)
    sig = _per_system(sigma, structures)
    noisy, eps = perturb(structures, sig, generator)
    err = ((denoiser.epsilon(noisy, sig) - eps) ** 2).sum(-1)  # (n_atoms,) = σ²‖s + ε/σ‖²
    n = structures.n_atoms_per_system.to(err.dtype)
    per_sys = torch.zeros(structures.n_systems, dtype=err.dtype, device=err.device).index_add_(0, structures.system_idx, err) / (3.0 * n)
    return per_sys.mean() if reduce else per_sys
