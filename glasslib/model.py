"""Score network: a PaiNN-style equivariant message-passing network on the periodic radius graph.

The network is the function F_θ(x; c_noise) of the preconditioning in
:mod:`glasslib.diffusion` (Karras et al. 2022, "EDM", Eq. 7): it maps a batch of periodic
structures and one noise-level input ``c_noise`` per structure to one 3-vector per atom.
It knows nothing of σ, time or scores; :class:`glasslib.diffusion.Denoiser` owns that algebra.

Graph. Every pair (i, j, image S) with |r_ij| < r_c (full list, all periodic images, from
:func:`glasslib.geometry.neighbor_pairs`), ``r_ij = x_j − x_i + S·cell`` (Å).
Only these differences enter, so the output is invariant to translations, to the choice of
periodic image of each atom and to permutations (sums over neighbours), and a supercell gives
the same per-atom outputs as its primitive cell.

Features (PaiNN, Schütt, Unke & Gastegger, ICML 2021, Eqs. 7–9 and Fig. 2):

* scalars s_i ∈ R^F (invariant), vectors v_i ∈ R^{C×3} (equivariant), v_i = 0 initially;
* s_i⁰ = Embed(Z_i) + t_i, t_i = MLP(γ(c_noise)), γ the Gaussian random Fourier features
  γ(c) = [sin 2πWc, cos 2πWc], W ~ N(0, scale²) fixed (Tancik et al. 2020; Song et al. 2021,
  App. C.2), drawn from ``torch.Generator().manual_seed(config.seed)`` and stored as a buffer;
* radial basis: Gaussians e_k(d) = exp(−(d − μ_k)² / 2w²), μ_k uniform on [0, r_c], times the
  cosine envelope f_c(d) = ½[cos(πd/r_c) + 1] so every edge fades out smoothly (value and
  slope zero) as a neighbour crosses the cutoff;
* message (PaiNN Eqs. 7–8), φ(s_j) ∘ W e(d_ij) split into channels a (F), b (C), c (C):
      Δs_i = Σ_j a_ij,    Δv_i = Σ_j (b_ij ∘ v_j + c_ij ⊗ r̂_ij),     divided by ``neighbor_norm``;
* update (PaiNN Eq. 9, variant): U, V linear channel mixes of v_i (no bias),
      (a_vv, Δs_i) = MLP([s_i, ‖V v_i‖, ⟨U v_i, V v_i⟩, t_i]),     Δv_i = a_vv ∘ U v_i;
* output: F_i = Σ_c g_c(s_i) (W_out v_i)_c — invariant gates times linear channel mixes of
  vectors, hence rotation-equivariant by construction (R acts on the last axis only).

Stability: LayerNorm on the scalars before every block, safe norms sqrt(|v|² + ε) and
r̂ = r / sqrt(d² + ε) (zero, not NaN, for coincident atoms), and bounded radial features.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import torch
from torch import nn

from glasslib.errors import InputError
from glasslib.geometry import neighbor_pairs
from glasslib.structures import Structures

#: ε (Å²) in r̂ = r / sqrt(d² + ε) and in the vector norms: keeps coincident atoms finite
_EPS = 1e-6


@dataclass(frozen=True)
class ScoreNetConfig:
    """Every hyperparameter of :class:`ScoreNet` (defaults sized for CPU training).

    Attributes:
        species: atomic numbers the embedding table covers, in table order. Atoms of any
            other element raise :class:`InputError`. Empty means "fill in from the training
            data" (:func:`glasslib.training.train` resolves it); a network needs it non-empty.
        cutoff: radius of the graph, Å.
        hidden: scalar feature channels F.
        vector: vector feature channels C (the per-edge cost is dominated by C×3).
        n_layers: message + update blocks.
        n_rbf: Gaussian radial basis functions on [0, cutoff].
        n_fourier: random Fourier frequencies (the embedding has 2·n_fourier features).
        fourier_scale: standard deviation of the random frequencies W (per unit c_noise).
        neighbor_norm: message sums are divided by this (≈ mean neighbours within the cutoff).
        seed: seed of the generator that draws the fixed Fourier frequencies.
    """

    species: tuple[int, ...] = ()
    cutoff: float = 5.0
    hidden: int = 64
    vector: int = 16
    n_layers: int = 3
    n_rbf: int = 16
    n_fourier: int = 16
    fourier_scale: float = 1.0
    neighbor_norm: float = 20.0
    seed: int = 0

    def __post_init__(self):
        object.__setattr__(self, "species", tuple(int(z) for z in self.species))
        if len(set(self.species)) != len(self.species) or any(not 1 <= z <= 118 for z in self.species):
            raise InputError(f"species must be distinct atomic numbers 1..118, got {self.species}")
        if not (math.isfinite(self.cutoff) and self.cutoff > 0):
            raise InputError(f"cutoff must be positive, got {self.cutoff}")
        for name in ("hidden", "vector", "n_layers", "n_rbf", "n_fourier"):
            if int(getattr(self, name)) < 1:
                raise InputError(f"{name} must be a positive integer, got {getattr(self, name)}")
        if not self.neighbor_norm > 0 or not self.fourier_scale > 0:
            raise InputError("neighbor_norm and fourier_scale must be positive")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["species"] = list(self.species)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ScoreNetConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise InputError(f"unknown model config keys {unknown}")
        return cls(**{k: (tuple(v) if k == "species" else v) for k, v in d.items()})


# --------------------------------------------------------------------- pieces
class GaussianFourierFeatures(nn.Module):
    """γ(c) = [sin 2πWc, cos 2πWc], W (n,) ~ N(0, scale²) fixed (a buffer, not trained)."""

    def __init__(self, n: int, scale: float, seed: int):
        super().__init__()
        gen = torch.Generator().manual_seed(int(seed))
        self.register_buffer("W", torch.randn(n, generator=gen, dtype=torch.float64).float() * scale)

    def forward(self, c: torch.Tensor) -> torch.Tensor:
        """c (S,) → (S, 2n)."""
        proj = 2.0 * math.pi * c[:, None] * self.W.to(c.dtype)[None, :]
        return torch.cat([torch.sin(proj), torch.cos(proj)], dim=-1)


class RadialBasis(nn.Module):
    """Gaussian radial basis times the cosine envelope: d (P,) Å → (P, n_rbf)."""

    def __init__(self, n_rbf: int, cutoff: float):
        super().__init__()
        self.cutoff = float(cutoff)
        self.register_buffer("mu", torch.linspace(0.0, cutoff, n_rbf))
        self.width = cutoff / max(n_rbf - 1, 1)

    def envelope(self, d: torch.Tensor) -> torch.Tensor:
        x = (d / self.cutoff).clamp(max=1.0)
        return 0.5 * (torch.cos(math.pi * x) + 1.0)

    def forward(self, d: torch.Tensor) -> torch.Tensor:
        rbf = torch.exp(-0.5 * ((d[:, None] - self.mu.to(d.dtype)) / self.width) ** 2)
        return rbf * self.envelope(d)[:, None]


def _mlp(n_in: int, n_hidden: int, n_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, n_hidden), nn.SiLU(), nn.Linear(n_hidden, n_out))


def _vnorm(v: torch.Tensor) -> torch.Tensor:
    """Safe norm over the last (Cartesian) axis: (..., 3) → (...)."""
    return torch.sqrt((v * v).sum(-1) + _EPS)


class Message(nn.Module):
    """PaiNN message block (Eqs. 7–8) on a full edge list; F scalar and C vector channels.

    The radial filter has no bias, so with the enveloped basis it vanishes at the cutoff."""

    def __init__(self, hidden: int, vector: int, n_rbf: int):
        super().__init__()
        self.sizes = (hidden, vector, vector)
        self.norm = nn.LayerNorm(hidden)
        self.phi = _mlp(hidden, hidden, sum(self.sizes))
        self.filt = nn.Linear(n_rbf, sum(self.sizes), bias=False)

    def forward(self, s, v, rbf, unit, i, j, inv_norm, first: bool):
        x = self.phi(self.norm(s))[j] * self.filt(rbf)  # (P, F + 2C)
        a, b, c = torch.split(x, self.sizes, dim=-1)
        ds = torch.zeros_like(s).index_add_(0, i, a)
        dv_edge = c[:, :, None] * unit[:, None, :]  # (P, C, 3)
        if not first:  # v = 0 before the first block
            dv_edge = dv_edge + b[:, :, None] * v[j]
        dv = torch.zeros_like(v).index_add_(0, i, dv_edge)
        return s + ds * inv_norm, v + dv * inv_norm


class Update(nn.Module):
    """PaiNN update block (Eq. 9) with the noise-level features t_i as an extra input; the
    invariant ⟨U v, V v⟩ enters the MLP (instead of PaiNN's a_sv gate) so C may differ from F."""

    def __init__(self, hidden: int, vector: int):
        super().__init__()
        self.sizes = (vector, hidden)
        self.norm = nn.LayerNorm(hidden)
        self.U = nn.Linear(vector, vector, bias=False)
        self.V = nn.Linear(vector, vector, bias=False)
        self.mlp = _mlp(2 * hidden + 2 * vector, hidden, vector + hidden)

    def forward(self, s, v, temb):
        uv = self.U(v.transpose(1, 2)).transpose(1, 2)  # channel mix, (N, C, 3)
        vv = self.V(v.transpose(1, 2)).transpose(1, 2)
        a = self.mlp(torch.cat([self.norm(s), _vnorm(vv), (uv * vv).sum(-1), temb], dim=-1))
        a_vv, a_ss = torch.split(a, self.sizes, dim=-1)
        return s + a_ss, v + a_vv[:, :, None] * uv


# ----------------------------------------------------------------------- network
class ScoreNet(nn.Module):
    """F_θ(structures, c_noise) → (n_atoms, 3); see the module docstring.

    Device and dtype follow the module's parameters; call ``.to(dtype)`` for float64.
    """

    def __init__(self, config: ScoreNetConfig):
        super().__init__()
        if not config.species:
            raise InputError("ScoreNetConfig.species is empty; give the atomic numbers the network covers")
        self.config = config
        F = config.hidden
        table = torch.full((119,), -1, dtype=torch.long)
        table[torch.tensor(config.species)] = torch.arange(len(config.species))
        self.register_buffer("species_table", table, persistent=False)
        self.embed = nn.Embedding(len(config.species), F)
        self.fourier = GaussianFourierFeatures(config.n_fourier, config.fourier_scale, config.seed)
        self.time_mlp = _mlp(2 * config.n_fourier, F, F)
        self.rbf = RadialBasis(config.n_rbf, config.cutoff)
        C = config.vector
        self.messages = nn.ModuleList([Message(F, C, config.n_rbf) for _ in range(config.n_layers)])
        self.updates = nn.ModuleList([Update(F, C) for _ in range(config.n_layers)])
        self.out_norm = nn.LayerNorm(F)
        self.gate = _mlp(2 * F, F, C)
        self.out = nn.Linear(C, C, bias=False)
        self.readout = nn.Linear(C, 1, bias=False)

    def species_index(self, species: torch.Tensor) -> torch.Tensor:
        """Row of each atom in the embedding table; unknown elements raise :class:`InputError`."""
        idx = self.species_table[species]
        if bool((idx < 0).any()):
            bad = sorted(set(species[idx < 0].tolist()))
            raise InputError(f"species {bad} are not covered by this network (it knows {list(self.config.species)})")
        return idx

    def forward(self, structures: Structures, c_noise: torch.Tensor) -> torch.Tensor:
        """Per-atom 3-vectors.

        Args:
            structures: batch (positions Å); cast to the network's dtype and device.
            c_noise: (n_systems,) or scalar noise-level input (EDM's c_noise), unitless.

        Returns:
            (n_atoms, 3) tensor in the network's dtype, differentiable w.r.t. positions.
        """
        p = next(self.parameters())
        if structures.dtype != p.dtype or structures.device != p.device:
            structures = structures.to(device=p.device, dtype=p.dtype)
        c = torch.as_tensor(c_noise, dtype=p.dtype, device=p.device).reshape(-1)
        if c.shape[0] == 1 and structures.n_systems > 1:
            c = c.expand(structures.n_systems)
        if c.shape[0] != structures.n_systems:
            raise InputError(f"c_noise must have one value per structure ({structures.n_systems}), got {c.shape[0]}")

        pairs = neighbor_pairs(structures, self.config.cutoff, full=True)
        d = pairs.distances
        unit = pairs.vectors / torch.sqrt(d[:, None] ** 2 + _EPS)
        rbf = self.rbf(d)
        inv_norm = 1.0 / self.config.neighbor_norm

        temb = self.time_mlp(self.fourier(c))[structures.system_idx]  # (N, F)
        s = self.embed(self.species_index(structures.species)) + temb
        v = torch.zeros(structures.n_atoms, self.config.vector, 3, dtype=p.dtype, device=p.device)
        for k, (msg, upd) in enumerate(zip(self.messages, self.updates)):
            s, v = msg(s, v, rbf, unit, pairs.i, pairs.j, inv_norm, k == 0)
            s, v = upd(s, v, temb)
        g = self.gate(torch.cat([self.out_norm(s), temb], dim=-1))  # invariant gates (N, F)
        w = self.out(v.transpose(1, 2)).transpose(1, 2)  # (N, C, 3)
        return self.readout((g[:, :, None] * w).transpose(1, 2)).squeeze(-1)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
