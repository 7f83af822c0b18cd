"""Paracrystalline a-Si: diamond crystallites embedded in an amorphous matrix, then relaxed.

Models in the spirit of Treacy & Borisenko (Science 335, 950 (2012)) and Rosset et al.
(arXiv:2407.16681): spheres of the amorphous matrix are replaced by randomly oriented
diamond-Si grains of chosen radius and number (hence volume fraction), and the composite is
annealed at a temperature where the grains survive and then minimised, so that the
grain-matrix interfaces relax. The crystalline fraction is measured on the result with OVITO's
``IdentifyDiamondModifier`` (cubic-diamond atoms and their diamond first/second neighbours).

The matrix is a melt-quench of :mod:`glasslib.simulate` (SW by default); all randomness comes
from ``seed``.
"""

from __future__ import annotations

import math

import numpy as np

from glasslib.errors import InputError
from glasslib.systems import random_rotations

#: diamond-Si lattice constant, Å
A_SI = 5.431


def diamond_sphere(radius: float, a: float = A_SI) -> np.ndarray:
    """(n, 3) diamond-lattice sites within ``radius`` (Å) of the origin, an atom at the centre."""
    m = int(math.ceil(radius / a)) + 1
    basis = np.array([[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0],
                      [0.25, 0.25, 0.25], [0.25, 0.75, 0.75], [0.75, 0.25, 0.75], [0.75, 0.75, 0.25]])
    cells = np.stack(np.meshgrid(*[np.arange(-m, m + 1)] * 3, indexing="ij"), -1).reshape(-1, 3)
    pts = ((cells[:, None, :] + basis[None]) * a).reshape(-1, 3)
    return pts[np.linalg.norm(pts, axis=1) <= radius + 1e-9]


def insert_crystallites(matrix, *, n_grains: int, radius: float, seed: int, contact: float = 2.2,
                        gap: float = 2.5, a: float = A_SI, max_tries: int = 10000):
    """Replace ``n_grains`` spheres of ``matrix`` (``ase.Atoms``, orthogonal cell) by randomly
    oriented diamond grains of ``radius`` Å. Matrix atoms closer than ``contact`` Å to a grain
    atom are removed (so the density stays close to the matrix's). Grain centres are kept at
    least ``2 radius + gap`` apart (periodic).

    Returns a new ``ase.Atoms`` with ``arrays["grain"]`` (grain index, -1 for the matrix).
    """
    import ase

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


def diamond_fraction(atoms) -> dict:
    """Fractions of atoms OVITO's ``IdentifyDiamondModifier`` assigns to diamond structures.

    ``cubic``: cubic-diamond atoms; ``crystalline``: cubic or hexagonal diamond atoms plus their
    first and second diamond neighbours (the fraction usually quoted for paracrystalline models).
    """
    from glasslib.ovito_adapter import identify_diamond
    from glasslib.structures import from_ase

    fractions = identify_diamond(from_ase(atoms))[0]["fractions"]
    cubic = fractions.get("cubic_diamond", 0.0)
    crystal = sum(fractions.get(f"{kind}{suffix}", 0.0) for kind in ("cubic_diamond", "hex_diamond")
                  for suffix in ("", "_first_neighbor", "_second_neighbor"))
    return {"cubic": float(cubic), "crystalline": float(crystal)}


def paracrystalline_si(
    *,
    n_atoms: int = 1000,
    density: float = 2.28,
    n_grains: int = 2,
    radius: float = 6.0,
    seed: int = 0,
    system: str = "a-Si-SW",
    matrix_overrides: dict | None = None,
    matrix_protocol=None,
    potential_file=None,
    relax_temperature: float = 300.0,
    relax_time: float = 10.0,
):
    """Paracrystalline a-Si as ``ase.Atoms``.

    A melt-quenched matrix of ``n_atoms`` at ``density`` (``matrix_protocol``: a
    :class:`~glasslib.systems.Protocol`, default the system's; ``matrix_overrides``: protocol fields),
    ``n_grains`` diamond grains of ``radius`` Å inserted, held at ``relax_temperature`` (K) for
    ``relax_time`` (ps), cooled to 300 K at 10 K/ps if hotter, and minimised. ``info`` holds the OVITO
    crystalline fractions of the matrix, of the composite as inserted and after relaxation.
    """
    from glasslib.simulate import make_task, simulate

    ss = np.random.SeedSequence(seed)
    matrix_seed, grain_seed, relax_seed = (int(s.generate_state(1, np.uint32)[0]) for s in ss.spawn(3))
    matrix = simulate(make_task(system, n_atoms=n_atoms, density=density, seed=matrix_seed, protocol=matrix_protocol,
                                potential_file=potential_file, **(matrix_overrides or {})))
    comp = insert_crystallites(matrix, n_grains=n_grains, radius=radius, seed=grain_seed)
    before = diamond_fraction(comp)
    relax = make_task(system, n_atoms=len(comp), density=density, seed=relax_seed, potential_file=potential_file,
                      melt_temperature=max(relax_temperature, 300.0), melt_time=relax_time, quench_rate=10.0,
                      final_temperature=300.0, anneal_time=0.0)
    out = simulate(relax, start=comp)
    after = diamond_fraction(out)
    out.info.update(
        system=f"paracrystalline {matrix.info['system']}",
        seed=int(seed),
        n_grains=int(n_grains),
        grain_radius_A=float(radius),
        grain_atoms=comp.info["grain_atoms"],
        matrix_quench_rate_K_per_ps=matrix.info["quench_rate_K_per_ps"],
        relax_temperature_K=float(relax_temperature),
        relax_time_ps=float(relax_time),
        crystalline_fraction_inserted=before["crystalline"],
        crystalline_fraction=after["crystalline"],
        cubic_diamond_fraction=after["cubic"],
        matrix_crystalline_fraction=diamond_fraction(matrix)["crystalline"],
    )
    return out
