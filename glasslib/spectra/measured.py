"""Readers for measured (or published) spectra, and their conversion to the package's conventions.

Every reader returns a :class:`MeasuredSpectrum` (:mod:`glasslib.spectra.spectrum_files`) with
the abscissa in the package's units (Q and k in Å⁻¹, r in Å, angles in degrees) and a declared
``quantity``:

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
``exafs``  k²χ(k), Å⁻² (:func:`read_exafs`)                 k
=========  ===============================================  ============

Readers (:func:`read_spectrum` dispatches on the file suffix):

* :func:`read_columns`: text/CSV with two or more columns (comma, whitespace or tab
  separated, auto-detected per line), ``#`` comments, rows to skip, column selection and x–y
  swap; Q in Å⁻¹ or nm⁻¹ or as a diffraction angle 2θ (degrees) with the wavelength λ (Å):
  Q = 4π sin(θ)/λ.
* :func:`read_mint01`: Gudrun ``.mint01`` files (``#`` header, then Q [Å⁻¹], the
  interference differential cross-section i(Q) [barn sr⁻¹ atom⁻¹], its error), trimmed
  below ``qmin`` (0.1 Å⁻¹ as in Dissolve) and of trailing all-zero rows.
* :func:`read_xanes`, :func:`read_exafs` (:mod:`glasslib.spectra.xas_files`): XANES on the
  surrogate's index grid, χ(k) as k²χ(k).

Conversions: :func:`convert` between ``iq``, ``sq`` and ``fq`` given the composition
({element: fraction}) and optional isotopes: S(Q) = 1 + 100·i(Q)/⟨b⟩² with i in barn and
b in fm (1 barn = 100 fm²). :func:`to_grid` interpolates onto a new grid and refuses to
extrapolate.

Every problem raises :class:`glasslib.core.errors.InputError` with a one-line message naming the file.
"""

from __future__ import annotations

import math
import os
from typing import Mapping, Sequence

import numpy as np
import torch

from glasslib.core.errors import InputError
from glasslib.spectra.form_factors import FM2_PER_BARN, atomic_number, normalize_radiation, scattering_weights
from glasslib.spectra.spectrum_files import (
    CANONICAL_UNITS,
    QUANTITIES,
    TWO_THETA_UNITS,
    MeasuredSpectrum,
    as_float64,
    check_file,
    normalize_quantity,
    parse_rows,
    sort_by_x,
    unit_factor,
)
from glasslib.spectra.xas_files import read_exafs, read_xanes

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
    wavelength: float | None = None,
) -> MeasuredSpectrum:
    """Read a two-(or more-)column text/CSV file of a declared quantity.

    Args:
        path: the file. Fields are separated by commas, whitespace or tabs (auto-detected);
            ``#`` starts a comment.
        quantity: one of :data:`QUANTITIES` (e.g. ``"sq"``, ``"gr"``).
        x_unit: unit of the abscissa in the file (default: the canonical one). Q in
            ``"1/Å"`` or ``"1/nm"`` or as the diffraction angle ``"2theta"`` (degrees, needs
            ``wavelength``); r in ``"Å"`` or ``"nm"``; angles in ``"deg"`` or ``"rad"``.
        columns: (x column, y column), zero-based.
        err_column: optional column of one-sigma errors.
        swap: the file has y first and x second (exchanges ``columns``), e.g. the Rosset
            et al. model S(Q) files.
        skip_rows: leading lines to ignore. A single row of column names (no number in it)
            before the first data row, as ``glass spectra`` writes, is recognised without it
            and kept in ``meta["column_names"]``.
        wavelength: radiation wavelength λ in Å, for ``x_unit="2theta"`` only.

    Returns:
        :class:`MeasuredSpectrum`, sorted by x if the file was not.
    """
    path = check_file(path)
    quantity = normalize_quantity(quantity, path)
    two_theta = x_unit is not None and str(x_unit).strip() in TWO_THETA_UNITS
    if two_theta and QUANTITIES[quantity] != "Q":
        raise InputError(f"x unit {x_unit!r} (a diffraction angle) applies to functions of Q, not {quantity}", path)
    if two_theta and not (wavelength is not None and math.isfinite(wavelength) and wavelength > 0):
        raise InputError(f"x unit {x_unit!r} needs the wavelength in Å (--wavelength) to convert 2θ to Q", path)
    if wavelength is not None and not two_theta:
        raise InputError("a wavelength applies only to an abscissa in 2theta", path)
    unit, factor = ("1/Å", 1.0) if two_theta else unit_factor(quantity, x_unit, path)
    table, comments, _, names = parse_rows(path, skip_rows=skip_rows)
    n_cols = table.shape[1]
    if n_cols < 2:
        raise InputError("has only one column; need x and y columns", path)
    cx, cy = (int(columns[1]), int(columns[0])) if swap else (int(columns[0]), int(columns[1]))
    needed = [cx, cy] + ([int(err_column)] if err_column is not None else [])
    if any(c < 0 or c >= n_cols for c in needed):
        raise InputError(f"column {max(needed)} requested but the file has {n_cols} columns", path)
    x = table[:, cx] * factor
    if two_theta:
        if x.min() < 0 or x.max() >= 180:
            raise InputError(f"2θ runs {x.min():g}..{x.max():g} degrees; expected 0 <= 2θ < 180", path)
        x = 4.0 * math.pi * np.sin(np.radians(x) / 2.0) / wavelength
    y = table[:, cy].copy()
    err = table[:, int(err_column)].copy() if err_column is not None else None
    meta = {"comments": comments, "column_names": names, "columns": (cx, cy), "x_unit_in_file": x_unit or unit, "x_factor": factor}
    if two_theta:
        meta["wavelength_A"] = float(wavelength)
    x, y, err = sort_by_x(x, y, err, meta)
    return MeasuredSpectrum(
        x=as_float64(x), y=as_float64(y), err=None if err is None else as_float64(err),
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
    path = check_file(path)
    table, header, _, _ = parse_rows(path)
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
    x, yk, ek = sort_by_x(q[keep], y[keep], None if err is None else err[keep], meta)
    return MeasuredSpectrum(
        x=as_float64(x), y=as_float64(yk), err=None if ek is None else as_float64(ek),
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
    (this needs ``composition``); ``xanes`` and ``exafs`` go to :func:`read_xanes` and
    :func:`read_exafs`; other files to :func:`read_columns` (``options`` are passed on, e.g.
    ``columns``, ``swap``, ``skip_rows``, ``wavelength``; ``energy_map`` for xanes, ``k_weight``
    for exafs).
    """
    path = check_file(path)
    quantity = str(quantity)
    radiation = None
    for suffix in ("-xray", "-neutron"):
        if quantity.endswith(suffix):
            quantity, radiation = quantity[: -len(suffix)], suffix[1:]
    quantity = normalize_quantity(quantity, path)
    if quantity == "xanes":
        return read_xanes(path, x_unit=x_unit, **options)
    if quantity == "exafs":
        if x_unit not in (None, "1/Å", "1/A"):
            raise InputError(f"the k column of a chi(k) file is in 1/Å, not {x_unit!r}", path)
        return read_exafs(path, **options)
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
    return spectrum.replace(x=as_float64(nx), y=as_float64(y), err=None if err is None else as_float64(err), meta=meta)


def spectrum_window(spectrum: MeasuredSpectrum, x_min: float, x_max: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x, y)`` of the points with x_min ≤ x ≤ x_max, each (K,)."""
    keep = (spectrum.x >= x_min) & (spectrum.x <= x_max)
    return spectrum.x[keep], spectrum.y[keep]


__all__ = ["QUANTITIES", "CANONICAL_UNITS", "MeasuredSpectrum", "normalize_quantity", "read_columns", "read_mint01",
           "read_xanes", "read_exafs", "read_spectrum", "mean_weight_squared", "convert", "to_grid", "spectrum_window"]
