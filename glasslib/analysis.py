"""Structural descriptors of generated and reference structures (non-differentiable).

Every descriptor is computed per structure and returned as plain numbers, lists and dicts
with self-explaining keys, so that :func:`analyze` can write them to JSON unchanged. The
descriptors that are never used as guidance targets are the paper's independent checks.

Bonds. Two atoms of elements a, b are bonded when closer than r_ab (Å): by default
1.25 (R_a + R_b) with R the covalent radii of ``ase.data.covalent_radii`` (O–H 1.21,
C–C 1.90, Si–O 2.21), except for the pairs in :data:`BOND_CUTOFF_OVERRIDES` (Si–Si 2.85,
the usual first minimum of a-Si's g(r); S–S 2.5 for S–S bonds of 2.0–2.1 Å). One number
sets every pair; a mapping such as ``{"Si-O": 2.0}`` overrides single pairs. Periodic
images are included (vesin neighbour list of :mod:`glasslib.geometry`).

==========================  ==================================================================
descriptor                  definition
==========================  ==================================================================
coordination                n_i = number of bonds of atom i; ``coordination_A_B`` = mean
                            number of B neighbours of an A atom; distributions are fractions
bond angles                 θ_jik at every atom i between two of its bonds (0–180°)
dihedral angles             |φ_ijkl| for every bond path i–j–k–l (i ≠ k, l ≠ j), with
                            φ = atan2(|b2| b1·(b2×b3), (b1×b2)·(b2×b3)), b1 = r_j − r_i, ...
                            (staggered diamond: 60° and 180° in the ratio 2:1)
crystallinity               fractions of OVITO IdentifyDiamond types; ``crystallinity_cubic``
                            counts the cubic type and its first/second-neighbour classes
rings                       shortest-path rings (Franzblau 1991) of the bond graph, OVITO
                            FindRingsModifier (own periodic search where the cell is too
                            small for OVITO's search of the cell's own graph)
water H-bonds               O_d–H···O_a with r_OO < 3.5 Å and angle(H–O_d···O_a) < 30°
                            (Luzar & Chandler, Nature 379, 55 (1996)); rings are the
                            shortest-path rings of the O–O H-bond graph (own search,
                            periodic images tracked)
CHILL+                      OVITO ChillPlusModifier on the oxygens
sulfur                      ``s8_fraction``: S atoms in closed 8-cycles of two-coordinated S
                            (intact S₈ rings); ``s_chain_end_fraction``: one-coordinated S
entropy                     QUESTS information entropy H = −(1/N) Σ_i ln[(1/N) Σ_j
                            exp(−|x_i − x_j|²/2h²)] of the per-atom descriptors x (Schwalbe-
                            Koda et al., Nat. Commun. 16, 4014 (2025)), nats; 0 when every
                            environment is the same (perfect crystal), at most ln N
==========================  ==================================================================
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import torch

from glasslib.errors import InputError
from glasslib.geometry import neighbor_pairs
from glasslib.rings import shortest_path_rings
from glasslib.structures import Structures

#: bond cutoffs (Å) that replace the covalent-radius rule, by element-symbol pair
BOND_CUTOFF_OVERRIDES = {("Si", "Si"): 2.85, ("S", "S"): 2.5}
#: bond cutoff = COVALENT_FACTOR × (R_a + R_b) for the other pairs
COVALENT_FACTOR = 1.25
#: QUESTS defaults: Gaussian bandwidth h (Å⁻¹, descriptor units), cutoff (Å), neighbours k
ENTROPY_BANDWIDTH, ENTROPY_CUTOFF, ENTROPY_NEIGHBORS = 0.015, 5.0, 32
#: elements for which diamond types, rings and dihedrals are reported
TETRAHEDRAL = frozenset({6, 14, 32})


def _symbol(z: int) -> str:
    from ase.data import chemical_symbols

    return chemical_symbols[int(z)]


def _z(symbol: str) -> int:
    from ase.data import atomic_numbers

    if symbol not in atomic_numbers:
        raise InputError(f"unknown element {symbol!r} in a bond cutoff")
    return atomic_numbers[symbol]


# ------------------------------------------------------------------ bond graph
def bond_cutoffs(elements: Sequence[int], cutoff=None) -> dict[tuple[int, int], float]:
    """Cutoff (Å) for every pair (za <= zb) of ``elements``; see the module docstring.

    ``cutoff``: None (defaults), one number (every pair), or a mapping from ``"A-B"`` or
    ``("A", "B")`` to Å that overrides those pairs; 0 means the pair never bonds (e.g.
    ``{"Si-Si": 0}`` for silica, whose Si–Si pairs in edge-sharing tetrahedra come within
    the elemental Si–Si cutoff).
    """
    from ase.data import covalent_radii

    els = sorted({int(z) for z in elements})
    out = {}
    for a in els:
        for b in els:
            if a <= b:
                key = tuple(sorted((_symbol(a), _symbol(b))))
                out[(a, b)] = BOND_CUTOFF_OVERRIDES.get(key, COVALENT_FACTOR * (covalent_radii[a] + covalent_radii[b]))
    if cutoff is None:
        return out
    if isinstance(cutoff, Mapping):
        for pair, value in cutoff.items():
            names = pair.split("-") if isinstance(pair, str) else list(pair)
            if len(names) != 2:
                raise InputError(f"bond cutoff pair must look like 'Si-O', got {pair!r}")
            za, zb = sorted(_z(str(n).strip()) for n in names)
            if (za, zb) in out:
                out[(za, zb)] = _positive(value, f"cutoff {pair}", allow_zero=True)
        if not max(out.values(), default=0.0) > 0:
            raise InputError("every bond cutoff is zero: no bonds to analyse")
        return out
    value = _positive(cutoff, "cutoff")
    return {k: value for k in out}


def _positive(value, name: str, *, allow_zero: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}") from None
    if not (math.isfinite(v) and (v > 0 or (allow_zero and v == 0))):
        raise InputError(f"{name} must be a positive number{' or 0' if allow_zero else ''}, got {value}")
    return v


@dataclass(frozen=True)
class BondGraph:
    """Bonds of one structure, both directions, sorted by the first atom.

    Attributes (E directed bonds): ``i``, ``j`` (E,) local atom indices; ``shift`` (E, 3)
    image shifts (r_ij = x_j − x_i + shift @ cell); ``vec`` (E, 3) r_ij in Å; ``rev`` (E,)
    index of the reverse bond j → i; ``species`` (n_atoms,) atomic numbers.
    """

    species: np.ndarray
    i: np.ndarray
    j: np.ndarray
    shift: np.ndarray
    vec: np.ndarray
    rev: np.ndarray

    @property
    def n_atoms(self) -> int:
        return int(self.species.shape[0])

    @property
    def degree(self) -> np.ndarray:
        return np.bincount(self.i, minlength=self.n_atoms)

    def restrict(self, keep_atoms: np.ndarray) -> "BondGraph":
        """Only the bonds between atoms where ``keep_atoms`` (bool, n_atoms) is True."""
        keep = keep_atoms[self.i] & keep_atoms[self.j]
        return _graph_from_half(self.species, *(a[keep & (np.arange(len(keep)) < self.rev)] for a in (self.i, self.j, self.shift, self.vec)))


def _graph_from_half(species, i, j, shift, vec) -> BondGraph:
    h = i.shape[0]
    fi, fj = np.concatenate([i, j]), np.concatenate([j, i])
    fs, fv = np.concatenate([shift, -shift]), np.concatenate([vec, -vec])
    rev = np.concatenate([np.arange(h) + h, np.arange(h)])
    order = np.argsort(fi, kind="stable")
    inv = np.empty_like(order)
    inv[order] = np.arange(order.shape[0])
    return BondGraph(species, fi[order], fj[order], fs[order], fv[order], inv[rev[order]])


def bond_graph(structure: Structures, cutoff=None) -> BondGraph:
    """Bond graph of a single structure (``structure.n_systems == 1``) with pair cutoffs."""
    if structure.n_systems != 1:
        raise InputError(f"bond_graph takes one structure, got {structure.n_systems}")
    species = structure.species.cpu().numpy()
    table = bond_cutoffs(np.unique(species), cutoff)
    p = neighbor_pairs(structure.to(dtype=torch.float64), max(table.values()))
    i, j = p.i.cpu().numpy(), p.j.cpu().numpy()
    d = p.distances.detach().cpu().numpy()
    za, zb = np.minimum(species[i], species[j]), np.maximum(species[i], species[j])
    limit = np.zeros(d.shape)
    for (a, b), c in table.items():
        limit[(za == a) & (zb == b)] = c
    keep = d < limit
    return _graph_from_half(
        species, i[keep], j[keep], p.shifts.cpu().numpy()[keep], p.vectors.detach().cpu().numpy()[keep]
    )


def _group_ranges(centre: np.ndarray, n_atoms: int):
    deg = np.bincount(centre, minlength=n_atoms)
    return deg, np.cumsum(deg) - deg


def _expand(rows: np.ndarray, count: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row r repeated count[r] times, paired with start[r] + 0, 1, ..., count[r] − 1."""
    rep = np.repeat(rows, count)
    offset = np.arange(rep.shape[0]) - np.repeat(np.cumsum(count) - count, count)
    return rep, np.repeat(start, count) + offset


# ------------------------------------------------------------- coordination
def _distribution(values: np.ndarray) -> dict[str, float]:
    if values.size == 0:
        return {}
    counts = np.bincount(values.astype(np.int64))
    return {str(k): float(c) / values.size for k, c in enumerate(counts) if c}


def coordination(graph: BondGraph) -> dict:
    """Mean coordination and its distribution, overall, per element and per element pair."""
    z = graph.species
    deg = graph.degree
    out = {"coordination_mean": float(deg.mean()), "coordination_distribution": _distribution(deg)}
    elements = sorted(set(z.tolist()))
    for a in elements:
        centre = z == a
        sa = _symbol(a)
        if len(elements) > 1:
            out[f"coordination_{sa}"] = float(deg[centre].mean())
            out[f"coordination_distribution_{sa}"] = _distribution(deg[centre])
        for b in elements:
            n_b = np.bincount(graph.i, weights=(z[graph.j] == b).astype(float), minlength=graph.n_atoms)
            out[f"coordination_{sa}_{_symbol(b)}"] = float(n_b[centre].mean())
            out[f"coordination_distribution_{sa}_{_symbol(b)}"] = _distribution(np.rint(n_b[centre]))
    return out


# ----------------------------------------------------------------- angles
def bond_angles(graph: BondGraph) -> tuple[np.ndarray, np.ndarray]:
    """(angles in degrees, centre atom) of every pair of bonds sharing an atom."""
    from glasslib.angles import triplet_index

    e1, e2 = (t.numpy() for t in triplet_index(torch.as_tensor(graph.i), graph.n_atoms))
    a, b = graph.vec[e1], graph.vec[e2]
    theta = np.degrees(np.arctan2(np.linalg.norm(np.cross(a, b), axis=1), (a * b).sum(1)))
    return theta, graph.i[e1]


def dihedral_angles(graph: BondGraph) -> np.ndarray:
    """|φ| in degrees (0–180) of every bond path i–j–k–l, each path counted once.

    Every bond j–k is taken once as the central bond, with every other bond j–i of j and
    every other bond k–l of k (images included).
    """
    deg, first = _group_ranges(graph.i, graph.n_atoms)
    central = np.flatnonzero(np.arange(graph.i.shape[0]) < graph.rev)  # each bond once
    c, e1 = _expand(central, deg[graph.i[central]], first[graph.i[central]])  # bonds j → i
    keep = e1 != c  # not the central bond itself
    c, e1 = c[keep], e1[keep]
    row, e3 = _expand(np.arange(c.shape[0]), deg[graph.j[c]], first[graph.j[c]])  # bonds k → l
    c, e1 = c[row], e1[row]
    keep = e3 != graph.rev[c]  # not back along the central bond
    c, e1, e3 = c[keep], e1[keep], e3[keep]
    b1, b2, b3 = -graph.vec[e1], graph.vec[c], graph.vec[e3]
    n1, n2 = np.cross(b1, b2), np.cross(b2, b3)
    y = np.linalg.norm(b2, axis=1) * (b1 * n2).sum(1)
    return np.abs(np.degrees(np.arctan2(y, (n1 * n2).sum(1))))


def angle_histogram(angles: np.ndarray, bin_width: float = 2.0) -> tuple[list[float], list[float]]:
    """(bin centres, probability density per degree) on [0, 180]."""
    n_bins = int(round(180.0 / bin_width))
    if n_bins < 1 or abs(n_bins * bin_width - 180.0) > 1e-9:
        raise InputError(f"angle bin width must divide 180 degrees, got {bin_width}")
    hist, edges = np.histogram(angles, bins=n_bins, range=(0.0, 180.0))
    density = hist / max(angles.size, 1) / bin_width
    return (0.5 * (edges[1:] + edges[:-1])).tolist(), density.tolist()


def _angle_summary(prefix: str, angles: np.ndarray, bin_width: float) -> dict:
    grid, hist = angle_histogram(angles, bin_width)
    return {
        f"{prefix}_mean_deg": float(angles.mean()) if angles.size else None,
        f"{prefix}_std_deg": float(angles.std()) if angles.size else None,
        f"{prefix}_count": int(angles.size),
        f"{prefix}_bin_centers_deg": grid,
        f"{prefix}_histogram": hist,
    }


# ------------------------------------------------------------------ water
def hydrogen_bonds(
    structure: Structures,
    *,
    r_oo: float = 3.5,
    max_angle: float = 30.0,
    r_oh: float = 1.25,
    max_ring_size: int = 10,
) -> dict:
    """Geometric H-bond network of a water structure (Luzar & Chandler 1996).

    Each H belongs to its nearest O within ``r_oh`` Å. O_d donates to O_a when
    r(O_d, O_a) < ``r_oo`` Å and the angle between O_d→H and O_d→O_a is below ``max_angle``
    degrees for one of O_d's hydrogens; a pair is H-bonded if either donates to the other.

    Returns ``hbond_count``, ``hbonds_per_molecule`` (2 × bonds / n_O), ``hbond_distribution``
    (fraction of molecules with n H-bonds), ``hbond_donated_mean``, ``hbond_accepted_mean``
    and ``hbond_ring_size_counts`` (shortest-path rings of the O–O H-bond graph).
    """
    z = structure.species.cpu().numpy()
    is_o, is_h = z == 8, z == 1
    if not is_o.any() or not is_h.any():
        raise InputError("the H-bond analysis needs O and H atoms", structure.source)
    p = neighbor_pairs(structure.to(dtype=torch.float64), max(r_oo, r_oh), full=True)
    i, j, d = p.i.cpu().numpy(), p.j.cpu().numpy(), p.distances.detach().cpu().numpy()
    vec, shift = p.vectors.detach().cpu().numpy(), p.shifts.cpu().numpy()
    # covalent O–H: each H to its nearest O
    oh = np.flatnonzero(is_h[i] & is_o[j] & (d < r_oh))
    oh = oh[np.lexsort((d[oh], i[oh]))]
    oh = oh[np.r_[True, i[oh][1:] != i[oh][:-1]]] if oh.size else oh
    owner, u_h = j[oh], -vec[oh]  # O that owns each H, and the vector O → H
    order = np.argsort(owner, kind="stable")
    owner, u_h = owner[order], u_h[order]
    n_h_of, first_h = _group_ranges(owner, z.shape[0])
    # donor → acceptor O–O pairs, expanded over the donor's hydrogens
    oo = np.flatnonzero(is_o[i] & is_o[j] & (d < r_oo))
    e, h = _expand(oo, n_h_of[i[oo]], first_h[i[oo]])
    cos = (u_h[h] * vec[e]).sum(1) / (np.linalg.norm(u_h[h], axis=1) * d[e])
    donate = np.unique(e[cos > math.cos(math.radians(max_angle))])
    # one entry per unordered pair (with its image shift)
    a, b, s = i[donate], j[donate], shift[donate]
    flip = (a > b) | ((a == b) & (np.sign(s) @ np.array([4, 2, 1]) < 0))
    rows = np.column_stack([np.where(flip, b, a), np.where(flip, a, b), np.where(flip[:, None], -s, s)])
    bonds = np.unique(rows, axis=0) if rows.size else rows.reshape(0, 5)
    donated = np.bincount(i[donate], minlength=z.shape[0])[is_o]
    accepted = np.bincount(j[donate], minlength=z.shape[0])[is_o]
    o_index = np.full(z.shape[0], -1)
    o_index[is_o] = np.arange(int(is_o.sum()))
    bi, bj = o_index[bonds[:, 0]], o_index[bonds[:, 1]]
    n_o = int(is_o.sum())
    graph = _graph_from_half(np.full(n_o, 8), bi, bj, bonds[:, 2:5], np.zeros((bonds.shape[0], 3)))
    rings = shortest_path_rings(graph, max_ring_size)
    return {
        "hbond_count": int(bonds.shape[0]),
        "hbonds_per_molecule": 2.0 * bonds.shape[0] / n_o,
        "hbond_distribution": _distribution(graph.degree),
        "hbond_donated_mean": float(donated.mean()),
        "hbond_accepted_mean": float(accepted.mean()),
        "hbond_ring_size_counts": {str(k): v for k, v in rings.items()},
    }


# ------------------------------------------------------------------ sulfur
def sulfur_rings(graph: BondGraph) -> dict:
    """S₈ rings and chain ends of the S–S bond graph (other elements ignored).

    Walks every chain of two-coordinated S atoms; a walk that closes on its start with zero
    net image shift is a ring (a walk that closes through the cell is an endless chain).
    Returns ``s8_fraction`` (S atoms in closed 8-rings), ``s_chain_end_fraction`` (S₁, one
    S neighbour), ``s_isolated_fraction`` (no S neighbour), ``s_branch_fraction`` (three or
    more), ``s_ring_size_counts`` (closed rings of two-coordinated S by size) and
    ``s_coordination_distribution``.
    """
    is_s = graph.species == 16
    if not is_s.any():
        raise InputError("the sulfur analysis needs S atoms")
    g = graph.restrict(is_s)
    deg, first = _group_ranges(g.i, g.n_atoms)
    visited = np.zeros(g.n_atoms, bool)
    in_s8 = np.zeros(g.n_atoms, bool)
    ring_sizes: dict[int, int] = {}
    for start in np.flatnonzero(is_s & (deg == 2)):
        if visited[start]:
            continue
        edge, shift, members = first[start], np.zeros(3, np.int64), [start]
        closed = False
        while True:
            shift = shift + g.shift[edge]
            nxt = g.j[edge]
            if nxt == start:
                closed = not shift.any()
                break
            if deg[nxt] != 2 or visited[nxt] or nxt in members:
                break
            members.append(nxt)
            a, b = first[nxt], first[nxt] + 1
            edge = b if a == g.rev[edge] else a
        visited[members] = True
        if closed:
            ring_sizes[len(members)] = ring_sizes.get(len(members), 0) + 1
            if len(members) == 8:
                in_s8[members] = True
    n_s = int(is_s.sum())
    ds = deg[is_s]
    return {
        "s8_fraction": float(in_s8.sum()) / n_s,
        "s_chain_end_fraction": float((ds == 1).sum()) / n_s,
        "s_isolated_fraction": float((ds == 0).sum()) / n_s,
        "s_branch_fraction": float((ds >= 3).sum()) / n_s,
        "s_ring_size_counts": {str(k): v for k, v in sorted(ring_sizes.items())},
        "s_coordination_distribution": _distribution(ds),
    }


# ------------------------------------------------------------------ entropy
def information_entropy(
    structures: Structures,
    *,
    bandwidth: float = ENTROPY_BANDWIDTH,
    cutoff: float = ENTROPY_CUTOFF,
    k: int = ENTROPY_NEIGHBORS,
) -> np.ndarray:
    """QUESTS information entropy of each structure, nats (see the module docstring).

    The descriptor of an atom is QUESTS' default (sorted inverse distances of its ``k``
    nearest neighbours within ``cutoff`` Å, weighted by a smooth cutoff, and the same for
    the neighbour-neighbour distances), the same for every element. ``bandwidth`` h is the
    Gaussian kernel width in descriptor units (Å⁻¹); 0.015 is QUESTS' default, tuned for
    condensed phases. The first call compiles numba kernels (about 25 s, cached on disk).
    """
    from quests.descriptor import get_descriptors
    from quests.entropy import entropy

    from glasslib.structures import to_ase

    h = _positive(bandwidth, "entropy bandwidth")
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's type-safety warnings inside quests
        for atoms in to_ase(structures):
            x = get_descriptors([atoms], k=int(k), cutoff=float(cutoff))
            out.append(max(float(entropy(x, h)), 0.0))
    return np.asarray(out)


# ------------------------------------------------------------------ OVITO-backed
def crystallinity(structures: Structures) -> list[dict]:
    """Diamond-type fractions per structure (OVITO IdentifyDiamondModifier)."""
    from glasslib.ovito_adapter import identify_diamond

    out = []
    for res in identify_diamond(structures):
        f = res["fractions"]
        cubic = sum(v for k, v in f.items() if k.startswith("cubic"))
        hexa = sum(v for k, v in f.items() if k.startswith("hex"))
        out.append({
            "crystallinity_cubic": cubic,
            "crystallinity_hexagonal": hexa,
            "crystallinity": cubic + hexa,
            "diamond_type_fractions": dict(f),
        })
    return out


def ring_statistics(structures: Structures, cutoff=None, max_ring_size: int = 10) -> list[dict]:
    """``ring_size_counts`` per structure: OVITO FindRingsModifier, checked for small cells.

    OVITO searches the graph of the cell itself. Where it finds no cycle that winds through
    the cell up to ``max_ring_size``, its rings are exactly the periodic shortest-path rings
    (a shortcut through an image would close a winding cycle shorter than the ring). Where it
    does, the cell is too small for that: the count comes from
    :func:`shortest_path_rings`, which tracks images (``ring_method`` says which).
    """
    from glasslib.ovito_adapter import find_rings

    out = []
    for s in structures.split():
        table = bond_cutoffs(s.elements, cutoff)
        values = set(table.values())
        bonds = values.pop() if len(values) == 1 else {(_symbol(a), _symbol(b)): c for (a, b), c in table.items()}
        res = find_rings(s, bonds, max_ring_size)[0]
        counts, method = res["counts"], "ovito"
        if any(res["winding_dropped"].values()):
            counts, method = shortest_path_rings(bond_graph(s, cutoff), max_ring_size), "periodic search (small cell)"
        out.append({
            "ring_size_counts": {str(k): v for k, v in counts.items()},
            "rings_per_atom": sum(counts.values()) / s.n_atoms,
            "ring_method": method,
        })
    return out


def chill_plus_phases(structures: Structures) -> list[dict]:
    """CHILL+ phase fractions of the water molecules (keys ``chillplus_<phase>``)."""
    from glasslib.ovito_adapter import chill_plus

    return [{f"chillplus_{k}": v for k, v in r["fractions"].items()} for r in chill_plus(structures)]


# ------------------------------------------------------------------ everything
def analyze(
    structures: Structures,
    *,
    cutoff=None,
    max_ring_size: int = 10,
    angle_bin: float = 2.0,
    hbond_r_oo: float = 3.5,
    hbond_angle: float = 30.0,
    entropy: bool = True,
    entropy_bandwidth: float = ENTROPY_BANDWIDTH,
) -> dict:
    """Every descriptor that applies to each structure, as JSON-ready values.

    Always: composition, density, coordination, bond angles, entropy (unless
    ``entropy=False``). C/Si/Ge present: dihedral angles and ring statistics, plus diamond
    crystallinity when the structure holds nothing else. O and H: H-bond network and CHILL+.
    S: S₈ and chain-end fractions.

    Returns ``{"n_structures", "settings", "structures": [one dict per structure], "mean":
    mean over structures}``; in the mean, numbers are averaged over the structures that have
    them, counts and fractions per key (missing keys count as 0), histograms bin by bin.
    """
    structures.require_periodic("structural analysis")
    settings = {
        "bond_cutoffs_A": {f"{_symbol(a)}-{_symbol(b)}": c for (a, b), c in bond_cutoffs(structures.elements, cutoff).items()},
        "max_ring_size": int(max_ring_size),
        "angle_bin_deg": float(angle_bin),
        "hbond_r_oo_A": float(hbond_r_oo),
        "hbond_angle_deg": float(hbond_angle),
        "entropy_bandwidth": float(entropy_bandwidth) if entropy else None,
    }
    reports = []
    for s in structures.split():
        z = set(s.elements)
        rep = {
            "n_atoms": s.n_atoms,
            "composition": {_symbol(e): int((s.species == e).sum()) for e in sorted(z)},
            "density_g_cm3": float(s.mass_density[0]),
        }
        g = bond_graph(s, cutoff)
        rep.update(coordination(g))
        theta, centre = bond_angles(g)
        rep.update(_angle_summary("bond_angle", theta, angle_bin))
        if len(z) > 1:  # per centre element, e.g. O–Si–O at Si and Si–O–Si at O
            for e in sorted(z):
                at_e = theta[g.species[centre] == e]
                if at_e.size:  # H in water has one bond and no angle
                    rep.update(_angle_summary(f"bond_angle_{_symbol(e)}", at_e, angle_bin))
        if z & TETRAHEDRAL:
            rep.update(_angle_summary("dihedral", dihedral_angles(g), angle_bin))
            rep.update(ring_statistics(s, cutoff, max_ring_size)[0])
            if z <= TETRAHEDRAL:
                rep.update(crystallinity(s)[0])
        if {1, 8} <= z:
            rep.update(hydrogen_bonds(s, r_oo=hbond_r_oo, max_angle=hbond_angle, max_ring_size=max_ring_size))
            rep.update(chill_plus_phases(s)[0])
        if 16 in z:
            rep.update(sulfur_rings(g))
        if entropy:
            rep["entropy_nats"] = float(information_entropy(s, bandwidth=entropy_bandwidth)[0])
            rep["entropy_max_nats"] = math.log(s.n_atoms)
        reports.append(rep)
    return {"n_structures": len(reports), "settings": settings, "structures": reports, "mean": mean_report(reports)}


def mean_report(reports: Sequence[Mapping]) -> dict:
    """Mean of per-structure reports (see :func:`analyze`)."""
    keys = []
    for r in reports:
        keys += [k for k in r if k not in keys]
    out = {}
    for key in keys:
        vals = [r[key] for r in reports if r.get(key) is not None]
        if not vals:
            out[key] = None
            continue
        first = vals[0]
        if isinstance(first, bool) or isinstance(first, str):
            if all(v == first for v in vals):
                out[key] = first
        elif isinstance(first, (int, float)):
            out[key] = float(np.mean(vals))
        elif isinstance(first, Mapping):
            sub = sorted({s for v in vals for s in v}, key=lambda s: (len(s), s))
            out[key] = {s: float(np.mean([v.get(s, 0) for v in vals])) for s in sub}
        elif isinstance(first, list) and all(isinstance(v, list) and len(v) == len(first) for v in vals):
            out[key] = np.mean(np.asarray(vals, dtype=float), axis=0).tolist()
    return out
