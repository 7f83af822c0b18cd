"""Repeatable target groups on the command line, shared by ``glass rmc`` and ``glass sample``.

``--target FILE`` opens a group; the group's other options (``--kind``, ``--weight``,
``--sigma``, ...) fill the latest group. The groups land in ``args.targets`` as dicts
``{"target": FILE, <option>: value, ...}`` with the parser's per-group defaults filled in.
An option before any ``--target`` or given twice in one group raises
:class:`~glasslib.core.errors.InputError` (one line, exit status 2 from ``glass``).

:func:`add_file_options` adds the options every command that takes a target shares: how to
read the file (units of the x column, columns, rows to skip, 2θ wavelength, EXAFS k-weight,
XANES energy alignment), the measurement model applied to the simulated curve
(:class:`~glasslib.spectra.measurement.MeasurementModel`: smearing, Q_max termination with or
without Lorch, Q damping, B_iso, Q broadening), the sample's isotopes for neutron kinds and the
sanity checks to skip (:mod:`glasslib.spectra.target_checks`). :func:`read_group` reads one
group with them.
"""

from __future__ import annotations

import argparse

from glasslib.core.errors import InputError
from glasslib.spectra.measurement import MeasurementModel
from glasslib.spectra.target_checks import CHECKS
from glasslib.spectra.targets import Target, read_target


class TargetGroupAction(argparse.Action):
    """argparse action for the options of a target group (see the module docstring).

    ``group_defaults`` (a dict) gives the values a new group starts with, e.g. ``{"weight": 1.0}``.
    """

    def __init__(self, option_strings, dest, group_defaults=None, flag=False, **kwargs):
        self.group_defaults = dict(group_defaults or {})
        if flag:
            kwargs["nargs"] = 0
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        if self.nargs == 0:
            values = True
        groups = list(getattr(namespace, "targets", None) or [])
        if self.dest == "target":
            groups.append({**self.group_defaults, "target": values, "_given": set()})
        else:
            if not groups:
                raise InputError(f"{option_string} {values} comes before any --target; "
                                 f"write --target FILE {option_string} {values}")
            if self.dest in groups[-1]["_given"]:
                raise InputError(f"{option_string} given twice for target {groups[-1]['target']}")
            groups[-1][self.dest] = values
            groups[-1]["_given"].add(self.dest)
        namespace.targets = groups


def target_groups(args) -> list[dict]:
    """The parsed groups without bookkeeping keys."""
    return [{k: v for k, v in g.items() if k != "_given"} for g in (getattr(args, "targets", None) or [])]


#: x-unit spellings offered on the command line (glasslib.spectra.spectrum_files accepts more)
X_UNITS = ("1/A", "1/nm", "2theta", "A", "nm", "deg", "rad", "eV", "index")


def add_file_options(group) -> None:
    """Per-target options for reading the file, its measurement model and its checks (module docstring)."""
    a = TargetGroupAction
    group.add_argument("--x-unit", action=a, choices=X_UNITS, metavar="UNIT",
                       help="unit of the file's x column: 1/A (default for Q), 1/nm, 2theta (degrees, needs "
                            "--wavelength), A (default for r), nm, deg, rad, eV (xanes, needs --energy-map)")
    group.add_argument("--columns", action=a, metavar="X,Y", help="zero-based x and y columns (default 0,1)")
    group.add_argument("--skip-rows", action=a, type=int, metavar="N", help="leading lines to ignore (default 0)")
    group.add_argument("--wavelength", action=a, type=float, metavar="ANGSTROM", help="wavelength for --x-unit 2theta, Å")
    group.add_argument("--k-weight", action=a, type=int, metavar="W",
                       help="exafs: the file holds k^W chi(k) (default: as its column name says, else chi)")
    group.add_argument("--energy-map", action=a, metavar="E0,DE",
                       help="xanes: index = (E - E0)/DE for an energy column in eV")
    group.add_argument("--smearing", action=a, type=float, metavar="WIDTH",
                       help="Gaussian smearing of the simulated curve, Å for r, degrees for adf "
                            "(default: the kind's, glasslib.spectra.kinds)")
    group.add_argument("--qmax", action=a, type=float, metavar="INV_A",
                       help="r kinds: the measured curve is a Fourier transform up to this Q, Å-1 (termination "
                            "applied to the simulated one; default: none)")
    group.add_argument("--lorch", action=a, flag=True, help="r kinds, with --qmax: the transform used the Lorch function")
    group.add_argument("--qdamp", action=a, type=float, metavar="INV_A",
                       help="r kinds: instrument damping exp(-(r qdamp)^2/2), Å-1 (default 0)")
    group.add_argument("--biso", action=a, type=float, metavar="A2",
                       help="Q kinds: Debye-Waller damping of S(Q)-1 by exp(-B Q^2/8pi^2), Å2 (default 0)")
    group.add_argument("--qbroad", action=a, type=float, metavar="INV_A",
                       help="Q kinds: Gaussian Q resolution of S(Q)-1, Å-1 (default 0)")
    group.add_argument("--isotopes", action=a, metavar="EL=ISO[,EL=ISO]",
                       help="neutron kinds: isotopes of the sample, an isotope name or b in fm per element, e.g. "
                            "H=D for heavy water (converts a .mint01 file and the simulated curve; default: natural)")
    group.add_argument("--skip-check", action=a, metavar="NAME[,NAME]",
                       help=f"sanity checks to skip: {', '.join(CHECKS)} or all (default: run them all)")


def _pair(text: str, option: str, cast, path) -> tuple:
    parts = [p.strip() for p in str(text).split(",")]
    try:
        if len(parts) != 2:
            raise ValueError
        return tuple(cast(p) for p in parts)
    except ValueError:
        raise InputError(f"{option} expects two comma-separated numbers, got {text!r}", path) from None


def isotopes_of(group: dict) -> dict | None:
    """``{element: isotope name or b in fm}`` of a group's ``--isotopes EL=ISO,...`` (None if not given)."""
    text = group.get("isotopes")
    if not text:
        return None
    out = {}
    for item in str(text).split(","):
        element, sep, value = item.strip().partition("=")
        if not (sep and element.strip() and value.strip()):
            raise InputError(f"--isotopes expects ELEMENT=ISOTOPE items such as H=D or Si=-2.0, got {item.strip()!r}",
                             group["target"])
        try:
            out[element.strip()] = float(value)
        except ValueError:
            out[element.strip()] = value.strip()
    return out


def measurement_of(group: dict) -> MeasurementModel | None:
    """The :class:`MeasurementModel` of a parsed group (None when it states none)."""
    fields = {k: group[k] for k in ("smearing", "qmax", "qdamp", "biso", "qbroad") if group.get(k) is not None}
    if group.get("lorch"):
        fields["lorch"] = True
    try:
        return MeasurementModel(**fields) if fields else None
    except InputError as exc:
        raise InputError(str(exc), group["target"]) from None


def read_group(group: dict, kind: str, *, composition=None, cutoff=None, sigma=None) -> Target:
    """Read the target of one parsed group with its file options, measurement model and checks."""
    path = group["target"]
    skip = [s.strip() for s in str(group.get("skip_check") or "").split(",") if s.strip()]
    unknown = [s for s in skip if s not in CHECKS and s != "all"]
    if unknown:
        raise InputError(f"--skip-check: unknown check {unknown[0]!r}; the checks are {', '.join(CHECKS)}, all", path)
    columns = _pair(group["columns"], "--columns", int, path) if group.get("columns") else None
    energy_map = _pair(group["energy_map"], "--energy-map", float, path) if group.get("energy_map") else None
    x_unit = {"1/A": "1/Å", "A": "Å"}.get(group.get("x_unit"), group.get("x_unit"))
    return read_target(path, kind, sigma=sigma, cutoff=cutoff, x_unit=x_unit, composition=composition,
                       columns=columns, skip_rows=group.get("skip_rows") or 0, wavelength=group.get("wavelength"),
                       k_weight=group.get("k_weight") or 0, energy_map=energy_map, measurement=measurement_of(group),
                       skip_checks=skip, isotopes=isotopes_of(group))
