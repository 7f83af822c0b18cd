"""The observables reverse Monte Carlo fits, as affine maps of its distance histograms.

Every pair observable is computed from one set of per-species-pair distance histograms
H_p[k] (unordered pairs with the minimum-image distance in bin k; bins [r_k − Δr/2,
r_k + Δr/2) on the grid r_k = (k + ½)Δr) with **glasslib's own operators**:
:func:`histogram_pair_distribution` turns H into the
:class:`glasslib.spectra.rdf.PairDistribution` that :func:`glasslib.spectra.rdf.pair_distribution`
(σ = 0) gives for the same structure,

    g_αβ(r_k) = V/(N_α N_β) · m_αβ H_αβ[k] / V_k,   m_αβ = 2 if α = β else 1,       (3)

with V_k the exact shell volume (:func:`glasslib.spectra.rdf.shell_volumes`), and S(Q)/F(Q) come
from :func:`glasslib.spectra.scattering.structure_factor_from_gr` (Faber–Ziman, Lorch window in
r, form factors of :mod:`glasslib.spectra.form_factors`). All these maps are affine in H,
y = b + J·H, so :func:`build_pair_observables` evaluates their coefficients (b, J) once with
torch (J by autograd of glasslib's functions) and the move loop (:mod:`glasslib.rmc.kernels`)
only adds J-columns of the bins a move changes. Equation numbers are those of
:mod:`glasslib.rmc.engine`.

A target's measurement model (:mod:`glasslib.spectra.measurement`) keeps the maps affine: B_iso
and Q broadening of S(Q)/F(Q) are applied by ``structure_factor_from_gr``; for g(r), Gaussian
smearing of the histogram's pair counts (each bin's pairs at its centre) and the damping
g → 1 + (g − 1)·exp(−(r·qdamp)²/2) make it a dense map onto the model bins inside the target's
range. Without ``smearing`` RMC's g(r) stays the plain histogram (its own convention). Q_max
termination is refused: its transform needs the model G(r) :data:`~glasslib.spectra.measurement.EXTEND`
Å beyond the fitted range, past the histogram's end at half the cell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch

from glasslib.core.errors import InputError
from glasslib.spectra.measured import to_grid
from glasslib.spectra.measurement import MeasurementModel
from glasslib.spectra.rdf import PairDistribution, shell_volumes, uniform_grid
from glasslib.spectra.scattering import structure_factor_from_gr
from glasslib.spectra.targets import Target


def histogram_pair_distribution(hist: torch.Tensor, elements: Sequence[int], counts: Sequence[int], volume: float,
                                r: torch.Tensor) -> PairDistribution:
    """Eq. (3): the PairDistribution of unordered-pair histograms ``hist`` (P, R), P = E(E+1)/2.

    Pairs are ordered (0,0), (0,1), ..., (0,E−1), (1,1), ...; ``counts`` (E,) atoms per element,
    ``volume`` Å³, ``r`` (R,) uniform bin centres. Equal to :func:`glasslib.spectra.rdf.pair_distribution`
    with σ = 0 for the structure the histogram was counted from. Differentiable w.r.t. ``hist``.
    """
    _, _, dr = uniform_grid(r, dtype=hist.dtype, device=hist.device)
    n_el = len(elements)
    cnt = torch.as_tensor(list(counts), dtype=hist.dtype)
    inv_measure = torch.where(r > 0, 1.0 / shell_volumes(r, dr), torch.zeros_like(r))
    rows = []
    p = 0
    table = {}
    for a in range(n_el):
        for b in range(a, n_el):
            table[(a, b)] = table[(b, a)] = p
            p += 1
    for a in range(n_el):
        row = []
        for b in range(n_el):
            mult = 2.0 if a == b else 1.0
            row.append(hist[table[(a, b)]] * (volume * mult / float(cnt[a] * cnt[b])) * inv_measure)
        rows.append(torch.stack(row))
    partials = torch.stack(rows)[None]  # (1, E, E, R)
    conc = (cnt / cnt.sum())[None]
    g = torch.einsum("sa,sb,sabk->sk", conc, conc, partials)
    density = (cnt.sum() / volume).reshape(1)
    return PairDistribution(r=r, g=g, partials=partials, elements=tuple(int(z) for z in elements),
                            concentrations=conc, density=density)


def pair_observable(target: Target, elements, counts, volume, r, q, lorch,
                    inside: torch.Tensor | None = None) -> Callable[[torch.Tensor], torch.Tensor]:
    """y(H) of a pair observable as a torch function of the flattened histogram (P·R,): g(r) on
    every bin (or, for a target with a measurement model, on the bins ``inside`` its range, a
    boolean (R,) mask), S(Q)/F(Q) on ``q``."""
    shape = (len(elements) * (len(elements) + 1) // 2, r.shape[0])
    model = target.measurement or MeasurementModel()

    def f(h: torch.Tensor) -> torch.Tensor:
        pd = histogram_pair_distribution(h.view(shape), elements, counts, volume, r)
        if target.quantity == "gr":
            return pd.g[0] if inside is None else measured_histogram_gr(pd, r, inside, model)
        sf = structure_factor_from_gr(pd, q, radiation=target.radiation, lorch=lorch, isotopes=target.isotope_map,
                                      biso=model.biso, qbroad=model.qbroad)
        return sf.s[0] if target.quantity == "sq" else sf.f[0]

    return f


#: truncation of the smearing kernel, in widths (as :func:`glasslib.spectra.rdf.pair_distribution`)
N_SIGMA = 4.0


def measured_histogram_gr(pd: PairDistribution, r: torch.Tensor, inside: torch.Tensor,
                          model: MeasurementModel) -> torch.Tensor:
    """g(r) of the histogram ``pd`` (bins ``r``, (R,)) as ``model`` records it, on ``r[inside]``
    (module docstring): pair counts g(r_k)·V_k smeared by a Gaussian of width ``model.smearing``
    (Å; none if None or 0) and divided by 4πr², then damped by ``model.qdamp`` (Å⁻¹)."""
    g = pd.g[0]
    x = r[inside]
    if model.smearing:
        _, _, dr = uniform_grid(r, dtype=r.dtype, device=r.device)
        pairs = g * shell_volumes(r, dr)
        sigma = float(model.smearing)
        u = x[:, None] - r[None, :]  # the Gaussian of smeared_histogram, truncated at N_SIGMA widths
        kernel = torch.exp(-0.5 * (u / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi)) * (u.abs() <= N_SIGMA * sigma)
        g_x = torch.where(x > 0, (kernel @ pairs) / (4.0 * torch.pi * x**2).clamp_min(1e-300), torch.zeros_like(x))
    else:
        g_x = g[inside]
    if model.qdamp > 0:
        g_x = 1.0 + (g_x - 1.0) * torch.exp(-0.5 * (x * model.qdamp) ** 2)
    return g_x


def _r_measurement(target: Target) -> bool:
    """Whether a g(r) target has a measurement model (refusing Q_max termination, which RMC lacks)."""
    m = target.measurement
    if m is None:
        return False
    if m.qmax is not None:
        raise InputError("reverse Monte Carlo cannot apply Q_max termination (--qmax/--lorch) to a g(r) target: the "
                         "transform needs the model G(r) 8 Å past the fitted range, beyond half the cell; fit the "
                         "measured S(Q) or F(Q) instead", target.source)
    return True


def affine_coefficients(f: Callable[[torch.Tensor], torch.Tensor], n: int) -> tuple[np.ndarray, np.ndarray]:
    """(J (K, n), b (K,)) of an affine map y = b + J·h, by autograd of glasslib's own functions."""
    zero = torch.zeros(n, dtype=torch.float64)
    b = f(zero).detach()
    jac = torch.autograd.functional.jacobian(f, zero, vectorize=True)
    return jac.numpy(), b.numpy()


@dataclass
class PairObservables:
    """Affine coefficients, weights and targets of the pair observables of one run.

    ``rs_*``: observables on the histogram grid itself (g(r)), bin k of pair p feeds point k
    only: ``rs_a`` (O1, P, R) slopes, ``rs_b`` (O1, R) offsets, ``rs_w`` (O1, R) weights 1/σ²
    (0 outside the target's range), ``rs_t`` (O1, R) targets. ``ds_*``: dense maps onto a Q
    grid (S(Q), F(Q)) or onto the model bins of a g(r) with a measurement model: ``ds_m``
    (O2, P, R, Q), ``ds_b``, ``ds_w``, ``ds_t`` (O2, Q), padded to the longest grid; ``ds_x``
    the grid of each and ``ds_n`` its length. ``names``: the name of every observable in the
    kernels' order, real-space ones first, then dense ones, ``adf`` last; a target is named by
    its kind, repeats as ``gr_2``, ``gr_3``, ... in the order given.
    """

    names: list
    rs_a: np.ndarray  # (O1, P, R)
    rs_b: np.ndarray  # (O1, R)
    rs_w: np.ndarray
    rs_t: np.ndarray
    ds_m: np.ndarray  # (O2, P, R, Q)
    ds_b: np.ndarray  # (O2, Q)
    ds_w: np.ndarray
    ds_t: np.ndarray
    ds_x: list = field(default_factory=list)  # Q grid of each dense observable
    ds_n: list = field(default_factory=list)  # its length (rest is padding)


def build_pair_observables(targets: Sequence[Target], r: np.ndarray, elements: Sequence[int], counts: np.ndarray,
                           volume: float, *, lorch: bool, max_q_points: int) -> PairObservables:
    """The :class:`PairObservables` of ``targets`` (ADF targets only named) on the histogram grid ``r`` (R,).

    g(r) targets are interpolated onto the bins inside their range; S(Q)/F(Q) targets with more
    than ``max_q_points`` points onto that many uniform points spanning theirs. ``counts`` (E,)
    atoms per element of ``elements``, ``volume`` Å³, ``lorch`` as in structure_factor_from_gr.
    """
    n_pairs = len(elements) * (len(elements) + 1) // 2
    rs, ds = [], []
    seen: dict[str, int] = {}
    adf = [t for t in targets if t.kind == "adf"]
    r_t = torch.as_tensor(r, dtype=torch.float64)
    n_r = len(r)
    for t in targets:
        k = seen.get(t.kind, 0)
        seen[t.kind] = k + 1
        name = t.kind if k == 0 else f"{t.kind}_{k + 1}"
        if t.kind == "adf":
            continue
        spec = t.spectrum()
        if t.quantity == "gr":
            inside = (r >= spec.x[0].item() - 1e-12) & (r <= spec.x[-1].item() + 1e-12)
            if inside.sum() < 2:
                raise InputError(f"target g(r) grid [{spec.x[0]:.4g}, {spec.x[-1]:.4g}] Å does not overlap the "
                                 f"model grid [{r[0]:.4g}, {r[-1]:.4g}] Å", t.source)
        if t.quantity == "gr" and _r_measurement(t):  # dense: smearing couples neighbouring bins
            x = r[inside]
            f = pair_observable(t, elements, counts, volume, r_t, None, lorch, inside=torch.as_tensor(inside))
            jac, b = affine_coefficients(f, n_pairs * n_r)
            ds.append((jac.T.reshape(n_pairs, n_r, len(x)), b, np.full(len(x), 1.0 / t.sigma**2),
                       to_grid(spec, x).y.numpy(), x, name))
        elif t.quantity == "gr":
            tgt = np.zeros(n_r)
            tgt[inside] = to_grid(spec, r[inside]).y.numpy()
            f = pair_observable(t, elements, counts, volume, r_t, None, lorch)
            jac, b = affine_coefficients(f, n_pairs * n_r)
            a = np.stack([np.diagonal(jac[:, p * n_r:(p + 1) * n_r]) for p in range(n_pairs)])
            rs.append((a, b, inside / t.sigma**2, tgt, name))
        else:
            x = spec.x.numpy()
            if len(x) > max_q_points:
                x = np.linspace(x[0], x[-1], max_q_points)
                spec = to_grid(spec, x)
            q = torch.as_tensor(x, dtype=torch.float64)
            f = pair_observable(t, elements, counts, volume, r_t, q, lorch)
            jac, b = affine_coefficients(f, n_pairs * n_r)
            m = jac.T.reshape(n_pairs, n_r, len(x))
            ds.append((m, b, np.full(len(x), 1.0 / t.sigma**2), spec.y.numpy(), x, name))
    n_q = max([len(d[4]) for d in ds], default=1)
    o_rs, o_ds = len(rs), len(ds)
    obs = PairObservables(
        names=[d[4] for d in rs] + [d[5] for d in ds] + (["adf"] if adf else []),  # the kernels' order
        rs_a=np.zeros((o_rs, n_pairs, n_r)), rs_b=np.zeros((o_rs, n_r)), rs_w=np.zeros((o_rs, n_r)),
        rs_t=np.zeros((o_rs, n_r)), ds_m=np.zeros((o_ds, n_pairs, n_r, n_q)), ds_b=np.zeros((o_ds, n_q)),
        ds_w=np.zeros((o_ds, n_q)), ds_t=np.zeros((o_ds, n_q)),
    )
    for o, (a, b, w, t, _) in enumerate(rs):
        obs.rs_a[o], obs.rs_b[o], obs.rs_w[o], obs.rs_t[o] = a, b, w, t
    for o, (m, b, w, t, x, _) in enumerate(ds):
        k = len(x)
        obs.ds_m[o, :, :, :k], obs.ds_b[o, :k], obs.ds_w[o, :k], obs.ds_t[o, :k] = m, b, w, t
        obs.ds_x.append(x)
        obs.ds_n.append(k)
    return obs
