"""Local-environment descriptors of X-ray absorbers: rotation-invariant, periodic, species-aware,
differentiable with respect to positions and cell.

The XANES surrogate (:mod:`glasslib.spectra.xanes`) maps each absorber's descriptor to its
spectrum. For every atom i the *first-order* descriptor G_i has two parts, both built from the
full periodic neighbour list of :func:`glasslib.core.geometry.neighbor_pairs` (every image):

* radial, per neighbour element e and radial centre μ_m (``n_radial`` centres evenly from
  ``radial_min`` to ``cutoff``, Gaussian width ``radial_width``):

      R_i[e, m] = Σ_{j ∈ e} exp(−(r_ij − μ_m)² / 2σ_r²) · f_c(r_ij; cutoff, cutoff_width)

* angular, per unordered pair of neighbour elements (e, e') and centre c_n of cos θ
  (``n_angular`` centres evenly on [−1, 1], width ``angular_width``), over the bonded shell:

      A_i[ee', n] = Σ_{j<k} exp(−(cos θ_jik − c_n)² / 2σ_a²) · f_c(r_ij; b) f_c(r_ik; b)

  with b = (``bond_cutoff``, ``bond_width``); cos θ_jik = r_ij·r_ik / (|r_ij||r_ik|).

Higher orders sum the previous order over the bonded neighbours (the neighbours' hybridisation
shapes the absorber's spectrum): G⁽¹⁾ = G, G⁽ⁿ⁺¹⁾_i = Σ_j f_c(r_ij; b) G⁽ⁿ⁾_j, and the absorber
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


@dataclass(frozen=True)
class DescriptorConfig:
    """Parameters of the absorber descriptor (module docstring); lengths in Å.

    Attributes:
        elements: atomic numbers that may appear as neighbours (one channel each).
        absorber: atomic number of the absorbing element.
        cutoff, cutoff_width: radial cutoff r_c and the width of its smooth switch.
        n_radial, radial_min, radial_width: radial Gaussian centres (evenly from radial_min to
            the cutoff) and their width σ_r.
        bond_cutoff, bond_width: cutoff and switch width of the bonded shell (angles and the
            neighbour sums of higher orders).
        n_angular, angular_width: Gaussian centres in cos θ (evenly on [−1, 1]) and width σ_a.
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
    order: int = 3

    def __post_init__(self):
        object.__setattr__(self, "elements", tuple(int(z) for z in self.elements))
        if not self.elements or len(set(self.elements)) != len(self.elements) or self.absorber not in self.elements:
            raise InputError(f"descriptor elements must be distinct and include the absorber, got {self.elements}")
        for name in ("cutoff", "radial_width", "bond_cutoff", "angular_width"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) > 0):
                raise InputError(f"descriptor {name} must be positive, got {getattr(self, name)}")
        if not (0 <= self.cutoff_width <= self.cutoff and 0 <= self.bond_width <= self.bond_cutoff):
            raise InputError("descriptor cutoff widths must lie between 0 and their cutoffs")
        if not (isinstance(self.order, int) and self.order >= 1):
            raise InputError(f"descriptor order must be a positive integer, got {self.order}")
        if not (0 <= self.radial_min < self.cutoff and self.n_radial >= 2 and self.n_angular >= 2):
            raise InputError("descriptor needs radial_min < cutoff and at least two radial and angular centres")

    @property
    def n_pairs(self) -> int:
        """Number of unordered neighbour-element pairs (angular channels)."""
        n = len(self.elements)
        return n * (n + 1) // 2

    @property
    def first_order_size(self) -> int:
        return len(self.elements) * self.n_radial + self.n_pairs * self.n_angular

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


def first_order(structures: Structures, config: DescriptorConfig) -> tuple[torch.Tensor, "_Bonds"]:
    """(n_atoms, first_order_size) first-order descriptors G of every atom, and the bonded edges."""
    dt, dev = structures.dtype, structures.device
    n, n_el = structures.n_atoms, len(config.elements)
    channel = _element_channels(structures, config.elements)
    pairs = neighbor_pairs(structures, config.cutoff, full=True)  # sorted by centre i
    r = pairs.distances
    fc = smooth_cutoff(r, config.cutoff, config.cutoff_width)
    mu = torch.linspace(config.radial_min, config.cutoff, config.n_radial, dtype=dt, device=dev)
    basis = torch.exp(-0.5 * ((r[:, None] - mu) / config.radial_width) ** 2) * fc[:, None]  # (P, M)
    slot = pairs.i * n_el + channel[pairs.j]
    radial = torch.zeros(n * n_el, config.n_radial, dtype=dt, device=dev).index_add(0, slot, basis)
    radial = radial.reshape(n, n_el * config.n_radial)

    bonded = r.detach() < config.bond_cutoff
    bonds = _Bonds(pairs.i[bonded], pairs.j[bonded], pairs.vectors[bonded], r[bonded],
                   smooth_cutoff(r[bonded], config.bond_cutoff, config.bond_width))
    e1, e2 = triplet_index(bonds.i, n)
    v1, v2 = bonds.vectors[e1], bonds.vectors[e2]
    cos = (v1 * v2).sum(-1) / (bonds.r[e1] * bonds.r[e2])
    weight = bonds.fc[e1] * bonds.fc[e2]
    centres = torch.linspace(-1.0, 1.0, config.n_angular, dtype=dt, device=dev)
    ang_basis = torch.exp(-0.5 * ((cos[:, None] - centres) / config.angular_width) ** 2) * weight[:, None]
    c1, c2 = channel[bonds.j[e1]], channel[bonds.j[e2]]
    lo, hi = torch.minimum(c1, c2), torch.maximum(c1, c2)
    pair_channel = lo * n_el - lo * (lo - 1) // 2 + (hi - lo)  # index of (lo, hi) among unordered pairs
    slot = bonds.i[e1] * config.n_pairs + pair_channel
    angular = torch.zeros(n * config.n_pairs, config.n_angular, dtype=dt, device=dev).index_add(0, slot, ang_basis)
    angular = angular.reshape(n, config.n_pairs * config.n_angular)
    return torch.cat([radial, angular], dim=1), bonds


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
