"""Paracrystalline a-Si: diamond crystallites embedded in an amorphous matrix, then relaxed.

Models in the spirit of Treacy & Borisenko (Science 335, 950 (2012)) and Rosset et al.
(arXiv:2407.16681): spheres of the amorphous matrix are replaced by randomly oriented
diamond-Si grains of chosen radius and number (hence volume fraction), and the composite is
annealed at a temperature where the grains survive and then minimised, so that the
grain-matrix interfaces relax (:class:`ParacrystallineBuilder`).

The matrix is a melt-quench of another system (SW a-Si) run by that system's own engine; all
randomness comes from the task's seed. The crystalline fraction of the results is an analysis
(:func:`glasslib.analysis.crystallinity`, OVITO's ``IdentifyDiamondModifier``),
not part of the builder.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import ase
import numpy as np

from glasslib.core.errors import InputError
from glasslib.simulate.engine import CODE_VERSION, Engine, StructureTask, System
from glasslib.simulate.placement import diamond_sites, random_rotations
from glasslib.simulate.protocols import canonical_json

#: diamond-Si lattice constant, Å
A_SI = 5.431


def diamond_sphere(radius: float, a: float = A_SI) -> np.ndarray:
    """(n, 3) diamond-lattice sites within ``radius`` (Å) of the origin, an atom at the centre."""
    m = int(math.ceil(radius / a)) + 1
    pts = diamond_sites(range(-m, m + 1), a)
    return pts[np.linalg.norm(pts, axis=1) <= radius + 1e-9]


def insert_crystallites(matrix, *, n_grains: int, radius: float, seed: int, contact: float = 2.2,
                        gap: float = 2.5, a: float = A_SI, max_tries: int = 10000):
    """Replace ``n_grains`` spheres of ``matrix`` (``ase.Atoms``, orthogonal cell) by randomly
    oriented diamond grains of ``radius`` Å. Matrix atoms closer than ``contact`` Å to a grain
    atom are removed (so the density stays close to the matrix's). Grain centres are kept at
    least ``2 radius + gap`` apart (periodic).

    Returns a new ``ase.Atoms`` with ``arrays["grain"]`` (grain index, -1 for the matrix).
    """
    if n_grains < 0 or radius <= 0:
        raise InputError("need n_grains >= 0 and a positive grain radius")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    cell = np.asarray(matrix.cell[:], float)
    lengths = np.diag(cell)
    if not np.allclose(cell, np.diag(lengths)):
        raise InputError("paracrystalline builder needs an orthogonal cell")
    if 2 * radius + gap > lengths.min():
        raise InputError(f"grain diameter {2 * radius:.1f} A (plus gap {gap} A) does not fit the "
                         f"{lengths.min():.1f} A cell")
    centres = []
    for _ in range(max_tries):
        if len(centres) == n_grains:
            break
        c = rng.random(3) * lengths
        if all(np.linalg.norm(_mic(c - o, lengths)) >= 2 * radius + gap for o in centres):
            centres.append(c)
    if len(centres) < n_grains:
        raise InputError(f"could not place {n_grains} grains of radius {radius} A in the cell")
    pos = matrix.get_scaled_positions(wrap=True) * lengths
    keep = np.ones(len(pos), bool)
    grain_pos, grain_id = [], []
    sphere = diamond_sphere(radius, a)
    rots = random_rotations(len(centres), rng)
    for g, (c, rot) in enumerate(zip(centres, rots)):
        grain = (sphere @ rot.T + c) % lengths
        near = np.linalg.norm(_mic(pos - c, lengths), axis=1) <= radius + contact
        for k in np.nonzero(near & keep)[0]:
            if np.linalg.norm(_mic(grain - pos[k], lengths), axis=1).min() < contact:
                keep[k] = False
        grain_pos.append(grain)
        grain_id.append(np.full(len(sphere), g))
    symbol = matrix.get_chemical_symbols()[0]
    new_pos = np.concatenate([pos[keep]] + grain_pos) if grain_pos else pos
    out = ase.Atoms(symbols=[symbol] * len(new_pos), positions=new_pos, cell=cell, pbc=True)
    out.arrays["grain"] = np.concatenate([np.full(int(keep.sum()), -1)] + grain_id) if grain_id else np.full(len(pos), -1)
    out.info.update(n_grains=int(n_grains), grain_radius_A=float(radius), contact_A=float(contact),
                    grain_atoms=int(sum(len(gp) for gp in grain_pos)), seed=int(seed))
    return out


def _mic(d: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    return d - lengths * np.round(d / lengths)


@dataclass(frozen=True)
class ParacrystallineBuilder(Engine):
    """Paracrystalline structures of ``matrix`` (a :class:`System` run by its own engine).

    For a task: a melt-quench of the matrix with the task's protocol, ``n_atoms`` and density;
    ``n_grains`` diamond grains of ``grain_radius`` Å inserted (:func:`insert_crystallites`); the
    composite held at ``relax_temperature`` (K) for ``relax_time`` (ps), cooled to 300 K at
    10 K/ps if hotter, and minimised (the task's ``options``). The matrix, grain and relaxation
    seeds are spawned from the task's seed.
    """

    matrix: System
    kind = "paracrystalline"

    @property
    def label(self) -> str:
        return self.matrix.engine.label

    def matrix_task(self, task: StructureTask) -> StructureTask:
        """The melt-quench of the matrix for ``task``."""
        return replace(task, system=self.matrix.name, seed=_seeds(task)[0], composition=None, index=0, options=())

    def stages(self, task: StructureTask, system: System):
        """(matrix, composite as inserted, relaxed composite) of ``task``; the last one carries
        the metadata and is the structure :meth:`run` returns."""
        opts = dict(task.options)
        _, grain_seed, relax_seed = _seeds(task)
        matrix_task = self.matrix_task(task)
        matrix = self.matrix.engine.run(matrix_task, self.matrix)
        composite = insert_crystallites(matrix, n_grains=int(opts["n_grains"]), radius=opts["grain_radius"],
                                        seed=grain_seed)
        relax = self.matrix.protocol.replace(
            melt_temperature=max(opts["relax_temperature"], 300.0), melt_time=opts["relax_time"], quench_rate=10.0,
            final_temperature=300.0, anneal_time=0.0).validate()
        relax_task = replace(matrix_task, n_atoms=len(composite), seed=relax_seed, protocol=relax)
        out = self.matrix.engine.run(relax_task, self.matrix, start=composite)
        out.info.update(
            system=system.name,
            seed=task.seed,
            n_grains=int(opts["n_grains"]),
            grain_radius_A=float(opts["grain_radius"]),
            grain_atoms=composite.info["grain_atoms"],
            matrix_quench_rate_K_per_ps=matrix.info["quench_rate_K_per_ps"],
            relax_temperature_K=float(opts["relax_temperature"]),
            relax_time_ps=float(opts["relax_time"]),
            matrix_system=self.matrix.name,
            index=task.index,
            target_density_g_cm3=task.density,
            code_version=CODE_VERSION,
            protocol=canonical_json(task.protocol.to_dict()),
            options=canonical_json(opts),
        )
        return matrix, composite, out

    def run(self, task: StructureTask, system: System, *, start=None, log=None, screen=False):
        return self.stages(task, system)[-1]


def _seeds(task: StructureTask) -> tuple[int, int, int]:
    """Matrix, grain and relaxation seeds, spawned from the task's seed."""
    return tuple(int(s.generate_state(1, np.uint32)[0]) for s in np.random.SeedSequence(task.seed).spawn(3))


__all__ = ["A_SI", "diamond_sphere", "insert_crystallites", "ParacrystallineBuilder"]
