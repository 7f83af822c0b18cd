"""Agreement numbers between spectra, and the error-versus-diversity metrics of the paper.

All functions take curves already on a common grid: ``calc`` and ``ref`` of shape
(..., K); the reduction runs over the last axis and optional leading batch axes stay.

* ``rmse(calc, ref) = sqrt(mean_k (calc_k − ref_k)²)``
* ``r_factor(calc, ref) = sqrt(Σ_k (calc_k − ref_k)² / Σ_k ref_k²)``: Wright's R_χ
  (A. C. Wright, J. Non-Cryst. Solids 159, 264 (1993)), the usual goodness of fit of a
  model's total-scattering function to a measured one; scale-free, 0 for a perfect fit.

Error against diversity (one modality: g(r), S(Q), F(Q), ADF, ...; see docs/metrics.md).
Reference ensemble: R ≥ 2 independent replicas s_r (R, K); generated structures g_1..g_G
(G, K); ``s̄ = (1/R) Σ_r s_r`` the mean reference spectrum and ``s̄₋ᵣ`` the mean of the
other R − 1 replicas.

* error      ``E = (1/G) Σ_g rmse(g_g, s̄)``
* diversity  ``D = (1/R) Σ_r rmse(s_r, s̄₋ᵣ)``  (leave-one-out; ``leave_one_out=False``
  uses s̄ itself). For replicas drawn independently with per-point variance σ_k²,
  E[rmse²] is (1 + 1/R)σ̄² for a new draw against s̄, (1 + 1/(R − 1))σ̄² leave-one-out but
  only (1 − 1/R)σ̄² for a replica against a mean that contains it; leave-one-out therefore
  makes a generator that samples the reference distribution score ΔED ≈ 0 even for small R.
* ``ΔED = E − D``: below 0, the generated spectra are closer to the reference mean than
  the reference replicas are to each other.
* normalisation ``A = sqrt(mean_k (s̄_k − s_∞)²)``, the RMS structure of the mean
  reference spectrum about its asymptote s_∞ (1 for g(r) and S(Q), 0 for F(Q), G(r) and
  i(Q); the grid mean of s̄ where there is none, e.g. the ADF). ``E/A``, ``D/A``, ``ΔED/A``
  are errors as a fraction of the spectrum's own signal, comparable across modalities;
  ``E/D`` is reported as well (1 means "as far as one more replica").

Trends across a series (a few state points or fractions): :func:`rank_correlation`, Spearman's ρ.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Mapping

import numpy as np
import torch
from scipy.stats import spearmanr

from glasslib.core.errors import InputError

#: the value each spectrum kind tends to away from structure (None: use the grid mean)
ASYMPTOTES = {
    "gr": 1.0,
    "Gr": 0.0,
    "sq-xray": 1.0,
    "sq-neutron": 1.0,
    "fq-xray": 0.0,
    "fq-neutron": 0.0,
    "iq": 0.0,
    "adf": None,
}


def rank_correlation(a, b, *, min_points: int = 2) -> float:
    """Spearman's ρ of two sequences of equal length (average ranks for ties); NaN when either is
    constant or shorter than ``min_points`` (no trend to rank; a study may ask for more than two).

    With few points ρ takes a handful of rational values (for 4 points 1 − 6 Σd²/60, e.g. exactly
    0.8 for one swapped neighbour pair); it is rounded to 12 decimals so that a threshold such as
    ρ ≥ 0.8 holds where the ranks say it does, whatever the floating-point path.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or a.ndim != 1:
        raise InputError(f"rank correlation needs two 1-D sequences of equal length, got {a.shape} and {b.shape}")
    if len(a) < max(2, min_points) or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return round(float(spearmanr(a, b).statistic), 12)


def _check(calc: torch.Tensor, ref: torch.Tensor) -> None:
    if calc.shape[-1] != ref.shape[-1]:
        raise ValueError(f"curves on different grids: {calc.shape[-1]} vs {ref.shape[-1]} points")


def rmse(calc: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """Root-mean-square difference over the last axis."""
    _check(calc, ref)
    return ((calc - ref) ** 2).mean(-1).sqrt()


def r_factor(calc: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """Wright's R_χ = sqrt(Σ (calc − ref)² / Σ ref²) over the last axis."""
    _check(calc, ref)
    return (((calc - ref) ** 2).sum(-1) / (ref**2).sum(-1)).sqrt()


# ------------------------------------------------------------ error and diversity
def _curves(x, name: str, min_rows: int = 1) -> torch.Tensor:
    t = x if torch.is_tensor(x) else torch.as_tensor(x, dtype=torch.float64)
    t = t.detach()
    if t.ndim == 1:
        t = t[None]
    if t.ndim != 2 or t.shape[-1] < 1:
        raise InputError(f"{name} must be (n_curves, K) spectra, got shape {tuple(t.shape)}")
    if t.shape[0] < min_rows:
        raise InputError(f"{name} needs at least {min_rows} curves, got {t.shape[0]}")
    if not bool(torch.isfinite(t).all()):
        raise InputError(f"{name} holds non-finite values")
    return t


def spectral_error(generated, reference) -> torch.Tensor:
    """(G,) rmse of each generated spectrum to the mean reference spectrum s̄."""
    gen, ref = _curves(generated, "generated"), _curves(reference, "reference")
    if gen.shape[-1] != ref.shape[-1]:
        raise InputError(f"generated and reference spectra on different grids: {gen.shape[-1]} vs {ref.shape[-1]} points")
    return rmse(gen, ref.mean(0))


def spectral_diversity(reference, *, leave_one_out: bool = True) -> torch.Tensor:
    """(R,) rmse of each reference replica to the mean of the others (or of all)."""
    ref = _curves(reference, "reference", min_rows=2)
    n = ref.shape[0]
    total = ref.sum(0)
    mean = (total - ref) / (n - 1) if leave_one_out else total / n
    return rmse(ref, mean)


def signal_scale(reference, asymptote: float | None = None) -> torch.Tensor:
    """A = sqrt(mean_k (s̄_k − s_∞)²); s_∞ = ``asymptote`` or, if None, the grid mean of s̄."""
    mean = _curves(reference, "reference").mean(0)
    s_inf = mean.mean() if asymptote is None else torch.as_tensor(float(asymptote), dtype=mean.dtype)
    return ((mean - s_inf) ** 2).mean().sqrt()


@dataclass(frozen=True)
class ErrorDiversity:
    """Error-versus-diversity numbers of one modality (module docstring for formulas)."""

    error: float
    error_std: float
    diversity: float
    diversity_std: float
    delta_ed: float
    scale: float
    error_normalized: float
    diversity_normalized: float
    delta_ed_normalized: float
    error_over_diversity: float
    n_generated: int
    n_reference: int

    def to_dict(self) -> dict:
        return asdict(self)


def error_diversity(generated, reference, *, asymptote: float | None = None, leave_one_out: bool = True) -> ErrorDiversity:
    """E, D, ΔED = E − D and their normalised forms for one modality.

    Args:
        generated: (G, K) or (K,) spectra of the generated structures.
        reference: (R, K) spectra of R ≥ 2 independent reference replicas, same grid.
        asymptote: s_∞ for the normalisation A (see :data:`ASYMPTOTES`); None: grid mean.
        leave_one_out: diversity against the mean of the other replicas (default).
    """
    err = spectral_error(generated, reference)
    div = spectral_diversity(reference, leave_one_out=leave_one_out)
    a = float(signal_scale(reference, asymptote))
    e, d = float(err.mean()), float(div.mean())
    nan = float("nan")
    return ErrorDiversity(
        error=e,
        error_std=float(err.std()) if err.numel() > 1 else 0.0,
        diversity=d,
        diversity_std=float(div.std()),
        delta_ed=e - d,
        scale=a,
        error_normalized=e / a if a > 0 else nan,
        diversity_normalized=d / a if a > 0 else nan,
        delta_ed_normalized=(e - d) / a if a > 0 else nan,
        error_over_diversity=e / d if d > 0 else nan,
        n_generated=int(err.numel()),
        n_reference=int(div.numel()),
    )


def error_diversity_table(
    generated: Mapping[str, object],
    reference: Mapping[str, object],
    *,
    asymptotes: Mapping[str, float | None] | None = None,
    leave_one_out: bool = True,
) -> dict[str, dict]:
    """:func:`error_diversity` for every modality present in both mappings.

    Keys are spectrum kinds (``"gr"``, ``"sq-xray"``, ...); the asymptote of each comes from
    ``asymptotes``, then :data:`ASYMPTOTES`, else the grid mean.
    """
    table = {}
    for kind in generated:
        if kind not in reference:
            continue
        s_inf = (asymptotes or {}).get(kind, ASYMPTOTES.get(kind))
        table[kind] = error_diversity(generated[kind], reference[kind], asymptote=s_inf, leave_one_out=leave_one_out).to_dict()
    if not table:
        raise InputError("no modality is present in both the generated and the reference spectra")
    return table
