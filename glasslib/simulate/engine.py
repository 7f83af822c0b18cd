"""The engine interface: what every engine is given and what it must do.

A :class:`System` (species, masses, interaction, defaults) declares the :class:`Engine` that
makes its structures; a :class:`StructureTask` holds everything that determines one structure.
:func:`glasslib.simulate.tasks.simulate` hands a task to its system's engine and nothing else,
so a new system is one entry in :mod:`glasslib.simulate.systems`, and a new way of making
structures is one :class:`Engine` subclass:

* :class:`~glasslib.simulate.lammps.LammpsAtomic` and
  :class:`~glasslib.simulate.lammps.LammpsRigidWater`: melt-quench with LAMMPS;
* :class:`~glasslib.simulate.ase_md.AseChgnet`: the same protocol with ASE and CHGNet;
* :class:`~glasslib.simulate.ice.IceBuilder`: proton-disordered ice Ih, no MD;
* :class:`~glasslib.simulate.paracrystalline.ParacrystallineBuilder`: diamond grains in a
  melt-quenched matrix of another system.

Every random draw of a run comes from the task's ``seed`` (:meth:`Engine.seeded_start`).
"""

from __future__ import annotations

import collections
import hashlib
import math
import os
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

import glasslib
from glasslib.core.errors import InputError
from glasslib.core.atomic_io import sha256_file
from glasslib.simulate.interactions import Potential, find_parameter_file
from glasslib.simulate.protocols import Protocol, canonical_json

#: bump when a change in an engine alters the structures produced for the same task
SIMULATE_REVISION = 1
CODE_VERSION = f"glasslib-{glasslib.__version__}/simulate-{SIMULATE_REVISION}"

#: per-process counters: ``lammps_runs`` / ``ase_runs`` (finished simulations), ``lammps_seconds``
#: / ``ase_seconds`` (their wall time), ``md_steps`` and ``md_seconds`` (MD stages only, for benchmarks)
counters: collections.Counter = collections.Counter()


@dataclass(frozen=True)
class StructureTask:
    """Everything that determines one structure.

    density: g/cm³ (the NVT density; the starting density in NPT).
    composition: atom fractions per LAMMPS type (None: the system's default).
    potential_file: a parameter file replacing the system's own (its SHA-256 is recorded).
    options: builder settings of systems that have them (``System.options``), as sorted
      (name, value) pairs, e.g. the grain count and radius of paracrystalline a-Si.
    """

    system: str
    n_atoms: int
    density: float
    protocol: Protocol
    seed: int
    composition: tuple[float, ...] | None = None
    index: int = 0
    potential_file: str | None = None
    options: tuple[tuple[str, float], ...] = ()

    @property
    def filename(self) -> str:
        return f"{self.index:05d}_seed{self.seed}.extxyz"

    def to_dict(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["protocol"] = self.protocol.to_dict()
        if not self.options:
            del d["options"]  # keeps the hashes of option-less tasks unchanged
        else:
            d["options"] = dict(self.options)
        return d


class Engine:
    """How a system's structures are made. Subclasses implement :meth:`run` and, where the
    engine runs MD from a start, :meth:`start` and :meth:`start_from_atoms`.

    ``kind`` is a label (``System.kind``; it also enters the potential hash of parameter-free
    builders, so it is never renamed); ``label`` names the program that runs it; ``ensembles``
    are the protocol ensembles the engine can run.
    """

    kind: str = ""
    label: str = ""
    ensembles: tuple[str, ...] = ("nvt", "npt")

    def check(self, system: System, n_atoms: int, protocol: Protocol) -> None:
        """Raise :class:`InputError` for a task this engine cannot run (called by ``make_task``)."""

    def potential_file(self, system: System, override: str | os.PathLike | None = None) -> Path | None:
        """Absolute path of the system's parameter file (or of ``override``); None for built-in parameters."""
        return find_parameter_file(system.potential, system.name, override)

    def potential_sha256(self, system: System, override: str | os.PathLike | None = None) -> str:
        """SHA-256 of the parameter file, or of (system name, engine kind) for parameter-free builders."""
        path = self.potential_file(system, override)
        if path is not None:
            return sha256_file(path)
        return hashlib.sha256(canonical_json({"system": system.name, "kind": self.kind}).encode()).hexdigest()

    def start(self, task: StructureTask, system: System, rng: np.random.Generator):
        """(types (n,) 1-based, positions (n, 3) Å, cell (3, 3) Å): the task's own start."""
        raise InputError(f"{system.name} is built without an MD start")

    def require_elements(self, atoms, system: System) -> None:
        """InputError naming the elements of ``atoms`` (``ase.Atoms``) that the system lacks."""
        foreign = sorted(set(atoms.get_chemical_symbols()) - set(system.species))
        if foreign:
            raise InputError(f"{system.name} has no {foreign} (it has {list(system.species)})")

    def start_from_atoms(self, atoms, system: System):
        """(types, positions, cell) of a given starting structure (``ase.Atoms``)."""
        raise InputError(f"a given start structure is not supported for {system.name}")

    def seeded_start(self, task: StructureTask, system: System, start=None):
        """(the task's generator, (types, positions, cell)): the task's own start drawn from its
        seed, or the given ``start`` structure (the generator then only feeds the MD)."""
        rng = np.random.default_rng(np.random.SeedSequence(task.seed))
        if start is None:
            return rng, self.start(task, system, rng)
        return rng, self.start_from_atoms(start, system)

    def run(self, task: StructureTask, system: System, *, start=None, log: str | os.PathLike | None = None,
            screen: bool = False):
        """The structure of ``task`` as ``ase.Atoms`` with its metadata in ``info``."""
        raise NotImplementedError


@dataclass(frozen=True)
class System:
    """A model system. ``species``: ASE element symbol per type; ``masses``: the model's masses
    (amu) per type; ``potential``: the interaction (pair style, parameter file, citation);
    ``engine``: the :class:`Engine` that makes its structures; ``composition``: default atom
    fractions per type; ``formula_unit``: atoms per type in one formula unit when the
    stoichiometry is fixed (n_atoms must then be a multiple of its sum); ``min_distance`` (Å):
    random-start exclusion distance (O-O for water); ``density_range`` (g/cm³): the sensible
    densities; ``options``: builder settings with their defaults; ``starts``: the protocol
    starts the system accepts."""

    name: str
    species: tuple[str, ...]
    masses: tuple[float, ...]
    potential: Potential
    engine: Engine
    n_atoms: int
    density: float
    protocol: Protocol
    composition: tuple[float, ...] = (1.0,)
    formula_unit: tuple[int, ...] | None = None
    min_distance: float = 2.0
    density_range: tuple[float, float] = (0.0, math.inf)
    description: str = ""
    options: tuple[tuple[str, float], ...] = ()
    starts: tuple[str, ...] = ("random", "lattice")

    @property
    def kind(self) -> str:
        """The engine's label: ``atomic``, ``rigid-water``, ``ase-chgnet``, ``ice-builder``, ``paracrystalline``."""
        return self.engine.kind

    @property
    def variable_composition(self) -> bool:
        return self.formula_unit is None and len(self.species) > 1


__all__ = ["CODE_VERSION", "counters", "StructureTask", "Engine", "System"]
