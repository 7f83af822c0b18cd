"""What goes into a sampled cell: composition, atom count and density, with defaults from the training set.

A checkpoint carries a summary of its training set (:func:`training_set_summary`, written by
:func:`glasslib.diffusion.training.train`): species, compositions, atoms per structure and mass
densities, and a *default cell*, the training composition closest to the set's mean composition
with its atom count and mean density. :func:`resolve_contents` fills whatever a user leaves out
(composition, atoms, density) from that default, turns the composition into exact integer atom
counts (:func:`glasslib.core.formula.atom_counts`) and checks that the species are the network's
and that the cubic cell is at least twice the network's cutoff.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import torch
from ase.data import atomic_numbers, chemical_symbols

from glasslib.core.errors import InputError
from glasslib.core.formula import atom_counts, formula_label, parse_formula
from glasslib.core.structures import Structures
from glasslib.core.units import atomic_masses, cubic_box_length


def _label_of(species: torch.Tensor, order: list[int]) -> str:
    counts = torch.bincount(species.cpu(), minlength=max(order) + 1)
    return formula_label({chemical_symbols[z]: int(counts[z]) for z in order if int(counts[z]) > 0})


def training_set_summary(structures: Structures) -> dict:
    """Summary of a training set, stored in checkpoints (JSON-ready).

    Returns:
        dict with ``n_structures``; ``species`` (atomic numbers, in order of first appearance);
        ``compositions``
        (formula with atom counts, e.g. ``"Cu250Zr250"`` → number of structures); ``atoms``
        [min, max] per structure; ``density`` [min, mean, max] g/cm³; and ``default``
        {``composition``, ``atoms``, ``density``}: the composition closest to the set's mean
        composition (ties: more structures, then first seen), its atom count and the mean
        density (4 decimals) of its structures.
    """
    seen = structures.species.cpu().tolist()
    order = sorted(set(seen), key=seen.index)  # elements in order of first appearance (Si before O in SiO2 sets)
    dens = structures.mass_density.detach().cpu().double().numpy()
    groups: dict[str, list[int]] = {}
    fracs = []
    for k, s in enumerate(structures.split()):
        groups.setdefault(_label_of(s.species, order), []).append(k)
        counts = torch.bincount(s.species.cpu(), minlength=max(order) + 1)[order].double()
        fracs.append((counts / counts.sum()).numpy())
    fracs = np.asarray(fracs)
    mean = fracs.mean(axis=0)

    def rank(item):
        label, members = item
        return (float(np.abs(fracs[members[0]] - mean).sum()), -len(members))

    label, members = min(groups.items(), key=rank)
    n_atoms = structures.n_atoms_per_system.cpu()
    return {
        "n_structures": structures.n_systems,
        "species": order,
        "compositions": {k: len(v) for k, v in groups.items()},
        "atoms": [int(n_atoms.min()), int(n_atoms.max())],
        "density": [round(float(dens.min()), 4), round(float(dens.mean()), 4), round(float(dens.max()), 4)],
        "default": {"composition": label, "atoms": int(n_atoms[members[0]]),
                    "density": round(float(dens[members].mean()), 4)},
    }


@dataclass(frozen=True)
class CellContents:
    """Resolved contents of one sampled cell.

    Attributes:
        composition: formula with the atom counts, e.g. ``"Si72O144"``.
        atoms: atoms per cell.
        density: mass density, g/cm³.
        species: (atoms,) atomic numbers, grouped by element in the formula's order.
        box: cubic cell edge, Å.
    """

    composition: str
    atoms: int
    density: float
    species: torch.Tensor
    box: float

    @property
    def elements(self) -> list[str]:
        """The cell's element symbols, sorted."""
        return sorted({chemical_symbols[int(z)] for z in self.species})


def resolve_contents(network_species, summary: Mapping | None, composition: str | None, atoms: int | None,
                     density: float | None, *, cutoff: float, source=None) -> CellContents:
    """Fill composition, atoms and density from the training-set ``summary`` where None, and check them.

    Args:
        network_species: atomic numbers the network was trained on.
        summary: :func:`training_set_summary` of the checkpoint (None for checkpoints written
            before it existed: then atoms and density must be given, and the composition unless
            the network has one species).
        composition: formula (``"SiO2"``, ``"Cu64.5Zr35.5"``, ``"Si"``); None: the default.
        atoms, density: atoms per cell and g/cm³; None: the default cell's (also when only the
            composition is given: its counts must then be whole atoms in that many).
        cutoff: the network's cutoff, Å; the cubic cell edge must be at least twice it.
        source: file named in errors (the checkpoint).

    Raises:
        InputError: species not in the network (named), counts that are not whole atoms, a
            cell smaller than 2 × cutoff, or a missing value with no default.
    """
    default = (summary or {}).get("default") or {}
    if composition is None:
        if default:
            composition = default["composition"]
        elif len(network_species) == 1:
            composition = chemical_symbols[int(network_species[0])]
        else:
            raise InputError("the checkpoint holds no training-set summary; give the composition", source)
    amounts = parse_formula(composition)
    missing = [el for el in amounts if atomic_numbers[el] not in {int(z) for z in network_species}]
    if missing:
        known = ", ".join(chemical_symbols[int(z)] for z in network_species)
        raise InputError(f"species {', '.join(missing)} not in the checkpoint (trained on {known})", source)
    if atoms is None:
        if not default:
            raise InputError("the checkpoint holds no training-set summary; give the number of atoms", source)
        atoms = int(default["atoms"])
    if density is None:
        if not default:
            raise InputError("the checkpoint holds no training-set summary; give the density", source)
        density = float(default["density"])
    if not (isinstance(density, (int, float)) and math.isfinite(density) and density > 0):
        raise InputError(f"density must be positive (g/cm3), got {density}", source)
    counts = atom_counts(amounts, atoms)
    species = torch.cat([torch.full((n,), atomic_numbers[el], dtype=torch.long) for el, n in counts.items()])
    box = cubic_box_length(atomic_masses()[species.numpy()], density)
    if box < 2 * cutoff:
        need = math.ceil(atoms * (2 * cutoff / box) ** 3)
        raise InputError(f"a cubic cell of {atoms} atoms at {density:g} g/cm3 is {box:.2f} A wide, less than twice "
                         f"the network cutoff ({cutoff:g} A); use at least {need} atoms", source)
    return CellContents(formula_label(counts), atoms, float(density), species, box)


#: a composition counts as inside the training scope when every element's atom fraction lies
#: within the training set's range widened by this much
FRACTION_SLACK = 0.02


def scope_warnings(summary: Mapping | None, contents: CellContents) -> list[str]:
    """One-line warnings for a cell outside the training set the checkpoint learned from.

    The prior only knows the densities and compositions it was trained on (``summary``, from
    :func:`training_set_summary`): a density outside [min, max] of the training densities, or
    an element fraction outside the training fractions' range (± :data:`FRACTION_SLACK`), is
    an extrapolation, allowed but worth a warning. Empty when inside, or without a summary.
    """
    if not summary:
        return []
    warnings = []
    lo, _, hi = summary.get("density", [None, None, None])
    if lo is not None and not (lo - 1e-4 <= contents.density <= hi + 1e-4):
        warnings.append(f"density {contents.density:g} g/cm3 is outside the prior's training range {lo:g}-{hi:g} g/cm3 "
                        "(an extrapolation; check the sampled structures)")
    trained = [parse_formula(c) for c in (summary.get("compositions") or {})]
    if trained:
        want = parse_formula(contents.composition)
        elements = sorted(set(want) | {el for t in trained for el in t})
        for el in elements:
            fractions = [t.get(el, 0.0) / sum(t.values()) for t in trained]
            f = want.get(el, 0.0) / sum(want.values())
            if not (min(fractions) - FRACTION_SLACK <= f <= max(fractions) + FRACTION_SLACK):
                warnings.append(f"{el} fraction {f:.3f} of {contents.composition} is outside the prior's training range "
                                f"{min(fractions):.3f}-{max(fractions):.3f} (an extrapolation; check the sampled structures)")
    return warnings
