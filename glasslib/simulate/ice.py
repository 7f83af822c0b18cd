"""Proton-disordered hexagonal ice Ih obeying the Bernal-Fowler ice rules.

Oxygens sit on the wurtzite (lonsdaleite) lattice of ice Ih; every O-O nearest-neighbour pair
is one hydrogen bond and carries exactly one H, near its donor. The ice rules (two H on every
O, two H-bonds accepted by every O) make the bond directions an orientation of the 4-regular
O-O graph with in-degree = out-degree = 2 at every vertex. We start from an Eulerian circuit
(which has that property), then randomise by reversing closed directed loops found by random
walks along outgoing bonds (each reversal keeps every in/out degree at 2: Rahman & Stillinger,
J. Chem. Phys. 57, 4009 (1972); Buch, Sandler & Sadlej, J. Phys. Chem. B 102, 8641 (1998)).
Loops that wind around the periodic cell change the net dipole; with ``zero_dipole=True`` such
loops are then flipped only when they bring the net dipole towards zero, until it vanishes.

Each molecule is written O, H, H; the two H lie in the plane of the molecule's two donor O-O
bonds, symmetric about their bisector, with the TIP4P/2005 geometry by default (r_OH 0.9572 Å,
HOH 104.52°); ``hoh=None`` puts them on the O-O bonds instead.

All randomness comes from ``seed`` (numpy ``Generator``).
"""

from __future__ import annotations

import math

import ase
import numpy as np
from ase.neighborlist import neighbor_list

import glasslib
from glasslib.core.errors import InputError
from glasslib.core.units import mass_density
from glasslib.simulate.engine import CODE_VERSION, Engine, StructureTask, System

#: ice Ih lattice constants (Å) near 250 K, giving 0.920 g/cm³ (c/a = 1.628)
A_ICE = 4.518
C_ICE = 7.356
#: molar mass of H2O, g/mol
M_H2O = 18.015


def orthorhombic_ice_oxygens(a: float = A_ICE, c: float = C_ICE) -> tuple[np.ndarray, np.ndarray]:
    """(positions (8, 3) Å, cell (3, 3)) of the 8 oxygens of the orthorhombic ice Ih cell
    (a, √3 a, c); wurtzite sites with the ideal internal parameter u = 3/8."""
    a1 = np.array([a, 0.0, 0.0])
    a2 = np.array([-a / 2, math.sqrt(3) * a / 2, 0.0])
    a3 = np.array([0.0, 0.0, c])
    basis = np.array([[1 / 3, 2 / 3, 0.0], [2 / 3, 1 / 3, 0.5], [1 / 3, 2 / 3, 3 / 8], [2 / 3, 1 / 3, 7 / 8]])
    cell = np.array([a1, a1 + 2 * a2, a3])
    pts = []
    for i in range(-2, 3):
        for j in range(-2, 3):
            for f in basis:
                pts.append((f[0] + i) * a1 + (f[1] + j) * a2 + f[2] * a3)
    pts = np.array(pts)
    frac = np.linalg.solve(cell.T, pts.T).T
    keep = np.all((frac > -1e-9) & (frac < 1 - 1e-9), axis=1)
    out = pts[keep]
    if len(out) != 8:  # pragma: no cover - geometry guard
        raise RuntimeError(f"expected 8 oxygens in the orthorhombic cell, got {len(out)}")
    return out, cell


def _oo_graph(pos: np.ndarray, cell: np.ndarray, cutoff: float):
    """Undirected O-O bonds as (i, j, image shift) with each bond listed once."""
    atoms = ase.Atoms(numbers=np.full(len(pos), 8), positions=pos, cell=cell, pbc=True)
    i, j, S = neighbor_list("ijS", atoms, cutoff)
    edges = []
    for a, b, s in zip(i, j, S):
        if a < b or (a == b and tuple(s) > (0, 0, 0)):
            edges.append((int(a), int(b), tuple(int(x) for x in s)))
    deg = np.bincount([e[0] for e in edges] + [e[1] for e in edges], minlength=len(pos))
    if not np.all(deg == 4):
        raise InputError(f"ice Ih O-O graph is not 4-regular (degrees {sorted(set(deg.tolist()))}); supercell too small?")
    return edges


def _euler_orientation(n: int, edges) -> np.ndarray:
    """Orient each edge (True: i -> j) along Euler circuits, so in = out = 2 everywhere."""
    adj = [[] for _ in range(n)]
    for k, (a, b, _) in enumerate(edges):
        adj[a].append(k)
        adj[b].append(k)
    used = np.zeros(len(edges), bool)
    forward = np.zeros(len(edges), bool)
    ptr = [0] * n
    for start in range(n):
        # Hierholzer, iterative; each edge is oriented in the direction it is traversed
        stack = [start]
        while stack:
            v = stack[-1]
            while ptr[v] < len(adj[v]) and used[adj[v][ptr[v]]]:
                ptr[v] += 1
            if ptr[v] == len(adj[v]):
                stack.pop()
                continue
            k = adj[v][ptr[v]]
            used[k] = True
            a, b, _ = edges[k]
            forward[k] = a == v if a != b else True
            stack.append(b if a == v else a)
    return forward


def ice_ih(
    nx: int = 2,
    ny: int = 1,
    nz: int = 1,
    *,
    seed: int = 0,
    a: float = A_ICE,
    c: float = C_ICE,
    r_oh: float = 0.9572,
    hoh: float | None = 104.52,
    zero_dipole: bool = True,
    n_flips: int | None = None,
):
    """Proton-disordered ice Ih as ``ase.Atoms`` (O, H, H per molecule; positions wrapped).

    The supercell is nx x ny x nz orthorhombic cells (a, √3 a, c), 8 molecules each.
    ``n_flips``: loop reversals for the randomisation (default 20 per molecule).
    ``info`` records the seed, density (g/cm³), net dipole (|Σ donor->acceptor bond vectors|, Å)
    and the lattice constants.
    """
    if min(nx, ny, nz) < 1:
        raise InputError("ice Ih supercell repeats must be positive")
    if not (a > 0 and c > 0 and r_oh > 0):
        raise InputError("ice Ih lattice constants and r_OH must be positive")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    o8, cell8 = orthorhombic_ice_oxygens(a, c)
    cell = cell8 * np.array([nx, ny, nz])[:, None]
    shifts = np.array([[i, j, k] for i in range(nx) for j in range(ny) for k in range(nz)]) @ cell8
    opos = (shifts[:, None, :] + o8[None]).reshape(-1, 3)
    n = len(opos)
    d_oo = 3 / 8 * c
    edges = _oo_graph(opos, cell, cutoff=1.15 * max(d_oo, a / math.sqrt(3)))
    # donor -> acceptor bond vectors for the forward orientation (i -> j + S)
    vec = np.array([opos[b] + np.asarray(s) @ cell - opos[a_] for a_, b, s in edges])
    forward = _euler_orientation(n, edges)

    out_edges = [[] for _ in range(n)]  # per vertex: edge indices incident to it
    for k, (a_, b, _) in enumerate(edges):
        out_edges[a_].append(k)
        out_edges[b].append(k)

    def donor(k):
        return edges[k][0] if forward[k] else edges[k][1]

    def acceptor(k):
        return edges[k][1] if forward[k] else edges[k][0]

    def random_loop():
        """Edges of a closed directed loop found by a random walk along outgoing bonds."""
        v = int(rng.integers(n))
        seen = {v: 0}
        path = []
        while True:
            outs = [k for k in out_edges[v] if donor(k) == v]
            k = outs[int(rng.integers(len(outs)))]
            path.append(k)
            v = acceptor(k)
            if v in seen:
                return path[seen[v]:]
            seen[v] = len(path)

    def dipole():
        sign = np.where(forward, 1.0, -1.0)
        return (vec * sign[:, None]).sum(0)

    flips = 20 * n if n_flips is None else int(n_flips)
    for _ in range(flips):
        loop = random_loop()
        forward[loop] = ~forward[loop]
    if zero_dipole:
        m = dipole()
        tol = 1e-6 * d_oo
        tries = 0
        while np.linalg.norm(m) > tol:
            tries += 1
            if tries > 200 * n:
                raise InputError(f"could not reach zero net dipole in a {nx}x{ny}x{nz} ice Ih supercell "
                                 f"(|M| = {np.linalg.norm(m):.3f} A); use zero_dipole=False or another size")
            loop = random_loop()
            sign = np.where(forward[loop], 1.0, -1.0)
            change = -2 * (vec[loop] * sign[:, None]).sum(0)
            if np.linalg.norm(m + change) < np.linalg.norm(m) - tol:
                forward[loop] = ~forward[loop]
                m = m + change

    # hydrogen positions
    donated = [[] for _ in range(n)]
    for k in range(len(edges)):
        donated[donor(k)].append(vec[k] if forward[k] else -vec[k])
    symbols, pos = [], []
    half = None if hoh is None else math.radians(hoh) / 2
    for i in range(n):
        if len(donated[i]) != 2:  # pragma: no cover - guaranteed by construction
            raise RuntimeError("ice rules violated")
        u1, u2 = (v / np.linalg.norm(v) for v in donated[i])
        if half is None:
            h1, h2 = u1, u2
        else:
            bis = (u1 + u2) / np.linalg.norm(u1 + u2)
            perp = (u1 - u2) / np.linalg.norm(u1 - u2)
            h1 = math.cos(half) * bis + math.sin(half) * perp
            h2 = math.cos(half) * bis - math.sin(half) * perp
        symbols += ["O", "H", "H"]
        pos += [opos[i], opos[i] + r_oh * h1, opos[i] + r_oh * h2]
    atoms = ase.Atoms(symbols=symbols, positions=np.array(pos), cell=cell, pbc=True)
    atoms.wrap()
    volume = abs(np.linalg.det(cell))
    atoms.info.update(
        structure="ice Ih (proton-disordered)",
        seed=int(seed),
        supercell=f"{nx}x{ny}x{nz}",
        density_g_cm3=mass_density(n * M_H2O, volume),
        net_dipole_A=float(np.linalg.norm(dipole())),
        lattice_a_A=float(a),
        lattice_c_A=float(c),
    )
    return atoms


def supercell_for(n_atoms: int) -> tuple[int, int, int]:
    """Repeats (nx, ny, nz) of the 24-atom orthorhombic cell giving ``n_atoms`` atoms in the
    most nearly cubic box; InputError if ``n_atoms`` is not a multiple of 24."""
    if n_atoms < 24 or n_atoms % 24:
        lo = max(24, n_atoms // 24 * 24)
        raise InputError(f"ice Ih needs a multiple of 24 atoms (8 molecules per cell), got {n_atoms}; "
                         f"e.g. {lo} or {lo + 24}")
    m = n_atoms // 24
    best = None
    lengths = np.array([A_ICE, math.sqrt(3) * A_ICE, C_ICE])
    for nx in range(1, m + 1):
        if m % nx:
            continue
        for ny in range(1, m // nx + 1):
            if (m // nx) % ny:
                continue
            nz = m // nx // ny
            L = lengths * (nx, ny, nz)
            score = L.max() / L.min()
            if best is None or score < best[0] - 1e-12:
                best = (score, (nx, ny, nz))
    return best[1]


def ice_ih_at_density(n_atoms: int, density: float, *, seed: int, **geometry):
    """:func:`ice_ih` of ``n_atoms`` (:func:`supercell_for`) with its cell and positions scaled to
    ``density`` (g/cm³, recorded in ``info["density_g_cm3"]``); ``geometry``: ``r_oh``, ``hoh``."""
    atoms = ice_ih(*supercell_for(n_atoms), seed=seed, **geometry)
    scale = (atoms.info["density_g_cm3"] / density) ** (1 / 3)
    atoms.set_cell(atoms.cell[:] * scale, scale_atoms=True)
    atoms.info["density_g_cm3"] = atoms.info["density_g_cm3"] / scale**3
    return atoms


class IceBuilder(Engine):
    """The ice-Ih "system": proton-disordered ice from :func:`ice_ih` at the task's density, no MD."""

    kind = "ice-builder"
    label = "builder"

    def check(self, system: System, n_atoms: int, protocol) -> None:
        supercell_for(n_atoms)

    def run(self, task: StructureTask, system: System, *, start=None, log=None, screen=False):
        atoms = ice_ih_at_density(task.n_atoms, task.density, seed=task.seed)
        atoms.info.update(
            system=system.name,
            index=task.index,
            seed=task.seed,
            potential="none",
            potential_sha256=self.potential_sha256(system),
            target_density_g_cm3=task.density,
            glasslib_version=glasslib.__version__,
            code_version=CODE_VERSION,
        )
        return atoms


def ice_rule_report(atoms, r_oh_max: float = 1.2, hbond_max: float = 2.2, angle_min: float = 140.0) -> dict:
    """Counts that verify the ice rules on an O/H structure (used by tests and notebooks).

    Returns per-O arrays: ``covalent_h`` (H within ``r_oh_max``), ``donated`` and ``accepted``
    H-bonds (H...O within ``hbond_max`` with O-H...O angle >= ``angle_min`` degrees), and
    per-H ``covalent_o``.
    """
    z = atoms.numbers
    i, j, d, D = neighbor_list("ijdD", atoms, max(r_oh_max, hbond_max))
    is_o, is_h = z == 8, z == 1
    cov = (d <= r_oh_max) & is_o[i] & is_h[j]
    covalent_h = np.bincount(i[cov], minlength=len(atoms))[is_o]
    h_cov = (d <= r_oh_max) & is_h[i] & is_o[j]
    covalent_o = np.bincount(i[h_cov], minlength=len(atoms))[is_h]
    # the covalent O of every H (first one found)
    owner = np.full(len(atoms), -1)
    owner_vec = np.zeros((len(atoms), 3))
    for a, b, v in zip(i[h_cov], j[h_cov], D[h_cov]):
        owner[a] = b
        owner_vec[a] = v  # H -> own O
    hb = (d > r_oh_max) & (d <= hbond_max) & is_h[i] & is_o[j]
    donated = np.zeros(len(atoms), int)
    accepted = np.zeros(len(atoms), int)
    for a, b, v in zip(i[hb], j[hb], D[hb]):
        if owner[a] < 0:
            continue
        u1, u2 = owner_vec[a], v  # H -> own O, H -> other O
        ang = math.degrees(math.acos(np.clip(u1 @ u2 / np.linalg.norm(u1) / np.linalg.norm(u2), -1, 1)))
        if ang >= angle_min:
            donated[owner[a]] += 1
            accepted[b] += 1
    return dict(covalent_h=covalent_h, covalent_o=covalent_o, donated=donated[is_o], accepted=accepted[is_o])
