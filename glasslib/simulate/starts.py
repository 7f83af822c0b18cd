"""Start configurations of a task: what an MD engine relaxes and melts first.

Atomic systems: species shuffled over random sites with a minimum distance, over
simple-cubic sites or over the sites of a cubic-diamond crystal, or (sulfur) packed S₈ rings or
open chains, in a cube at the task's density. Rigid water: molecules O, H, H (types 1, 2, 2) at
random positions and orientations in a cube, or proton-disordered ice Ih (orthorhombic cell
scaled to the task's density).
A given ``ase.Atoms`` may replace the task's own start. Every random draw comes from the
``Generator`` passed in (the engines seed it from the task).
"""

from __future__ import annotations

import numpy as np

from glasslib.core.errors import InputError
from glasslib.core.units import cubic_box_length
from glasslib.simulate.composition import parse_composition, species_counts
from glasslib.simulate.engine import StructureTask, System
from glasslib.simulate.ice import ice_ih_at_density
from glasslib.simulate.interactions import RigidWaterModel
from glasslib.simulate.placement import diamond_positions, lattice_positions, random_positions, random_water
from glasslib.simulate.sulfur import sulfur_start

#: placements of the atomic starts "random", "lattice" and "diamond"
_PLACEMENTS = {"random": random_positions, "lattice": lattice_positions, "diamond": diamond_positions}


def _types_and_box(task: StructureTask, system: System):
    """(types (n,) 1-based in type order, edge of the cube at the task's density in Å)."""
    counts = species_counts(system, task.n_atoms, parse_composition(task.composition, system))
    types = np.repeat(np.arange(1, len(counts) + 1), counts)
    return types, cubic_box_length(np.asarray(system.masses)[types - 1], task.density)


def atoms_in_cube(task: StructureTask, system: System, rng: np.random.Generator):
    """(types, positions, cell) of an atomic start: ``random``, ``lattice`` or ``diamond`` sites
    (species shuffled), or sulfur ``rings`` / ``chains`` (:func:`glasslib.simulate.sulfur.sulfur_start`)."""
    start = task.protocol.start
    types, box = _types_and_box(task, system)
    if start in ("rings", "chains"):
        return types, sulfur_start(task.n_atoms, box, rng, start), np.eye(3) * box
    if start not in _PLACEMENTS:
        raise InputError(f"start {start!r} is not available for {system.name}; use {' or '.join(map(repr, system.starts))}")
    pos = _PLACEMENTS[start](task.n_atoms, box, system.min_distance, rng)
    return rng.permutation(types), pos, np.eye(3) * box


def water_in_cube(task: StructureTask, system: System, model: RigidWaterModel, rng: np.random.Generator):
    """(types 1, 2, 2 per molecule, positions, cell) of rigid water: ``random`` molecules in a
    cube or proton-disordered ``ice`` Ih, with the model's O-H length and H-O-H angle."""
    start = task.protocol.start
    types, box = _types_and_box(task, system)
    types = np.tile([1, 2, 2], task.n_atoms // 3)
    if start == "ice":
        atoms = ice_ih_at_density(task.n_atoms, task.density, seed=int(rng.integers(0, 2**63 - 1)),
                                  r_oh=model.r_oh, hoh=model.hoh)
        return types, atoms.positions, atoms.cell[:]
    if start != "random":
        raise InputError(f"start {start!r} is not available for {system.name}; use 'random' or 'ice'")
    pos = random_water(task.n_atoms // 3, box, system.min_distance, rng, model.r_oh, model.hoh)
    return types, pos, np.eye(3) * box


def _orthogonal_cell(atoms) -> np.ndarray:
    cell = np.asarray(atoms.cell[:], dtype=float)
    if not np.allclose(cell, np.diag(np.diag(cell))):
        raise InputError("the start structure needs an orthogonal periodic cell")
    return cell


def given_atoms(atoms, system: System):
    """(types, positions wrapped into the cell, cell) of a given atomic start structure."""
    cell = _orthogonal_cell(atoms)
    if np.any(np.diag(cell) <= 0):
        raise InputError("the start structure needs an orthogonal periodic cell")
    symbols = atoms.get_chemical_symbols()
    unknown = sorted(set(symbols) - set(system.species))
    if unknown:
        raise InputError(f"start structure has element(s) {', '.join(unknown)} not in {system.name}")
    types = np.array([system.species.index(el) + 1 for el in symbols])
    frac = atoms.get_scaled_positions(wrap=True) % 1.0
    return types, frac @ cell, cell


def given_water(atoms):
    """(types 1, 2, 2, positions, cell) of a given water start structure (molecules O, H, H in order)."""
    z = atoms.numbers
    if len(z) % 3 or not (np.all(z[0::3] == 8) and np.all(z[1::3] == 1) and np.all(z[2::3] == 1)):
        raise InputError("a water start structure must list molecules as O, H, H")
    cell = _orthogonal_cell(atoms)
    return np.tile([1, 2, 2], len(z) // 3), atoms.positions.copy(), cell


__all__ = ["atoms_in_cube", "water_in_cube", "given_atoms", "given_water"]
