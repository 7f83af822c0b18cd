"""Readers for measured X-ray absorption spectra: XANES on the surrogate's index grid, EXAFS χ(k).

* :func:`read_xanes`: two columns, grid index (or energy in eV, mapped to the index with an
  explicit alignment) and intensity; the shipped XANES surrogate has no energy axis
  (docs/conventions.md, "XANES").
* :func:`read_exafs`: two columns, k (Å⁻¹) and k^w χ(k), returned as k²χ(k), the ``exafs``
  kind's values (docs/conventions.md, "EXAFS").

Both return a :class:`~glasslib.spectra.spectrum_files.MeasuredSpectrum` and raise one-line
:class:`~glasslib.core.errors.InputError` messages naming the file.
"""

from __future__ import annotations

import math
import os


from glasslib.core.errors import InputError
from glasslib.spectra.spectrum_files import MeasuredSpectrum, as_float64, check_file, parse_rows, sort_by_x

#: points of the XANES index grid (that of the shipped surrogate, docs/conventions.md "XANES")
XANES_INDEX_POINTS = 100
#: abscissa units of a XANES file that are energies, and their factor to eV
_ENERGY_UNITS = {"eV": 1.0, "ev": 1.0, "keV": 1000.0, "kev": 1000.0}
#: largest k (Å⁻¹) a χ(k) file may reach; a larger value means an energy column
K_MAX_PLAUSIBLE = 30.0


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
    path = check_file(path)
    table, comments, _, names = parse_rows(path)
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
    x, y, _ = sort_by_x(x, y, None, meta)
    return MeasuredSpectrum(x=as_float64(x), y=as_float64(y), err=None, quantity="xanes", x_unit="index",
                            source_path=str(path), meta=meta)


def read_exafs(path: str | os.PathLike, *, k_weight: int = 0, target_weight: int = 2) -> MeasuredSpectrum:
    """A measured (or computed) χ(k) file as k^``target_weight`` χ(k) (the ``exafs`` kind: k²χ).

    The file has two columns, k (Å⁻¹) and k^``k_weight`` χ(k) (``#`` comments and one row of
    column names allowed; a name such as ``k2chi`` declares the weight and must agree with
    ``k_weight`` when that is not 0, the default "as the column name says, else χ"). Rows with
    k = 0 are dropped (k^w χ carries no information there). Edge alignment (E0) is the file's:
    k = sqrt(2 m (E − E0))/ħ was fixed when χ(k) was extracted; docs/conventions.md, "EXAFS".

    Returns:
        :class:`MeasuredSpectrum` with ``quantity="exafs"``, ``x_unit="1/Å"``, sorted by k.
    """
    path = check_file(path)
    table, comments, _, names = parse_rows(path)
    if table.shape[1] != 2:
        raise InputError(f"a chi(k) file has two columns (k in 1/Å, k^w chi), found {table.shape[1]}", path)
    declared = None
    if names and len(names) == 2:
        low = names[1].lower()
        for w in (1, 2, 3):
            if low.startswith(f"k{w}") or low.startswith(f"k^{w}"):
                declared = w
    if declared is not None and k_weight not in (0, declared):
        raise InputError(f"column {names[1]!r} says k-weight {declared}, argument says {k_weight}", path)
    w = declared if declared is not None else int(k_weight)
    k, y = table[:, 0].copy(), table[:, 1].copy()
    if k.min() < 0 or k.max() > K_MAX_PLAUSIBLE:
        raise InputError(f"k runs {k.min():g}..{k.max():g}; expected 0..{K_MAX_PLAUSIBLE:g} 1/Å (an energy column?)", path)
    keep = k > 0
    meta = {"comments": comments, "column_names": names, "k_weight_in_file": w, "k_weight": int(target_weight)}
    k, y, _ = sort_by_x(k[keep], y[keep], None, meta)
    if k.size < 2:
        raise InputError("chi(k) file has fewer than two usable rows", path)
    y = y * k ** (int(target_weight) - w)
    return MeasuredSpectrum(x=as_float64(k), y=as_float64(y), err=None, quantity="exafs", x_unit="1/Å",
                            source_path=str(path), meta=meta)


__all__ = ["XANES_INDEX_POINTS", "read_xanes", "read_exafs"]
