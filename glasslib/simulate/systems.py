"""The model systems: one entry each, naming its species, masses, interaction, defaults and engine.

A :class:`~glasslib.simulate.engine.System` declares the
:class:`~glasslib.simulate.engine.Engine` that makes its structures (LAMMPS for the empirical
potentials and rigid water, ASE with CHGNet where no LAMMPS potential exists, builders for ice
Ih and paracrystalline a-Si) and the defaults a structure is built with (size, density,
composition, :class:`~glasslib.simulate.protocols.Protocol`). A new system is one entry here
(plus its declared sets in ``data/specs/datasets.yaml``); :func:`get_system` finds it by name or
alias.
"""

from __future__ import annotations

from dataclasses import replace

from ase.data import atomic_numbers

from glasslib.core.errors import InputError
from glasslib.core.units import atomic_masses
from glasslib.simulate.ase_md import AseChgnet
from glasslib.simulate.engine import System
from glasslib.simulate.ice import IceBuilder
from glasslib.simulate.interactions import TIP4P_2005, Potential
from glasslib.simulate.lammps import LammpsAtomic, LammpsRigidWater
from glasslib.simulate.paracrystalline import ParacrystallineBuilder
from glasslib.simulate.protocols import Protocol, Stage

SI_SW = System(
    name="a-Si-SW",
    species=("Si",),
    masses=(28.0855,),
    potential=Potential("sw", "lammps/Si.sw", ("Si",), "Stillinger & Weber, Phys. Rev. B 31, 5262 (1985)"),
    engine=LammpsAtomic(),
    n_atoms=216,
    density=2.28,
    # SW Si melts near 1690 K; 3000 K liquid, 10 K/ps (1e13 K/s) to 300 K
    protocol=Protocol(melt_temperature=3000.0, melt_time=10.0, quench_rate=10.0, final_temperature=300.0,
                      anneal_time=10.0, timestep=1.0, thermostat_damping=0.1),
    min_distance=2.0,
    density_range=(2.0, 2.6),
    # "diamond": thermalised crystals (a melt temperature below SW's melting point keeps them crystalline)
    starts=("random", "lattice", "diamond"),
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
    engine=LammpsAtomic(),
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
    engine=LammpsAtomic(),
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
    engine=LammpsAtomic(),
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
    engine=LammpsAtomic(),
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
    engine=LammpsRigidWater(TIP4P_2005),
    composition=(1 / 3, 2 / 3),
    formula_unit=(1, 2),
    min_distance=2.5,
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

#: shear cycles of the mechanical (ball-milling) route to MDA: strain per cycle and its duration (ps)
MDA_SHEAR_CYCLES, MDA_SHEAR_STRAIN, MDA_SHEAR_TIME, MDA_RELAX_TIME = 12, 0.4, 2.0, 1.0

MDA_TIP4P2005 = replace(
    HDA_TIP4P2005,
    name="MDA-TIP4P2005",
    n_atoms=288,  # 96 molecules = 3x2x2 orthorhombic ice Ih cells
    # ball milling of ice Ih mimicked by repeated random shear at 80 K and 1 bar (Rosu-Finsen et al.,
    # Science 379, 474 (2023), "medium-density amorphous ice"): each cycle shears one random tilt
    # factor (xy, xz or yz, either sign) by MDA_SHEAR_STRAIN, then relaxes at 1 bar; a synthetic
    # stand-in for the measured MDA, not a measurement. HDA's start (ice Ih at 80 K, NPT) without its compression.
    protocol=HDA_TIP4P2005.protocol.replace(melt_time=2.0, extra_stages=tuple(
        stage for k in range(MDA_SHEAR_CYCLES)
        for stage in (Stage(f"shear{k}", MDA_SHEAR_TIME, 80.0, 80.0, "npt", 1e-4, 1e-4, MDA_SHEAR_STRAIN),
                      Stage(f"relax{k}", MDA_RELAX_TIME, 80.0, 80.0, "npt", 1e-4, 1e-4)))),
    description="medium-density amorphous ice (synthetic): ice Ih under repeated random shear at 80 K and 1 bar",
)

ICE_IH = System(
    name="ice-Ih",
    species=("O", "H"),
    masses=(15.9994, 1.008),
    potential=Potential("none", None, ("O", "H"), "ice rules: Bernal & Fowler, J. Chem. Phys. 1, 515 (1933)"),
    engine=IceBuilder(),
    n_atoms=768,
    density=0.92,
    protocol=Protocol(melt_temperature=1.0, final_temperature=1.0, melt_time=0.0, anneal_time=0.0, minimize=False),
    composition=(1 / 3, 2 / 3),
    formula_unit=(1, 2),
    starts=("random", "ice"),  # no MD: the start is not used
    description="proton-disordered ice Ih (builder, no MD; TIP4P/2005 geometry, zero net dipole)",
)

SI_PARACRYSTALLINE = replace(
    SI_SW,
    name="a-Si-paracrystalline",
    n_atoms=1000,
    engine=ParacrystallineBuilder(matrix=SI_SW),
    starts=("random",),
    # two 7.5 A grains (~87 atoms each) in 1000 atoms: ~15-20 % crystalline after relaxation
    options=(("grain_radius", 7.5), ("n_grains", 2.0), ("relax_temperature", 300.0), ("relax_time", 10.0)),
    description="paracrystalline a-Si: diamond grains in a SW a-Si matrix, relaxed at 300 K and minimised",
)

_CHGNET_CITATION = "CHGNet 0.3.0 universal potential: Deng et al., Nat. Mach. Intell. 5, 1031 (2023)"

SULFUR_CHGNET = System(
    name="sulfur-CHGNet",
    species=("S",),
    masses=(float(atomic_masses()[atomic_numbers["S"]]),),
    potential=Potential("chgnet", None, ("S",), _CHGNET_CITATION),
    engine=AseChgnet(),
    n_atoms=64,
    density=1.85,
    # a liquid, not a glass: equilibrate and sample at one temperature (melt = final, no quench),
    # no minimisation; 2 fs steps for S (32 amu)
    protocol=Protocol(start="rings", melt_temperature=450.0, melt_time=1.0, quench_rate=100.0,
                      final_temperature=450.0, anneal_time=2.0, minimize=False, timestep=2.0,
                      thermostat_damping=0.1),
    min_distance=3.0,
    density_range=(1.5, 2.3),
    starts=("rings", "chains"),
    description="liquid sulfur from S8 rings or open chains, CHGNet through ASE (low fidelity)",
)

ZRNIAL_CHGNET = System(
    name="ZrNiAl-CHGNet",
    species=("Zr", "Ni", "Al"),
    masses=tuple(float(atomic_masses()[atomic_numbers[e]]) for e in ("Zr", "Ni", "Al")),
    potential=Potential("chgnet", None, ("Zr", "Ni", "Al"), _CHGNET_CITATION),
    engine=AseChgnet(),
    n_atoms=64,
    density=6.5,  # replaced by ideal_mixing_density() for a given composition
    # Zr60Ni25Al15 (an Inoue glass former) by default; NVT at the ideal-mixing density
    composition=(0.60, 0.25, 0.15),
    # 2000 K liquid, 1000 K/ps (1e15 K/s), 1850 MD steps: ~5 min for 64 atoms on one core
    protocol=Protocol(melt_temperature=2000.0, melt_time=1.0, quench_rate=1000.0, final_temperature=300.0,
                      anneal_time=1.0, minimize=True, timestep=2.0, thermostat_damping=0.1),
    min_distance=2.2,
    density_range=(5.0, 8.0),
    starts=("random",),
    description="Zr-Ni-Al metallic glass, CHGNet through ASE (low fidelity, small cells, fast quench)",
)

SYSTEMS: dict[str, System] = {
    s.name: s
    for s in (SI_SW, SI_TERSOFF, C_TERSOFF, SIO2_VASHISHTA, CUZR_MENDELEV, WATER_MW, WATER_TIP4P2005,
              LDA_TIP4P2005, HDA_TIP4P2005, MDA_TIP4P2005, ICE_IH, SI_PARACRYSTALLINE, SULFUR_CHGNET, ZRNIAL_CHGNET)
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
    "mda": "MDA-TIP4P2005",
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
