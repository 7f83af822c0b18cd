"""Pair distribution functions of periodic structures and the real-space functions built on them.

Conventions follow Keen, J. Appl. Cryst. 34, 172 (2001) ("K01" below). For a structure of
``N`` atoms in volume ``V`` (number density ρ0 = N/V), elements α with ``N_α`` atoms and
atom fractions c_α = N_α/N, the partial pair distribution functions are

    g_αβ(r) = V / (N_α N_β) · Σ_{i∈α} Σ_{j∈β, (j,image) ≠ (i,0)} δ(r − r_ij) / (4π r²),

the sum running over every periodic image of every atom j (so a cutoff larger than half
the cell is handled exactly). The total (number-weighted) g(r) = Σ_αβ c_α c_β g_αβ(r).
With this normalisation g → 1 at large r up to the finite-size factor: for an ideal gas
of N atoms the expectation is exactly (N − 1)/N (and (N_α − δ_αβ)/N_α for a partial),
the convention whose Fourier transform is the Faber–Ziman S(Q).

Binning of the delta functions on the uniform grid of bin centres ``r_k`` (step Δr):

* ``sigma > 0``: Gaussian kernel K_σ(r − r_ij) (:func:`glasslib.spectra.histogram.smeared_histogram`,
  truncated at ``n_sigma`` widths), divided by 4π r_k². Differentiable.
* ``sigma = 0``: plain histogram of the bins [r_k − Δr/2, r_k + Δr/2), divided by the
  exact shell volume (4π/3)[(r_k + Δr/2)³ − max(r_k − Δr/2, 0)³], so that bin counts
  are recovered exactly by :func:`running_coordination`. With the grid (k + ½)Δr this is
  the convention of OVITO's CoordinationAnalysisModifier and of ASE's ``get_rdf``
  (tests agree to 1e-13 relative, partials included).

The grid point r = 0 has g = 0 (no division by zero; gradients stay finite).

Derived functions (each takes the :class:`PairDistribution`; w_α are per-element weights
such as coherent neutron scattering lengths b_α in fm):

================================  ======================================================  ======
function                          formula (K01 notation)                                  unit
================================  ======================================================  ======
:func:`reduced_pdf`               G(r) = 4πρ0 r [g(r) − 1]   (K01's G^PDF, as in PDFgui)  Å⁻²
:func:`differential_correlation`  D(r) = 4πρ0 r Σ c_α c_β w_α w_β [g_αβ(r) − 1]           w² Å⁻²
:func:`total_correlation`         T(r) = D(r) + 4πρ0 r (Σ c_α w_α)²                       w² Å⁻²
:func:`radial_distribution`       R(r) = 4π r² ρ0 g(r)   (the "RDF J(r)")                 Å⁻¹
:func:`running_coordination`      n_αβ(r) = 4πρ0 c_β ∫_0^r r'² g_αβ(r') dr'               1
:func:`weighted_g`                Σ c_α c_β w_α w_β g_αβ / (Σ c_α w_α)²                   1
================================  ======================================================  ======

Cost is linear in N: vesin neighbour pairs within r_max + Δr/2 + n_sigma·σ and a windowed
kernel. Everything is a pure function; dtype and device follow the structures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import torch

from glasslib.core.errors import InputError
from glasslib.core.geometry import Pairs, pair_distances
from glasslib.spectra.histogram import smeared_histogram
from glasslib.core.structures import Structures


@dataclass(frozen=True)
class PairDistribution:
    """Total and partial pair distribution functions of a batch of ``S`` structures.

    Attributes:
        r: (R,) grid of bin centres, Å, uniform step.
        g: (S, R) total number-weighted g(r) = Σ_αβ c_α c_β g_αβ(r).
        partials: (S, E, E, R) g_αβ(r), symmetric in α, β; zero where c_α or c_β is 0.
        elements: (E,) atomic numbers, sorted.
        concentrations: (S, E) atom fractions c_α.
        density: (S,) number density ρ0, atoms/Å³.
    """

    r: torch.Tensor
    g: torch.Tensor
    partials: torch.Tensor
    elements: tuple[int, ...]
    concentrations: torch.Tensor
    density: torch.Tensor


# ------------------------------------------------------------------------ helpers
def uniform_grid(r, *, dtype, device, name: str = "r grid") -> tuple[torch.Tensor, float, float]:
    """Validate a grid of bin centres: 1-D, ≥ 2 points, uniform, strictly increasing, ≥ 0.

    Returns ``(grid, start, step)`` with the grid as a detached tensor of ``dtype`` on
    ``device``; raises :class:`InputError` naming ``name`` otherwise. Shared by the
    angle distribution.
    """
    r = torch.as_tensor(r, dtype=dtype, device=device).detach()
    if r.ndim != 1 or r.shape[0] < 2:
        raise InputError(f"{name} must be one-dimensional with at least two points, got shape {tuple(r.shape)}")
    if not bool(torch.isfinite(r).all()):
        raise InputError(f"{name} has non-finite values")
    rd = r.double()
    step = (rd[-1] - rd[0]).item() / (r.shape[0] - 1)
    if not step > 0 or bool((rd[1:] <= rd[:-1]).any()):
        raise InputError(f"{name} must be strictly increasing")
    if rd[0].item() < 0:
        raise InputError(f"{name} must be >= 0, starts at {rd[0].item()}")
    tol = 1e-4 * step + 16.0 * torch.finfo(r.dtype).eps * rd.abs().max().item()  # rounding of float grids
    if float((rd[1:] - rd[:-1] - step).abs().max()) > tol:
        raise InputError(f"{name} must be uniformly spaced")
    return r, float(rd[0]), step


def shell_volumes(r: torch.Tensor, dr: float) -> torch.Tensor:
    """(R,) exact volumes (4π/3)[(r + Δr/2)³ − max(r − Δr/2, 0)³] of the bins centred on ``r``, Å³."""
    hi = r + 0.5 * dr
    lo = (r - 0.5 * dr).clamp_min(0.0)
    return (4.0 * math.pi / 3.0) * (hi**3 - lo**3)


def _element_index(structures: Structures, elements: Sequence[int] | None) -> tuple[tuple[int, ...], torch.Tensor]:
    """Sorted element tuple and each atom's index into it."""
    present = structures.elements
    if elements is None:
        elems = tuple(present)
    else:
        elems = tuple(sorted({int(z) for z in elements}))
        missing = sorted(set(present) - set(elems))
        if missing:
            raise InputError(f"structures contain elements {missing} that are not in elements={list(elems)}")
    table = torch.as_tensor(elems, dtype=torch.long, device=structures.device)
    return elems, torch.searchsorted(table, structures.species)


def _weights(weights, n_elements: int, like: torch.Tensor) -> torch.Tensor:
    w = torch.as_tensor(weights, dtype=like.dtype, device=like.device)
    if w.shape != (n_elements,):
        raise InputError(f"weights must have one value per element ({n_elements}), got shape {tuple(w.shape)}")
    return w


def _step(pd: PairDistribution) -> float:
    return float((pd.r[-1] - pd.r[0]).item()) / (pd.r.shape[0] - 1)


# ------------------------------------------------------------------------- g(r)
def pair_distribution(
    structures: Structures,
    r,
    *,
    sigma: float = 0.0,
    n_sigma: float = 4.0,
    elements: Sequence[int] | None = None,
    pairs: Pairs | None = None,
) -> PairDistribution:
    """Total and partial g(r) of every structure in the batch (see the module docstring).

    Args:
        structures: periodic batch (non-periodic structures raise :class:`InputError`).
        r: (R,) uniform, increasing grid of bin centres, Å, r ≥ 0.
        sigma: Gaussian smearing width, Å; 0 gives the plain histogram (no gradient
            w.r.t. positions; the gradient w.r.t. the cell through ρ0 remains).
        n_sigma: kernel truncation in widths.
        elements: atomic numbers to resolve (default: those present). Elements absent
            from a structure get c_α = 0 and zero partials.
        pairs: precomputed neighbour pairs of ``structures`` (half or full list) with
            cutoff ≥ r_max + Δr/2 + n_sigma·σ; computed with vesin otherwise.

    Returns:
        :class:`PairDistribution`. Differentiable w.r.t. positions (σ > 0) and cell.
    """
    structures.require_periodic("the pair distribution function")
    dt, dev = structures.dtype, structures.device
    r, start, dr = uniform_grid(r, dtype=dt, device=dev)
    sigma = float(sigma)
    if not (math.isfinite(sigma) and sigma >= 0):
        raise InputError(f"smearing width sigma must be a finite number >= 0, got {sigma}")
    if sigma > 0 and not n_sigma > 0:
        raise InputError(f"n_sigma must be positive, got {n_sigma}")
    reach = r[-1].item() + 0.5 * dr + (n_sigma * sigma if sigma > 0 else 0.0)
    cutoff = reach * (1.0 + 1e-9) + 1e-9
    if pairs is None:  # lean path: unsorted half list of distances (no pair vectors kept)
        d, pi, pj, psys = pair_distances(structures, cutoff)
        full = False
    elif pairs.cutoff < reach * (1.0 - 1e-9):
        raise InputError(f"pairs were computed with cutoff {pairs.cutoff} Å; this grid needs at least {reach:.6g} Å")
    else:  # same result whatever the cutoff of the pairs passed in
        d, pi, pj, psys, full = pairs.distances, pairs.i, pairs.j, pairs.system, pairs.full
    if d.numel() and float(d.detach().max()) >= cutoff:
        keep = d.detach() < cutoff
        d, pi, pj, psys = d[keep], pi[keep], pj[keep], psys[keep]

    elems, eidx = _element_index(structures, elements)
    n_el, n_sys, n_r = len(elems), structures.n_systems, r.shape[0]
    # ordered-pair histograms H[s, α, β, k] of the listed pairs (i ∈ α, j ∈ β)
    group = (psys * n_el + eidx[pi]) * n_el + eidx[pj]
    hist = smeared_histogram(
        d, start=start, dx=dr, n_bins=n_r, sigma=sigma, group=group, n_groups=n_sys * n_el * n_el, n_sigma=n_sigma
    ).view(n_sys, n_el, n_el, n_r)
    if not full:
        # a half list holds each unordered pair once: (i, j) and (j, i) both count in the
        # ordered sum, which puts α = β pairs twice into H_αα and α ≠ β pairs into both H_αβ, H_βα
        hist = hist + hist.transpose(1, 2)

    # per-unit-r pair density → g: divide by N_α N_β / V and by 4πr² (or the exact shell / Δr)
    counts = torch.zeros(n_sys, n_el, dtype=torch.long, device=dev)
    counts.index_put_((structures.system_idx, eidx), torch.ones_like(eidx), accumulate=True)
    counts_f = counts.to(dt)
    n_tot = counts_f.sum(dim=1)
    volume = structures.volumes  # differentiable w.r.t. the cell
    nn = counts_f[:, :, None] * counts_f[:, None, :]  # (S, E, E)
    pref = torch.where(nn > 0, volume[:, None, None] / torch.where(nn > 0, nn, torch.ones_like(nn)), torch.zeros_like(nn))
    positive = r > 0
    if sigma > 0:
        area = 4.0 * math.pi * r * r
        inv_measure = torch.where(positive, 1.0 / torch.where(positive, area, torch.ones_like(area)), torch.zeros_like(r))
    else:
        inv_measure = torch.where(positive, dr / shell_volumes(r, dr), torch.zeros_like(r))
    partials = hist * pref[..., None] * inv_measure

    conc = counts_f / n_tot[:, None]
    g = torch.einsum("sa,sb,sabk->sk", conc, conc, partials)
    return PairDistribution(r=r, g=g, partials=partials, elements=elems, concentrations=conc, density=n_tot / volume)


# ------------------------------------------------------------------ derived forms
def reduced_pdf(pd: PairDistribution) -> torch.Tensor:
    """G(r) = 4πρ0 r [g(r) − 1] (K01's G^PDF), (S, R), Å⁻². Tends to −4πρ0 r below the first peak."""
    return 4.0 * math.pi * pd.density[:, None] * pd.r * (pd.g - 1.0)


def differential_correlation(pd: PairDistribution, weights) -> torch.Tensor:
    """D(r) = 4πρ0 r Σ_αβ c_α c_β w_α w_β [g_αβ(r) − 1] (K01's D(r)), (S, R).

    Args:
        weights: (E,) per-element weights in the order of ``pd.elements`` (e.g. neutron
            coherent scattering lengths b_α in fm, giving D in fm² Å⁻²).
    """
    w = _weights(weights, len(pd.elements), pd.g)
    cw = pd.concentrations * w  # (S, E)
    pair_w = cw[:, :, None] * cw[:, None, :]
    return 4.0 * math.pi * pd.density[:, None] * pd.r * torch.einsum("sab,sabk->sk", pair_w, pd.partials - 1.0)


def total_correlation(pd: PairDistribution, weights) -> torch.Tensor:
    """T(r) = D(r) + 4πρ0 r (Σ_α c_α w_α)² (K01's T(r)), (S, R); same units as D(r)."""
    w = _weights(weights, len(pd.elements), pd.g)
    mean_w = (pd.concentrations * w).sum(dim=1)  # (S,)
    return differential_correlation(pd, w) + 4.0 * math.pi * pd.density[:, None] * pd.r * (mean_w**2)[:, None]


def radial_distribution(pd: PairDistribution) -> torch.Tensor:
    """R(r) = 4π r² ρ0 g(r) (K01's R(r), the "RDF J(r)"), (S, R), atoms per Å.

    Its integral over a peak is the number of neighbours in that shell.
    """
    return 4.0 * math.pi * pd.r**2 * pd.density[:, None] * pd.g


def running_coordination(pd: PairDistribution) -> tuple[torch.Tensor, torch.Tensor]:
    """Running coordination numbers n_αβ(r) = 4πρ0 c_β ∫_0^r r'² g_αβ(r') dr'.

    g is taken as constant on each bin [r_k − Δr/2, r_k + Δr/2) and integrated exactly
    over the bin's shell volume, so the value at grid point r_k is the integral up to the
    bin's *upper edge* r_k + Δr/2. For a plain histogram (σ = 0) that is exactly the
    average number of β neighbours of an α atom closer than r_k + Δr/2. Bins below the
    first grid point are taken as empty (start the grid below the first neighbour peak).

    Returns:
        n_ab: (S, E, E, R) mean number of β neighbours around an α atom.
        n: (S, R) total, n(r) = Σ_αβ c_α n_αβ(r) = 4πρ0 ∫_0^r r'² g(r') dr'.
    """
    vol = shell_volumes(pd.r, _step(pd))  # (R,)
    rho_b = pd.density[:, None] * pd.concentrations  # (S, E): ρ0 c_β
    n_ab = torch.cumsum(pd.partials * vol, dim=-1) * rho_b[:, None, :, None]
    n = torch.einsum("sa,sabk->sk", pd.concentrations, n_ab)
    return n_ab, n


def weighted_g(pd: PairDistribution, weights) -> torch.Tensor:
    """Weighted total g(r) = Σ c_α c_β w_α w_β g_αβ(r) / (Σ c_α w_α)², (S, R).

    With X-ray form factors at Q → 0 (≈ Z) or neutron scattering lengths this is the
    g(r) a diffraction experiment sees (Faber–Ziman weights); with equal weights it is
    ``pd.g``. Tends to 1 at large r.
    """
    w = _weights(weights, len(pd.elements), pd.g)
    cw = pd.concentrations * w
    num = torch.einsum("sa,sb,sabk->sk", cw, cw, pd.partials)
    return num / (cw.sum(dim=1) ** 2)[:, None]


def mean_partial(pd: PairDistribution, a: int, b: int) -> torch.Tensor:
    """(n_r,) partial g_ab(r) of elements a, b (atomic numbers) averaged over the structures."""
    return pd.partials[:, pd.elements.index(a), pd.elements.index(b)].mean(0)


def peak_position(r: torch.Tensor, g: torch.Tensor, r_min: float | None = None, r_max: float | None = None) -> float:
    """r (Å) of the maximum of g(r) (both (n_r,)), optionally within r_min < r < r_max."""
    keep = torch.ones_like(r, dtype=torch.bool)
    if r_min is not None:
        keep &= r > r_min
    if r_max is not None:
        keep &= r < r_max
    return float(r[keep][g[keep].argmax()])


# ------------------------------------------------------------------ (a) SiO₂ neutron F(Q)
