"""Local-environment descriptors of X-ray absorbers: rotation-invariant, periodic, species-aware,
differentiable with respect to positions and cell.

The XANES surrogate (:mod:`glasslib.spectra.xanes`) maps each absorber's descriptor to its
spectrum. For every atom i the *first-order* descriptor G_i is built from the full periodic
neighbour list of :func:`glasslib.core.geometry.neighbor_pairs` (every image). Its two-body and
three-body parts are species-resolved:

* radial, per neighbour element e and radial centre μ_m (``n_radial`` centres evenly from
  ``radial_min`` to ``cutoff``, Gaussian width ``radial_width``):

      R_i[e, m] = Σ_{j ∈ e} exp(−(r_ij − μ_m)² / 2σ_r²) · f_c(r_ij; cutoff, cutoff_width)

* angular, per unordered pair of neighbour elements (e, e') and centre c_n of cos θ
  (``n_angular`` centres evenly on [−1, 1], width ``angular_width``), over the bonded shell:

      A_i[ee', n] = Σ_{j<k} exp(−(cos θ_jik − c_n)² / 2σ_a²) · f_b(r_ij) f_b(r_ik)

  with f_b = f_c(·; ``bond_cutoff``, ``bond_width``); cos θ_jik = r_ij·r_ik / (|r_ij||r_ik|).

The many-body part (``n_coordination`` > 0) counts every bonded neighbour whatever its element.
It resolves the bonded graph by the soft coordination number N_i = Σ_j f_b(r_ij) through
χ_c(N) = exp(−(N − c)² / 2σ_N²), centres c = ``coordination_min``, …, + ``n_coordination`` − 1
(width ``coordination_width``; c = 2, 3, 4 tell sp, sp², sp³ carbon apart), since the
hybridisation of the absorber *and of its neighbours* shapes the π* and σ* features:

* coordination: K_i[c] = χ_c(N_i) and B_i[c] = Σ_j f_b(r_ij) χ_c(N_j);
* bond angles by the neighbours' coordination (c ≤ c'; ``n_pair_angular`` centres in cos θ,
  width ``pair_angular_width``):
      P_i[cc', n] = Σ_{j<k} f_b f_b · ½[χ_c(N_j) χ_c'(N_k) + χ_c'(N_j) χ_c(N_k)] · a_n(cos θ_jik);
* the angle at a bonded neighbour j between i and j's other bonds, k ≠ i (``n_pair_angular``):
      H_i[n] = Σ_j Σ_k f_b(r_ij) f_b(r_jk) a_n(cos θ_ijk);
* torsions k–i–j–l along every bond i–j (k ≠ j bonded to i, l ≠ i bonded to j), by the
  coordination of j (``n_dihedral`` centres in cos φ on [−1, 1], width ``dihedral_width``):
      T_i[c, n] = Σ_{j,k,l} w_kijl χ_c(N_j) t_n(cos φ_kijl),
      w_kijl = f_b(r_ik) f_b(r_ij) f_b(r_jl) sin²θ_kij sin²θ_ijl,
  cos φ = n₁·n₂ / |n₁||n₂| with n₁ = r_ki × r_ij, n₂ = r_ij × r_jl (the sin² weight removes the
  undefined torsion of collinear bonds, so T stays differentiable);
* planarity and π alignment (``n_alignment`` > 0): the bond-plane tensor
  Q_i = Σ_{j<k} f_b f_b n̂_jk n̂_jkᵀ, n̂_jk = r_ij × r_ik / (r_ij r_ik), gives the planarity
  q_i = tr Q_i² / ((tr Q_i)² + ε) (1 for a planar sp² atom, 1/3 for a tetrahedral one) and the
  alignment of two atoms' bond planes s_ij = tr(Q_i Q_j) / (tr Q_i tr Q_j + ε) ∈ [0, 1]
  (ε = 10⁻⁶; ``n_alignment`` Gaussian centres of width ``alignment_width``, evenly on [1/3, 1]
  for q and on [0, 1] for s):
      Π_i[n] = p_n(q_i),   S_i[n] = Σ_j f_b(r_ij) s_n(s_ij),
      S^r_i[m, n] = Σ_{j: r_ij < cutoff} ρ_m(r_ij) f_c(r_ij) s_n(s_ij),
  and the coordination shells out to the cutoff, U_i[m, c] = Σ_j ρ_m(r_ij) f_c(r_ij) χ_c(N_j),
  with ρ_m Gaussians of width equal to their spacing, ``n_shell`` centres evenly from 1.2 Å to
  the cutoff.

Higher orders sum the previous order over the bonded neighbours (the neighbours' hybridisation
shapes the absorber's spectrum): G⁽¹⁾ = G, G⁽ⁿ⁺¹⁾_i = Σ_j f_b(r_ij) G⁽ⁿ⁾_j, and the absorber
descriptor is D_i = [G⁽¹⁾_i, …, G⁽ᵒʳᵈᵉʳ⁾_i]. f_c is the cosine switch of
:func:`glasslib.spectra.angles.smooth_cutoff` (1 below r_c − w, 0 beyond r_c, C¹ in between), so
D_i is continuous with a continuous gradient when neighbours cross either cutoff. Sums over
neighbours make D_i invariant to rotations, translations and permutations of atoms, and
identical for a cell and any supercell of it. Distances in Å; descriptors are dimensionless.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import torch
from ase.data import chemical_symbols

from glasslib.core.errors import InputError, reject_unknown_keys
from glasslib.core.geometry import neighbor_pairs
from glasslib.core.structures import Structures
from glasslib.spectra.angles import smooth_cutoff, triplet_index

#: ε of the planarity and alignment ratios (module docstring)
_EPS = 1e-6
#: first centre of the shell Gaussians ρ_m (Å)
_SHELL_MIN = 1.2


@dataclass(frozen=True)
class DescriptorConfig:
    """Parameters of the absorber descriptor (module docstring); lengths in Å.

    Attributes:
        elements: atomic numbers that may appear as neighbours (one channel each).
        absorber: atomic number of the absorbing element.
        cutoff, cutoff_width: radial cutoff r_c and the width of its smooth switch.
        n_radial, radial_min, radial_width: radial Gaussian centres (evenly from radial_min to
            the cutoff) and their width σ_r.
        bond_cutoff, bond_width: cutoff and switch width of the bonded shell (angles, the
            many-body terms and the neighbour sums of higher orders).
        n_angular, angular_width: Gaussian centres in cos θ (evenly on [−1, 1]) and width σ_a.
        n_coordination, coordination_min, coordination_width: centres c of χ_c(N) and their
            width σ_N (0 centres: no many-body terms).
        n_pair_angular, pair_angular_width: cos θ centres of P and H and their width.
        n_dihedral, dihedral_width: cos φ centres of T and their width.
        n_alignment, alignment_width: centres of the planarity and alignment Gaussians and their
            width (0: no planarity and alignment terms).
        n_shell: radial centres ρ_m of S^r and U.
        order: how many orders of neighbour sums D holds (1: the atom's own G only).
    """

    elements: tuple[int, ...] = (6,)
    absorber: int = 6
    cutoff: float = 5.0
    cutoff_width: float = 0.5
    n_radial: int = 52
    radial_min: float = 0.9
    radial_width: float = 0.08
    bond_cutoff: float = 2.05
    bond_width: float = 0.3
    n_angular: int = 24
    angular_width: float = 0.08
    n_coordination: int = 3
    coordination_min: int = 2
    coordination_width: float = 0.3
    n_pair_angular: int = 8
    pair_angular_width: float = 0.15
    n_dihedral: int = 9
    dihedral_width: float = 0.15
    n_alignment: int = 5
    alignment_width: float = 0.12
    n_shell: int = 8
    order: int = 3

    def __post_init__(self):
        object.__setattr__(self, "elements", tuple(int(z) for z in self.elements))
        if not self.elements or len(set(self.elements)) != len(self.elements) or self.absorber not in self.elements:
            raise InputError(f"descriptor elements must be distinct and include the absorber, got {self.elements}")
        for name in ("cutoff", "radial_width", "bond_cutoff", "angular_width", "coordination_width",
                     "pair_angular_width", "dihedral_width", "alignment_width"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) > 0):
                raise InputError(f"descriptor {name} must be positive, got {getattr(self, name)}")
        if not (0 <= self.cutoff_width <= self.cutoff and 0 <= self.bond_width <= self.bond_cutoff):
            raise InputError("descriptor cutoff widths must lie between 0 and their cutoffs")
        for name in ("order", "n_coordination", "coordination_min", "n_pair_angular", "n_dihedral", "n_alignment", "n_shell"):
            value = getattr(self, name)
            if not (isinstance(value, int) and value >= (1 if name == "order" else 0)):
                raise InputError(f"descriptor {name} must be a {'positive' if name == 'order' else 'non-negative'} integer, got {value}")
        if not (0 <= self.radial_min < self.cutoff and self.n_radial >= 2 and self.n_angular >= 2):
            raise InputError("descriptor needs radial_min < cutoff and at least two radial and angular centres")
        if self.n_coordination and (min(self.n_pair_angular, self.n_dihedral, self.n_shell) < 2 or self.n_alignment == 1
                                    or self.cutoff <= _SHELL_MIN):
            raise InputError("descriptor many-body terms need at least two centres each (n_alignment 0: none) "
                             "and a cutoff beyond 1.2 Å")

    @property
    def n_pairs(self) -> int:
        """Number of unordered neighbour-element pairs (angular channels)."""
        n = len(self.elements)
        return n * (n + 1) // 2

    def blocks(self) -> dict[str, int]:
        """Name (the module docstring's symbol) and length of each block of G, in their order."""
        c, n_el = self.n_coordination, len(self.elements)
        out = {"R": n_el * self.n_radial, "A": self.n_pairs * self.n_angular}
        if c:
            out.update({"K": c, "B": c, "P": c * (c + 1) // 2 * self.n_pair_angular, "H": self.n_pair_angular,
                        "T": c * self.n_dihedral, "U": self.n_shell * c})
            if self.n_alignment:
                out.update({"Π": self.n_alignment, "S": self.n_alignment, "S^r": self.n_shell * self.n_alignment})
        return out

    @property
    def first_order_size(self) -> int:
        return sum(self.blocks().values())

    @property
    def size(self) -> int:
        """Length F of an absorber descriptor."""
        return self.first_order_size * self.order

    def to_dict(self) -> dict:
        d = asdict(self)
        d["elements"] = list(self.elements)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "DescriptorConfig":
        reject_unknown_keys(d, {f.name for f in fields(cls)}, "descriptor config")
        return cls(**{**d, "elements": tuple(d.get("elements", cls.elements))})


def _element_channels(structures: Structures, elements: tuple[int, ...]) -> torch.Tensor:
    """(n_atoms,) channel index of each atom's element; one-line error for an unknown element."""
    table = torch.full((max(max(elements), int(structures.species.max())) + 1,), -1, dtype=torch.long,
                       device=structures.device)
    table[torch.as_tensor(elements, dtype=torch.long, device=structures.device)] = torch.arange(
        len(elements), device=structures.device)
    channel = table[structures.species]
    if bool((channel < 0).any()):
        unknown = sorted(set(structures.species[channel < 0].tolist()))
        raise InputError(f"the descriptor knows elements {list(elements)} only; structure has Z = {unknown}",
                         structures.source)
    return channel


def _gaussians(x: torch.Tensor, lo: float, hi: float, n: int, width: float) -> torch.Tensor:
    """(…, n) exp(−(x − c)² / 2 width²) for n centres c evenly on [lo, hi]."""
    centres = torch.linspace(lo, hi, n, dtype=x.dtype, device=x.device)
    return torch.exp(-0.5 * ((x[..., None] - centres) / width) ** 2)


def _scatter(n: int, index: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """(n, F) sums of the rows of ``values`` (E, F) by ``index`` (E,)."""
    return torch.zeros(n, values.shape[1], dtype=values.dtype, device=values.device).index_add(0, index, values)


def first_order(structures: Structures, config: DescriptorConfig) -> tuple[torch.Tensor, "_Bonds"]:
    """(n_atoms, first_order_size) first-order descriptors G of every atom, and the bonded edges."""
    dt, dev = structures.dtype, structures.device
    n, n_el = structures.n_atoms, len(config.elements)
    channel = _element_channels(structures, config.elements)
    pairs = neighbor_pairs(structures, config.cutoff, full=True)  # sorted by centre i
    r = pairs.distances
    fc = smooth_cutoff(r, config.cutoff, config.cutoff_width)
    basis = _gaussians(r, config.radial_min, config.cutoff, config.n_radial, config.radial_width) * fc[:, None]
    slot = pairs.i * n_el + channel[pairs.j]
    radial = _scatter(n * n_el, slot, basis).reshape(n, n_el * config.n_radial)

    bonded = r.detach() < config.bond_cutoff
    bonds = _Bonds(pairs.i[bonded], pairs.j[bonded], pairs.vectors[bonded], r[bonded],
                   smooth_cutoff(r[bonded], config.bond_cutoff, config.bond_width))
    e1, e2 = triplet_index(bonds.i, n)
    v1, v2 = bonds.vectors[e1], bonds.vectors[e2]
    cos = (v1 * v2).sum(-1) / (bonds.r[e1] * bonds.r[e2])
    weight = bonds.fc[e1] * bonds.fc[e2]
    ang_basis = _gaussians(cos, -1.0, 1.0, config.n_angular, config.angular_width) * weight[:, None]
    c1, c2 = channel[bonds.j[e1]], channel[bonds.j[e2]]
    lo, hi = torch.minimum(c1, c2), torch.maximum(c1, c2)
    pair_channel = lo * n_el - lo * (lo - 1) // 2 + (hi - lo)  # index of (lo, hi) among unordered pairs
    slot = bonds.i[e1] * config.n_pairs + pair_channel
    angular = _scatter(n * config.n_pairs, slot, ang_basis).reshape(n, config.n_pairs * config.n_angular)
    parts = [radial, angular]
    if config.n_coordination:
        parts.append(_many_body(config, n, bonds, (e1, e2, cos, weight), (pairs.i, pairs.j, r, fc)))
    return torch.cat(parts, dim=1), bonds


def _many_body(config: DescriptorConfig, n: int, bonds: "_Bonds", triplets, pairs) -> torch.Tensor:
    """(n, F_mb) K, B, P, H, T, U, Π, S, S^r of the module docstring (F_mb: their lengths in
    :meth:`DescriptorConfig.blocks`).

    ``triplets`` = (e1, e2, cos θ, f_b f_b) of the bond pairs at each centre; ``pairs`` =
    (i, j, r, f_c) of every pair within the cutoff."""
    e1, e2, cos, weight = triplets
    pi, pj, pr, pfc = pairs
    c_lo = float(config.coordination_min)
    chi = _gaussians(torch.zeros(n, dtype=bonds.r.dtype, device=bonds.r.device).index_add(0, bonds.i, bonds.fc),
                     c_lo, c_lo + config.n_coordination - 1, config.n_coordination, config.coordination_width)
    n_c = chi.shape[1]
    parts = [chi, _scatter(n, bonds.i, bonds.fc[:, None] * chi[bonds.j])]  # K, B
    # P: the bond angle at i by the coordination of both neighbours (symmetrised, c ≤ c')
    a = _gaussians(cos, -1.0, 1.0, config.n_pair_angular, config.pair_angular_width) * weight[:, None]
    x1, x2 = chi[bonds.j[e1]], chi[bonds.j[e2]]
    pp = 0.5 * (x1[:, :, None] * x2[:, None, :] + x2[:, :, None] * x1[:, None, :])
    upper = torch.triu_indices(n_c, n_c, device=chi.device)
    pp = pp[:, upper[0], upper[1]]
    parts.append(_scatter(n, bonds.i[e1], (pp[:, :, None] * a[:, None, :]).reshape(len(e1), -1)))
    # H and T: paths i → j → l and k ← i → j → l along the bonds
    e, el = _bond_paths(bonds, n)
    cos_j = -(bonds.vectors[e] * bonds.vectors[el]).sum(-1) / (bonds.r[e] * bonds.r[el])
    h = _gaussians(cos_j, -1.0, 1.0, config.n_pair_angular, config.pair_angular_width)
    parts.append(_scatter(n, bonds.i[e], h * (bonds.fc[e] * bonds.fc[el])[:, None]))
    parts.append(_torsions(config, n, bonds, chi, e, el))
    # U: coordination shells out to the cutoff
    rho = _gaussians(pr, _SHELL_MIN, config.cutoff, config.n_shell, (config.cutoff - _SHELL_MIN) / (config.n_shell - 1))
    rho = rho * pfc[:, None]
    parts.append(_scatter(n, pi, (rho[:, :, None] * chi[pj][:, None, :]).reshape(len(pi), -1)))
    if config.n_alignment:
        parts.append(_alignment(config, n, bonds, e1, e2, pi, pj, rho))
    return torch.cat(parts, dim=1)


def _bond_paths(bonds: "_Bonds", n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(e, el): every bond e = i → j with every bond el = j → l of its far end except the way back
    (l = i through the same image). Bonds sorted by centre."""
    dev = bonds.i.device
    counts = torch.bincount(bonds.i, minlength=n)
    first = torch.cumsum(counts, 0) - counts
    per = counts[bonds.j]
    e = torch.repeat_interleave(torch.arange(bonds.i.shape[0], device=dev), per)
    run = torch.cumsum(per, 0) - per
    el = first[bonds.j[e]] + torch.arange(e.shape[0], device=dev) - run[e]
    v = bonds.vectors.detach()
    back = (v[el] + v[e]).norm(dim=-1) < 1e-6
    return e[~back], el[~back]


def _torsions(config: DescriptorConfig, n: int, bonds: "_Bonds", chi: torch.Tensor, e: torch.Tensor,
              el: torch.Tensor) -> torch.Tensor:
    """(n, n_coordination · n_dihedral) T of the module docstring from the paths (e, el)."""
    dev = bonds.i.device
    counts = torch.bincount(bonds.i, minlength=n)
    first = torch.cumsum(counts, 0) - counts
    per = counts[bonds.i[e]]  # every bond ek = i → k of the path's start …
    path = torch.repeat_interleave(torch.arange(e.shape[0], device=dev), per)
    run = torch.cumsum(per, 0) - per
    ek = first[bonds.i[e[path]]] + torch.arange(path.shape[0], device=dev) - run[path]
    keep = ek != e[path]  # … except the path's own first bond
    path, ek = path[keep], ek[keep]
    e, el = e[path], el[path]
    u1, u2, u3 = -bonds.vectors[ek], bonds.vectors[e], bonds.vectors[el]
    n1, n2 = torch.linalg.cross(u1, u2, dim=-1), torch.linalg.cross(u2, u3, dim=-1)
    a2, b2 = (n1 * n1).sum(-1), (n2 * n2).sum(-1)
    cos = (n1 * n2).sum(-1) / (a2 * b2 + 1e-12).sqrt()
    w = a2 * b2 / (bonds.r[ek] ** 2 * bonds.r[e] ** 4 * bonds.r[el] ** 2) * bonds.fc[ek] * bonds.fc[e] * bonds.fc[el]
    t = _gaussians(cos, -1.0, 1.0, config.n_dihedral, config.dihedral_width) * w[:, None]
    return _scatter(n, bonds.i[e], (chi[bonds.j[e]][:, :, None] * t[:, None, :]).reshape(len(e), -1))


def _alignment(config: DescriptorConfig, n: int, bonds: "_Bonds", e1: torch.Tensor, e2: torch.Tensor,
               pi: torch.Tensor, pj: torch.Tensor, rho: torch.Tensor) -> torch.Tensor:
    """(n, (2 + n_shell) · n_alignment) Π, S and S^r of the module docstring."""
    nv = torch.linalg.cross(bonds.vectors[e1], bonds.vectors[e2], dim=-1) / (bonds.r[e1] * bonds.r[e2])[:, None]
    outer = (nv[:, :, None] * nv[:, None, :]).reshape(-1, 9) * (bonds.fc[e1] * bonds.fc[e2])[:, None]
    q = _scatter(n, bonds.i[e1], outer)  # Q_i, (n, 9)
    trace = q[:, [0, 4, 8]].sum(1)
    k, w = config.n_alignment, config.alignment_width
    planarity = _gaussians((q * q).sum(1) / (trace ** 2 + _EPS), 1.0 / 3.0, 1.0, k, w)

    def aligned(i, j):
        return _gaussians((q[i] * q[j]).sum(1) / (trace[i] * trace[j] + _EPS), 0.0, 1.0, k, w)

    bonded = _scatter(n, bonds.i, bonds.fc[:, None] * aligned(bonds.i, bonds.j))
    shells = _scatter(n, pi, (rho[:, :, None] * aligned(pi, pj)[:, None, :]).reshape(len(pi), -1))
    return torch.cat([planarity, bonded, shells], dim=1)


@dataclass(frozen=True)
class _Bonds:
    """Bonded edges i → j (full list): indices, vectors r_ij (Å), lengths, switch weights."""

    i: torch.Tensor
    j: torch.Tensor
    vectors: torch.Tensor
    r: torch.Tensor
    fc: torch.Tensor


def absorber_index(structures: Structures, absorber: int) -> torch.Tensor:
    """(A,) indices of the absorbing atoms; one-line error when a structure has none."""
    is_abs = structures.species == int(absorber)
    per_system = torch.zeros(structures.n_systems, dtype=torch.long, device=structures.device).index_add(
        0, structures.system_idx, is_abs.long())
    if bool((per_system == 0).any()):
        raise InputError(f"xanes needs {chemical_symbols[int(absorber)]} atoms (the absorbing element); a structure has none",
                         structures.source)
    return torch.nonzero(is_abs).squeeze(1)


def absorber_descriptors(structures: Structures, config: DescriptorConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """Descriptors of every absorbing atom.

    Args:
        structures: batch (periodic with every image; non-periodic structures as clusters).
        config: the descriptor parameters.

    Returns:
        ``(D, index)``: D (A, ``config.size``) in the structures' dtype and device,
        differentiable w.r.t. positions and cell; index (A,) the absorbers' atom indices in
        the batch (system of each: ``structures.system_idx[index]``).
    """
    index = absorber_index(structures, config.absorber)
    g, bonds = first_order(structures, config)
    parts = [g[index]]
    for _ in range(config.order - 1):
        g = torch.zeros_like(g).index_add(0, bonds.i, bonds.fc[:, None] * g[bonds.j])
        parts.append(g[index])
    return torch.cat(parts, dim=1), index
