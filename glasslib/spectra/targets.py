"""Targets: a spectrum to fit, and the one reader every command uses for target files.

A :class:`Target` is a spectrum of a registered kind (:mod:`glasslib.spectra.kinds`) on its own
grid: measured, digitized, written by ``glass spectra``, or computed from reference structures.
:func:`read_target` reads any of these:

* a text/CSV file of two columns (x, y), ``#`` comments and an optional row of column names
  (the files ``glass spectra`` writes are read back as they are);
* a Gudrun ``.mint01`` file (neutron i(Q)), converted to S(Q) or F(Q) with the composition;
* for ``xanes``, a two-column file of grid index (or energy with an alignment) and intensity
  (:func:`glasslib.spectra.measured.read_xanes`);
* a structure file (``.extxyz``, ``.xyz``, ``.cif``, ``.traj``, POSCAR, …): the target is the
  mean spectrum of its frames on the kind's default grid (or ``grid``) and smearing.

Reverse Monte Carlo (:mod:`glasslib.rmc`) and guided generation
(:func:`glasslib.diffusion.generate`) both take targets from here.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import torch

from glasslib.core.errors import InputError
from glasslib.core.structures import Structures, read_structures
from glasslib.spectra.form_factors import atomic_number, element_symbol, neutron_scattering_lengths
from glasslib.spectra.kinds import KINDS, SpectrumKind, get_kind
from glasslib.spectra.measured import MeasuredSpectrum, read_spectrum, to_grid
from glasslib.spectra.measurement import MeasurementModel, measured_observable
from glasslib.spectra.target_checks import check_target

#: file suffixes read as structures (their mean spectrum is the target)
STRUCTURE_SUFFIXES = (".extxyz", ".xyz", ".cif", ".vasp", ".poscar", ".traj")


@dataclass(frozen=True)
class Target:
    """One spectrum to fit.

    Attributes:
        kind: a registered kind (:data:`glasslib.spectra.kinds.KINDS`).
        x: (K,) grid, non-negative and sorted: r (Å), Q (Å⁻¹), θ (degrees) or a XANES grid index.
        y: (K,) values, in the unit of the kind.
        sigma: uncertainty σ of the values (unit of y) in a χ²; None: the kind's default.
        cutoff: neighbour cutoff of an ADF target, Å (ADF only).
        source: where it came from (a path, or a description).
        measurement: what the measurement did to the curve (Q_max termination, Lorch, damping,
            B_iso, broadening, smearing), applied to the simulated spectrum before it is
            compared (:mod:`glasslib.spectra.measurement`); None: the kind's plain observable.
        isotopes: neutron kinds: ``((element, isotope or b in fm), ...)`` where the sample's
            isotopes differ from natural abundance, e.g. ``(("H", "D"),)`` for heavy water; a
            mapping is accepted. The simulated curve and a ``.mint01`` conversion both use them.
    """

    kind: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    sigma: float | None = None
    cutoff: float | None = None
    source: str | None = None
    measurement: MeasurementModel | None = None
    isotopes: tuple[tuple[str, str | float], ...] | None = None

    def __post_init__(self):
        where = self.source
        if isinstance(self.measurement, dict):  # read back from a record (an RMC checkpoint)
            object.__setattr__(self, "measurement", MeasurementModel(**self.measurement))
        if self.measurement is not None:
            if not isinstance(self.measurement, MeasurementModel):
                raise InputError(f"target measurement must be a MeasurementModel, got {type(self.measurement).__name__}", where)
            if not self.measurement.given():
                object.__setattr__(self, "measurement", None)
        if self.kind not in KINDS:
            raise InputError(f"unknown target kind {self.kind!r}; expected one of {', '.join(KINDS)}", where)
        object.__setattr__(self, "isotopes", _isotope_pairs(self.isotopes, self.spectrum_kind, where))
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
            object.__setattr__(self, "sigma", self.spectrum_kind.uncertainty)
        if not (isinstance(self.sigma, (int, float)) and math.isfinite(self.sigma) and self.sigma > 0):
            raise InputError(f"target sigma must be a positive number, got {self.sigma}", where)
        if self.spectrum_kind.needs_cutoff:
            if self.cutoff is None or not (math.isfinite(self.cutoff) and self.cutoff > 0):
                raise InputError("an ADF target needs a positive neighbour cutoff (Å)", where)
            if x[-1] > 180.0 + 1e-9:
                raise InputError(f"ADF target angles must lie within [0, 180] degrees, end at {x[-1]}", where)
        if self.spectrum_kind.x_name == "index" and x[-1] > self.spectrum_kind.grid.stop + 1e-9:
            raise InputError(f"xanes target grid index must lie within [0, {self.spectrum_kind.grid.stop:g}], "
                             f"ends at {x[-1]:g}", where)
        if self.measurement is not None and self.kind in KINDS:
            self.measurement.check_kind(self.spectrum_kind, where)
        object.__setattr__(self, "x", tuple(float(v) for v in x))
        object.__setattr__(self, "y", tuple(float(v) for v in y))

    @property
    def spectrum_kind(self) -> SpectrumKind:
        return KINDS[self.kind]

    @property
    def quantity(self) -> str:
        return self.spectrum_kind.quantity

    @property
    def radiation(self) -> str | None:
        return self.spectrum_kind.radiation

    def spectrum(self) -> MeasuredSpectrum:
        """The target as a :class:`MeasuredSpectrum` (float64)."""
        return MeasuredSpectrum(torch.tensor(self.x, dtype=torch.float64), torch.tensor(self.y, dtype=torch.float64),
                                None, self.quantity, self.spectrum_kind.x_unit, self.source)

    def is_uniform(self) -> bool:
        x = np.asarray(self.x)
        return bool(np.allclose(np.diff(x), x[1] - x[0], rtol=1e-6, atol=1e-9))

    def uniform(self) -> "Target":
        """This target on a uniform grid with as many points over the same range (digitized curves
        are unevenly spaced; g(r) and ADF observables need a uniform grid). Itself if already uniform."""
        if self.is_uniform():
            return self
        x = np.asarray(self.x)
        s = to_grid(self.spectrum(), np.linspace(x.min(), x.max(), x.size))
        return replace(self, x=tuple(s.x.tolist()), y=tuple(s.y.tolist()))

    def observable(self, *, smearing: float | None = None, dtype=torch.float64, device=None):
        """``structures -> (S, K)`` of this target's kind on its grid (must be uniform for r and θ
        kinds: see :meth:`uniform`) as the target's measurement records it (:attr:`measurement`),
        with the kind's default smearing unless ``smearing`` or the measurement's."""
        grid = torch.tensor(self.x, dtype=torch.float64).to(dtype=dtype, device=device)
        cutoff = self.cutoff if self.spectrum_kind.needs_cutoff else None
        if self.measurement is not None:
            model = self.measurement if smearing is None else replace(self.measurement, smearing=smearing)
            return measured_observable(self.spectrum_kind, grid, model, cutoff=cutoff, isotopes=self.isotope_map)
        options = {"smearing": smearing}
        if cutoff is not None:
            options["cutoff"] = cutoff
        if self.isotopes:
            options["isotopes"] = self.isotope_map
        return self.spectrum_kind.observable(grid, **options)

    @property
    def isotope_map(self) -> dict | None:
        """:attr:`isotopes` as ``{element: isotope or b}`` (None when natural)."""
        return dict(self.isotopes) if self.isotopes else None

    def values(self, *, dtype=torch.float64, device=None) -> torch.Tensor:
        """(K,) y as a tensor."""
        return torch.tensor(self.y, dtype=torch.float64).to(dtype=dtype, device=device)

    @classmethod
    def from_structures(cls, kind: str, structures: Structures, grid=None, *, smearing: float | None = None,
                        cutoff: float | None = None, sigma: float | None = None, source: str | None = None,
                        measurement: MeasurementModel | None = None, isotopes=None) -> "Target":
        """Mean spectrum of ``structures`` (computed in their dtype and device, without gradient)
        on ``grid`` (default: the kind's) as a target; with ``measurement``, as that measurement
        would record it (and the target carries the model); ``isotopes`` as :attr:`isotopes`."""
        spec = get_kind(kind)
        pairs = _isotope_pairs(isotopes, spec, source)
        if spec.needs_cutoff and cutoff is None:
            raise InputError("an ADF target needs a positive neighbour cutoff (Å)", source)
        x = spec.default_grid(dtype=structures.dtype, device=structures.device) if grid is None else \
            torch.as_tensor(grid).to(dtype=structures.dtype, device=structures.device)
        with torch.no_grad():
            if measurement is None or not measurement.given():
                y = spec.compute(structures, x, smearing=smearing, cutoff=cutoff, isotopes=dict(pairs or ()))
            else:
                model = measurement if smearing is None else replace(measurement, smearing=smearing)
                y = measured_observable(spec, x, model, cutoff=cutoff, isotopes=dict(pairs or ()))(structures)
            y = y.reshape(structures.n_systems, -1).mean(0)
        return cls(kind, tuple(x.double().cpu().tolist()), tuple(y.double().cpu().tolist()), sigma, cutoff, source,
                   measurement, pairs)


def is_structure_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` is read as structures rather than as a spectrum."""
    p = Path(path)
    return p.suffix.lower() in STRUCTURE_SUFFIXES or p.name.upper().startswith(("POSCAR", "CONTCAR"))


def read_target(path: str | os.PathLike, kind: str, *, sigma: float | None = None, cutoff: float | None = None,
                x_unit: str | None = None, composition: Mapping[int | str, float] | None = None,
                grid=None, smearing: float | None = None, species_map=None,
                energy_map: tuple[float, float] | None = None, columns: tuple[int, int] | None = None,
                skip_rows: int = 0, wavelength: float | None = None, k_weight: int = 0,
                measurement: MeasurementModel | None = None, skip_checks: Iterable[str] = (),
                isotopes: Mapping[str, str | float] | None = None) -> Target:
    """Read a target of ``kind`` from a spectrum file or from structures (module docstring).

    Args:
        path: the file.
        kind: a registered kind.
        sigma: uncertainty of the values (default: the kind's).
        cutoff: ADF neighbour cutoff, Å (required for ADF targets).
        x_unit: unit of the file's abscissa if not the package's (``"1/nm"``, ``"nm"``, ``"rad"``,
            or ``"2theta"`` in degrees with ``wavelength``).
        composition: {element: fraction} of the sample: converts a ``.mint01`` file, and sets
            where the sanity checks expect the peaks (:mod:`glasslib.spectra.target_checks`).
        grid, smearing: for structure files, the grid and smearing of the computed spectrum.
        species_map: LAMMPS atom type → element, for LAMMPS data files.
        energy_map: ``(E0, dE)`` in eV, mapping a XANES energy column onto the index grid,
            index = (E − E0)/dE (:func:`glasslib.spectra.xas_files.read_xanes`); xanes only.
        columns: (x column, y column) of a text file, zero-based (default (0, 1)); (1, 0) for
            files with y first.
        skip_rows: leading lines of a text file to ignore.
        wavelength: λ in Å, with ``x_unit="2theta"``.
        k_weight: weight w of the k^w χ(k) column of an exafs file (0: as its column name says).
        measurement: the measurement model of the target (:class:`Target`).
        skip_checks: sanity checks to leave out (:data:`glasslib.spectra.target_checks.CHECKS`;
            ``"all"`` for none). Spectrum files are checked; structure files are not.
        isotopes: neutron kinds: {element: isotope name or b in fm} of the sample (:attr:`Target.isotopes`);
            also used to convert a ``.mint01`` file.
    """
    spec = get_kind(kind)
    path = Path(path)
    if not path.is_file():
        raise InputError("target file not found" if not path.exists() else "target is not a file", path)
    if spec.needs_cutoff and cutoff is None:
        raise InputError("an ADF target needs a positive neighbour cutoff (Å)", path)
    if is_structure_file(path):
        structures = read_structures(path, species_map=species_map)
        return Target.from_structures(kind, structures, grid, smearing=smearing, cutoff=cutoff, sigma=sigma,
                                      source=str(path), measurement=measurement, isotopes=isotopes)
    if path.suffix.lower() == ".mint01" and spec.radiation != "neutron":
        raise InputError(f"a Gudrun .mint01 file holds neutron data; use an sq-neutron or fq-neutron kind, not {kind}", path)
    quantity = spec.quantity if spec.radiation is None else f"{spec.quantity}-{spec.radiation}"
    if energy_map is not None and spec.x_name != "index":
        raise InputError(f"energy_map applies to xanes targets, not {kind}", path)
    if k_weight and spec.x_name != "k":
        raise InputError(f"a k-weight applies to exafs targets, not {kind}", path)
    if spec.x_name == "index":
        extra = {"energy_map": energy_map}
    elif spec.x_name == "k":
        extra = {"k_weight": k_weight}
    elif path.suffix.lower() == ".mint01":
        extra = {}
    else:
        extra = {"skip_rows": skip_rows, "wavelength": wavelength}
        if columns is not None:
            extra["columns"] = tuple(columns)
    if (columns is not None or skip_rows) and "skip_rows" not in extra:
        raise InputError(f"column and row selection apply to plain text targets, not to a {kind} file like this one", path)
    pairs = _isotope_pairs(isotopes, spec, path)
    if pairs and path.suffix.lower() == ".mint01":
        extra["isotopes"] = dict(pairs)
    measured = read_spectrum(path, quantity, x_unit=x_unit, composition=composition, **extra)
    if measured.x.numel() == 0:
        raise InputError("empty target (no data points)", path)
    target = Target(kind, tuple(measured.x.tolist()), tuple(measured.y.tolist()), sigma, cutoff, str(path), measurement,
                    pairs)
    skip = set(skip_checks)
    if "all" not in skip:
        check_target(target, composition, skip=skip)
    return target


def _isotope_pairs(isotopes, kind: SpectrumKind, where) -> tuple[tuple[str, str | float], ...] | None:
    """``isotopes`` (a mapping, or pairs as a record holds them) as sorted ``(symbol, value)`` pairs,
    each checked by the scattering-length table; None for none. One-line error for a kind that is
    not neutron scattering or an unknown isotope."""
    if not isotopes:
        return None
    items = isotopes.items() if isinstance(isotopes, Mapping) else isotopes
    if kind.radiation != "neutron":
        raise InputError(f"isotopes apply to neutron targets, not {kind.name}", where)
    pairs = []
    for element, value in items:
        try:
            symbol = element_symbol(atomic_number(element))
            neutron_scattering_lengths([symbol], isotopes={symbol: value})
        except InputError as err:
            raise InputError(str(err), where) from None
        if any(symbol == s for s, _ in pairs):
            raise InputError(f"isotopes given twice for {symbol}", where)
        pairs.append((symbol, value if isinstance(value, str) else float(value)))
    return tuple(sorted(pairs, key=lambda p: p[0]))
