"""Starting configurations for liquid sulfur: packed S₈ crown rings or open S chains.

No empirical sulfur potential ships with LAMMPS, so the sulfur training sets are run with the
CHGNet universal potential through ASE (:mod:`glasslib.simulate.ase_md`); this module only builds the
starts. Geometry (Å, degrees):

* :func:`s8_ring` — the crown (D4d) S₈ molecule of α-sulfur: atoms alternately ±h/2 above and
  below a circle of radius R, with next-nearest neighbours in one plane. Bond length d and
  bond angle θ fix it: 2R² = 2d²(1 − cos θ), h² = d² − 2R²(1 − cos 45°). With d = 2.05 Å and
  θ = 108° the torsion comes out as 98.8°, the α-S₈ value (this is a start: the potential
  relaxes it).
* :func:`sulfur_chain` — an open chain with the same d and θ and torsions of the same
  magnitude, each sign drawn at random (self-avoiding).
* :func:`pack_rigid` — rigid molecules placed in a periodic cube with every intermolecular
  distance ≥ ``min_distance``: random centres and orientations, then Monte Carlo descent on the
  overlap Σ (min_distance − d)² (translations and rotations of one molecule at a time).

Every random draw comes from the numpy ``Generator`` passed in.
"""

from __future__ import annotations

import math

import numpy as np

from glasslib.core.errors import InputError
from glasslib.simulate.placement import random_rotations

#: S–S bond (Å), S–S–S angle (°) of the starting molecules
S_S_BOND = 2.05
S_S_S_ANGLE = 108.0


def s8_ring(bond: float = S_S_BOND, angle: float = S_S_S_ANGLE) -> np.ndarray:
    """(8, 3) positions (Å) of a crown S₈ ring centred at the origin, axis along z."""
    th = math.radians(angle)
    r = math.sqrt(bond * bond * (1 - math.cos(th)))
    h2 = bond * bond - 2 * r * r * (1 - math.cos(math.pi / 4))
    if h2 < 0:
        raise InputError(f"no crown ring with bond {bond} A and angle {angle} deg")
    h = math.sqrt(h2)
    k = np.arange(8)
    return np.stack([r * np.cos(k * math.pi / 4), r * np.sin(k * math.pi / 4), 0.5 * h * (-1.0) ** k], -1)


def torsion(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> float:
    """Signed torsion angle a-b-c-d in degrees."""
    b0, b1, b2 = a - b, c - b, d - c
    b1n = b1 / np.linalg.norm(b1)
    v = b0 - np.dot(b0, b1n) * b1n
    w = b2 - np.dot(b2, b1n) * b1n
    return math.degrees(math.atan2(np.dot(np.cross(b1n, v), w), np.dot(v, w)))


def _ring_torsion(bond: float, angle: float) -> float:
    r = s8_ring(bond, angle)
    return abs(torsion(*r[:4]))


def sulfur_chain(n: int, rng: np.random.Generator, bond: float = S_S_BOND, angle: float = S_S_S_ANGLE,
                 dihedral: float | None = None, min_distance: float = 3.0, max_tries: int = 200) -> np.ndarray:
    """(n, 3) positions (Å) of an open S chain centred at its centroid.

    Natural extension of a growing chain (NeRF): each new atom at ``bond`` from the last, angle
    ``angle``, torsion ±``dihedral`` (default: the crown ring's, 98.8°) with the sign drawn at
    random; atoms three or more bonds apart stay ≥ ``min_distance`` apart.
    """
    if n < 1:
        raise InputError(f"a chain needs at least one atom, got {n}")
    dih = _ring_torsion(bond, angle) if dihedral is None else float(dihedral)
    th = math.radians(angle)
    pos = [np.zeros(3), np.array([bond, 0.0, 0.0]),
           np.array([bond - bond * math.cos(th), bond * math.sin(th), 0.0])][: min(n, 3)]
    while len(pos) < n:
        a, b, c = pos[-3], pos[-2], pos[-1]
        bc = (c - b) / np.linalg.norm(c - b)
        nrm = np.cross(b - a, bc)
        nrm /= np.linalg.norm(nrm)
        m = np.stack([bc, np.cross(nrm, bc), nrm], 1)
        for _ in range(max_tries):
            phi = math.radians(dih) * (1.0 if rng.random() < 0.5 else -1.0)
            local = bond * np.array([-math.cos(th), math.sin(th) * math.cos(phi), math.sin(th) * math.sin(phi)])
            new = c + m @ local
            if len(pos) < 3 or np.linalg.norm(np.asarray(pos[:-2]) - new, axis=1).min() >= min_distance:
                break
        else:
            raise InputError(f"could not grow a self-avoiding S chain of {n} atoms")
        pos.append(new)
    out = np.asarray(pos)
    return out - out.mean(0)


def _rotation(rng: np.random.Generator, max_angle: float | None = None) -> np.ndarray:
    """A random rotation matrix: uniform on SO(3), or about a random axis by at most ``max_angle`` (rad)."""
    if max_angle is None:
        return random_rotations(1, rng)[0]
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    ang = rng.uniform(-max_angle, max_angle)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + math.sin(ang) * k + (1 - math.cos(ang)) * (k @ k)


def _overlap(q: np.ndarray, others: np.ndarray, box: float, min_distance: float) -> float:
    if len(others) == 0:
        return 0.0
    d = q[:, None, :] - others[None, :, :]
    d -= box * np.round(d / box)
    r = np.sqrt((d * d).sum(-1))
    return float((np.clip(min_distance - r, 0.0, None) ** 2).sum())


def _relax(placed: list[np.ndarray], box: float, rng: np.random.Generator, min_distance: float, sweeps: int) -> float:
    """Monte Carlo descent on the overlap energy (rigid moves of one molecule); returns the overlap left."""
    n_mol = len(placed)

    def energy(k, q):
        others = [placed[j] for j in range(n_mol) if j != k]
        return _overlap(q, np.concatenate(others) if others else np.zeros((0, 3)), box, min_distance)

    e = np.array([energy(k, placed[k]) for k in range(n_mol)])
    step, ang = 0.3, 0.2
    for _ in range(sweeps):
        if e.sum() <= 0.0:
            break
        accepted = 0
        for k in rng.permutation(n_mol):
            if e[k] <= 0.0:
                continue
            centre = placed[k].mean(0)
            q = (placed[k] - centre) @ _rotation(rng, ang).T + centre + rng.uniform(-step, step, 3)
            new = energy(k, q)
            if new <= e[k]:
                placed[k] = q
                accepted += 1
                e = np.array([energy(j, placed[j]) for j in range(n_mol)])
        rate = accepted / max(int((e > 0).sum()), 1)
        step = float(np.clip(step * (1.1 if rate > 0.3 else 0.9), 0.05, box / 4))
        ang = float(np.clip(ang * (1.1 if rate > 0.3 else 0.9), 0.05, math.pi))
    return float(e.sum())


def pack_rigid(templates: list[np.ndarray], box: float, rng: np.random.Generator, min_distance: float = 3.0,
               n_stages: int = 30, sweeps_per_stage: int = 200, attempts: int = 8) -> np.ndarray:
    """Positions (Σ kᵢ, 3) Å of rigid molecules (``templates``: (kᵢ, 3) each, centred) in a
    periodic cube of edge ``box`` with all intermolecular distances ≥ ``min_distance``.

    The molecules are placed at random in a cube large enough to be dilute (packing fraction
    0.1 for spheres of diameter ``min_distance``), then the cube is shrunk to ``box`` in
    ``n_stages`` geometric steps (molecular centres scaled, shapes kept), removing the overlaps
    after each by Monte Carlo descent. A jammed attempt starts again from new random draws (the
    same generator, so the result stays seeded), up to ``attempts`` times; then
    :class:`InputError` ("impossible density").
    """
    n_mol, n_atoms = len(templates), sum(len(t) for t in templates)
    if n_mol == 0:
        raise InputError("nothing to pack")
    packing = n_atoms * math.pi / 6 * min_distance**3 / box**3
    if packing > 0.64:  # random close packing of spheres of diameter min_distance
        raise InputError(f"impossible density: {n_atoms} atoms cannot keep {min_distance} A apart in a "
                         f"{box:.3f} A box (packing fraction {packing:.2f})")
    for _ in range(attempts):
        cur = max(box, box * (packing / 0.1) ** (1 / 3))
        placed = [c + t @ _rotation(rng).T for c, t in zip(rng.random((n_mol, 3)) * cur, templates)]
        left = _relax(placed, cur, rng, min_distance, sweeps_per_stage)
        for target in np.geomspace(cur, box, n_stages + 1)[1:] if cur > box else []:
            placed = [q + q.mean(0) * (target / cur - 1.0) for q in placed]
            cur = float(target)
            left = _relax(placed, cur, rng, min_distance, sweeps_per_stage)
        if left > 0.0:
            left = _relax(placed, box, rng, min_distance, 5 * sweeps_per_stage)
        if left <= 0.0:
            return np.mod(np.concatenate(placed), box)
    raise InputError(f"impossible density: could not pack {n_mol} molecules ({n_atoms} atoms) "
                     f"{min_distance} A apart in a {box:.3f} A box ({attempts} attempts)")


def sulfur_start(n_atoms: int, box: float, rng: np.random.Generator, kind: str = "rings",
                 chain_length: int = 8, min_distance: float | None = None) -> np.ndarray:
    """(n_atoms, 3) positions (Å) in a cube: ``"rings"`` (n_atoms/8 crown S₈ rings) or
    ``"chains"`` (open chains of ``chain_length`` atoms, the last one shorter if needed),
    randomly oriented and packed by :func:`pack_rigid` with intermolecular distances ≥
    ``min_distance`` (default 3.0 Å for rings, 2.7 Å for the less compact chains, which do not
    pack 3.0 Å apart at liquid densities of 1.8–2.0 g/cm³)."""
    if min_distance is None:
        min_distance = 3.0 if kind == "rings" else 2.7
    if kind == "rings":
        if n_atoms % 8:
            raise InputError(f"an S8-ring start needs a multiple of 8 atoms, got {n_atoms}")
        templates = [s8_ring() for _ in range(n_atoms // 8)]
    elif kind == "chains":
        if chain_length < 2:
            raise InputError(f"chain length must be at least 2, got {chain_length}")
        sizes = [chain_length] * (n_atoms // chain_length) + ([n_atoms % chain_length] if n_atoms % chain_length else [])
        templates = [sulfur_chain(k, rng) for k in sizes]
    else:
        raise InputError(f"sulfur start must be 'rings' or 'chains', got {kind!r}")
    return pack_rigid(templates, box, rng, min_distance)


__all__ = ["S_S_BOND", "S_S_S_ANGLE", "s8_ring", "sulfur_chain", "torsion", "pack_rigid", "sulfur_start"]
