"""EXAFS surrogate: per-absorber χ(k) from local environments through learned single-scattering
kernels, and the structure spectrum k^w χ(k) as the mean over absorbers (a differentiable
observable).

In the single-scattering EXAFS equation (FEFF with NLEG 2, :mod:`glasslib.spectra.exafs_feff`)
each neighbour j of absorber i adds a damped sine of the path length whose amplitude and phase
depend on the neighbour's element e_j, on k and (slowly) on r_ij. The surrogate keeps the fast
oscillation sin/cos(2kr) exact and learns the slow parts:

    χ_i(k) = Σ_{j, all images, r_ij < r_c} f_c(r_ij) [ a_{e_j}(k, r_ij) sin(2k r_ij) + b_{e_j}(k, r_ij) cos(2k r_ij) ],
    a_e(k, r) = Σ_{m,n} A_{e,m,n} φ_m(r) ψ_n(k),   b_e likewise with B,

φ_m Gaussians in r (``n_radial`` centres from ``radial_min`` to the cutoff, width the spacing),
ψ_n Gaussians in k (``n_kbasis`` centres over the k grid, width the spacing), f_c the cosine
switch of :func:`glasslib.spectra.angles.smooth_cutoff` (the FEFF reference tapers its paths the
same way). The kernel coefficients A, B (2 × elements × n_radial × n_kbasis numbers) are fitted by
linear least squares on FEFF spectra (:mod:`glasslib.spectra.exafs`). The sum over neighbours
and images makes χ_i invariant to rotations, translations and permutations, identical for a cell
and its supercells, and species-aware; it is smooth in the positions (a Gaussian descriptor of
width ~0.1 Å, as the XANES one, would blur the phase 2kr by ~2 rad at k = 12 Å⁻¹, hence the
explicit oscillation). Every step is differentiable with respect to positions and cell; device
and dtype follow the structures.

The structure spectrum is k^w χ_s(k), χ_s = (1/A_s) Σ_{i ∈ Cu of s} χ_i, on the model's k grid
(Å⁻¹, from the FEFF edge energy), linearly interpolated onto any grid inside it.
"""

from __future__ import annotations

import io
import json
import math
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch
from ase.data import chemical_symbols
from torch import nn

from glasslib.core.atomic_io import atomic_write_bytes
from glasslib.core.errors import InputError, reject_unknown_keys
from glasslib.core.payloads import cached_model, load_payload
from glasslib.core.geometry import neighbor_pairs
from glasslib.core.paths import data_dir
from glasslib.core.structures import Structures
from glasslib.spectra.angles import smooth_cutoff

#: the shipped checkpoint, relative to the data directory
SHIPPED = Path("models") / "exafs_cuzr_surrogate" / "checkpoint.pt"
REBUILD = "OMP_NUM_THREADS=1 .venv/bin/python -m glasslib.spectra.exafs train --out data/models/exafs_cuzr_surrogate"
FORMAT = "glasslib-exafs-surrogate"


@dataclass(frozen=True)
class ExafsConfig:
    """The surrogate's form (module docstring); lengths in Å, k in Å⁻¹.

    Attributes:
        elements: neighbour elements (atomic numbers), one kernel each; absorber: its element.
        cutoff, cutoff_width: r_c and the width of f_c (the FEFF RMAX and path taper).
        n_radial, radial_min: radial Gaussian centres φ_m (evenly from radial_min to cutoff).
        k_min, k_max, k_step: the model's k grid; n_kbasis: k Gaussians ψ_n over it.
        k_weight: w of the structure spectrum k^w χ(k).
    """

    elements: tuple[int, ...] = (29, 40)
    absorber: int = 29
    cutoff: float = 6.0
    cutoff_width: float = 0.5
    n_radial: int = 28
    radial_min: float = 1.9
    k_min: float = 1.0
    k_max: float = 14.0
    k_step: float = 0.05
    n_kbasis: int = 40
    k_weight: int = 2

    def __post_init__(self):
        object.__setattr__(self, "elements", tuple(int(z) for z in self.elements))
        if self.absorber not in self.elements or len(set(self.elements)) != len(self.elements):
            raise InputError(f"exafs surrogate elements must be distinct and include the absorber, got {self.elements}")
        if not (0 < self.radial_min < self.cutoff and 0 <= self.cutoff_width < self.cutoff):
            raise InputError("exafs surrogate needs 0 < radial_min < cutoff and 0 <= cutoff_width < cutoff")
        if not (0 < self.k_min < self.k_max and self.k_step > 0 and self.n_radial >= 2 and self.n_kbasis >= 2):
            raise InputError("exafs surrogate needs 0 < k_min < k_max, k_step > 0 and at least two basis functions")

    @property
    def n_points(self) -> int:
        return int(math.floor((self.k_max - self.k_min) / self.k_step + 1e-9)) + 1

    def k_grid(self, *, dtype=torch.float64, device=None) -> torch.Tensor:
        """(K,) the model's k grid, Å⁻¹."""
        return (self.k_min + self.k_step * torch.arange(self.n_points, dtype=torch.float64)).to(dtype=dtype, device=device)

    def to_dict(self) -> dict:
        return {**asdict(self), "elements": list(self.elements)}

    @classmethod
    def from_dict(cls, d: dict) -> "ExafsConfig":
        reject_unknown_keys(d, {f.name for f in fields(cls)}, "exafs surrogate config")
        return cls(**{**d, "elements": tuple(d.get("elements", cls.elements))})


def _gaussians(x: torch.Tensor, lo: float, hi: float, n: int) -> torch.Tensor:
    """(…, n) Gaussians of width the spacing at n centres evenly on [lo, hi]."""
    centres = torch.linspace(lo, hi, n, dtype=x.dtype, device=x.device)
    width = (hi - lo) / (n - 1)
    return torch.exp(-0.5 * ((x[..., None] - centres) / width) ** 2)


class ExafsSurrogate(nn.Module):
    """Per-absorber χ(k) from learned single-scattering kernels (module docstring).

    Parameter ``coef`` (2, E, M, N): the kernel coefficients [A; B] per neighbour element e,
    radial Gaussian m and k Gaussian n. ``data_sha256`` and ``train_info`` carry the records.
    """

    def __init__(self, config: ExafsConfig = ExafsConfig()):
        super().__init__()
        self.config = config
        self.coef = nn.Parameter(torch.zeros(2, len(config.elements), config.n_radial, config.n_kbasis))
        self.data_sha256: dict = {}
        self.train_info: dict = {}

    # ------------------------------------------------------------------ features
    def absorber_pairs(self, structures: Structures):
        """``(index, i, e, r)``: (A,) absorbers' batch indices; for every pair absorber → neighbour
        within the cutoff (images included): (P,) position of the absorber in ``index``, (P,)
        neighbour element channel, (P,) distance r (Å, differentiable). One-line errors for a
        structure without absorbers or with unknown elements."""
        cfg = self.config
        dev = structures.device
        is_abs = structures.species == cfg.absorber
        per = torch.zeros(structures.n_systems, dtype=torch.long, device=dev).index_add(0, structures.system_idx, is_abs.long())
        if bool((per == 0).any()):
            raise InputError(f"exafs needs {chemical_symbols[cfg.absorber]} atoms (the absorbing element); a structure has none",
                             structures.source)
        table = torch.full((max(max(cfg.elements), int(structures.species.max())) + 1,), -1, dtype=torch.long, device=dev)
        table[torch.as_tensor(cfg.elements, device=dev)] = torch.arange(len(cfg.elements), device=dev)
        channel = table[structures.species]
        if bool((channel < 0).any()):
            unknown = sorted(set(structures.species[channel < 0].tolist()))
            raise InputError(f"the exafs surrogate knows elements {list(cfg.elements)} only; structure has Z = {unknown}",
                             structures.source)
        index = torch.nonzero(is_abs).squeeze(1)
        slot = torch.full((structures.n_atoms,), -1, dtype=torch.long, device=dev)
        slot[index] = torch.arange(index.numel(), device=dev)
        pairs = neighbor_pairs(structures, cfg.cutoff, full=True)
        keep = is_abs[pairs.i]
        return index, slot[pairs.i[keep]], channel[pairs.j[keep]], pairs.distances[keep]

    def trig_features(self, i, e, r, n_abs: int, k: torch.Tensor) -> torch.Tensor:
        """(A, K, 2, E, M) T[i, k, s, e, m] = Σ_{pairs of i with element e} f_c φ_m(r) trig_s(2kr),
        trig = (sin, cos): χ = Σ T ⊗ ψ(k) · coef (used by the least-squares fit)."""
        cfg = self.config
        w = smooth_cutoff(r, cfg.cutoff, cfg.cutoff_width)[:, None] * _gaussians(r, cfg.radial_min, cfg.cutoff, cfg.n_radial)
        phase = 2.0 * r[:, None] * k[None, :]                                    # (P, K)
        trig = torch.stack([torch.sin(phase), torch.cos(phase)], dim=2)          # (P, K, 2)
        n_el = len(cfg.elements)
        out = torch.zeros(n_abs * n_el, k.numel(), 2, cfg.n_radial, dtype=r.dtype, device=r.device)
        out.index_add_(0, i * n_el + e, trig[..., None] * w[:, None, None, :])
        return out.reshape(n_abs, n_el, k.numel(), 2, cfg.n_radial).permute(0, 2, 3, 1, 4)

    def kernels(self, k: torch.Tensor) -> torch.Tensor:
        """(2, E, M, K) a_e and b_e at the radial centres' coefficients, on ``k``."""
        cfg = self.config
        psi = _gaussians(k, cfg.k_min, cfg.k_max, cfg.n_kbasis)                  # (K, N)
        return torch.einsum("semn,kn->semk", self.coef.to(k.dtype), psi)

    # ------------------------------------------------------------------ network
    def per_atom(self, structures: Structures) -> tuple[torch.Tensor, torch.Tensor]:
        """``(chi, index)``: (A, K) χ(k) of every absorber on the model's k grid and (A,) the
        absorbers' atom indices in the batch."""
        cfg = self.config
        index, i, e, r = self.absorber_pairs(structures)
        k = cfg.k_grid(dtype=structures.dtype, device=structures.device)
        kern = self.kernels(k)                                                   # (2, E, M, K)
        phi = smooth_cutoff(r, cfg.cutoff, cfg.cutoff_width)[:, None] * _gaussians(r, cfg.radial_min, cfg.cutoff, cfg.n_radial)
        phase = 2.0 * r[:, None] * k[None, :]
        chi = torch.zeros(index.numel(), k.numel(), dtype=structures.dtype, device=structures.device)
        for c in range(len(cfg.elements)):
            sel = e == c
            if not bool(sel.any()):
                continue
            p = phi[sel]
            term = (p @ kern[0, c]) * torch.sin(phase[sel]) + (p @ kern[1, c]) * torch.cos(phase[sel])
            chi = chi.index_add(0, i[sel], term)
        return chi, index

    def forward(self, structures: Structures) -> torch.Tensor:
        """(S, K) k^w χ_s(k) of each structure (mean over its absorbers), on the model's k grid."""
        chi, index = self.per_atom(structures)
        system = structures.system_idx[index]
        total = torch.zeros(structures.n_systems, chi.shape[1], dtype=chi.dtype, device=chi.device).index_add(0, system, chi)
        count = torch.bincount(system, minlength=structures.n_systems).to(chi.dtype)
        k = self.config.k_grid(dtype=chi.dtype, device=chi.device)
        return total / count[:, None] * k ** self.config.k_weight

    # --------------------------------------------------------------- checkpoint
    def save(self, path: str | os.PathLike) -> Path:
        """Write the one-file checkpoint (atomically; plain containers, ``weights_only`` loadable)."""
        payload = {"format": FORMAT, "version": 1, "config": self.config.to_dict(),
                   "state_dict": {k: v.detach().to("cpu", torch.float64).clone() for k, v in self.state_dict().items()},
                   "data_sha256": json.loads(json.dumps(self.data_sha256)),
                   "train_info": json.loads(json.dumps(self.train_info))}
        buf = io.BytesIO()
        torch.save(payload, buf)
        return atomic_write_bytes(path, buf.getvalue())

    @classmethod
    def load(cls, path: str | os.PathLike, *, device=None, dtype=torch.float32) -> "ExafsSurrogate":
        """A checkpoint written by :meth:`save`, frozen, on ``device`` in ``dtype``."""
        payload = load_payload(path, FORMAT, "exafs surrogate checkpoint", REBUILD)
        model = cls(ExafsConfig.from_dict(payload["config"]))
        model.load_state_dict(payload["state_dict"])
        model.data_sha256 = dict(payload.get("data_sha256", {}))
        model.train_info = dict(payload.get("train_info", {}))
        return model.to(device=device, dtype=dtype).eval().requires_grad_(False)


# ---------------------------------------------------------------- the observable
def shipped_surrogate(*, device=None, dtype=torch.float32) -> ExafsSurrogate:
    """The shipped surrogate (:data:`SHIPPED`), loaded at first use, one copy per device and dtype."""
    return cached_model(data_dir() / SHIPPED, ExafsSurrogate.load, device=device, dtype=dtype)


def on_grid(spectra: torch.Tensor, k_model: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """(S, K') spectra (S, K) on the uniform model grid ``k_model`` linearly interpolated at
    ``grid`` (K',) Å⁻¹ within it; differentiable w.r.t. the spectra."""
    grid = grid.to(dtype=spectra.dtype, device=spectra.device)
    lo, hi, n = float(k_model[0]), float(k_model[-1]), k_model.numel()
    if grid.ndim != 1 or grid.numel() == 0:
        raise InputError("exafs grid must be a non-empty one-dimensional set of k values (1/Å)")
    if float(grid.min()) < lo - 1e-9 or float(grid.max()) > hi + 1e-9:
        raise InputError(f"exafs grid [{float(grid.min()):g}, {float(grid.max()):g}] 1/Å leaves the surrogate's k range "
                         f"[{lo:g}, {hi:g}] 1/Å")
    x = ((grid - lo) / (hi - lo) * (n - 1)).clamp(0, n - 1)
    i0 = x.floor().long().clamp(max=n - 2)
    frac = x - i0.to(x.dtype)
    return spectra[:, i0] * (1 - frac) + spectra[:, i0 + 1] * frac


def exafs_spectrum(structures: Structures, grid=None, *, surrogate: ExafsSurrogate | None = None) -> torch.Tensor:
    """(S, K) k^w χ(k) (Å⁻ʷ; w = 2 for the shipped model) of each structure, the mean over its
    Cu absorbers, on ``grid`` (K,) k values in Å⁻¹ (default: the model's grid).

    Differentiable w.r.t. positions and cell; device and dtype follow ``structures``.
    """
    model = surrogate if surrogate is not None else shipped_surrogate(device=structures.device, dtype=structures.dtype)
    y = model(structures)
    if grid is None:
        return y
    return on_grid(y, model.config.k_grid(dtype=y.dtype, device=y.device), torch.as_tensor(grid))
