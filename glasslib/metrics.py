"""Agreement numbers between spectra.

All functions take curves already on a common grid: ``calc`` and ``ref`` of shape
(..., K); the reduction runs over the last axis and optional leading batch axes stay.

* ``rmse(calc, ref) = sqrt(mean_k (calc_k − ref_k)²)``
* ``r_factor(calc, ref) = sqrt(Σ_k (calc_k − ref_k)² / Σ_k ref_k²)``: Wright's R_χ
  (A. C. Wright, J. Non-Cryst. Solids 159, 264 (1993)), the usual goodness of fit of a
  model's total-scattering function to a measured one; scale-free, 0 for a perfect fit.
"""

from __future__ import annotations

import torch


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
