"""The one registry of spectrum kinds: what each kind is, its grid, smearing and file columns.

A *kind* names a spectrum the command line and the recipes know (``glass spectra --kind``,
``glass sample --target FILE --kind``, ``glass rmc --target FILE --kind``, guidance terms of
:func:`glasslib.diffusion.generate`). Every default lives here, once:

=============  ====================================  ================  ==========  ============
kind           observable                            default grid      smearing    file columns
=============  ====================================  ================  ==========  ============
``gr``         total g(r)                            r 0.05–10 Å, 0.05  σ 0.05 Å   r_A, g
``Gr``         G(r) = 4πρ₀r[g(r) − 1], Å⁻²           r 0.05–10 Å, 0.05  σ 0.05 Å   r_A, G_per_A2
``adf``        bond-angle distribution, 1/degree     θ 0–180°, 1°       σ 2°       theta_deg, adf_per_deg
``sq-xray``    Faber–Ziman S(Q), X-ray f₀(Q/4π)      Q 0.5–20 Å⁻¹, 0.05  none      Q_per_A, S
``sq-neutron`` Faber–Ziman S(Q), neutron b_c         Q 0.5–20 Å⁻¹, 0.05  none      Q_per_A, S
``fq-xray``    F(Q) = Q[S(Q) − 1], Å⁻¹               as sq              none      Q_per_A, F_per_A
``fq-neutron`` F(Q) = Q[S(Q) − 1], Å⁻¹               as sq              none      Q_per_A, F_per_A
``xanes``      C K-edge XANES (learned surrogate)    index 0–99, 1      none      index, mu
``exafs``      Cu K-edge EXAFS k²χ(k), Å⁻² (surr.)  k 2–12 Å⁻¹, 0.05  none      k_per_A, k2chi_per_A2
=============  ====================================  ================  ==========  ============

S(Q) is the periodic Debye sum of :func:`glasslib.spectra.scattering.structure_factor` over all
pairs and images within :data:`SQ_CUTOFF` Å with the Lorch window (docs/conventions.md). An ADF
needs the neighbour cutoff of the system (no default: it is a property of the material); its
neighbours are counted with a smooth cutoff 0.3 Å wide.

``xanes`` is the mean over a structure's carbon atoms of the per-atom C K-edge XANES that the
shipped surrogate predicts (:mod:`glasslib.spectra.xanes_surrogate`, loaded at first use from
``data/models/xanes_ac_surrogate/checkpoint.pt``). Its grid is an *index* 0..99 (unit
``"index"``): the computed spectra it was trained on give no energy axis (docs/conventions.md,
"XANES"). Its smearing, if given, is a Gaussian broadening in index units; cutoffs and windows
do not apply to it.

``exafs`` is k²χ(k) of the Cu K edge, the mean over a structure's Cu atoms of the per-absorber
χ(k) that the shipped surrogate predicts (:mod:`glasslib.spectra.exafs_surrogate`, trained on FEFF
6L single-scattering spectra of Cu–Zr glasses, ``data/models/exafs_cuzr_surrogate``); k in Å⁻¹
from FEFF's edge energy (docs/conventions.md, "EXAFS"). Smearing, cutoffs and windows do not
apply to it.

``uncertainty`` is the default σ of a target of this kind in a χ² (reverse Monte Carlo, eq. 1
of :mod:`glasslib.rmc.engine`), in the unit of y.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

import torch

from glasslib.core.errors import InputError
from glasslib.core.structures import Structures
from glasslib.spectra.angles import bond_angle_distribution
from glasslib.spectra.rdf import pair_distribution, reduced_pdf
from glasslib.spectra.scattering import structure_factor
from glasslib.spectra.exafs_surrogate import exafs_spectrum
from glasslib.spectra.xanes_surrogate import xanes_spectrum

Observable = Callable[[Structures], torch.Tensor]

#: real-space cutoff of the Debye sum for S(Q)/F(Q) kinds, Å (pairs and periodic images)
SQ_CUTOFF = 10.0


@dataclass(frozen=True)
class Grid:
    """A uniform grid ``start, start + step, …`` up to ``stop`` (inclusive within 1e-9 steps)."""

    start: float
    stop: float
    step: float

    def __post_init__(self):
        if not all(math.isfinite(v) for v in (self.start, self.stop, self.step)) or self.step <= 0 or self.stop <= self.start:
            raise InputError(f"bad grid: need start < stop and a positive step, got {self.start}, {self.stop}, {self.step}")

    def values(self, *, dtype=torch.float64, device=None) -> torch.Tensor:
        """(K,) grid points."""
        n = int(math.floor((self.stop - self.start) / self.step + 1e-9)) + 1
        return self.start + self.step * torch.arange(n, dtype=torch.float64).to(dtype=dtype, device=device)


@dataclass(frozen=True)
class SpectrumKind:
    """One kind of spectrum (see the module table).

    Attributes:
        name: the kind's name on the command line.
        label: how figures and messages name it.
        quantity: the :data:`glasslib.spectra.measured.QUANTITIES` entry a file of this kind holds.
        radiation: ``"xray"``, ``"neutron"`` or None.
        x_name, x_unit: abscissa and its unit (``"r"``/``"Å"``, ``"Q"``/``"1/Å"``, ``"theta"``/``"deg"``,
            ``"index"``/``"index"`` for XANES: a grid index, no energy axis; ``"k"``/``"1/Å"`` for EXAFS).
        columns: the header row ``glass spectra`` writes (abscissa, values).
        grid: default grid.
        smearing: default Gaussian smearing (Å for r, degrees for θ), None where there is none.
        uncertainty: default σ of a target of this kind, unit of y.
        needs_cutoff: an ADF needs the neighbour cutoff.
        cutoff_width: width (Å) of the smooth neighbour cutoff of an ADF, so that the spectrum
            stays differentiable when a neighbour crosses the cutoff.
    """

    name: str
    label: str
    quantity: str
    radiation: str | None
    x_name: str
    x_unit: str
    columns: tuple[str, str]
    grid: Grid
    smearing: float | None
    uncertainty: float
    needs_cutoff: bool = False
    cutoff_width: float = 0.0

    def default_grid(self, *, dtype=torch.float64, device=None) -> torch.Tensor:
        return self.grid.values(dtype=dtype, device=device)

    def compute(self, structures: Structures, grid=None, *, smearing: float | None = None,
                cutoff: float | None = None, window: str | None = "lorch",
                isotopes: Mapping[int | str, str | float] | None = None) -> torch.Tensor:
        """(S, K) spectrum of every structure on ``grid`` (default: :attr:`grid`), differentiable
        w.r.t. positions where the smearing is positive (g(r), G(r), ADF) and always for S(Q),
        XANES and EXAFS.

        Args:
            smearing: Å (r) or degrees (θ); default :attr:`smearing`. 0: plain histogram.
                XANES: Gaussian broadening in index units (None or 0: none).
            cutoff: ADF neighbour cutoff, Å (required for ``adf``); S(Q): Debye-sum cutoff, Å
                (default :data:`SQ_CUTOFF`). Not used by XANES and EXAFS.
            window: S(Q) real-space window, ``"lorch"`` or None. Not used by XANES and EXAFS.
            isotopes: neutron kinds: scattering length per element, an isotope name or fm
                (``{"H": "D"}`` for heavy water; :func:`glasslib.spectra.form_factors.neutron_scattering_lengths`).
        """
        dt, dev = structures.dtype, structures.device
        x = self.default_grid(dtype=dt, device=dev) if grid is None else torch.as_tensor(grid, dtype=dt, device=dev)
        width = self.smearing if smearing is None else float(smearing)
        if isotopes and self.radiation != "neutron":
            raise InputError(f"isotopes apply to neutron kinds, not {self.name}")
        if self.x_name == "index":
            return xanes_spectrum(structures, x, smearing=width)
        if self.x_name == "k":
            if width:
                raise InputError("an exafs spectrum takes no smearing (its disorder is the structures' own)")
            return exafs_spectrum(structures, x)
        if self.x_name == "r":
            pd = pair_distribution(structures, x, sigma=width)
            return pd.g if self.quantity == "gr" else reduced_pdf(pd)
        if self.x_name == "theta":
            if cutoff is None:
                raise InputError(f"a {self.name} spectrum needs the neighbour cutoff (Å)")
            return bond_angle_distribution(structures, x, cutoff=cutoff, sigma=width, smooth_width=self.cutoff_width)
        sf = structure_factor(structures, x, radiation=self.radiation, cutoff=SQ_CUTOFF if cutoff is None else cutoff,
                              window=window, isotopes=isotopes or None)
        return sf.s if self.quantity == "sq" else sf.f

    def observable(self, grid, **options) -> Observable:
        """``structures -> (S, K)`` on ``grid`` with fixed ``options`` (those of :meth:`compute`);
        the form guidance and RMC take."""
        if self.needs_cutoff and options.get("cutoff") is None:
            raise InputError(f"a {self.name} target needs the neighbour cutoff (Å)")
        return lambda structures: self.compute(structures, grid, **options)


_R = Grid(0.05, 10.0, 0.05)
_Q = Grid(0.5, 20.0, 0.05)
_THETA = Grid(0.0, 180.0, 1.0)
_INDEX = Grid(0.0, 99.0, 1.0)
_K = Grid(2.0, 12.0, 0.05)

#: every kind, by name, in the order the command line lists them
KINDS: dict[str, SpectrumKind] = {k.name: k for k in (
    SpectrumKind("gr", "g(r)", "gr", None, "r", "Å", ("r_A", "g"), _R, 0.05, 0.05),
    SpectrumKind("Gr", "G(r)", "Gr", None, "r", "Å", ("r_A", "G_per_A2"), _R, 0.05, 0.05),
    SpectrumKind("adf", "bond-angle distribution", "adf", None, "theta", "deg", ("theta_deg", "adf_per_deg"),
                 _THETA, 2.0, 0.001, needs_cutoff=True, cutoff_width=0.3),
    SpectrumKind("sq-xray", "X-ray S(Q)", "sq", "xray", "Q", "1/Å", ("Q_per_A", "S"), _Q, None, 0.05),
    SpectrumKind("sq-neutron", "neutron S(Q)", "sq", "neutron", "Q", "1/Å", ("Q_per_A", "S"), _Q, None, 0.05),
    SpectrumKind("fq-xray", "X-ray F(Q)", "fq", "xray", "Q", "1/Å", ("Q_per_A", "F_per_A"), _Q, None, 0.1),
    SpectrumKind("fq-neutron", "neutron F(Q)", "fq", "neutron", "Q", "1/Å", ("Q_per_A", "F_per_A"), _Q, None, 0.1),
    SpectrumKind("xanes", "C K-edge XANES", "xanes", None, "index", "index", ("index", "mu"), _INDEX, None, 0.01),
    SpectrumKind("exafs", "Cu K-edge EXAFS k²χ(k)", "exafs", None, "k", "1/Å", ("k_per_A", "k2chi_per_A2"), _K, None, 0.05),
)}


def get_kind(name: str) -> SpectrumKind:
    """The registered kind ``name``; a one-line error listing the kinds otherwise."""
    try:
        return KINDS[name]
    except (KeyError, TypeError):
        raise InputError(f"unknown spectrum kind {name!r}; expected one of {', '.join(KINDS)}") from None
