"""Readers for measured (or published) spectra, and their conversion to the package's conventions.

Every reader returns a :class:`MeasuredSpectrum` with the abscissa in the package's units
(Q in Å⁻¹, r in Å, angles in degrees) and a declared ``quantity``:

=========  ===============================================  ============
quantity   meaning (docs/conventions.md)                     x
=========  ===============================================  ============
``sq``     Faber–Ziman S(Q)                                  Q
``fq``     F(Q) = Q[S(Q) − 1], Å⁻¹                           Q
``iq``     i(Q) = ⟨b⟩²[S(Q) − 1] (neutron: barn sr⁻¹ atom⁻¹) Q
``gr``     g(r)                                              r
``Gr``     G(r) = 4πρ₀r[g(r) − 1], Å⁻²                       r
``Dr``     D(r) (Keen 2001), weighted                        r
``Tr``     T(r) (Keen 2001), weighted                        r
``Rr``     R(r) = 4πr²ρ₀g(r) (the "RDF J(r)"), Å⁻¹           r
``nr``     running coordination number n(r)                  r
``adf``    bond-angle distribution                           angle
``xanes``  C K-edge XANES intensity (:func:`read_xanes`)     index
=========  ===============================================  ============

Readers (:func:`read_spectrum` dispatches on the file suffix):

* :func:`read_columns`: text/CSV with two or more columns (comma, whitespace or tab
  separated, auto-detected per line), ``#`` comments, column selection and x–y swap.
* :func:`read_mint01`: Gudrun ``.mint01`` files (``#`` header, then Q [Å⁻¹], the
  interference differential cross-section i(Q) [barn sr⁻¹ atom⁻¹], its error), trimmed
  below ``qmin`` (0.1 Å⁻¹ as in Dissolve) and of trailing all-zero rows.
* :func:`read_xanes`: XANES with two columns, grid index (or energy in eV, mapped to the
  index with an explicit alignment) and intensity.

Conversions: :func:`convert` between ``iq``, ``sq`` and ``fq`` given the composition
({element: fraction}) and optional isotopes: S(Q) = 1 + 100·i(Q)/⟨b⟩² with i in barn and
b in fm (1 barn = 100 fm²). :func:`to_grid` interpolates onto a new grid and refuses to
extrapolate.

Every problem raises :class:`glasslib.core.errors.InputError` with a one-line message naming the file.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import torch

from glasslib.core.errors import InputError
from glasslib.spectra.form_factors import FM2_PER_BARN, atomic_number, normalize_radiation, scattering_weights

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
}
_ALIASES = {
    "s(q)": "sq", "f(q)": "fq", "i(q)": "iq", "g(r)": "gr", "G(r)": "Gr", "D(r)": "Dr", "T(r)": "Tr",
    "R(r)": "Rr", "J(r)": "Rr", "rdf": "Rr", "RDF": "Rr", "n(r)": "nr", "ADF": "adf", "bad": "adf",
}
#: canonical unit of each abscissa kind
CANONICAL_UNITS = {"Q": "1/Å", "r": "Å", "angle": "deg", "index": "index"}
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
#: points of the XANES index grid (that of the shipped surrogate, docs/conventions.md "XANES")
XANES_INDEX_POINTS = 100
#: abscissa units of a XANES file that are energies, and their factor to eV
_ENERGY_UNITS = {"eV": 1.0, "ev": 1.0, "keV": 1000.0, "kev": 1000.0}


@dataclass(frozen=True)
class MeasuredSpectrum:
    """A measured spectrum in the package's units.

    Attributes:
        x: (K,) abscissa (Q in Å⁻¹, r in Å or angle in degrees), float64, non-decreasing.
        y: (K,) values of ``quantity``.
        err: (K,) one-sigma errors, or None.
        quantity: one of :data:`QUANTITIES`.
        x_unit: canonical unit of x (``"1/Å"``, ``"Å"`` or ``"deg"``).
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


def _unit_factor(quantity: str, unit: str | None, path) -> tuple[str, float]:
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


def _check_file(path) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise InputError(f"expected a file path, got {type(path).__name__}")
    p = Path(path)
    if not p.exists():
        raise InputError("no such file", p)
    if p.is_dir():
        raise InputError("is a directory, expected a data file", p)
    return p


_SPLIT = re.compile(r"[\s,;]+")


def _parse_rows(path: Path, *, comment: str = "#", skip_rows: int = 0) -> tuple[np.ndarray, list[str], list[int], list[str] | None]:
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


def _tensor(a: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float64)


def _sorted(x, y, err, meta):
    if np.all(np.diff(x) >= 0):
        return x, y, err
    order = np.argsort(x, kind="stable")
    meta["sorted_by_x"] = True
    return x[order], y[order], None if err is None else err[order]


# ---------------------------------------------------------------------- readers
def read_columns(
    path: str | os.PathLike,
    quantity: str,
    *,
    x_unit: str | None = None,
    columns: Sequence[int] = (0, 1),
    err_column: int | None = None,
    swap: bool = False,
    skip_rows: int = 0,
) -> MeasuredSpectrum:
    """Read a two-(or more-)column text/CSV file of a declared quantity.

    Args:
        path: the file. Fields are separated by commas, whitespace or tabs (auto-detected);
            ``#`` starts a comment.
        quantity: one of :data:`QUANTITIES` (e.g. ``"sq"``, ``"gr"``).
        x_unit: unit of the abscissa in the file (default: the canonical one). Q in
            ``"1/Å"`` or ``"1/nm"``; r in ``"Å"`` or ``"nm"``; angles in ``"deg"`` or ``"rad"``.
        columns: (x column, y column), zero-based.
        err_column: optional column of one-sigma errors.
        swap: the file has y first and x second (exchanges ``columns``), e.g. the Rosset
            et al. model S(Q) files.
        skip_rows: leading lines to ignore. A single row of column names (no number in it)
            before the first data row, as ``glass spectra`` writes, is recognised without it
            and kept in ``meta["column_names"]``.

    Returns:
        :class:`MeasuredSpectrum`, sorted by x if the file was not.
    """
    path = _check_file(path)
    quantity = normalize_quantity(quantity, path)
    unit, factor = _unit_factor(quantity, x_unit, path)
    table, comments, _, names = _parse_rows(path, skip_rows=skip_rows)
    n_cols = table.shape[1]
    if n_cols < 2:
        raise InputError("has only one column; need x and y columns", path)
    cx, cy = (int(columns[1]), int(columns[0])) if swap else (int(columns[0]), int(columns[1]))
    needed = [cx, cy] + ([int(err_column)] if err_column is not None else [])
    if any(c < 0 or c >= n_cols for c in needed):
        raise InputError(f"column {max(needed)} requested but the file has {n_cols} columns", path)
    x = table[:, cx] * factor
    y = table[:, cy].copy()
    err = table[:, int(err_column)].copy() if err_column is not None else None
    meta = {"comments": comments, "column_names": names, "columns": (cx, cy), "x_unit_in_file": x_unit or unit, "x_factor": factor}
    x, y, err = _sorted(x, y, err, meta)
    return MeasuredSpectrum(
        x=_tensor(x), y=_tensor(y), err=None if err is None else _tensor(err),
        quantity=quantity, x_unit=unit, source_path=str(path), meta=meta,
    )


def read_mint01(
    path: str | os.PathLike, *, qmin: float = 0.1, qmax: float | None = None, trim_zeros: bool = True
) -> MeasuredSpectrum:
    """Read a Gudrun ``.mint01`` file: neutron i(Q) in barn sr⁻¹ atom⁻¹ with errors.

    Lines starting with ``#`` are Gudrun's header (kept in ``meta["header"]``); the data rows
    hold Q [Å⁻¹], i(Q) (Gudrun's "F(Q)", the interference differential cross-section) and
    its error. Rows with Q < ``qmin`` (default 0.1 Å⁻¹, as Dissolve trims) or Q > ``qmax`` and,
    with ``trim_zeros``, the trailing rows whose value and error are both zero are dropped.

    Returns:
        :class:`MeasuredSpectrum` with ``quantity="iq"``, ``meta["y_unit"] = "barn/sr/atom"``.
        Convert with :func:`convert` (needs the composition).
    """
    path = _check_file(path)
    table, header, _, _ = _parse_rows(path)
    if table.shape[1] < 2:
        raise InputError("has only one column; a .mint01 file has Q, i(Q) and error columns", path)
    if table.shape[1] > 3:
        raise InputError(f"has {table.shape[1]} columns; a .mint01 file has Q, i(Q) and error", path)
    q, y = table[:, 0], table[:, 1]
    err = table[:, 2] if table.shape[1] == 3 else None
    keep = np.ones(q.shape[0], dtype=bool)
    n_trailing = 0
    if trim_zeros:
        zero = (y == 0) & ((err == 0) if err is not None else True)
        while n_trailing < zero.shape[0] and zero[zero.shape[0] - 1 - n_trailing]:
            n_trailing += 1
        keep[zero.shape[0] - n_trailing :] = False
    keep &= q >= qmin
    if qmax is not None:
        keep &= q <= qmax
    if not keep.any():
        raise InputError(f"no data rows left after trimming (qmin={qmin}, qmax={qmax})", path)
    meta = {
        "header": header, "y_unit": "barn/sr/atom", "radiation": "neutron", "qmin": qmin, "qmax": qmax,
        "trailing_zero_rows_dropped": n_trailing, "rows_read": int(q.shape[0]),
    }
    x, yk, ek = _sorted(q[keep], y[keep], None if err is None else err[keep], meta)
    return MeasuredSpectrum(
        x=_tensor(x), y=_tensor(yk), err=None if ek is None else _tensor(ek),
        quantity="iq", x_unit="1/Å", source_path=str(path), meta=meta,
    )


def read_spectrum(
    path: str | os.PathLike,
    quantity: str,
    *,
    x_unit: str | None = None,
    composition: Mapping[int | str, float] | None = None,
    isotopes: Mapping[int | str, str | float] | None = None,
    **options,
) -> MeasuredSpectrum:
    """Read a measured spectrum of ``quantity`` from any supported file.

    ``quantity`` may carry the radiation as in the CLI kinds (``"sq-xray"``, ``"fq-neutron"``).
    Gudrun ``.mint01`` files are read with :func:`read_mint01` and converted to ``sq``/``fq``
    (this needs ``composition``); other files go to :func:`read_columns` (``options`` are
    passed on, e.g. ``columns``, ``swap``).
    """
    path = _check_file(path)
    quantity = str(quantity)
    radiation = None
    for suffix in ("-xray", "-neutron"):
        if quantity.endswith(suffix):
            quantity, radiation = quantity[: -len(suffix)], suffix[1:]
    quantity = normalize_quantity(quantity, path)
    if quantity == "xanes":
        return read_xanes(path, x_unit=x_unit, **options)
    if path.suffix.lower() == ".mint01":
        if radiation == "xray":
            raise InputError("a .mint01 file holds neutron data, not X-ray", path)
        spectrum = read_mint01(path, **options)
        if quantity == "iq":
            return spectrum
        if composition is None:
            raise InputError(f"converting a .mint01 file to {quantity} needs the sample composition", path)
        return convert(spectrum, quantity, composition=composition, isotopes=isotopes)
    spectrum = read_columns(path, quantity, x_unit=x_unit, **options)
    if radiation is not None:
        spectrum = spectrum.replace(meta=dict(spectrum.meta, radiation=radiation))
    return spectrum


def read_xanes(path: str | os.PathLike, *, x_unit: str | None = None,
               energy_map: tuple[float, float] | None = None, n_points: int = XANES_INDEX_POINTS) -> MeasuredSpectrum:
    """Read a XANES spectrum onto the surrogate's index grid 0..n_points − 1 (no energy axis).

    The file has exactly two columns, the abscissa and the intensity (``#`` comments and one
    row of column names allowed, as ``glass spectra`` writes: ``index,mu``). The abscissa is a
    grid index unless ``x_unit`` is an energy (``"eV"``, ``"keV"``) or the first column's name
    starts with ``e``/``E`` (``E``, ``energy_eV``). An energy column needs the alignment
    ``energy_map = (E0, dE)``: index = (E − E0) / dE, E0 the energy (eV) put on index 0 and dE
    eV per index step (docs/conventions.md, "XANES": align the edge features of the measured
    spectrum with those of the computed set); without it the file is refused. Index values
    outside [0, n_points − 1] are refused (a C K-edge energy column of ~280–320 eV read as
    indices). Intensities are taken as they are.

    Returns:
        :class:`MeasuredSpectrum` with ``quantity="xanes"``, ``x_unit="index"``, sorted by x.
    """
    path = _check_file(path)
    table, comments, _, names = _parse_rows(path)
    if table.shape[1] != 2:
        raise InputError(f"a xanes file has two columns (grid index or energy, intensity), found {table.shape[1]}", path)
    x, y = table[:, 0].copy(), table[:, 1].copy()
    unit = None if x_unit is None else str(x_unit).strip()
    if unit is not None and unit not in _ENERGY_UNITS and unit != "index":
        raise InputError(f"unknown unit {x_unit!r} for the abscissa of xanes; expected index or eV", path)
    energy = unit in _ENERGY_UNITS if unit is not None else bool(names) and names[0].lower().startswith("e")
    in_file = "eV" if energy and unit is None else (unit or "index")
    meta = {"comments": comments, "column_names": names, "x_unit_in_file": in_file}
    if energy:
        if energy_map is None:
            raise InputError("xanes abscissa is an energy; the surrogate's grid is an index 0..99 with no energy axis: "
                             "give energy_map=(E0, dE) (index = (E - E0)/dE) or write an index column", path)
        e0, de = (float(v) for v in energy_map)
        if not (math.isfinite(e0) and math.isfinite(de) and de > 0):
            raise InputError(f"energy_map needs a finite E0 and a positive step dE (eV), got {energy_map}", path)
        x = (x * _ENERGY_UNITS.get(unit, 1.0) - e0) / de
        meta["energy_map_eV"] = (e0, de)
    elif energy_map is not None:
        raise InputError("energy_map given but the abscissa is a grid index "
                         "(name the column energy_eV or give x_unit='eV')", path)
    if x.min() < -1e-9 or x.max() > n_points - 1 + 1e-9:
        raise InputError(f"xanes grid index runs {x.min():g}..{x.max():g}, outside the index grid 0..{n_points - 1} "
                         "(an energy column? give energy_map=(E0, dE) or an index column)", path)
    x, y, _ = _sorted(x, y, None, meta)
    return MeasuredSpectrum(x=_tensor(x), y=_tensor(y), err=None, quantity="xanes", x_unit="index",
                            source_path=str(path), meta=meta)


# ------------------------------------------------------------------ conversions
def _composition(composition: Mapping[int | str, float], path) -> tuple[list[int], np.ndarray]:
    if not composition:
        raise InputError("a composition {element: fraction} is needed for this conversion", path)
    zs, fr = [], []
    for el, c in composition.items():
        z = atomic_number(el)
        if z in zs:
            raise InputError(f"element {el!r} given twice in the composition", path)
        c = float(c)
        if not (math.isfinite(c) and c >= 0):
            raise InputError(f"composition fraction of {el!r} must be >= 0, got {c}", path)
        zs.append(z)
        fr.append(c)
    fr = np.asarray(fr, dtype=np.float64)
    if fr.sum() <= 0:
        raise InputError("composition fractions sum to zero", path)
    return zs, fr / fr.sum()


def mean_weight_squared(
    q: torch.Tensor, composition: Mapping[int | str, float], radiation: str = "neutron", *, isotopes=None, path=None
) -> torch.Tensor:
    """⟨f⟩² = (Σ_α c_α f_α)² on ``q``: fm² (neutron) or electrons² (X-ray)."""
    zs, c = _composition(composition, path)
    w = scattering_weights(zs, q, radiation, isotopes=isotopes)
    return (torch.as_tensor(c, dtype=w.dtype) @ w) ** 2


_IQ_UNITS = {"neutron": ("barn/sr/atom", "fm^2/atom"), "xray": ("electrons^2/atom",)}


def convert(
    spectrum: MeasuredSpectrum,
    to: str,
    *,
    composition: Mapping[int | str, float] | None = None,
    isotopes: Mapping[int | str, str | float] | None = None,
    radiation: str | None = None,
) -> MeasuredSpectrum:
    """Convert between ``iq``, ``sq`` and ``fq`` (docs/conventions.md).

    S(Q) = 1 + i(Q)/⟨f⟩², F(Q) = Q[S(Q) − 1]. For neutrons ⟨b⟩ is in fm and i(Q) in
    barn sr⁻¹ atom⁻¹ (``meta["y_unit"]``, the default; Gudrun) or fm² per atom, so
    S − 1 = 100·i[barn]/⟨b⟩²[fm²]. For X-rays i(Q) is in electrons² per atom with f₀ at
    s = Q/4π. ``composition`` ({element: fraction}, normalised here) is needed whenever
    ``iq`` is involved; ``isotopes`` as in :func:`glasslib.spectra.form_factors.neutron_scattering_lengths`.
    Errors are propagated linearly.
    """
    path = spectrum.source_path
    to = normalize_quantity(to, path)
    src = spectrum.quantity
    if src not in ("iq", "sq", "fq") or to not in ("iq", "sq", "fq"):
        raise InputError(f"cannot convert {src} to {to}; only iq, sq and fq interconvert", path)
    if src == to:
        return spectrum
    q = spectrum.x
    radiation = normalize_radiation(radiation or spectrum.meta.get("radiation", "neutron"))
    iq_unit = spectrum.meta.get("y_unit") if src == "iq" else None
    iq_unit = iq_unit or _IQ_UNITS[radiation][0]
    if iq_unit not in _IQ_UNITS[radiation]:
        expected = ", ".join(_IQ_UNITS[radiation])
        raise InputError(f"i(Q) unit {iq_unit!r} does not fit {radiation}; expected one of {expected}", path)

    def iq_scale() -> torch.Tensor:  # i(Q) = scale · [S(Q) − 1]
        mw2 = mean_weight_squared(q, composition, radiation, isotopes=isotopes, path=path)
        return mw2 / FM2_PER_BARN if iq_unit == "barn/sr/atom" else mw2

    if src == "iq":
        scale = iq_scale()
        s1, e1 = spectrum.y / scale, None if spectrum.err is None else spectrum.err / scale
    elif src == "fq":
        if bool((q <= 0).any()):
            raise InputError("cannot divide F(Q) by Q = 0; trim Q = 0 first", path)
        s1, e1 = spectrum.y / q, None if spectrum.err is None else spectrum.err / q
    else:
        s1, e1 = spectrum.y - 1.0, spectrum.err
    meta = dict(spectrum.meta, converted_from=src, radiation=radiation)
    if to == "sq":
        y, e = 1.0 + s1, e1
        meta["y_unit"] = "1"
    elif to == "fq":
        y, e = q * s1, None if e1 is None else q * e1
        meta["y_unit"] = "1/Å"
    else:
        scale = iq_scale()
        y, e = s1 * scale, None if e1 is None else e1 * scale
        meta["y_unit"] = iq_unit
    if composition is not None:
        meta["composition"] = {str(k): float(v) for k, v in composition.items()}
    if isotopes:
        meta["isotopes"] = {str(k): v for k, v in isotopes.items()}
    return spectrum.replace(y=y, err=e, quantity=to, meta=meta)


def to_grid(spectrum: MeasuredSpectrum, new_x) -> MeasuredSpectrum:
    """Linear interpolation onto ``new_x`` (same unit as ``spectrum.x``); no extrapolation.

    Duplicate x values (common in digitized curves) are averaged first. Errors, if any, are
    interpolated the same way. Raises :class:`InputError` if ``new_x`` leaves the data range.
    """
    path = spectrum.source_path
    nx = torch.as_tensor(new_x, dtype=torch.float64).detach().cpu().numpy()
    if nx.ndim != 1 or nx.size == 0 or not np.all(np.isfinite(nx)):
        raise InputError("new grid must be a non-empty one-dimensional array of finite values", path)
    x = spectrum.x.detach().cpu().numpy()
    lo, hi = float(x.min()), float(x.max())
    tol = 1e-9 * max(1.0, abs(hi))
    if nx.min() < lo - tol or nx.max() > hi + tol:
        raise InputError(
            f"grid [{nx.min():.6g}, {nx.max():.6g}] {spectrum.x_unit} extends beyond the data "
            f"[{lo:.6g}, {hi:.6g}]; refusing to extrapolate",
            path,
        )
    ux, inverse = np.unique(x, return_inverse=True)
    counts = np.bincount(inverse)

    def interp(v):
        mean = np.bincount(inverse, weights=v.detach().cpu().numpy()) / counts
        if ux.size == 1:
            return np.full(nx.shape, mean[0])
        return np.interp(np.clip(nx, lo, hi), ux, mean)

    y = interp(spectrum.y)
    err = None if spectrum.err is None else interp(spectrum.err)
    meta = dict(spectrum.meta)
    meta["interpolated"] = True
    return spectrum.replace(x=_tensor(nx), y=_tensor(y), err=None if err is None else _tensor(err), meta=meta)


def spectrum_window(spectrum: MeasuredSpectrum, x_min: float, x_max: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x, y)`` of the points with x_min ≤ x ≤ x_max, each (K,)."""
    keep = (spectrum.x >= x_min) & (spectrum.x <= x_max)
    return spectrum.x[keep], spectrum.y[keep]
