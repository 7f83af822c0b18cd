"""The measured-spectrum record, its quantities and units, and the text-table parser under every reader.

A :class:`MeasuredSpectrum` is a spectrum in the package's units with a declared ``quantity``
(:data:`QUANTITIES`, with the abscissa each is a function of, and :data:`CANONICAL_UNITS`).
The readers (:mod:`glasslib.spectra.measured` for scattering and real-space curves,
:mod:`glasslib.spectra.xas_files` for XANES and EXAFS) share the parser here: comma,
whitespace or tab separated columns, ``#`` comments, one optional row of column names,
leading rows to skip, and one-line :class:`~glasslib.core.errors.InputError` messages that
name the file and the line.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from glasslib.core.errors import InputError

#: quantity -> kind of abscissa
QUANTITIES = {
    "sq": "Q",
    "fq": "Q",
    "iq": "Q",
    "gr": "r",
    "Gr": "r",
    "Dr": "r",
    "Tr": "r",
    "Rr": "r",
    "nr": "r",
    "adf": "angle",
    "xanes": "index",
    "exafs": "k",
}
_ALIASES = {
    "s(q)": "sq", "f(q)": "fq", "i(q)": "iq", "g(r)": "gr", "G(r)": "Gr", "D(r)": "Dr", "T(r)": "Tr",
    "R(r)": "Rr", "J(r)": "Rr", "rdf": "Rr", "RDF": "Rr", "n(r)": "nr", "ADF": "adf", "bad": "adf",
}
#: canonical unit of each abscissa kind
CANONICAL_UNITS = {"Q": "1/Å", "r": "Å", "angle": "deg", "index": "index", "k": "1/Å"}
# accepted unit spellings -> (kind, factor to the canonical unit)
_UNITS = {
    **{u: ("Q", 1.0) for u in ("1/Å", "1/A", "Å⁻¹", "A^-1", "Å^-1", "A-1", "1/angstrom", "invA")},
    **{u: ("Q", 0.1) for u in ("1/nm", "nm^-1", "nm⁻¹", "nm-1", "invnm", "inverse nm")},
    **{u: ("r", 1.0) for u in ("Å", "A", "angstrom", "Angstrom", "ang")},
    **{u: ("r", 10.0) for u in ("nm", "nanometre", "nanometer")},
    **{u: ("angle", 1.0) for u in ("deg", "degree", "degrees", "°")},
    **{u: ("angle", 180.0 / math.pi) for u in ("rad", "radian", "radians")},
    "index": ("index", 1.0),
}
#: spellings of a diffraction angle 2θ in degrees (converted to Q with the wavelength)
TWO_THETA_UNITS = ("2theta", "2θ", "twotheta", "2theta_deg", "2th")

@dataclass(frozen=True)
class MeasuredSpectrum:
    """A measured spectrum in the package's units.

    Attributes:
        x: (K,) abscissa (Q or k in Å⁻¹, r in Å, angle in degrees, or a XANES grid index), float64,
            non-decreasing.
        y: (K,) values of ``quantity``.
        err: (K,) one-sigma errors, or None.
        quantity: one of :data:`QUANTITIES`.
        x_unit: canonical unit of x (:data:`CANONICAL_UNITS`).
        source_path: file it was read from (None if derived in memory).
        meta: free-form details (header lines, y unit, trimming, conversions applied).
    """

    x: torch.Tensor
    y: torch.Tensor
    err: torch.Tensor | None
    quantity: str
    x_unit: str
    source_path: str | None
    meta: dict = field(default_factory=dict, compare=False)

    def replace(self, **changes) -> "MeasuredSpectrum":
        return replace(self, **changes)

    def __iter__(self):
        """``x, y = spectrum`` unpacks the abscissa and the values."""
        return iter((self.x, self.y))


# ---------------------------------------------------------------------- helpers
def normalize_quantity(quantity: str, path=None) -> str:
    """Canonical quantity name (case matters: ``gr`` is g(r), ``Gr`` is G(r))."""
    q = str(quantity).strip()
    q = _ALIASES.get(q, _ALIASES.get(q.lower(), q)) if q not in QUANTITIES else q
    if q not in QUANTITIES:
        raise InputError(f"unknown quantity {quantity!r}; expected one of {', '.join(QUANTITIES)}", path)
    return q


def unit_factor(quantity: str, unit: str | None, path) -> tuple[str, float]:
    """(canonical unit, factor from ``unit`` to it) for the abscissa of ``quantity``."""
    kind = QUANTITIES[quantity]
    if unit is None:
        return CANONICAL_UNITS[kind], 1.0
    u = str(unit).strip()
    if u not in _UNITS:
        raise InputError(f"unknown unit {unit!r} for the abscissa of {quantity}", path)
    ukind, factor = _UNITS[u]
    if ukind != kind:
        raise InputError(f"unit {unit!r} is a unit of {ukind}, but {quantity} is a function of {kind}", path)
    return CANONICAL_UNITS[kind], factor


def check_file(path) -> Path:
    """``path`` as a Path after checking that it is an existing file (one-line InputError otherwise)."""
    if not isinstance(path, (str, os.PathLike)):
        raise InputError(f"expected a file path, got {type(path).__name__}")
    p = Path(path)
    if not p.exists():
        raise InputError("no such file", p)
    if p.is_dir():
        raise InputError("is a directory, expected a data file", p)
    return p


_SPLIT = re.compile(r"[\s,;]+")


def parse_rows(path: Path, *, comment: str = "#", skip_rows: int = 0) -> tuple[np.ndarray, list[str], list[int], list[str] | None]:
    """Numeric table of a text file: (rows × columns) float64, comment lines, line numbers, and the
    column names when a row of names (no number in it) precedes the first data row."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror or exc})", path) from None
    rows, numbers, comments = [], [], []
    n_cols, header = None, None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        if lineno <= skip_rows:
            continue
        line = raw
        if comment and comment in line:
            comments.append(line[line.index(comment) + len(comment) :].rstrip())
            line = line[: line.index(comment)]
        line = line.strip().strip(",;").strip()
        if not line:
            continue
        fields = [f for f in _SPLIT.split(line) if f]
        try:
            values = [float(f) for f in fields]
        except ValueError:
            if not rows and header is None and not any(_is_float(f) for f in fields):
                header = fields  # one column-name row before the data (as `glass spectra` writes)
                continue
            bad = next(f for f in fields if not _is_float(f))
            raise InputError(f"line {lineno}: non-numeric value {bad[:40]!r}", path) from None
        if n_cols is None:
            n_cols = len(values)
        elif len(values) != n_cols:
            raise InputError(f"line {lineno}: {len(values)} columns, expected {n_cols} as in the first data row", path)
        if not all(math.isfinite(v) for v in values):
            raise InputError(f"line {lineno}: NaN or infinite value", path)
        rows.append(values)
        numbers.append(lineno)
    if not rows:
        raise InputError("no data rows (empty file or only comments)", path)
    return np.asarray(rows, dtype=np.float64), comments, numbers, header


def _is_float(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def as_float64(a: np.ndarray) -> torch.Tensor:
    """A contiguous float64 tensor of ``a``."""
    return torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float64)


def sort_by_x(x, y, err, meta):
    """(x, y, err) sorted by x (stable); records ``meta["sorted_by_x"]`` when the order changed."""
    if np.all(np.diff(x) >= 0):
        return x, y, err
    order = np.argsort(x, kind="stable")
    meta["sorted_by_x"] = True
    return x[order], y[order], None if err is None else err[order]


__all__ = ["QUANTITIES", "CANONICAL_UNITS", "TWO_THETA_UNITS", "MeasuredSpectrum", "normalize_quantity", "unit_factor",
           "check_file", "parse_rows", "as_float64", "sort_by_x"]
