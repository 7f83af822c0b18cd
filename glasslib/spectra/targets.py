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
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np
import torch

from glasslib.core.errors import InputError
from glasslib.core.structures import Structures, read_structures
from glasslib.spectra.kinds import KINDS, SpectrumKind, get_kind
from glasslib.spectra.measured import MeasuredSpectrum, read_spectrum, to_grid

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
        return Target(self.kind, tuple(s.x.tolist()), tuple(s.y.tolist()), self.sigma, self.cutoff, self.source)

    def observable(self, *, smearing: float | None = None, dtype=torch.float64, device=None):
        """``structures -> (S, K)`` of this target's kind on its grid (must be uniform for r and θ
        kinds: see :meth:`uniform`), with the kind's default smearing unless ``smearing``."""
        grid = torch.tensor(self.x, dtype=torch.float64).to(dtype=dtype, device=device)
        options = {"smearing": smearing}
        if self.spectrum_kind.needs_cutoff:
            options["cutoff"] = self.cutoff
        return self.spectrum_kind.observable(grid, **options)

    def values(self, *, dtype=torch.float64, device=None) -> torch.Tensor:
        """(K,) y as a tensor."""
        return torch.tensor(self.y, dtype=torch.float64).to(dtype=dtype, device=device)

    @classmethod
    def from_structures(cls, kind: str, structures: Structures, grid=None, *, smearing: float | None = None,
                        cutoff: float | None = None, sigma: float | None = None, source: str | None = None) -> "Target":
        """Mean spectrum of ``structures`` (computed in their dtype and device, without gradient)
        on ``grid`` (default: the kind's) as a target."""
        spec = get_kind(kind)
        if spec.needs_cutoff and cutoff is None:
            raise InputError("an ADF target needs a positive neighbour cutoff (Å)", source)
        x = spec.default_grid(dtype=structures.dtype, device=structures.device) if grid is None else \
            torch.as_tensor(grid).to(dtype=structures.dtype, device=structures.device)
        with torch.no_grad():
            y = spec.compute(structures, x, smearing=smearing, cutoff=cutoff).reshape(structures.n_systems, -1).mean(0)
        return cls(kind, tuple(x.double().cpu().tolist()), tuple(y.double().cpu().tolist()), sigma, cutoff, source)


def is_structure_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` is read as structures rather than as a spectrum."""
    p = Path(path)
    return p.suffix.lower() in STRUCTURE_SUFFIXES or p.name.upper().startswith(("POSCAR", "CONTCAR"))


def read_target(path: str | os.PathLike, kind: str, *, sigma: float | None = None, cutoff: float | None = None,
                x_unit: str | None = None, composition: Mapping[int | str, float] | None = None,
                grid=None, smearing: float | None = None, species_map=None,
                energy_map: tuple[float, float] | None = None) -> Target:
    """Read a target of ``kind`` from a spectrum file or from structures (module docstring).

    Args:
        path: the file.
        kind: a registered kind.
        sigma: uncertainty of the values (default: the kind's).
        cutoff: ADF neighbour cutoff, Å (required for ADF targets).
        x_unit: unit of the file's abscissa if not the package's (e.g. ``"1/nm"``, ``"nm"``, ``"rad"``).
        composition: {element: fraction}, needed to convert a ``.mint01`` file.
        grid, smearing: for structure files, the grid and smearing of the computed spectrum.
        species_map: LAMMPS atom type → element, for LAMMPS data files.
        energy_map: ``(E0, dE)`` in eV, mapping a XANES energy column onto the index grid,
            index = (E − E0)/dE (:func:`glasslib.spectra.measured.read_xanes`); xanes only.
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
                                      source=str(path))
    if path.suffix.lower() == ".mint01" and spec.radiation != "neutron":
        raise InputError(f"a Gudrun .mint01 file holds neutron data; use an sq-neutron or fq-neutron kind, not {kind}", path)
    quantity = spec.quantity if spec.radiation is None else f"{spec.quantity}-{spec.radiation}"
    if energy_map is not None and spec.x_name != "index":
        raise InputError(f"energy_map applies to xanes targets, not {kind}", path)
    extra = {"energy_map": energy_map} if spec.x_name == "index" else {}
    measured = read_spectrum(path, quantity, x_unit=x_unit, composition=composition, **extra)
    if measured.x.numel() == 0:
        raise InputError("empty target (no data points)", path)
    return Target(kind, tuple(measured.x.tolist()), tuple(measured.y.tolist()), sigma, cutoff, str(path))
