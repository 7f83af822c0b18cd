"""Tasks: a validated :class:`~glasslib.simulate.engine.StructureTask` for a named system, and
the one call that makes its structure.

:func:`make_task` fills in the system's defaults (size, density, composition, protocol,
builder options) and checks the task once, up front, including what the system's engine
accepts; :func:`simulate` hands the task to that engine. Declared datasets, caching and
resumable builds live in :mod:`glasslib.simulate.datasets`.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from glasslib.core.errors import InputError
from glasslib.simulate.composition import ideal_mixing_density, parse_composition, species_counts
from glasslib.simulate.engine import StructureTask, System
from glasslib.simulate.placement import diamond_cells_per_edge
from glasslib.simulate.protocols import Protocol
from glasslib.simulate.systems import get_system


def make_task(
    system: str | System,
    *,
    n_atoms: int | None = None,
    density: float | None = None,
    composition=None,
    quench_rate: float | None = None,
    seed: int = 0,
    index: int = 0,
    protocol: Protocol | None = None,
    potential_file: str | os.PathLike | None = None,
    options: dict | None = None,
    **protocol_overrides,
) -> StructureTask:
    """A validated task with the system's defaults filled in.

    ``protocol_overrides`` are :class:`Protocol` fields (e.g. ``melt_time=2.0``);
    ``options`` are builder settings (``System.options``; defaults filled in).
    """
    sysm = get_system(system)
    engine = sysm.engine
    defaults = dict(sysm.options)
    unknown = sorted(set(options or {}) - set(defaults))
    if unknown:
        known = ", ".join(defaults) or "none"
        raise InputError(f"unknown option(s) {', '.join(unknown)} for {sysm.name} (known: {known})")
    opts = {k: float(v) for k, v in {**defaults, **(options or {})}.items()}
    for k, v in opts.items():
        if not (v >= 0 and math.isfinite(v)):
            raise InputError(f"option {k} must be a non-negative number, got {v}")
    proto = protocol or sysm.protocol
    if quench_rate is not None:
        protocol_overrides["quench_rate"] = quench_rate
    if protocol_overrides:
        proto = Protocol.from_dict({**proto.to_dict(), **protocol_overrides})
    proto.validate()
    fractions = parse_composition(composition, sysm)
    n = sysm.n_atoms if n_atoms is None else int(n_atoms)
    species_counts(sysm, n, fractions)  # validates n_atoms
    engine.potential_file(sysm, potential_file)  # a missing potential file fails here, not in the engine
    if proto.start not in sysm.starts:
        if proto.start == "ice":
            raise InputError(f"start 'ice' applies to water systems, not {sysm.name}")
        raise InputError(f"start {proto.start!r} is not available for {sysm.name}; use {' or '.join(map(repr, sysm.starts))}")
    if proto.start == "diamond":
        diamond_cells_per_edge(n)  # before any output exists
    engine.check(sysm, n, proto)
    if proto.ensemble not in engine.ensembles:
        only = " or ".join(e.upper() for e in engine.ensembles)
        raise InputError(f"{sysm.name} runs through {engine.label} with {only} only; "
                         f"ensemble {proto.ensemble!r} is not available")
    if density is None:
        density = ideal_mixing_density(sysm, fractions) if sysm.variable_composition else sysm.density
    density = float(density)
    if not (density > 0 and math.isfinite(density)):
        raise InputError(f"density must be a positive number of g/cm3, got {density}")
    if not (isinstance(seed, (int, np.integer)) and 0 <= int(seed) < 2**63):
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    return StructureTask(
        system=sysm.name,
        n_atoms=n,
        density=density,
        protocol=proto,
        seed=int(seed),
        composition=None if composition is None else tuple(round(f, 12) for f in fractions),
        index=int(index),
        potential_file=None if potential_file is None else os.fspath(Path(potential_file).resolve()),
        options=tuple(sorted(opts.items())),
    )


def simulate(task: StructureTask, *, start=None, log: str | os.PathLike | None = None, screen: bool = False):
    """The structure of ``task`` as ``ase.Atoms``, made by its system's engine.

    ``atoms.info`` holds the metadata (system, potential and its SHA-256, protocol, seed,
    temperatures K, energy eV, pressure GPa, density g/cm³, versions; see the engines).
    ``start``: an ``ase.Atoms`` (orthogonal cell; water as O, H, H molecules) to run the
    protocol from instead of the task's own start; the task's density and atom count are then
    not used. ``log``, ``screen``: LAMMPS' log file and echo.
    Raises :class:`InputError` for bad input (including "impossible density") and
    :class:`glasslib.simulate.lammps_env.LammpsError` when LAMMPS fails.
    """
    sysm = get_system(task.system)
    task.protocol.validate()
    return sysm.engine.run(task, sysm, start=start, log=log, screen=screen)


def initial_configuration(task: StructureTask, rng: np.random.Generator):
    """(types (n,) 1-based, positions (n, 3) Å, cell (3, 3) Å): the task's start drawn from ``rng``
    (:mod:`glasslib.simulate.starts`)."""
    sysm = get_system(task.system)
    return sysm.engine.start(task, sysm, rng)


__all__ = ["make_task", "simulate", "initial_configuration"]
