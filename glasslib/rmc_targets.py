"""Reverse Monte Carlo targets: one dataset to fit (kind, grid, values, σ) and its reader.

Used by :mod:`glasslib.rmc` (which re-exports these names).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
import torch

from glasslib.errors import InputError
from glasslib.measured import MeasuredSpectrum, read_columns

#: observable kinds an RMC target can be
KINDS = ("gr", "sq-xray", "sq-neutron", "fq-xray", "fq-neutron", "adf")
#: σ of a target when none is given, per quantity (unit of y: 1, 1, Å⁻¹, deg⁻¹)
DEFAULT_SIGMA = {"gr": 0.05, "sq": 0.05, "fq": 0.1, "adf": 0.001}
_QUANTITY = {"gr": "gr", "adf": "adf", "sq": "sq", "fq": "fq"}

@dataclass(frozen=True)
class Target:
    """One dataset to fit.

    kind: one of :data:`KINDS`. x: (K,) r (Å), Q (Å⁻¹) or angle (deg); y: (K,) values.
    sigma: σ_o of eq. (1), in the unit of y (None: :data:`DEFAULT_SIGMA`). cutoff: ADF
    neighbour cutoff, Å (ADF only).
    """

    kind: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    sigma: float | None = None
    cutoff: float | None = None
    source: str | None = None

    def __post_init__(self):
        where = self.source
        if self.kind not in KINDS:
            raise InputError(f"unknown target kind {self.kind!r}; expected one of {', '.join(KINDS)}", where)
        x, y = np.asarray(self.x, dtype=float), np.asarray(self.y, dtype=float)
        if x.ndim != 1 or x.shape != y.shape:
            raise InputError(f"target x and y must be one-dimensional and of equal length, got {x.shape} and {y.shape}", where)
        if x.size == 0:
            raise InputError("empty target (no data points)", where)
        if x.size < 2:
            raise InputError(f"target has {x.size} point; need at least two", where)
        if not (np.isfinite(x).all() and np.isfinite(y).all()):
            raise InputError("target has non-finite values", where)
        if np.any(np.diff(x) < 0) or x[0] < 0:
            raise InputError("target grid must be non-negative and sorted", where)
        if self.sigma is None:
            object.__setattr__(self, "sigma", DEFAULT_SIGMA[_QUANTITY[self.kind.split("-")[0]]])
        if not (isinstance(self.sigma, (int, float)) and math.isfinite(self.sigma) and self.sigma > 0):
            raise InputError(f"target sigma must be a positive number, got {self.sigma}", where)
        if self.kind == "adf":
            if self.cutoff is None or not (math.isfinite(self.cutoff) and self.cutoff > 0):
                raise InputError("an ADF target needs a positive neighbour cutoff (Å)", where)
            if x[-1] > 180.0 + 1e-9:
                raise InputError(f"ADF target angles must lie within [0, 180] degrees, end at {x[-1]}", where)
        object.__setattr__(self, "x", tuple(float(v) for v in x))
        object.__setattr__(self, "y", tuple(float(v) for v in y))

    @property
    def quantity(self) -> str:
        return _QUANTITY[self.kind.split("-")[0]]

    @property
    def radiation(self) -> str | None:
        return self.kind.split("-")[1] if "-" in self.kind else None

    def spectrum(self) -> MeasuredSpectrum:
        unit = {"gr": "Å", "adf": "deg"}.get(self.quantity, "1/Å")
        return MeasuredSpectrum(torch.tensor(self.x, dtype=torch.float64), torch.tensor(self.y, dtype=torch.float64),
                                None, self.quantity, unit, self.source)


def read_target(path: str | os.PathLike, kind: str, *, sigma: float | None = None, cutoff: float | None = None,
                x_unit: str | None = None) -> Target:
    """Read a two-column file (x, y) of ``kind`` (:data:`KINDS`) with :func:`glasslib.measured.read_columns`."""
    if kind not in KINDS:
        raise InputError(f"unknown target kind {kind!r}; expected one of {', '.join(KINDS)}", path)
    quantity = _QUANTITY[kind.split("-")[0]]
    spec = read_columns(path, quantity, x_unit=x_unit, skip_rows=_header_rows(path))
    if spec.x.numel() == 0:
        raise InputError("empty target (no data points)", path)
    return Target(kind, tuple(spec.x.tolist()), tuple(spec.y.tolist()), sigma, cutoff, str(path))


def _header_rows(path) -> int:
    """Lines up to a text header row (e.g. ``r_A,g`` after ``#`` comments, as ``glass spectra`` writes), else 0."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for k, line in enumerate(fh, start=1):
                text = line.split("#", 1)[0].strip()
                if not text:
                    continue
                fields = [f for f in text.replace(",", " ").replace(";", " ").split() if f]
                try:
                    [float(f) for f in fields]
                    return 0
                except ValueError:
                    return k
    except OSError:
        return 0  # read_columns reports the problem
    return 0
