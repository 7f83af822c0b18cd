"""Spectral guidance: a score wrapper that pulls samples onto target spectra (samplers do not change).

Given a score s(x, t) and observables O_i (Structures → (S, K_i) tensors, e.g. g(r), S(Q),
an ADF), :func:`with_spectral_guidance` returns a new score with the same signature:

1. Tweedie / posterior-mean estimate of the clean structure (Efron 2011; for the VE SDE
   x̂₀ = E[x₀ | x] = x + σ(t)² ∇log p_t(x)):

       x̂₀(x, t) = x + σ(t)² s(x, t).

2. Spectral loss on the estimate, per structure, with time-dependent weights:

       L(x, t) = Σ_i w_i · λ_i(t) · mean_k (y_i,k − O_i(x̂₀)_k)²,

   the mean over the K_i grid points (so a weight does not depend on grid length).

3. Its gradient w.r.t. the *noisy* positions (diffusion posterior sampling, Chung et al.
   2023, "DPS", Alg. 1 / Eq. 16):

       ∇_x L = (∂x̂₀/∂x)ᵀ ∇_{x̂₀} L,      ∂x̂₀/∂x = I + σ² ∂s/∂x,

   i.e. the gradient flows through the Jacobian of the Tweedie estimate — through the score
   network — by one vector–Jacobian product (``through_score=True``, default). With
   ``through_score=False`` the Jacobian is taken as I (∇_x L ≈ ∇_{x̂₀} L; no backward pass
   through the network, cheaper, exact when the score is locally constant). A non-finite
   ∇_x L stops the run (:class:`~glasslib.core.errors.NumericalError` naming the structure;
   the sampler adds the step) rather than guiding with NaN.

4. Guided score, per structure b (the sampler multiplies it by Δσ² like any score):

       s_guided = s − η_b ∇_x L,
       η_b = step_size · RMS_b(s) / RMS_b(∇_x L)         (``normalize="score"`` or True),
       η_b = step_size · (√3/σ) / RMS_b(∇_x L)           (``normalize="sigma"``),
       η_b = step_size                                   (``normalize=False``),

   RMS_b over the atoms of structure b of the per-atom norm |·|. Normalising makes
   ``step_size`` the guidance-to-prior ratio of per-atom magnitudes at every noise level
   (DPS's ζ/‖y − A(x̂₀)‖ normalisation in spirit), independent of the loss units. "score" uses
   the model's own score; "sigma" uses √3/σ, the RMS of the noise score −ε/σ, which a trained
   model's score approaches at low noise and which stays meaningful for an untrained or zero
   prior (where "score" would switch guidance off).

Time schedules λ_i(t) are callables t (S,) → weights (S,); :func:`ramp`, :func:`window` and
:func:`constant` build them. Observables of the spectrum kinds come from the registry
(:meth:`glasslib.spectra.kinds.SpectrumKind.observable`, or a target's
:meth:`~glasslib.spectra.targets.Target.observable`); :func:`coordination_penalty` is a
reference-free soft coordination term.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
from ase.units import kB

from glasslib.core.errors import InputError, NumericalError
from glasslib.core.structures import Structures
from glasslib.spectra.angles import coordination_numbers

Observable = Callable[[Structures], torch.Tensor]
Schedule = Callable[[torch.Tensor], torch.Tensor]


# ------------------------------------------------------------------- schedules
def constant(value: float = 1.0) -> Schedule:
    """λ(t) = value."""
    return lambda t: torch.full_like(torch.as_tensor(t, dtype=torch.float64), float(value))


def ramp(t_start: float, t_end: float) -> Schedule:
    """λ = 0 for t ≥ t_start, rising linearly to 1 at t ≤ t_end (t_end < t_start): guidance
    switched on gradually as the noise decreases."""
    if not t_end < t_start:
        raise InputError(f"ramp needs t_end < t_start, got t_start={t_start}, t_end={t_end}")
    return lambda t: ((t_start - torch.as_tensor(t, dtype=torch.float64)) / (t_start - t_end)).clamp(0.0, 1.0)


def window(t_hi: float, t_lo: float = 0.0) -> Schedule:
    """λ = 1 for t_lo ≤ t ≤ t_hi, 0 elsewhere."""
    def f(t):
        t = torch.as_tensor(t, dtype=torch.float64)
        return ((t >= t_lo) & (t <= t_hi)).to(torch.float64)
    return f


# -------------------------------------------------------------------- guidance
class GuidedScore:
    """The callable :func:`with_spectral_guidance` returns; ``last_loss`` holds the (S,) spectral
    loss of the latest call (on x̂₀) and ``last_terms`` the (n_observables, S) unweighted terms."""

    def __init__(self, score, observables, targets, weights, schedules, *, sigma_fn, step_size, normalize, through_score):
        self.score = score
        self.observables = list(observables)
        n = len(self.observables)
        if n == 0:
            raise InputError("guidance needs at least one observable")
        self.targets = [torch.as_tensor(y).detach() for y in targets]
        self.weights = [1.0] * n if weights is None else [float(w) for w in weights]
        self.schedules = [constant()] * n if schedules is None else [constant() if s is None else s for s in schedules]
        if not (len(self.targets) == len(self.weights) == len(self.schedules) == n):
            raise InputError(f"need as many targets, weights and schedules as observables ({n})")
        for k, y in enumerate(self.targets):
            if not bool(torch.isfinite(y).all()):
                raise InputError(f"guidance target {k} contains NaN or inf")
        if not step_size >= 0:
            raise InputError(f"step_size must be >= 0, got {step_size}")
        if normalize is True:
            normalize = "score"
        if normalize not in ("score", "sigma", False, None):
            raise InputError(f"normalize must be 'score', 'sigma' or False, got {normalize!r}")
        self.sigma_fn, self.step_size = sigma_fn, float(step_size)
        self.normalize, self.through_score = normalize or False, bool(through_score)
        self.last_loss: torch.Tensor | None = None
        self.last_terms: torch.Tensor | None = None

    def loss(self, structures: Structures, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(S,) weighted loss of ``structures`` (taken as x̂₀) and (n_obs, S) unweighted terms."""
        terms, total = [], 0.0
        for obs, y, w, sched in zip(self.observables, self.targets, self.weights, self.schedules):
            pred = obs(structures).reshape(structures.n_systems, -1)
            n_sys, n_k = pred.shape
            if y.numel() not in (n_k, n_sys * n_k):
                raise InputError(
                    f"guidance target has {y.numel()} values but its observable gives {n_k} per structure (another grid?)"
                )
            y = y.to(dtype=pred.dtype, device=pred.device).reshape(-1, n_k)
            term = ((pred - y) ** 2).mean(-1)  # (S,)
            lam = torch.as_tensor(sched(t), dtype=pred.dtype, device=pred.device).reshape(-1).expand(structures.n_systems)
            terms.append(term)
            total = total + w * lam * term
        return total, torch.stack(terms)

    def active(self, t: torch.Tensor) -> bool:
        return self.step_size > 0 and any(
            w != 0 and bool((torch.as_tensor(s(t)) != 0).any()) for w, s in zip(self.weights, self.schedules)
        )

    def __call__(self, x: Structures, t) -> torch.Tensor:
        t = torch.as_tensor(t, dtype=x.dtype, device=x.device).reshape(-1).expand(x.n_systems)
        if not self.active(t):
            with torch.no_grad():
                return self.score(x, t)
        sigma_sys = torch.as_tensor(self.sigma_fn(t), dtype=x.dtype, device=x.device).reshape(-1).expand(x.n_systems)
        sigma = sigma_sys[x.system_idx, None]
        with torch.enable_grad():
            pos = x.positions.detach().requires_grad_(True)
            xg = x.with_positions(pos)
            if self.through_score:
                s = self.score(xg, t)
                x0 = pos + sigma**2 * s  # Tweedie, differentiable through the network
            else:
                with torch.no_grad():
                    s = self.score(xg, t)
                x0 = pos + sigma**2 * s.detach()
            loss, terms = self.loss(x.with_positions(x0), t)
            if not loss.requires_grad:
                raise InputError("the guidance loss has no gradient w.r.t. positions (an observable without smearing?)")
            (grad,) = torch.autograd.grad(loss.sum(), pos)  # structures are independent
        s, grad = s.detach(), grad.detach()
        self.last_loss, self.last_terms = loss.detach(), terms.detach()
        bad = ~torch.isfinite(grad).all(dim=1)
        if bool(bad.any()):  # a NaN step would silently poison the structure (the sampler names the step)
            k = int(x.system_idx[bad.nonzero()[0, 0]])
            raise NumericalError(f"non-finite spectral guidance gradient in structure {k} (guidance loss "
                                 f"{float(self.last_loss[k]):.4g})", structure=k)
        if self.normalize:
            ns = _rms(s, x) if self.normalize == "score" else 3.0**0.5 / sigma_sys
            ng = _rms(grad, x)
            eta = torch.where(ng > 0, self.step_size * ns / torch.where(ng > 0, ng, torch.ones_like(ng)), torch.zeros_like(ng))
            return s - eta[x.system_idx, None] * grad
        return s - self.step_size * grad


class AutoGuidedScore:
    """The callable :func:`with_autoguidance` returns (see there)."""

    def __init__(self, score, weak_score, weight: float, *, sigma_fn=None, sigma_range=(0.0, float("inf"))):
        if not (weight == weight and weight >= 1.0):  # NaN fails too
            raise InputError(f"autoguidance weight must be >= 1 (1: the plain score), got {weight}")
        lo, hi = (float(v) for v in sigma_range)
        if not 0.0 <= lo < hi:
            raise InputError(f"autoguidance sigma_range must satisfy 0 <= low < high, got {sigma_range}")
        if (lo > 0.0 or hi < float("inf")) and sigma_fn is None:
            raise InputError("an autoguidance sigma_range needs sigma_fn (σ(t))")
        self.score, self.weak_score, self.weight = score, weak_score, float(weight)
        self.sigma_fn, self.sigma_range = sigma_fn, (lo, hi)

    def __call__(self, x: Structures, t) -> torch.Tensor:
        t = torch.as_tensor(t, dtype=x.dtype, device=x.device).reshape(-1).expand(x.n_systems)
        s = self.score(x, t)
        if self.weight == 1.0:
            return s
        gain = self.weight - 1.0
        if self.sigma_fn is not None:  # per-structure window (no host sync when there is none)
            lo, hi = self.sigma_range
            sigma = torch.as_tensor(self.sigma_fn(t), dtype=x.dtype, device=x.device).reshape(-1).expand(x.n_systems)
            on = (sigma >= lo) & (sigma <= hi)
            if not bool(on.any()):
                return s
            gain = (on.to(s.dtype) * gain)[x.system_idx, None]  # the weight in the score's dtype
        return s + gain * (s - self.weak_score(x, t))


def with_autoguidance(score, weak_score, weight: float, *, sigma_fn=None,
                      sigma_range: tuple[float, float] = (0.0, float("inf"))) -> AutoGuidedScore:
    """Autoguidance (Karras et al. 2024, "Guiding a diffusion model with a bad version of itself",
    Eq. 2): extrapolate the score away from a weaker model of the same data,

        s_w(x, t) = s_weak + w (s − s_weak) = s + (w − 1)(s − s_weak),     w ≥ 1,

    where ``weak_score`` comes from a smaller and/or shorter-trained network on the same training
    set and noise process. The weak model's errors point the same way as the main model's but
    are larger, so the difference s − s_weak points towards what the main model has learned
    beyond the weak one (sharper local structure), and w > 1 amplifies it. This is *not*
    conditioning: no target or spectrum enters; w = 1 is the plain score.

    Args:
        score, weak_score: ``score(structures, t) -> (n_atoms, 3)``, Å⁻¹, of the same SDE.
        weight: w ≥ 1.
        sigma_fn: σ(t), Å (e.g. ``sde.sigma``); needed only for ``sigma_range``.
        sigma_range: (low, high) Å; outside it the plain score is returned (per structure).

    Returns:
        An :class:`AutoGuidedScore`, callable like ``score`` (and wrappable by
        :func:`with_spectral_guidance`, whose Tweedie estimate then uses s_w).
    """
    return AutoGuidedScore(score, weak_score, weight, sigma_fn=sigma_fn, sigma_range=sigma_range)


def score_and_sigma(score, sigma_fn, x: Structures, t) -> tuple[torch.Tensor, torch.Tensor]:
    """``score(x, t)`` (n_atoms, 3) and σ(t) (S,), Å, with ``t`` (a number or (S,)) given to every
    structure of ``x``: the start of every wrapper that acts below a noise level."""
    t = torch.as_tensor(t, dtype=x.dtype, device=x.device).reshape(-1).expand(x.n_systems)
    sigma = torch.as_tensor(sigma_fn(t), dtype=x.dtype, device=x.device).reshape(-1).expand(x.n_systems)
    return score(x, t), sigma


class PotentialGuidedScore:
    """The callable :func:`with_potential_guidance` returns; ``last_energy`` holds the (S,) energies
    (eV) of the latest Tweedie estimates it acted on (None before, or when it was switched off)."""

    def __init__(self, score, energy, temperature: float, *, sigma_fn, sigma_max: float, max_force: float | None = None):
        for name, value in (("temperature", temperature), ("sigma_max", sigma_max),
                            ("max_force", 1.0 if max_force is None else max_force)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise InputError(f"potential guidance {name} must be a positive number, got {value}")
        self.score, self.energy, self.sigma_fn = score, energy, sigma_fn
        self.temperature, self.sigma_max = float(temperature), float(sigma_max)
        self.max_force = None if max_force is None else float(max_force)
        self.beta = 1.0 / (kB * self.temperature)  # 1/eV (ASE's Boltzmann constant, eV/K)
        self.last_energy: torch.Tensor | None = None

    def __call__(self, x: Structures, t) -> torch.Tensor:
        s, sigma_sys = score_and_sigma(self.score, self.sigma_fn, x, t)
        on = sigma_sys <= self.sigma_max
        if not bool(on.any()):
            self.last_energy = None
            return s
        sigma = sigma_sys[x.system_idx, None]
        with torch.enable_grad():
            x0 = (x.positions + sigma**2 * s).detach().requires_grad_(True)  # Tweedie, Jacobian taken as I
            energy = self.energy(x.with_positions(x0))
            (grad,) = torch.autograd.grad(energy.sum(), x0)  # structures are independent
        grad = grad.detach()
        self.last_energy = energy.detach()
        bad = ~torch.isfinite(grad).all(dim=1)
        if bool(bad.any()):
            k = int(x.system_idx[bad.nonzero()[0, 0]])
            raise NumericalError(f"non-finite potential force in structure {k} (energy {float(self.last_energy[k]):.4g} eV;"
                                 f" a stiff potential may need a force cap, potential_max_force)", structure=k)
        if self.max_force is not None:  # each atom's force norm at most max_force
            norm = grad.norm(dim=1, keepdim=True)
            grad = grad * torch.clamp(self.max_force / norm.clamp(min=torch.finfo(grad.dtype).tiny), max=1.0)
        gain = (on.to(s.dtype) * self.beta)[x.system_idx, None]  # β in the score's dtype
        return s - gain * grad


def with_potential_guidance(score, energy, temperature: float, *, sigma_fn: Callable[[torch.Tensor], torch.Tensor],
                            sigma_max: float = 0.5, max_force: float | None = None) -> PotentialGuidedScore:
    """Add a classical potential's Boltzmann factor to the prior, on the Tweedie estimate:

        s_phys(x, t) = s(x, t) − β ∇E(x̂₀),     x̂₀ = x + σ(t)² s(x, t),     β = 1 / (k_B T),

    applied where σ(t) ≤ ``sigma_max`` (per structure; the plain score above, where x̂₀ is a blur
    whose forces mean nothing). The force is taken at x̂₀ and applied at x: the Jacobian ∂x̂₀/∂x is
    taken as I (one energy gradient per call, no backward pass through the network). As σ → 0 the
    guided score becomes that of p_θ(x) · exp(−E(x)/k_B T), the prior tilted by the potential at T,
    but at intermediate σ it is stronger than the exact score of that law's noisy marginals, so
    samples come out sharper than the tilt: for a Gaussian prior N(0, s0²) and a harmonic E with
    βκ s0² = 1, the variance is 0.35 s0² instead of the tilted 0.5 s0² (tests/test_guidance.py;
    the DPS gradient through the Jacobian gives 0.93 s0², too weak). So T is a strength, not the
    temperature of the samples. This is the physics term of glass-epsr (a Tersoff force on the denoised estimate),
    an *option* for measuring what a potential adds: GLASS itself needs none. It wraps any score,
    also an autoguided or spectrally guided one (the recipe puts it outermost, so that the spectral
    guidance step stays relative to the network's score rather than to the much larger force).

    Args:
        score: ``score(structures, t) -> (n_atoms, 3)``, Å⁻¹.
        energy: ``energy(structures) -> (S,)`` eV, differentiable w.r.t. positions
            (:mod:`glasslib.diffusion.potentials`).
        temperature: T, K (> 0): lower is stronger.
        sigma_fn: σ(t), Å (e.g. ``sde.sigma``).
        sigma_max: σ, Å, above which the term is off.
        max_force: cap, eV/Å, on each atom's force norm (None: none). Potentials with steep cores
            (Vashishta) give forces of 10⁴ eV/Å and more where the estimate still overlaps atoms;
            uncapped, one step throws those atoms out of the cell.

    Returns:
        A :class:`PotentialGuidedScore`, callable like ``score``.
    """
    return PotentialGuidedScore(score, energy, temperature, sigma_fn=sigma_fn, sigma_max=sigma_max,
                                max_force=max_force)


def _rms(v: torch.Tensor, x: Structures) -> torch.Tensor:
    """(S,) sqrt(mean over a structure's atoms of |v_i|²)."""
    sq = torch.zeros(x.n_systems, dtype=v.dtype, device=v.device).index_add_(0, x.system_idx, (v * v).sum(-1))
    return torch.sqrt(sq / x.n_atoms_per_system.to(v.dtype))


def with_spectral_guidance(
    score,
    observables: Sequence[Observable],
    targets: Sequence[torch.Tensor],
    weights: Sequence[float] | None = None,
    schedules: Sequence[Schedule | None] | None = None,
    *,
    sigma_fn: Callable[[torch.Tensor], torch.Tensor],
    step_size: float = 1.0,
    normalize: bool | str = "score",
    through_score: bool = True,
) -> GuidedScore:
    """Wrap ``score`` with spectral guidance on the Tweedie estimate (module docstring).

    Args:
        score: ``score(structures, t) -> (n_atoms, 3)``, Å⁻¹.
        observables: callables Structures → (S, K_i) (or (S,) / anything reshapeable to it).
        targets: one per observable, (K_i,) shared or (S, K_i) per structure, in the
            observable's units and on its grid.
        weights: w_i (default 1).
        schedules: λ_i(t) callables (default constant 1; None entries = constant 1).
        sigma_fn: σ(t), Å (e.g. ``sde.sigma``).
        step_size: η (normalize=True: guidance RMS / score RMS per atom; else an absolute
            factor on ∇_x L in Å⁻¹ per loss unit).
        normalize: ``"score"`` (or True), ``"sigma"`` or False; see the module docstring, step 4.
        through_score: DPS gradient through ∂x̂₀/∂x (True) or ∂x̂₀/∂x := I (False).

    Returns:
        A :class:`GuidedScore`, callable like ``score``.
    """
    return GuidedScore(score, observables, targets, weights, schedules, sigma_fn=sigma_fn,
                       step_size=step_size, normalize=normalize, through_score=through_score)


# ----------------------------------------------------------------- observables
def coordination_penalty(target_cn: float, cutoff: float, width: float = 0.3) -> Observable:
    """Reference-free soft coordination term: x → (S, 1) RMS over atoms of (n_i − target_cn),

        n_i = Σ_j f_c(r_ij)   (smooth cutoff of width ``width`` Å below ``cutoff``),

    to be used with target 0, so the loss term is mean_i (n_i − target_cn)²."""
    def obs(x: Structures) -> torch.Tensor:
        cn = coordination_numbers(x, cutoff, width)
        dev = torch.zeros(x.n_systems, dtype=cn.dtype, device=cn.device).index_add_(0, x.system_idx, (cn - target_cn) ** 2)
        return torch.sqrt(dev / x.n_atoms_per_system.to(cn.dtype) + 1e-12)[:, None]
    return obs
