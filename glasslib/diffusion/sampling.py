"""Reverse-SDE samplers for batches of periodic structures.

Every sampler has one signature (STYLE §5, k-diffusion's convention)::

    sample(score, x, times, *, generator, callback=None, **options) -> Structures

``score(structures, t) -> (n_atoms, 3)`` is any score function (a
:class:`glasslib.diffusion.sde.Denoiser`'s ``score``, a guided score from
:mod:`glasslib.diffusion.guidance`, an exact toy score); ``x`` is the starting batch (all B
structures sampled together as one batched graph); ``times`` a decreasing grid
t_0 > t_1 > … > t_N > 0. The sampler knows nothing about guidance. All random draws come
from ``generator``, which must live on the positions' device. Periodic structures are
wrapped into their cells after every step; non-periodic ones (tests) are left as they are.

Predictor (Song et al. 2021, Eq. 6 discretised; their "reverse diffusion" predictor for
the VE SDE, App. E), from t_i to t_{i+1} with Δ_i = σ(t_i)² − σ(t_{i+1})²:

    x ← x + Δ_i s(x, t_i) + sqrt(Δ_i) z,     z ~ N(0, I).

This is Euler–Maruyama for dx = −g² ∇log p_t dt + g dw̄ with ∫g² dt = Δ_i exact.

Corrector (Song et al. 2021, Alg. 4, annealed Langevin dynamics), ``n_corrector`` steps at
t_{i+1} whenever σ(t_{i+1}) ≤ ``corrector_sigma_max``:

    ε = 2 (snr · ‖z‖ / ‖s(x, t)‖)²,    x ← x + ε s(x, t) + sqrt(2ε) z,

with the norms taken per structure.

Restarts (Xu et al. 2023, "Restart sampling", Alg. 1): after the main pass, ``n_restarts``
times: x ← x + sqrt(σ(t_restart)² − σ(t_N)²) z (forward noise from t_N back to t_restart,
exact for the VE SDE), then the part of the grid below t_restart is run again.

Finally, with ``denoise=True``, the Tweedie step x ← x + σ(t_N)² s(x, t_N) removes the
last noise level (Song et al. 2021, App. G, "denoising").

Heun (:func:`sample_heun`; Karras et al. 2022, Alg. 2): the probability-flow ODE of the VE SDE
with σ(t) = k·t, dx/dσ = −σ s(x, σ), integrated with the trapezoidal rule on the same grid,
from σ̂_i to σ_{i+1}:

    d = −σ̂_i s(x̂, σ̂_i),   x' = x̂ + (σ_{i+1} − σ̂_i) d,   d' = −σ_{i+1} s(x', σ_{i+1}),
    x ← x̂ + (σ_{i+1} − σ̂_i) (d + d')/2,

two network evaluations per step and no noise (churn 0: deterministic given the start). With
``churn`` S > 0 each step first raises the noise level to σ̂_i = min((1 + γ) σ_i, σ_max),
γ = min(S/N, √2 − 1), adding sqrt(σ̂_i² − σ_i²) z (EDM's stochastic sampler; the cap keeps the
network within the noise levels it was trained on); otherwise σ̂_i = σ_i, x̂ = x. Restarts and
the Tweedie step are those of the predictor–corrector sampler.

A score (guided or not) or a step that comes out non-finite stops the sampler with a one-line
:class:`~glasslib.core.errors.NumericalError` naming the step (the counter ``callback`` gets),
its phase, t, σ and the structure, instead of carrying NaN positions to the output.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch

from glasslib.diffusion.sde import VESDE, wrap_structures
from glasslib.core.errors import InputError, NumericalError
from glasslib.core.structures import Structures
from glasslib.core.units import atomic_masses, cubic_box_length

ScoreFn = Callable[[Structures, torch.Tensor], torch.Tensor]


# ------------------------------------------------------------------------ grids
def time_grid(n_steps: int, t_max: float = 1.0, t_min: float = 1e-3, rho: float = 7.0, *, dtype=torch.float64) -> torch.Tensor:
    """(n_steps + 1,) decreasing times, EDM's power-law grid (Karras et al. 2022, Eq. 5):

        t_i = (t_max^{1/ρ} + i/n (t_min^{1/ρ} − t_max^{1/ρ}))^ρ,   i = 0..n,

    so t_0 = t_max and t_n = t_min; ρ > 1 puts more steps at low noise (ρ = 1: uniform).
    """
    if int(n_steps) < 1:
        raise InputError(f"n_steps must be at least 1, got {n_steps}")
    if not (0 < t_min < t_max) or not rho > 0:
        raise InputError(f"time grid needs 0 < t_min < t_max and rho > 0, got t_min={t_min}, t_max={t_max}, rho={rho}")
    i = torch.arange(int(n_steps) + 1, dtype=torch.float64) / int(n_steps)
    a, b = t_max ** (1.0 / rho), t_min ** (1.0 / rho)
    t = (a + i * (b - a)) ** rho
    t[0], t[-1] = t_max, t_min
    return t.to(dtype)


# ---------------------------------------------------------------- start state
def cubic_cell(n_atoms: int, species, density: float, *, dtype=torch.float64, device=None) -> torch.Tensor:
    """(3, 3) cubic cell, Å, holding ``n_atoms`` atoms of ``species`` (one Z, or n_atoms of them) at ``density`` g/cm³."""
    z = _species_vector(n_atoms, species)
    length = cubic_box_length(atomic_masses()[z.numpy()], density)
    return torch.eye(3, dtype=dtype, device=device) * length


def _species_vector(n_atoms: int, species) -> torch.Tensor:
    z = torch.as_tensor(species, dtype=torch.long).reshape(-1).cpu()
    if z.numel() == 1:
        z = z.expand(int(n_atoms)).clone()
    if z.numel() != int(n_atoms):
        raise InputError(f"species must be one atomic number or one per atom ({n_atoms}), got {z.numel()}")
    return z


def initial_noise(n_structures: int, n_atoms: int, cell, species, generator: torch.Generator, *, dtype=None) -> Structures:
    """B = ``n_structures`` periodic structures of ``n_atoms`` atoms at uniformly random positions.

    For the VE SDE with σ_max much larger than the bond length, p_{t_max} is, to good
    approximation, uniform on the torus, so this is the start of the reverse SDE.

    Args:
        cell: (3, 3) shared or (B, 3, 3) per-structure row-vector cells, Å; dtype and device
            of the result follow it (or ``dtype``).
        species: one atomic number, or (n_atoms,) atomic numbers (same for every structure).
        generator: source of the fractional coordinates (on the cell's device).
    """
    cell = torch.as_tensor(cell)
    if dtype is not None or not cell.is_floating_point():
        cell = cell.to(dtype or torch.float64)
    if cell.shape == (3, 3):
        cell = cell.expand(int(n_structures), 3, 3).clone()
    if cell.shape != (int(n_structures), 3, 3):
        raise InputError(f"cell must have shape (3, 3) or ({n_structures}, 3, 3), got {tuple(cell.shape)}")
    _check_generator(generator, cell.device)
    B, N = int(n_structures), int(n_atoms)
    z = _species_vector(N, species).to(cell.device)
    frac = torch.rand(B * N, 3, generator=generator, dtype=cell.dtype, device=cell.device)
    sidx = torch.arange(B, device=cell.device).repeat_interleave(N)
    pos = torch.einsum("ni,nij->nj", frac, cell[sidx])
    return Structures(
        positions=pos, cell=cell, species=z.repeat(B), system_idx=sidx,
        pbc=torch.ones(B, 3, dtype=torch.bool, device=cell.device),
    )


# --------------------------------------------------------------------- helpers
#: noise level, Å, restarts re-noise to by default
RESTART_SIGMA = 0.3


def default_restart_time(t_max: float, sde: VESDE) -> float:
    """Time restarts re-noise to when none is given: t(σ = :data:`RESTART_SIGMA`), capped at t_max."""
    return min(float(t_max), sde.time(RESTART_SIGMA))


def _check_generator(generator: torch.Generator, device: torch.device) -> None:
    if not isinstance(generator, torch.Generator):
        raise InputError("generator must be a torch.Generator (all randomness goes through it)")
    if torch.device(generator.device).type != torch.device(device).type:
        raise InputError(f"generator is on {generator.device} but the positions are on {device}; create it there")


def _randn(x: Structures, generator: torch.Generator) -> torch.Tensor:
    return torch.randn(x.positions.shape, generator=generator, dtype=x.dtype, device=x.device)


def _per_system_sq_norm(v: torch.Tensor, x: Structures) -> torch.Tensor:
    """(n_systems,) Σ over a structure's atoms of |v_i|²."""
    return torch.zeros(x.n_systems, dtype=v.dtype, device=v.device).index_add_(0, x.system_idx, (v * v).sum(-1))


def _require_finite(v: torch.Tensor, x: Structures, what: str, phase: str, step: int, t: float, sigma: float) -> None:
    """:class:`NumericalError` naming the first structure where ``v`` (n_atoms, 3) is not finite."""
    ok = torch.isfinite(v)
    if bool(ok.all()):
        return
    atom = int((~ok).any(dim=1).nonzero()[0, 0])
    k = int(x.system_idx[atom])
    raise NumericalError(f"non-finite {what} in structure {k} at sampler step {step} ({phase}, t = {t:.4g}, "
                         f"σ = {sigma:.4g} Å); sampling stopped before writing it", step=step, structure=k)


def _times(times, x: Structures) -> list[float]:
    t = torch.as_tensor(times, dtype=torch.float64).reshape(-1).tolist()
    if len(t) < 2:
        raise InputError("times must hold at least two points (start and end)")
    if any(not math.isfinite(a) or a <= 0 for a in t) or any(b >= a for a, b in zip(t, t[1:])):
        raise InputError("times must be finite, positive and strictly decreasing")
    return t


# ----------------------------------------------------------------------- samplers
class _Stepper:
    """What both samplers share: the step counter and callback, score calls that name where a
    non-finite value arose, checked and wrapped moves, and Gaussian draws from the generator."""

    def __init__(self, score: ScoreFn, x: Structures, sde: VESDE, generator: torch.Generator, callback):
        _check_generator(generator, x.device)
        self.score, self.sde, self.generator, self.callback = score, sde, generator, callback
        self.n_systems, self.dtype, self.device = x.n_systems, x.dtype, x.device
        self.step = 0

    def emit(self, phase: str, ti: float, xx: Structures, s) -> None:
        if self.callback is not None:
            self.callback({"step": self.step, "phase": phase, "t": ti, "sigma": self.sde.sigma(ti), "x": xx, "score": s})
        self.step += 1

    def score_at(self, xx: Structures, ti: float, phase: str) -> torch.Tensor:
        t_vec = torch.full((self.n_systems,), ti, dtype=self.dtype, device=self.device)
        try:
            s = self.score(xx, t_vec)
        except NumericalError as exc:  # e.g. a non-finite guidance gradient: add where it happened
            raise NumericalError(f"{exc} at sampler step {self.step} ({phase}, t = {ti:.4g}); sampling stopped before "
                                 "writing it", step=self.step, structure=exc.structure) from None
        _require_finite(s, xx, "score", phase, self.step, ti, self.sde.sigma(ti))
        return s

    def moved(self, xx: Structures, pos: torch.Tensor, phase: str, ti: float) -> Structures:
        _require_finite(pos, xx, "positions", phase, self.step, ti, self.sde.sigma(ti))
        return wrap_structures(xx, pos)

    def randn(self, xx: Structures) -> torch.Tensor:
        return _randn(xx, self.generator)

    def finish(self, x: Structures, t: list[float], run, n_restarts: int, t_restart: float | None,
               denoise: bool) -> Structures:
        """Restart passes (``run`` over the grid below t_restart), then the Tweedie step."""
        if n_restarts:
            if t_restart is None:
                t_restart = default_restart_time(t[0], self.sde)
            if not (t[-1] < t_restart <= t[0]):
                raise InputError(f"t_restart must lie in ({t[-1]}, {t[0]}], got {t_restart}")
            sub = [t_restart] + [ti for ti in t if ti < t_restart]
            for _ in range(int(n_restarts)):
                renoise = math.sqrt(self.sde.sigma(t_restart) ** 2 - self.sde.sigma(t[-1]) ** 2)
                x = self.moved(x, x.positions + renoise * self.randn(x), "restart", t_restart)
                self.emit("restart", t_restart, x, None)
                x = run(x, sub)
        if denoise:
            s = self.score_at(x, t[-1], "denoise")
            x = self.moved(x, x.positions + self.sde.sigma(t[-1]) ** 2 * s, "denoise", t[-1])
            self.emit("denoise", t[-1], x, s)
        return x


@torch.no_grad()
def sample(
    score: ScoreFn,
    x: Structures,
    times,
    *,
    generator: torch.Generator,
    callback: Callable[[dict], None] | None = None,
    sde: VESDE,
    n_corrector: int = 1,
    snr: float = 0.1,
    corrector_sigma_max: float = 0.5,
    n_restarts: int = 0,
    t_restart: float | None = None,
    denoise: bool = True,
) -> Structures:
    """Predictor–corrector sampling of the reverse VE SDE (module docstring).

    Args:
        score: ``score(structures, t) -> (n_atoms, 3)`` in Å⁻¹; ``t`` is passed as an
            (n_systems,) tensor. May use autograd internally (guidance).
        x: starting batch (e.g. :func:`initial_noise`), sampled as one batched graph.
        times: (N + 1,) decreasing times, e.g. :func:`time_grid`.
        generator: torch.Generator on the positions' device; the only source of randomness.
        callback: called after every step with a dict ``{"step", "phase", "t", "sigma", "x",
            "score"}`` (phase: "predictor", "corrector", "restart", "denoise").
        sde: the noise process (gives σ(t)); the same as the model was trained with.
        n_corrector: Langevin corrector steps per predictor step (0: plain Euler–Maruyama).
        snr: corrector signal-to-noise ratio r in ε = 2(r‖z‖/‖s‖)².
        corrector_sigma_max: the corrector runs only where σ(t) ≤ this, Å.
        n_restarts: restart passes after the main pass.
        t_restart: time the restarts re-noise to (default :func:`default_restart_time`); must
            lie inside the grid.
        denoise: finish with the Tweedie step x + σ(t_N)² s(x, t_N).

    Returns:
        The sampled batch (positions wrapped for periodic structures).
    """
    st = _Stepper(score, x, sde, generator, callback)
    t = _times(times, x)
    if int(n_corrector) < 0 or int(n_restarts) < 0:
        raise InputError("n_corrector and n_restarts must be >= 0")

    def run(xx: Structures, grid: Sequence[float]) -> Structures:
        for t_hi, t_lo in zip(grid[:-1], grid[1:]):
            # predictor: reverse-diffusion / Euler–Maruyama step over [t_lo, t_hi]
            s = st.score_at(xx, t_hi, "predictor")
            delta = sde.sigma(t_hi) ** 2 - sde.sigma(t_lo) ** 2
            xx = st.moved(xx, xx.positions + delta * s + math.sqrt(delta) * st.randn(xx), "predictor", t_lo)
            st.emit("predictor", t_lo, xx, s)
            # corrector: Langevin steps at the new noise level
            if sde.sigma(t_lo) <= corrector_sigma_max:
                for _ in range(int(n_corrector)):
                    s = st.score_at(xx, t_lo, "corrector")
                    z = st.randn(xx)
                    ratio = _per_system_sq_norm(z, xx) / _per_system_sq_norm(s, xx).clamp_min(1e-30)
                    eps = (2.0 * snr**2 * ratio)[xx.system_idx, None]
                    xx = st.moved(xx, xx.positions + eps * s + torch.sqrt(2.0 * eps) * z, "corrector", t_lo)
                    st.emit("corrector", t_lo, xx, s)
        return xx

    return st.finish(run(wrap_structures(x), t), t, run, n_restarts, t_restart, denoise)


#: largest churn per step of :func:`sample_heun` (EDM: γ_i ≤ √2 − 1, at most doubling the variance)
MAX_CHURN_STEP = math.sqrt(2.0) - 1.0


@torch.no_grad()
def sample_heun(
    score: ScoreFn,
    x: Structures,
    times,
    *,
    generator: torch.Generator,
    callback: Callable[[dict], None] | None = None,
    sde: VESDE,
    churn: float = 0.0,
    n_restarts: int = 0,
    t_restart: float | None = None,
    denoise: bool = True,
) -> Structures:
    """Second-order (Heun) sampling of the probability-flow ODE, optionally stochastic (EDM,
    Karras et al. 2022, Alg. 2; module docstring, "Heun"). Same arguments as :func:`sample`, with
    ``churn`` (S_churn, ≥ 0) in place of the corrector: 0 is the deterministic sampler. Network
    evaluations: 2N for N grid steps, +1 for the Tweedie step, +2 per step of each restart pass.
    The callback sees phase "churn" (noise added) and "predictor" (one per grid step)."""
    st = _Stepper(score, x, sde, generator, callback)
    t = _times(times, x)
    if not (isinstance(churn, (int, float)) and math.isfinite(churn) and churn >= 0):
        raise InputError(f"churn must be a finite number >= 0, got {churn}")
    if int(n_restarts) < 0:
        raise InputError("n_restarts must be >= 0")
    gamma = min(float(churn) / (len(t) - 1), MAX_CHURN_STEP)

    def run(xx: Structures, grid: Sequence[float]) -> Structures:
        for t_hi, t_lo in zip(grid[:-1], grid[1:]):
            sig_lo = sde.sigma(t_lo)
            # never above σ_max: the network was trained on σ ≤ σ_max (EDM's S_tmax)
            sig_hat = max(min(sde.sigma(t_hi) * (1.0 + gamma), sde.sigma_max), sde.sigma(t_hi))
            t_hat = sde.time(sig_hat)
            if sig_hat > sde.sigma(t_hi):  # churn: raise the noise level from σ_i to σ̂ = (1 + γ) σ_i
                add = math.sqrt(sig_hat**2 - sde.sigma(t_hi) ** 2)
                xx = st.moved(xx, xx.positions + add * st.randn(xx), "churn", t_hat)
                st.emit("churn", t_hat, xx, None)
            # dx/dσ = −σ s(x, σ): Euler to σ_{i+1}, then the trapezoidal (Heun) correction
            s = st.score_at(xx, t_hat, "predictor")
            d = -sig_hat * s
            euler = st.moved(xx, xx.positions + (sig_lo - sig_hat) * d, "predictor", t_lo)
            d2 = -sig_lo * st.score_at(euler, t_lo, "predictor")
            xx = st.moved(xx, xx.positions + (sig_lo - sig_hat) * 0.5 * (d + d2), "predictor", t_lo)
            st.emit("predictor", t_lo, xx, s)
        return xx

    return st.finish(run(wrap_structures(x), t), t, run, n_restarts, t_restart, denoise)


#: the samplers by name (``SampleConfig.sampler``); each has the signature of the module docstring
SAMPLERS = {"pc": sample, "heun": sample_heun}
