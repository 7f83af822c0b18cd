"""Bond angles, bond-angle distributions and coordination numbers from neighbour triplets.

A bond angle θ_jik is the angle at a centre atom i between two of its neighbours j and k,
both closer than ``cutoff`` (periodic images included):

    θ_jik = atan2(|r_ij × r_ik|, r_ij · r_ik),    in degrees, 0 ≤ θ ≤ 180,

(atan2 rather than arccos keeps the gradient finite at 0° and 180°).

Triplets are built from a full neighbour list grouped by centre: a centre with n_i
neighbours contributes n_i (n_i − 1)/2 unordered triplets, generated with vectorised
``repeat_interleave`` index arithmetic. Cost and memory are linear in N (Σ n_i²/2 for
bounded coordination); no N×N×N masks.

The optional smooth cutoff makes the distribution differentiable when neighbours cross
the cutoff: each leg of length r is weighted by

    f_c(r) = 1                                         r ≤ r_c − w
           = ½ [1 + cos(π (r − (r_c − w)) / w)]        r_c − w < r < r_c
           = 0                                         r ≥ r_c

(w = ``smooth_width``), a triplet by f_c(r_ij) f_c(r_ik), and the distribution is divided
by the sum of the triplet weights, so it stays a probability density.
"""

from __future__ import annotations

import math
from typing import Iterable

import torch

from glasslib.core.errors import InputError
from glasslib.core.geometry import Pairs, _safe_norm, neighbor_pairs
from glasslib.spectra.histogram import smeared_histogram
from glasslib.spectra.rdf import uniform_grid
from glasslib.core.structures import Structures


# ------------------------------------------------------------------------ helpers
def smooth_cutoff(r: torch.Tensor, cutoff: float, width: float) -> torch.Tensor:
    """f_c(r) of the module docstring, (same shape as r); a step at ``cutoff`` when width = 0."""
    if width <= 0:
        return (r < cutoff).to(r.dtype)
    x = ((r - (cutoff - width)) / width).clamp(0.0, 1.0)
    return 0.5 * (1.0 + torch.cos(math.pi * x))


def _check_cutoff(cutoff: float, smooth_width: float) -> None:
    if not (math.isfinite(cutoff) and cutoff > 0):
        raise InputError(f"cutoff must be a positive number, got {cutoff}")
    if not (math.isfinite(smooth_width) and 0 <= smooth_width <= cutoff):
        raise InputError(f"smooth_width must be between 0 and the cutoff ({cutoff}), got {smooth_width}")


def _as_set(z: int | Iterable[int] | None) -> list[int] | None:
    if z is None:
        return None
    return [int(z)] if isinstance(z, int) else [int(x) for x in z]


def _edges(
    structures: Structures,
    cutoff: float,
    center_elements: int | Iterable[int] | None,
    neighbor_elements: int | Iterable[int] | None,
) -> Pairs:
    """Full neighbour list (i → j, images included), restricted by element, sorted by centre i."""
    p = neighbor_pairs(structures, cutoff, full=True)
    keep = torch.ones_like(p.i, dtype=torch.bool)
    for idx, sel in ((p.i, _as_set(center_elements)), (p.j, _as_set(neighbor_elements))):
        if sel is not None:
            allowed = torch.as_tensor(sel, dtype=torch.long, device=structures.device)
            keep &= torch.isin(structures.species[idx], allowed)
    order = torch.argsort(torch.where(keep, p.i, structures.n_atoms), stable=True)[: int(keep.sum())]
    return Pairs(
        p.i[order], p.j[order], p.shifts[order], p.system[order], p.vectors[order], p.distances[order], True, p.cutoff
    )


def triplet_index(center: torch.Tensor, n_atoms: int) -> tuple[torch.Tensor, torch.Tensor]:
    """All unordered pairs of edges that share a centre, from edges sorted by centre.

    Args:
        center: (P,) int64 centre atom of each edge, sorted (non-decreasing).
        n_atoms: number of atoms (for the per-centre counts n_i).

    Returns:
        (e1, e2): (T,) edge indices with e1 < e2 and center[e1] == center[e2];
        T = Σ_i n_i (n_i − 1) / 2.
    """
    dev = center.device
    n_edges = center.shape[0]
    counts = torch.bincount(center, minlength=n_atoms)  # n_i
    first = torch.cumsum(counts, 0) - counts  # index of each centre's first edge
    local = torch.arange(n_edges, device=dev) - first[center]  # position l_e of an edge in its group
    partners = counts[center] - 1 - local  # edges after e in its group
    e1 = torch.repeat_interleave(torch.arange(n_edges, device=dev), partners)
    # offset of each triplet inside the run of its e1: 0, 1, ..., partners[e1] − 1
    run_start = torch.cumsum(partners, 0) - partners
    offset = torch.arange(e1.shape[0], device=dev) - run_start[e1]
    return e1, e1 + 1 + offset


def _angles_deg(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Angle between row vectors, degrees, via atan2(|a × b|, a · b) with a safe norm."""
    return torch.rad2deg(torch.atan2(_safe_norm(torch.linalg.cross(a, b)), (a * b).sum(-1)))


# ------------------------------------------------------------------- public API
def bond_angles(
    structures: Structures,
    cutoff: float,
    *,
    smooth_width: float = 0.0,
    center_elements: int | Iterable[int] | None = None,
    neighbor_elements: int | Iterable[int] | None = None,
    return_weights: bool = False,
):
    """Every bond angle j–i–k with both legs shorter than ``cutoff`` (Å).

    Args:
        structures: batch (periodic images are used where the structure is periodic;
            non-periodic structures are treated as finite clusters).
        cutoff: neighbour cutoff, Å.
        smooth_width: width w of the smooth cutoff, Å (only used for the weights).
        center_elements, neighbor_elements: atomic number(s) allowed for the centre i and
            for both neighbours j, k (default: all).
        return_weights: also return the triplet weights f_c(r_ij) f_c(r_ik).

    Returns:
        ``(angles, center, system)`` and, if asked, ``weights``: (T,) tensors with the
        angle in degrees, the centre atom index, its system index and the weight. Each
        unordered triplet appears once; T = Σ_i n_i (n_i − 1)/2.
    """
    _check_cutoff(float(cutoff), float(smooth_width))
    edges = _edges(structures, float(cutoff), center_elements, neighbor_elements)
    e1, e2 = triplet_index(edges.i, structures.n_atoms)
    theta = _angles_deg(edges.vectors[e1], edges.vectors[e2])
    out = (theta, edges.i[e1], edges.system[e1])
    if return_weights:
        fc = smooth_cutoff(edges.distances, float(cutoff), float(smooth_width))
        out = out + (fc[e1] * fc[e2],)
    return out


def bond_angle_distribution(
    structures: Structures,
    theta,
    *,
    cutoff: float,
    sigma: float = 1.0,
    n_sigma: float = 4.0,
    smooth_width: float = 0.0,
    center_elements: int | Iterable[int] | None = None,
    neighbor_elements: int | Iterable[int] | None = None,
) -> torch.Tensor:
    """Bond-angle distribution P(θ) of each structure, a probability density per degree.

        P_s(θ_k) = Σ_t w_t K_σ(θ_k − θ_t) / Σ_t w_t,    t over the triplets of structure s,

    with w_t = f_c(r_ij) f_c(r_ik) (1 without smoothing) and K_σ the truncated Gaussian
    of :func:`glasslib.spectra.histogram.smeared_histogram`, reflected at 0° and 180° (a triplet at
    θ_t within n_sigma·σ of a boundary also contributes K_σ(θ_k + θ_t) or
    K_σ(θ_k − (360° − θ_t))), so that ∫_0^180 P dθ = 1 exactly when the grid covers 0–180°.
    σ = 0 gives the plain histogram with bins centred on the grid points; a bin whose
    upper edge is 180° includes 180° (linear triplets). A structure without triplets
    gives 0.

    Args:
        structures: batch of structures.
        theta: (T,) uniform grid of bin centres, degrees, within [0, 180].
        cutoff: neighbour cutoff for both legs, Å.
        sigma: Gaussian width, degrees; 0 for a plain histogram.
        n_sigma: kernel truncation, in widths.
        smooth_width: width of the smooth cutoff region, Å (0: hard cutoff).
        center_elements, neighbor_elements: see :func:`bond_angles`.

    Returns:
        (S, T) tensor, 1/degree. Differentiable w.r.t. positions and cell when σ > 0
        (and across the cutoff when ``smooth_width > 0``).
    """
    grid, start, step = uniform_grid(theta, dtype=structures.dtype, device=structures.device, name="angle grid")
    if float(grid[-1]) > 180.0 + 1e-9:
        raise InputError(f"angle grid must lie within [0, 180] degrees, ends at {float(grid[-1])}")
    sigma = float(sigma)
    if not (math.isfinite(sigma) and 0 <= sigma * n_sigma <= 90.0):
        raise InputError(f"smearing width sigma must be a number >= 0 with n_sigma·sigma <= 90°, got {sigma}")
    theta_t, _, system, weight = bond_angles(
        structures,
        cutoff,
        smooth_width=smooth_width,
        center_elements=center_elements,
        neighbor_elements=neighbor_elements,
        return_weights=True,
    )
    n_sys = structures.n_systems
    total = torch.zeros(n_sys, dtype=weight.dtype, device=weight.device).index_add(0, system, weight)  # Σ_t w_t
    if sigma > 0:
        # reflect the kernels at 0° and 180° so that no probability leaks out of [0, 180]
        near0, near180 = theta_t < n_sigma * sigma, theta_t > 180.0 - n_sigma * sigma
        theta_t = torch.cat([theta_t, -theta_t[near0], 360.0 - theta_t[near180]])
        weight = torch.cat([weight, weight[near0], weight[near180]])
        system = torch.cat([system, system[near0], system[near180]])
    else:
        # the bin that ends at 180° is closed: keep exactly linear triplets in it
        upper = float(grid[-1]) + 0.5 * step
        if upper >= 180.0 - 1e-9 * step:
            theta_t = theta_t.clamp(max=upper - 1e-6 * step)
    hist = smeared_histogram(
        theta_t, start=start, dx=step, n_bins=grid.shape[0], sigma=sigma, weights=weight, group=system, n_groups=n_sys, n_sigma=n_sigma
    )
    ok = total > 0
    return torch.where(ok[:, None], hist / torch.where(ok, total, torch.ones_like(total))[:, None], torch.zeros_like(hist))


def coordination_numbers(
    structures: Structures,
    cutoff: float,
    smooth_width: float = 0.0,
    *,
    neighbor_elements: int | Iterable[int] | None = None,
) -> torch.Tensor:
    """Coordination number of every atom, n_i = Σ_j f_c(r_ij) over neighbours (images included).

    Args:
        cutoff: Å. smooth_width: width w of the smooth cutoff, Å; 0 counts neighbours
            with r < cutoff (integer values, no gradient).
        neighbor_elements: count only neighbours of these atomic number(s).

    Returns:
        (n_atoms,) tensor in the positions' dtype; differentiable when ``smooth_width > 0``.
    """
    _check_cutoff(float(cutoff), float(smooth_width))
    edges = _edges(structures, float(cutoff), None, neighbor_elements)
    fc = smooth_cutoff(edges.distances, float(cutoff), float(smooth_width))
    return torch.zeros(structures.n_atoms, dtype=structures.dtype, device=structures.device).index_add(0, edges.i, fc)
