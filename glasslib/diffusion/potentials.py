"""Classical potentials as differentiable torch energies, for the optional physics term of sampling.

GLASS itself needs no potential: the prior and the spectra define the samples. Related codes add
the force of a classical potential, evaluated on the denoised estimate, to the score (glass-epsr
with a Tersoff term); :func:`glasslib.diffusion.guidance.with_potential_guidance` does that here as
an *option*, so that its effect can be measured against the prior alone. This module holds the
energies it uses. Each reads the same LAMMPS parameter file that made the training sets
(``data/potentials/lammps/``), so there is one definition of the parameters.

Stillinger–Weber (Stillinger & Weber, Phys. Rev. B 31, 5262 (1985); LAMMPS ``pair_style sw``,
whose file format and functional form are followed exactly):

    E = Σ_{i<j} φ₂(r_ij) + Σ_i Σ_{j<k} φ₃(r_ij, r_ik, θ_jik),

    φ₂(r) = A ε [B (σ/r)^p − (σ/r)^q] exp(σ / (r − aσ)),
    φ₃ = λ ε (cos θ_jik − cos θ₀)² exp(γσ / (r_ij − aσ)) exp(γσ / (r_ik − aσ)),

both zero beyond the cutoff aσ (where every derivative vanishes too), energies in eV, lengths in Å.
Only single-element parameter files are read (Si.sw); a file with several elements is refused.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from glasslib.core.errors import InputError
from glasslib.core.geometry import neighbor_pairs
from glasslib.core.structures import Structures

#: LAMMPS sw file: 3 element names then these 11 numbers per entry
SW_FIELDS = ("epsilon", "sigma", "a", "lambda_", "gamma", "costheta0", "A", "B", "p", "q", "tol")


@dataclass(frozen=True)
class StillingerWeberParameters:
    """One element's Stillinger–Weber parameters as LAMMPS reads them (eV, Å, dimensionless)."""

    element: str
    epsilon: float
    sigma: float
    a: float
    lambda_: float
    gamma: float
    costheta0: float
    A: float
    B: float
    p: float
    q: float
    tol: float = 0.0

    @property
    def cutoff(self) -> float:
        """aσ, Å: both terms vanish beyond it."""
        return self.a * self.sigma


def read_sw_file(path: str | os.PathLike) -> StillingerWeberParameters:
    """Read a LAMMPS Stillinger–Weber file (``#`` comments; entries of 3 element names and 11
    numbers, free across lines). InputError naming the file when it is missing, malformed, or holds
    more than one element."""
    p = Path(path).expanduser()
    try:
        text = p.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read Stillinger-Weber file ({exc.__class__.__name__}: {exc.strerror or exc})", p) from None
    words = [w for line in text.splitlines() for w in line.split("#", 1)[0].split()]
    entry = 3 + len(SW_FIELDS)
    if not words or len(words) % entry:
        raise InputError(f"not a Stillinger-Weber file: expected entries of 3 element names and {len(SW_FIELDS)} numbers, "
                         f"found {len(words)} words", p)
    entries = [words[k:k + entry] for k in range(0, len(words), entry)]
    elements = sorted({e for row in entries for e in row[:3]})
    if len(elements) != 1:
        raise InputError(f"only single-element Stillinger-Weber files are supported, this one has {elements}", p)
    row = entries[0]
    try:
        values = [float(v) for v in row[3:]]
    except ValueError:
        raise InputError(f"Stillinger-Weber entry {' '.join(row[:3])} has a non-numeric parameter", p) from None
    if not all(math.isfinite(v) for v in values):
        raise InputError("Stillinger-Weber parameters must be finite", p)
    params = StillingerWeberParameters(row[0], *values)
    if not (params.epsilon > 0 and params.sigma > 0 and params.a > 0):
        raise InputError("Stillinger-Weber epsilon, sigma and a must be positive", p)
    return params


def _triplets(i: torch.Tensor, n_atoms: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Pairs (p, q), p < q, of a full neighbour list sorted by centre ``i`` that share their centre:
    every unordered pair of bonds of each atom once. (T,) indices into the pair list."""
    counts = torch.bincount(i, minlength=n_atoms)
    first = torch.cumsum(counts, 0) - counts  # index of each centre's first pair
    local = torch.arange(i.shape[0], device=i.device) - first[i]  # position of a pair within its centre
    later = counts[i] - local - 1  # partners after it
    p = torch.repeat_interleave(torch.arange(i.shape[0], device=i.device), later)
    start = torch.cumsum(later, 0) - later
    q = p + 1 + (torch.arange(p.shape[0], device=i.device) - start[p])
    return p, q


class StillingerWeber:
    """Stillinger–Weber energy of a batch: ``sw(structures)`` → (S,) eV (module docstring),
    differentiable w.r.t. positions (and cell) in the structures' dtype and device.

    Args:
        params: :class:`StillingerWeberParameters`, or a path to a LAMMPS ``.sw`` file.
    """

    def __init__(self, params: StillingerWeberParameters | str | os.PathLike):
        self.params = params if isinstance(params, StillingerWeberParameters) else read_sw_file(params)

    @property
    def elements(self) -> tuple[str, ...]:
        return (self.params.element,)

    def __call__(self, structures: Structures) -> torch.Tensor:
        c = self.params
        rc = c.cutoff
        pairs = neighbor_pairs(structures, rc, full=True)
        d, vec = pairs.distances, pairs.vectors
        # (r - aσ) < 0 inside the cutoff; pairs at the cutoff itself (rounding) get exp(-inf) = 0
        gap = torch.clamp(d - rc, max=-1e-12)
        s_over_r = c.sigma / d
        two = c.A * c.epsilon * (c.B * s_over_r**c.p - s_over_r**c.q) * torch.exp(c.sigma / gap)
        # full list: each unordered pair twice
        energy = torch.zeros(structures.n_systems, dtype=d.dtype, device=d.device).index_add_(0, pairs.system, 0.5 * two)
        p, q = _triplets(pairs.i, structures.n_atoms)
        if p.numel():
            radial = torch.exp(c.gamma * c.sigma / gap)
            cos = (vec[p] * vec[q]).sum(-1) / (d[p] * d[q])
            three = c.lambda_ * c.epsilon * (cos - c.costheta0) ** 2 * radial[p] * radial[q]
            energy = energy.index_add(0, pairs.system[p], three)
        return energy

    def describe(self) -> dict:
        return {"kind": "stillinger-weber", **{k: getattr(self.params, k) for k in ("element", *SW_FIELDS)}}


def load_potential(path: str | os.PathLike) -> StillingerWeber:
    """The torch energy of a LAMMPS parameter file, chosen by its extension (``.sw``: Stillinger–
    Weber). InputError naming the file for any other kind."""
    p = Path(path).expanduser()
    if p.suffix.lower() != ".sw":
        raise InputError("no differentiable version of this potential: only Stillinger-Weber (.sw) files are supported", p)
    return StillingerWeber(p)


__all__ = ["StillingerWeber", "StillingerWeberParameters", "read_sw_file", "load_potential"]
