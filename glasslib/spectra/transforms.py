"""Sine transforms between F(Q) and G(r), and the grid helpers they share with the Debye sums.

    G(r) = (2/π) ∫ F(Q) sin(Qr) M(Q) dQ,      F(Q) = ∫ G(r) sin(Qr) L(r) dr,

with the Lorch modification M(Q) = sinc(πQ/Q_max) (or L(r) in r); conventions in
docs/conventions.md. Both are linear in the curve, differentiable, and device/dtype follow it.
"""

from __future__ import annotations

import math

import torch

from glasslib.core.errors import InputError


def check_grid(x, name: str, like: torch.Tensor | None = None) -> torch.Tensor:
    """(K,) grid as a tensor (dtype/device of ``like``, else float64); one-line error unless it is
    one-dimensional, non-empty, finite and non-negative."""
    x = torch.as_tensor(x)
    if like is not None:
        x = x.to(dtype=like.dtype, device=like.device)
    elif not x.is_floating_point():
        x = x.to(torch.float64)
    if x.ndim != 1 or x.shape[0] < 1:
        raise InputError(f"{name} grid must be a non-empty one-dimensional tensor, got shape {tuple(x.shape)}")
    if not bool(torch.isfinite(x).all()):
        raise InputError(f"{name} grid has non-finite values")
    if bool((x < 0).any()):
        raise InputError(f"{name} grid must be non-negative")
    return x


def lorch_window(x: torch.Tensor, xmax: float) -> torch.Tensor:
    """Lorch window sinc(πx/xmax) = sin(πx/xmax)/(πx/xmax), zero beyond ``xmax``.

    E. Lorch, J. Phys. C 2, 229 (1969); used in r (g → S, Debye sums) and in Q (F → G).
    """
    w = torch.sinc(x / xmax)
    return torch.where(x <= xmax, w, torch.zeros_like(w))


def trapezoid_weights(x: torch.Tensor) -> torch.Tensor:
    """(K,) trapezoid-rule weights of a (possibly uneven) increasing grid: ∫f ≈ Σ w_k f(x_k)."""
    if x.shape[0] == 1:
        return torch.ones_like(x)
    dx = x[1:] - x[:-1]
    w = torch.zeros_like(x)
    w[:-1] += 0.5 * dx
    w[1:] += 0.5 * dx
    return w


def pdf_from_fq(
    q,
    fq: torch.Tensor,
    r,
    *,
    qmin: float | None = None,
    qmax: float | None = None,
    lorch: bool = True,
    qdamp: float = 0.0,
) -> torch.Tensor:
    """Reduced PDF G(r) = (2/π) ∫_Qmin^Qmax F(Q) sin(Qr) M(Q) dQ (Å⁻²), trapezoid on the Q grid.

    M(Q) = sinc(πQ/Qmax) (Lorch modification against termination ripples) if ``lorch``;
    ``qdamp`` (Å⁻¹) multiplies G(r) by exp(−(r·qdamp)²/2) (PDFgui's Q-resolution envelope).
    G(r) = 4πρ₀ r [g(r) − 1] when F(Q) is known to infinite Q.

    Args:
        q: (Q,) Å⁻¹; fq: (..., Q) F(Q) = Q[S(Q) − 1]; r: (R,) Å.

    Returns:
        (..., R), differentiable w.r.t. ``fq``.
    """
    q = check_grid(q, "Q", like=fq)
    r = check_grid(r, "r", like=fq)
    if fq.shape[-1] != q.shape[0]:
        raise InputError(f"F(Q) has {fq.shape[-1]} points but the Q grid {q.shape[0]}")
    qmax = float(q[-1]) if qmax is None else float(qmax)
    qmin = float(q[0]) if qmin is None else float(qmin)
    if not qmax > qmin:
        raise InputError(f"need qmax > qmin, got qmin={qmin}, qmax={qmax}")
    inside = (q >= qmin - 1e-12) & (q <= qmax * (1 + 1e-12))
    if int(inside.sum()) < 2:
        raise InputError("fewer than two Q points between qmin and qmax")
    qi = q[inside]
    w = trapezoid_weights(qi)
    if lorch:
        w = w * lorch_window(qi, qmax)
    kernel = (2.0 / math.pi) * w[:, None] * torch.sin(qi[:, None] * r[None, :])
    g = fq[..., inside] @ kernel
    if qdamp > 0:
        g = g * torch.exp(-0.5 * (r * qdamp) ** 2)
    return g


def fq_from_pdf(r, gr: torch.Tensor, q, *, rmax: float | None = None, lorch: bool = False) -> torch.Tensor:
    """F(Q) = ∫₀^Rmax G(r) sin(Qr) L(r) dr (Å⁻¹), trapezoid on the r grid; inverse of :func:`pdf_from_fq`.

    L(r) = sinc(πr/Rmax) if ``lorch``. Args: r (R,), gr (..., R), q (Q,). Returns (..., Q).
    """
    r = check_grid(r, "r", like=gr)
    q = check_grid(q, "Q", like=gr)
    if gr.shape[-1] != r.shape[0]:
        raise InputError(f"G(r) has {gr.shape[-1]} points but the r grid {r.shape[0]}")
    rmax = float(r[-1]) if rmax is None else float(rmax)
    w = trapezoid_weights(r) * (r <= rmax * (1 + 1e-12))
    if lorch:
        w = w * lorch_window(r, rmax)
    return gr @ (w[:, None] * torch.sin(r[:, None] * q[None, :]))
