"""Score network: equivariant message passing with explicit bond-angle features on the periodic graph.

The network is the function F_θ(x; c_noise) of the preconditioning in
:mod:`glasslib.diffusion.sde` (Karras et al. 2022, "EDM", Eq. 7): it maps a batch of periodic
structures and one noise-level input ``c_noise`` per structure to one 3-vector per atom.
It knows nothing of σ, time or scores; :class:`glasslib.diffusion.sde.Denoiser` owns that algebra.

Graph. Every pair (i, j, image S) with |r_ij| < r_c (full list, all periodic images, from
:func:`glasslib.core.geometry.neighbor_pairs`), ``r_ij = x_j − x_i + S·cell`` (Å), u_ij = r_ij/|r_ij|.
The *angular* subgraph keeps the pairs with |r_ij| < r_a (r_a ≈ the first minimum of g(r));
the pair list is ordered with these first. Every per-pair computation ends in a sum onto atoms,
so it runs over chunks of :data:`EDGE_CHUNK` pairs (:func:`edge_chunks`): the working set stays
in the CPU caches and the cost per atom does not grow with the size of the batched graph.
Only these differences enter, so the output is invariant to translations, to the choice of
periodic image of each atom and to permutations (sums over neighbours), and a supercell gives
the same per-atom outputs as its primitive cell.

Why angles. Covalent glasses are defined by bond angles (a-Si: tetrahedral, cos θ = −1/3), and
the Stillinger–Weber potential that made the a-Si training sets is a sum of two-body terms and
of three-body terms h(r_ij, r_ik) (cos θ_jik + 1/3)². A message-passing network with only
vector (l = 1) features sees angles only indirectly; this one gets them per bond, at a cost
linear in the number of pairs (no triplet list), from Cartesian moments of each atom's bonds.

Features (scalars s_i ∈ R^F only; all equivariance lives in the output):

* s_i⁰ = Embed(Z_i) + t_i, t_i = MLP(γ(c_noise)), γ the Gaussian random Fourier features
  γ(c) = [sin 2πWc, cos 2πWc], W ~ N(0, scale²) fixed (Tancik et al. 2020; Song et al. 2021,
  App. C.2), drawn from ``torch.Generator().manual_seed(config.seed)`` and stored as a buffer;
* radial basis e(d): Gaussians on [0, r] times the cosine envelope ½[cos(πd/r) + 1], so every
  edge fades out smoothly (value and slope zero) at its cutoff (r_c for the radial graph, r_a
  for the angular one);
* radial message (SchNet/PaiNN-style): Δs_i = Σ_j φ(s_j) ∘ W e(d_ij) / n_norm;
* angular moments, C channels with neighbour-dependent radial weights R_ik = (W_a e(d_ik)) ∘ ψ(s_k):
      N_i = Σ_k R_ik,  V_i = Σ_k R_ik u_ik,  M_i = Σ_k R_ik u_ik u_ikᵀ,  T_i = Σ_k R_ik u_ik⊗u_ik⊗u_ik
  (divided by a_norm; only the unique entries of the symmetric tensors are stored, the
  contractions weight them by their multiplicities). Per angular edge (i, j) the Legendre projections of i's other bonds onto
  the direction of j, A_ij,l = Σ_{k≠j} R_ik P_l(u_ij·u_ik), l = 0…l_max ≤ 3, follow exactly from
  the moments (P₁ = x, P₂ = (3x² − 1)/2, P₃ = (5x³ − 3x)/2) minus the k = j term R_ij·P_l(1);
  A_ji uses j's moments and −u_ij. The per-atom invariants N, |V|², ‖M‖², ‖T‖² are a power
  spectrum (Σ_jk R R cosᵖ θ_jik);
* angular message Δs'_i = Σ_j MLP([A_ij, A_ji]) ∘ W' e(d_ij) / a_norm, and the update
  s_i ← s_i + MLP([LN(s_i), Δs_i, Δs'_i, invariants_i, t_i]);
* output: F_i = Σ_j w_ij u_ij / √n_norm over all pairs, with the invariant edge weight
  w_ij = f_c(d_ij) · MLP(L₁s_i + L₂s_j + L₃e(d_ij) + L₄t_i [+ f_a(d_ij) L₅[A_ij, A_ji] on angular
  edges, f_a the envelope at r_a])
  — a sum of bond vectors weighted by invariants, hence rotation-equivariant by construction
  (the form of a three-body force field: every SW force on an atom lies along its bonds).

Stability: LayerNorm on the scalars before every block, u = r / sqrt(d² + ε) (zero, not NaN, for
coincident atoms), bounded radial features, polynomial (not divided) angular features.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import torch
from torch import nn

from glasslib.core.errors import InputError, reject_unknown_keys
from glasslib.core.geometry import neighbor_pairs
from glasslib.core.structures import Structures

#: ε (Å²) in u = r / sqrt(d² + ε): keeps coincident atoms finite
_EPS = 1e-6

#: pairs per chunk of the per-pair work: its (chunk, hidden) float tensors (~2.6 MB at 80
#: channels) stay in the CPU caches, so the cost per atom does not grow with the batch
EDGE_CHUNK = 8192


def edge_chunks(stop: int, size: int | None = None, start: int = 0) -> list[slice]:
    """Consecutive slices of at most ``size`` (default :data:`EDGE_CHUNK`) pairs covering
    ``start`` … ``stop`` (none for an empty range).

    Every per-pair computation of the network is followed by a sum onto atoms, so it can run
    chunk by chunk; the result equals the unchunked one up to the order of the float sums.
    """
    size = int(EDGE_CHUNK if size is None else size)
    return [slice(a, min(a + size, int(stop))) for a in range(int(start), int(stop), size)]


@dataclass(frozen=True)
class ScoreNetConfig:
    """Every hyperparameter of :class:`ScoreNet` (defaults sized for CPU training).

    Attributes:
        species: atomic numbers the embedding table covers, in table order. Atoms of any
            other element raise :class:`InputError`. Empty means "fill in from the training
            data" (:func:`glasslib.diffusion.training.train` resolves it); a network needs it non-empty.
        cutoff: radius of the radial graph r_c, Å.
        angular_cutoff: radius r_a of the bonds that form angles, Å (≤ cutoff; about the first
            minimum of g(r): 3.0–3.4 Å for a-Si, 2.0–2.3 Å for Si–O).
        hidden: scalar feature channels F.
        channels: angular radial channels C (moments hold 1 + 3 + 6 + 10 unique entries per channel).
        l_max: highest Legendre order of the angular features, 0…3.
        n_layers: message + update blocks.
        n_rbf: Gaussian radial basis functions on [0, cutoff] (and on [0, angular_cutoff]).
        n_fourier: random Fourier frequencies (the embedding has 2·n_fourier features).
        fourier_scale: standard deviation of the random frequencies W (per unit c_noise).
        neighbor_norm: radial sums are divided by this (≈ mean neighbours within the cutoff).
        angular_norm: angular sums are divided by this (≈ mean neighbours within r_a).
        seed: seed of the generator that draws the fixed Fourier frequencies.
    """

    species: tuple[int, ...] = ()
    cutoff: float = 5.0
    angular_cutoff: float = 3.2
    hidden: int = 64
    channels: int = 8
    l_max: int = 3
    n_layers: int = 3
    n_rbf: int = 16
    n_fourier: int = 16
    fourier_scale: float = 1.0
    neighbor_norm: float = 20.0
    angular_norm: float = 4.0
    seed: int = 0

    def __post_init__(self):
        object.__setattr__(self, "species", tuple(int(z) for z in self.species))
        if len(set(self.species)) != len(self.species) or any(not 1 <= z <= 118 for z in self.species):
            raise InputError(f"species must be distinct atomic numbers 1..118, got {self.species}")
        if not (math.isfinite(self.cutoff) and self.cutoff > 0):
            raise InputError(f"cutoff must be positive, got {self.cutoff}")
        if not (0 < self.angular_cutoff <= self.cutoff):
            raise InputError(f"angular_cutoff must be in (0, cutoff={self.cutoff}], got {self.angular_cutoff}")
        for name in ("hidden", "channels", "n_layers", "n_rbf", "n_fourier"):
            if int(getattr(self, name)) < 1:
                raise InputError(f"{name} must be a positive integer, got {getattr(self, name)}")
        if self.l_max not in (0, 1, 2, 3):
            raise InputError(f"l_max must be 0, 1, 2 or 3, got {self.l_max}")
        if not (self.neighbor_norm > 0 and self.angular_norm > 0 and self.fourier_scale > 0):
            raise InputError("neighbor_norm, angular_norm and fourier_scale must be positive")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["species"] = list(self.species)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ScoreNetConfig":
        reject_unknown_keys(d, (f.name for f in fields(cls)), "model config")
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


# unique monomials of u up to degree 3, as axis tuples (0, 1, 2 = x, y, z), ordered by degree, each with
# its multiplicity in the full tensor contraction (u⊗l · v⊗l = Σ_unique mult · mono(u) mono(v))
_MONOMIALS = [
    ((), 1),
    ((0,), 1), ((1,), 1), ((2,), 1),
    ((0, 0), 1), ((1, 1), 1), ((2, 2), 1), ((0, 1), 2), ((0, 2), 2), ((1, 2), 2),
    ((0, 0, 0), 1), ((1, 1, 1), 1), ((2, 2, 2), 1), ((0, 0, 1), 3), ((0, 0, 2), 3),
    ((0, 1, 1), 3), ((1, 1, 2), 3), ((0, 2, 2), 3), ((1, 2, 2), 3), ((0, 1, 2), 6),
]
#: (4, 4): column l expresses P_l(x) in powers x^0..x^3: P₀ = 1, P₁ = x, P₂ = (3x² − 1)/2, P₃ = (5x³ − 3x)/2
_LEGENDRE = torch.tensor([[1.0, 0.0, -0.5, 0.0], [0.0, 1.0, 0.0, -1.5], [0.0, 0.0, 1.5, 0.0], [0.0, 0.0, 0.0, 2.5]],
                         dtype=torch.float64)


def _monomial_tables(l_max: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """For the K monomials of degree ≤ l_max: contraction weights (K, L) (the multiplicity of
    monomial k in degree l, zero elsewhere), parity (K,) under u → −u, and the Legendre
    projector weights @ P (K, L); L = l_max + 1."""
    rows = [(axes, mult) for axes, mult in _MONOMIALS if len(axes) <= l_max]
    weights = torch.zeros(len(rows), l_max + 1, dtype=torch.float64)
    for k, (axes, mult) in enumerate(rows):
        weights[k, len(axes)] = float(mult)
    parity = torch.tensor([(-1.0) ** len(axes) for axes, _ in rows], dtype=torch.float64)
    return weights, parity, weights @ _LEGENDRE[: l_max + 1, : l_max + 1]


def _monomials(u: torch.Tensor, l_max: int) -> torch.Tensor:
    """(P, 3) → (P, K) unique monomials of degree ≤ l_max in _MONOMIALS order."""
    cols = [torch.ones_like(u[:, 0])]
    for axes, _ in _MONOMIALS[1:]:
        if len(axes) > l_max:
            break
        col = u[:, axes[0]]
        for axis in axes[1:]:
            col = col * u[:, axis]
        cols.append(col)
    return torch.stack(cols, dim=-1)


class AngularMoments(nn.Module):
    """Per-atom bond moments and per-bond Legendre projections (module docstring).

    Two steps, so that the per-bond part can run over chunks of bonds (:func:`edge_chunks`):
    ``moments(h, graph, n_atoms)`` with h (N, F) normalised scalars returns the state
    ``(psi (N, C), radial filter (Pa, C), moments (N, C, K), node invariants (N, (l_max+1)·C))``, and
    ``edge_features(state, graph, rows)`` the features [A_ij, A_ji] (len(rows), 2·(l_max+1)·C)
    of the angular bonds ``rows`` (a slice of the first ``graph["n_a"]`` pairs, the angular ones;
    see :meth:`ScoreNet._graph`).
    """

    def __init__(self, hidden: int, channels: int, n_rbf: int, l_max: int, norm: float):
        super().__init__()
        self.C, self.l_max, self.inv_norm = channels, l_max, 1.0 / norm
        self.psi = _mlp(hidden, hidden, channels)
        self.filt = nn.Linear(n_rbf, channels, bias=False)  # no bias: vanishes at r_a

    def moments(self, h, graph: dict, n_atoms: int):
        """(psi (N, C), radial filter (Pa, C), moments (N, C, K), invariants (N, L·C)) of every atom
        from its angular bonds (summed chunk by chunk)."""
        i, j, mono = graph["i"], graph["j"], graph["mono_a"]
        psi = self.psi(h)  # (N, C)
        radial = self.filt(graph["rbf_a"])  # (Pa, C): small, kept for the edge features
        mom = mono.new_zeros(n_atoms, self.C, mono.shape[1])
        for rows in edge_chunks(graph["n_a"]):
            R_ij = radial[rows] * psi[j[rows]] * self.inv_norm  # weight of bond (i, j) in i's moments
            mom.index_add_(0, i[rows], R_ij[:, :, None] * mono[rows, None, :])  # N_i, V_i, M_i, T_i (unique entries)
        # invariants: N and the squared norms |V|², ‖M‖², ‖T‖² (Σ over unique entries × multiplicity)
        inv = torch.cat([mom[:, :, :1], ((mom * mom) @ graph["weights"])[:, :, 1:]], dim=-1)  # (N, C, L)
        return psi, radial, mom, inv.transpose(1, 2).reshape(n_atoms, -1)

    def edge_features(self, state, graph: dict, rows: slice) -> torch.Tensor:
        """[A_ij, A_ji] (len(rows), 2·L·C) of the angular bonds ``rows``."""
        psi, radial, mom, _ = state
        i, j = graph["i"][rows], graph["j"][rows]
        mono, mono_rev, project = graph["mono_a"][rows], graph["mono_a_rev"][rows], graph["project"]
        radial = radial[rows]
        R_ij = radial * psi[j] * self.inv_norm  # weight of bond (i, j) in i's moments
        R_ji = radial * psi[i] * self.inv_norm  # weight of bond (j, i) in j's moments
        (P, K), C, L = mono.shape, self.C, self.l_max + 1
        # Legendre projections: c_l = Σ_k R (u·u_k)^l, P_l-combinations (``project``), minus the bond
        # itself (one elementwise product and a plain matmul: many tiny bmm's are slow on CPUs)
        a_ij = ((mom[i] * mono[:, None, :]).reshape(P * C, K) @ project).reshape(P, C, L) - R_ij[:, :, None]
        a_ji = ((mom[j] * mono_rev[:, None, :]).reshape(P * C, K) @ project).reshape(P, C, L) - R_ji[:, :, None]
        return torch.cat([a_ij.transpose(1, 2).reshape(P, L * C), a_ji.transpose(1, 2).reshape(P, L * C)], dim=-1)

    def forward(self, h, graph: dict, n_atoms: int):
        """(node invariants (N, L·C), edge features of all angular bonds (Pa, 2·L·C)) in one call."""
        state = self.moments(h, graph, n_atoms)
        return state[3], self.edge_features(state, graph, slice(0, graph["n_a"]))


class Interaction(nn.Module):
    """One block: radial message on the full graph, angular message, scalar update."""

    def __init__(self, cfg: "ScoreNetConfig"):
        super().__init__()
        F, C, L = cfg.hidden, cfg.channels, cfg.l_max + 1
        self.norm = nn.LayerNorm(F)
        self.phi = _mlp(F, F, F)
        self.filt = nn.Linear(cfg.n_rbf, F, bias=False)
        self.angular = AngularMoments(F, C, cfg.n_rbf, cfg.l_max, cfg.angular_norm)
        self.edge_mlp = _mlp(2 * L * C, F, F)
        self.filt_a = nn.Linear(cfg.n_rbf, F, bias=False)
        self.update = _mlp(4 * F + L * C, F, F)
        self.inv_norm, self.inv_anorm = 1.0 / cfg.neighbor_norm, 1.0 / cfg.angular_norm

    def forward(self, s, temb, graph):
        h = self.norm(s)
        phi = self.phi(h)
        ds = torch.zeros_like(s)
        for rows in edge_chunks(graph["i"].shape[0]):
            ds.index_add_(0, graph["i"][rows], phi[graph["j"][rows]] * self.filt(graph["rbf"][rows]))
        state = self.angular.moments(h, graph, s.shape[0])
        ds_a = torch.zeros_like(s)
        for rows in edge_chunks(graph["n_a"]):
            msg_a = self.edge_mlp(self.angular.edge_features(state, graph, rows)) * self.filt_a(graph["rbf_a"][rows])
            ds_a.index_add_(0, graph["i"][rows], msg_a)
        return s + self.update(torch.cat([h, ds * self.inv_norm, ds_a * self.inv_anorm, state[3], temb], dim=-1))


class EdgeReadout(nn.Module):
    """F_i = Σ_j w_ij u_ij / √n_norm with invariant edge weights (module docstring)."""

    def __init__(self, cfg: "ScoreNetConfig"):
        super().__init__()
        F, C, L = cfg.hidden, cfg.channels, cfg.l_max + 1
        self.norm = nn.LayerNorm(F)
        self.angular = AngularMoments(F, C, cfg.n_rbf, cfg.l_max, cfg.angular_norm)
        self.center, self.neighbor = nn.Linear(F, F), nn.Linear(F, F, bias=False)
        self.radial, self.time = nn.Linear(cfg.n_rbf, F, bias=False), nn.Linear(F, F, bias=False)
        self.edge = nn.Linear(2 * L * C, F, bias=False)
        self.head = nn.Sequential(nn.SiLU(), nn.Linear(F, F), nn.SiLU(), nn.Linear(F, 1))
        self.scale = 1.0 / math.sqrt(cfg.neighbor_norm)

    def forward(self, s, temb, graph):
        h = self.norm(s)
        i, j, n_a = graph["i"], graph["j"], graph["n_a"]
        state = self.angular.moments(h, graph, s.shape[0])
        node, neighbor = self.center(h) + self.time(temb), self.neighbor(h)
        out = graph["unit"].new_zeros(s.shape[0], 3)
        # the angular bonds come first (ScoreNet._graph): chunks of them, then chunks of the others
        for rows in edge_chunks(n_a) + edge_chunks(i.shape[0], start=n_a):
            z = node[i[rows]] + neighbor[j[rows]] + self.radial(graph["rbf"][rows])
            if rows.stop <= n_a:  # angular term, fading out at r_a
                z = z + self.edge(self.angular.edge_features(state, graph, rows)) * graph["env_a"][rows, None]
            w = self.head(z).squeeze(-1) * graph["env"][rows]  # (P,)
            out.index_add_(0, i[rows], w[:, None] * graph["unit"][rows])
        return out * self.scale


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
        self.rbf_a = RadialBasis(config.n_rbf, config.angular_cutoff)
        weights, parity, project = _monomial_tables(config.l_max)  # fixed tables: follow .to(), not saved
        self.register_buffer("mono_weights", weights.float(), persistent=False)
        self.register_buffer("mono_parity", parity.float(), persistent=False)
        self.register_buffer("mono_project", project.float(), persistent=False)
        self.blocks = nn.ModuleList([Interaction(config) for _ in range(config.n_layers)])
        self.readout = EdgeReadout(config)

    def species_index(self, species: torch.Tensor) -> torch.Tensor:
        """Row of each atom in the embedding table; unknown elements raise :class:`InputError`."""
        idx = self.species_table[species]
        if bool((idx < 0).any()):
            bad = sorted(set(species[idx < 0].tolist()))
            raise InputError(f"species {bad} are not covered by this network (it knows {list(self.config.species)})")
        return idx

    def _graph(self, structures: Structures) -> dict:
        """Pairs within r_c, ordered so that the angular ones (within r_a) come first, with unit
        vectors, bases and envelopes; ``n_a`` is the number of angular pairs."""
        pairs = neighbor_pairs(structures, self.config.cutoff, full=True)
        angular = pairs.distances < self.config.angular_cutoff
        order = torch.argsort((~angular).to(torch.uint8), stable=True)  # angular pairs first
        n_a = int(angular.sum())
        d, vec = pairs.distances[order], pairs.vectors[order]
        unit = vec / torch.sqrt(d[:, None] ** 2 + _EPS)
        d_a = d[:n_a]
        mono = _monomials(unit[:n_a], self.config.l_max)  # (Pa, K)
        return {
            "i": pairs.i[order], "j": pairs.j[order], "unit": unit, "rbf": self.rbf(d), "env": self.rbf.envelope(d),
            "n_a": n_a, "rbf_a": self.rbf_a(d_a), "env_a": self.rbf_a.envelope(d_a),
            # shared by every angular block: monomials of u and of −u, contraction weights (K, L)
            # and their products with the Legendre coefficients (K, L)
            "mono_a": mono, "mono_a_rev": mono * self.mono_parity, "weights": self.mono_weights, "project": self.mono_project,
        }

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

        graph = self._graph(structures)
        temb = self.time_mlp(self.fourier(c))[structures.system_idx]  # (N, F)
        s = self.embed(self.species_index(structures.species)) + temb
        for block in self.blocks:
            s = block(s, temb, graph)
        return self.readout(s, temb, graph)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
