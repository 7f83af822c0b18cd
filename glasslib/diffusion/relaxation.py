"""Relaxation after sampling: each sampled structure minimised at fixed cell with the potential of a
simulated system, through that system's engine (``SampleConfig(relax=...)`` of the one sampling
recipe, :func:`glasslib.diffusion.generate.generate`; ``glass sample --relax``). It is
post-processing, not sampling: it moves guided structures off their target, and the sampling
record names the system, engine and potential file with its SHA-256 (:meth:`Relaxation.describe`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from glasslib.core.atomic_io import sha256_file
from glasslib.core.errors import InputError
from glasslib.core.structures import Structures, from_ase, to_ase
from glasslib.diffusion.cell_contents import CellContents
from glasslib.diffusion.priors import default_out_dir, load_priors
from glasslib.diffusion.training import Checkpoint
from glasslib.simulate.datasets import get_spec
from glasslib.simulate.systems import get_system


@dataclass(frozen=True)
class Relaxation:
    """Minimise sampled structures at fixed cell with a simulated system's potential, through its
    engine: LAMMPS pair potentials by conjugate gradient to a relative energy change of 1e-12 or
    forces below 1e-8 eV/Å (:meth:`glasslib.simulate.lammps.LammpsAtomic.minimise`), CHGNet by
    FIRE to forces below 0.05 eV/Å, at most 500 steps, as its training sets were
    (:meth:`glasslib.simulate.ase_md.AseChgnet.minimise`). Rigid-water systems have no minimiser.
    Callable on :class:`Structures`; keeps their order, dtype and device."""

    system: object  # glasslib.simulate.engine.System

    @classmethod
    def resolve(cls, name: str, ckpt: Checkpoint, contents: CellContents) -> "Relaxation":
        """The system called ``name`` or, for ``"training"``, the one system of the checkpoint's
        training sets (from its record or, for a checkpoint older than records, from the entry of
        ``data/specs/priors.yaml`` whose shipped folder holds it). InputError when there is none,
        its engine cannot minimise, or it lacks an element of the cell."""
        if name == "training":
            sets = [d["name"] for d in (ckpt.record or {}).get("datasets", [])]
            if not sets:
                folder = Path(ckpt.path).resolve().parent
                sets = [s for spec in load_priors().values() if default_out_dir(spec).resolve() == folder
                        for s in spec.datasets]
            systems = sorted({get_spec(s).system for s in sets})
            if len(systems) != 1:
                raise InputError(f"relax='training' needs a checkpoint trained on the sets of one simulated system; "
                                 f"this one records {systems or 'none'}", ckpt.path)
            name = systems[0]
        system = get_system(name)
        if not hasattr(system.engine, "minimise"):
            raise InputError(f"cannot relax with {system.name}: only systems of single atoms (a LAMMPS pair "
                             f"potential or CHGNet) can be minimised here")
        foreign = [e for e in contents.elements if e not in system.species]
        if foreign:
            raise InputError(f"cannot relax with {system.name}: its potential has no {foreign}")
        return cls(system)

    def describe(self) -> dict:
        engine = self.system.engine
        path = engine.potential_file(self.system)
        return {"system": self.system.name, "engine": engine.label, "potential_file": Path(path).name,
                "potential_sha256": sha256_file(path)}

    def __call__(self, structures: Structures) -> Structures:
        engine = self.system.engine
        done = [engine.minimise(atoms, self.system) for atoms in to_ase(structures)]
        return from_ase(done, dtype=structures.dtype, device=structures.device)


__all__ = ["Relaxation"]
