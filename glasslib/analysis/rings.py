"""Rings of the bond graph: shortest-path rings (Franzblau 1991) with periodic images tracked, and
the ring statistics of a structure (OVITO FindRingsModifier, checked against that search).

The image-aware search is behind :func:`ring_statistics` where a cell is too small for OVITO's
FindRingsModifier, and behind the H-bond ring statistics of water (:mod:`glasslib.analysis.water`).
"""

from __future__ import annotations

from glasslib.analysis.bonds import BondGraph, bond_cutoffs, bond_graph
from glasslib.analysis.ovito_adapter import find_rings
from glasslib.core.errors import InputError
from glasslib.core.structures import Structures
from glasslib.spectra.form_factors import element_symbol


def shortest_path_rings(graph: BondGraph, max_ring_size: int = 10, *, min_ring_size: int = 3) -> dict[int, int]:
    """Number of shortest-path rings of each size in the periodic bond graph.

    A ring is a closed bond path in the infinite periodic net (image shifts tracked, so a
    path that winds through the cell is not a ring) that contains a shortest path between
    every two of its atoms (Franzblau, Phys. Rev. B 44, 4925 (1991)). From every atom s a
    breadth-first search to depth ⌊max/2⌋ lists the shortest paths; an even ring is two
    shortest paths to the same atom, an odd ring two shortest paths to the ends of one
    bond, disjoint apart from s; candidates with a shortcut are dropped, and each ring is
    counted once (from its lowest-index atom).
    """
    lo, hi = int(min_ring_size), int(max_ring_size)
    if not 3 <= lo <= hi:
        raise InputError(f"ring sizes must satisfy 3 <= min <= max, got {lo}..{hi}")
    n = graph.n_atoms
    adj = [[] for _ in range(n)]
    for a, b, s in zip(graph.i.tolist(), graph.j.tolist(), graph.shift.tolist()):
        adj[a].append((b, *s))
    depth = hi // 2
    bfs = [_bfs(adj, s, depth) for s in range(n)]
    seen: set = set()
    counts = {k: 0 for k in range(lo, hi + 1)}
    for s in range(n):
        dist, preds, layers = bfs[s]
        memo: dict = {}

        def paths(v):
            if v not in memo:
                memo[v] = [(v,)] if not preds[v] else [p + (v,) for u in preds[v] for p in paths(u)]
            return memo[v]

        for m in range(1, depth + 1):
            for v in layers[m] if m < len(layers) else ():
                if v[0] < s:
                    continue
                pv = paths(v)
                cands = []
                if lo <= 2 * m <= hi and m >= 2:
                    cands += [p + q[-2:0:-1] for x, p in enumerate(pv) for q in pv[x + 1 :]
                              if p[1] != q[1] and not set(p[1:-1]) & set(q[1:-1])]
                if lo <= 2 * m + 1 <= hi:
                    for b, *sh in adj[v[0]]:
                        w = (b, v[1] + sh[0], v[2] + sh[1], v[3] + sh[2])
                        if dist.get(w) == m and w > v and b >= s:
                            cands += [p + q[:0:-1] for p in pv for q in paths(w) if not set(p[1:]) & set(q[1:])]
                for ring in cands:
                    if min(r[0] for r in ring) < s or not _no_shortcut(ring, bfs):
                        continue
                    key = _ring_key(ring)
                    if key not in seen:
                        seen.add(key)
                        counts[len(ring)] += 1
    return counts


def _bfs(adj, s: int, depth: int):
    """Distances, shortest-path predecessors and layers from node (s, 0, 0, 0)."""
    start = (s, 0, 0, 0)
    dist, preds, layers = {start: 0}, {start: []}, [[start]]
    for d in range(1, depth + 1):
        nxt = []
        for u in layers[-1]:
            for b, sx, sy, sz in adj[u[0]]:
                v = (b, u[1] + sx, u[2] + sy, u[3] + sz)
                dv = dist.get(v)
                if dv is None:
                    dist[v], preds[v] = d, [u]
                    nxt.append(v)
                elif dv == d:
                    preds[v].append(u)
        if not nxt:
            break
        layers.append(nxt)
    return dist, preds, layers


def _no_shortcut(ring, bfs) -> bool:
    n = len(ring)
    for x in range(n):
        a = ring[x]
        dist = bfs[a[0]][0]
        for y in range(x + 2, n):
            k = min(y - x, n - y + x)
            if k < 2:
                continue
            b = ring[y]
            g = dist.get((b[0], b[1] - a[1], b[2] - a[2], b[3] - a[3]))
            if g is not None and g < k:
                return False
    return True


def _ring_key(ring) -> tuple:
    lowest = min(r[0] for r in ring)
    keys = []
    for o in ring:
        if o[0] != lowest:
            continue
        t = [(r[0], r[1] - o[1], r[2] - o[2], r[3] - o[3]) for r in ring]
        keys.append(tuple(sorted(tuple(sorted((t[k], t[(k + 1) % len(t)]))) for k in range(len(t)))))
    return min(keys)


def ring_statistics(structures: Structures, cutoff=None, max_ring_size: int = 10, *, cluster: bool = False) -> list[dict]:
    """``ring_size_counts`` per structure: OVITO FindRingsModifier, checked for small cells.

    OVITO searches the graph of the cell itself. Where it finds no cycle that winds through
    the cell up to ``max_ring_size``, its rings are exactly the periodic shortest-path rings
    (a shortcut through an image would close a winding cycle shorter than the ring). Where it
    does, the cell is too small for that: the count comes from
    :func:`shortest_path_rings`, which tracks images (``ring_method`` says which). With
    ``cluster``, every structure is a finite cluster: OVITO's rings without images, which are
    the shortest-path rings of the cluster's bond graph (nothing winds).
    """
    out = []
    for s in structures.split():
        table = bond_cutoffs(s.elements, cutoff)
        values = set(table.values())
        bonds = values.pop() if len(values) == 1 else {(element_symbol(a), element_symbol(b)): c for (a, b), c in table.items()}
        res = find_rings(s, bonds, max_ring_size, cluster=cluster)[0]
        counts, method = res["counts"], "ovito"
        if any(res["winding_dropped"].values()):
            counts, method = shortest_path_rings(bond_graph(s, cutoff), max_ring_size), "periodic search (small cell)"
        out.append({
            "ring_size_counts": {str(k): v for k, v in counts.items()},
            "rings_per_atom": sum(counts.values()) / s.n_atoms,
            "ring_method": method,
        })
    return out
