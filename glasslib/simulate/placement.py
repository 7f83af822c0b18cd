"""Random placements in a periodic cube: the geometry behind every MD start.

Uniform positions with a minimum distance (random sequential addition), simple-cubic sites,
cubic-diamond sites, rotations uniform on SO(3), and randomly oriented rigid water molecules.
Lengths in Å; every random draw comes from the numpy ``Generator`` passed in. Which placement a
task uses is decided in :mod:`glasslib.simulate.starts`.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial import cKDTree

from glasslib.core.errors import InputError

#: random sequential addition of hard spheres jams near this packing fraction
_MAX_PACKING = 0.38


def _void_site(placed: np.ndarray, box: float, min_distance: float, rng: np.random.Generator,
               spacing: float = 0.25) -> np.ndarray | None:
    """A random point of a grid (spacing ≤ ``spacing`` Å) at least ``min_distance`` from every
    placed atom (periodic), or None when the box has no such void left."""
    m = max(4, math.ceil(box / spacing))
    axis = (np.arange(m) + rng.random()) * (box / m)
    grid = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), -1).reshape(-1, 3)
    dist, _ = cKDTree(placed % box, boxsize=box).query(grid % box, k=1)
    free = np.nonzero(dist >= min_distance)[0]
    return grid[rng.choice(free)] if free.size else None


def random_positions(n: int, box: float, min_distance: float, rng: np.random.Generator,
                     max_tries: int = 2000) -> np.ndarray:
    """Uniform positions in a cubic box (Å) with all periodic distances >= ``min_distance``.

    Random sequential addition: ``max_tries`` uniform candidates per atom; when they all
    fail (the remaining voids are small, as near 0.3 packing fraction), the atom goes to a
    random point of a fine grid that has the clearance (:func:`_void_site`). Raises
    InputError ("impossible density") when the box is too full for the exclusion distance,
    either up front (packing fraction above the jamming limit) or when no void is left.
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
            site = _void_site(pos[:k], box, min_distance, rng)
            if site is None:
                raise InputError(
                    f"impossible density: no room for atom {k + 1} of {n} at least {min_distance} A from the others "
                    f"in a {box:.3f} A box (packing fraction {packing:.2f})"
                )
            pos[k] = site
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


#: the 8 sites of the conventional cubic-diamond cell, in units of its edge
DIAMOND_BASIS = np.array([[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0],
                          [0.25, 0.25, 0.25], [0.25, 0.75, 0.75], [0.75, 0.25, 0.75], [0.75, 0.75, 0.25]])


def diamond_sites(cells: range, a: float) -> np.ndarray:
    """(8 k³, 3) cubic-diamond sites, Å, of the conventional cells with integer corners in
    ``cells`` along each axis (k = len(cells)), lattice constant ``a`` Å."""
    corners = np.stack(np.meshgrid(*[np.asarray(cells)] * 3, indexing="ij"), -1).reshape(-1, 3)
    return ((corners[:, None, :] + DIAMOND_BASIS[None]) * a).reshape(-1, 3)


def diamond_cells_per_edge(n: int) -> int:
    """m such that ``n`` = 8 m³ atoms fill m × m × m conventional diamond cells (InputError otherwise)."""
    m = round((n / 8) ** (1.0 / 3.0)) if n >= 8 else 0
    if n < 8 or 8 * m**3 != n:
        raise InputError(f"a diamond start needs 8 m^3 atoms (64, 216, 512, 1000, ...), got {n}")
    return m


def diamond_positions(n: int, box: float, min_distance: float, rng: np.random.Generator | None = None) -> np.ndarray:
    """The ``n`` = 8 m³ sites of m × m × m conventional cubic-diamond cells filling the cube of edge
    ``box`` Å (lattice constant box / m, nearest neighbours √3/4 of it apart): a crystal start.
    ``rng`` is not used (a perfect crystal has no random draw). InputError if ``n`` is not 8 m³ or
    the neighbours would be closer than ``min_distance`` Å."""
    m = diamond_cells_per_edge(n)
    a = box / m
    if a * math.sqrt(3) / 4 < min_distance:
        raise InputError(f"impossible density: diamond neighbours {a * math.sqrt(3) / 4:.3f} A apart, below the "
                         f"minimum distance {min_distance} A")
    return diamond_sites(range(m), a)


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


__all__ = ["random_positions", "lattice_positions", "random_rotations", "water_molecule", "random_water"]
