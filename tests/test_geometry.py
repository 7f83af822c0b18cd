"""Tests for glasslib.core.geometry: wrapping, minimum image and neighbour pairs (vesin vs dense)."""

from __future__ import annotations

import itertools

import ase
import numpy as np
import pytest
import torch

from glasslib.core.errors import InputError
from glasslib.core.geometry import (
    dense_pairs,
    half_to_full,
    heights,
    minimum_image,
    neighbor_pairs,
    pair_distances,
    release_neighbor_lists,
    to_cartesian,
    to_fractional,
    wrap,
    wrap_positions,
)
from glasslib.core.structures import Structures, concatenate, from_ase

TRICLINIC = np.array([[5.0, 0.0, 0.0], [1.3, 4.6, 0.0], [-0.8, 1.1, 5.4]])
SKEWED = np.array([[3.0, 0.0, 0.0], [7.4, 2.0, 0.0], [-4.1, 5.3, 2.5]])  # face distances 0.29, 0.85, 2.5 Å


def _random(cell, n, seed=0, unwrap=0, symbols="Si") -> Structures:
    """n random atoms in ``cell``; ``unwrap`` > 0 moves each by random lattice vectors."""
    rng = np.random.default_rng(seed)
    frac = rng.random((n, 3)) + rng.integers(-unwrap, unwrap + 1, size=(n, 3))
    atoms = ase.Atoms(symbols * n, positions=frac @ np.asarray(cell), cell=cell, pbc=True)
    return from_ase(atoms)


def _key(p):
    """Multiset of (i, j, shift, rounded distance) tuples.

    A half list may list an unordered pair as (i, j, S) or (j, i, −S), and a self image
    as S or −S; both are canonicalised to i < j, or to the lexicographically positive S.
    """
    out = []
    for (i, j, *shift), d in zip(
        torch.cat([p.i[:, None], p.j[:, None], p.shifts], dim=1).tolist(), p.distances.detach().tolist()
    ):
        if not p.full and (i > j or (i == j and tuple(shift) < (0, 0, 0))):
            i, j, shift = j, i, [-x for x in shift]
        out.append(((i, j, *shift), round(d, 9)))
    return sorted(out)


@pytest.mark.parametrize(
    "cell, n, cutoff, unwrap",
    [
        (TRICLINIC, 12, 3.5, 0),
        (TRICLINIC, 12, 3.5, 2),  # unwrapped positions
        (TRICLINIC, 6, 7.9, 1),  # cutoff > half (and > all face distances of) the cell
        (SKEWED, 5, 4.0, 1),  # strongly skewed: many images per pair
    ],
)
def test_vesin_pairs_equal_dense_pairs(cell, n, cutoff, unwrap):
    s = _random(cell, n, seed=n, unwrap=unwrap)
    for full in (False, True):
        nl, dn = neighbor_pairs(s, cutoff, full=full), dense_pairs(s, cutoff, full=full)
        assert nl.n_pairs == dn.n_pairs > 0
        assert _key(nl) == _key(dn)
        # vectors really are r_j − r_i + S·cell
        v = s.positions[nl.j] - s.positions[nl.i] + nl.shifts.double() @ s.cell[0]
        assert torch.allclose(v, nl.vectors, atol=1e-10)


def test_two_atom_cell_cutoff_three_cells():
    """Cutoff 3× the cell: every pair appears through many images, self-images included."""
    L, cutoff = 2.0, 6.0
    s = from_ase(ase.Atoms("Si2", positions=[[0.1, 0.2, 0.3], [1.1, 0.9, 1.4]], cell=[L, L, L], pbc=True))
    nl, dn = neighbor_pairs(s, cutoff), dense_pairs(s, cutoff)
    assert _key(nl) == _key(dn)
    # exact count of self images: lattice points 0 < |n| L < cutoff, halved in a half list
    pts = np.array(list(itertools.product(range(-3, 4), repeat=3))) * L
    n_self = int(((np.linalg.norm(pts, axis=1) > 0) & (np.linalg.norm(pts, axis=1) < cutoff)).sum())
    self_pairs = int((nl.i == nl.j).sum())
    assert self_pairs == 2 * (n_self // 2)  # two atoms, each with n_self/2 listed self images
    # the multiset of distances from atom 0 to every image of atom 1
    d01 = np.linalg.norm(pts + np.array([1.0, 0.7, 1.1]), axis=1)
    got = nl.distances[(nl.i != nl.j)].detach().numpy()
    assert np.allclose(np.sort(got), np.sort(d01[d01 < cutoff]))


def test_half_and_full_counts():
    s = _random(TRICLINIC, 10, seed=3)
    half, full = neighbor_pairs(s, 4.0), neighbor_pairs(s, 4.0, full=True)
    assert full.n_pairs == 2 * half.n_pairs
    assert _key(half_to_full(half)) == _key(full)
    assert bool((full.i[1:] >= full.i[:-1]).all())  # sorted by centre


def test_batched_pairs_match_single_systems():
    a, b = _random(TRICLINIC, 8, seed=1), _random(SKEWED, 5, seed=2)
    from glasslib.core.structures import concatenate

    both = concatenate([a, b])
    p = neighbor_pairs(both, 3.0)
    pa, pb = neighbor_pairs(a, 3.0), neighbor_pairs(b, 3.0)
    assert p.n_pairs == pa.n_pairs + pb.n_pairs
    assert int((p.system == 1).sum()) == pb.n_pairs
    assert bool((p.i[p.system == 1] >= 8).all())


def test_cluster_pairs_have_no_images():
    s = from_ase(ase.Atoms("Si3", positions=[[0, 0, 0], [2, 0, 0], [0, 2, 0]]))
    p = neighbor_pairs(s, 2.5)
    assert p.n_pairs == 2 and bool((p.shifts == 0).all())


def test_minimum_image_skewed_cell_vs_brute_force():
    cell = torch.tensor(SKEWED, dtype=torch.float64)
    gen = torch.Generator().manual_seed(0)
    frac = torch.rand(100, 3, generator=gen, dtype=torch.float64) - 0.5
    v = (frac + torch.randint(-3, 4, (100, 3), generator=gen).double()) @ cell
    mi = minimum_image(v, cell)
    # brute force over images n of v0 = f·cell: the shortest image u has |f_k + n_k| ≤ |u|/h_k
    # ≤ |v0|/h_k, so |n_k| ≤ |v0|/h_k + 1/2 bounds the search (searched with 50 % margin).
    # With face distances down to 0.29 Å that is ±30 images along a (the old ±1 search fails).
    v0 = frac @ cell
    reach = (1.5 * (v0.norm(dim=-1).max() / heights(cell) + 0.5)).ceil().long().tolist()
    shifts = torch.tensor(list(itertools.product(*[range(-m, m + 1) for m in reach])), dtype=torch.float64) @ cell
    best = torch.stack([(x + shifts).norm(dim=-1).min() for x in v0])
    assert torch.allclose(mi.norm(dim=-1), best, atol=1e-10)
    frac = torch.linalg.solve(cell.T, (mi - v).T).T  # an image of v: integer lattice difference
    assert torch.allclose(frac, frac.round(), atol=1e-9)


def test_minimum_image_orthogonal_is_rounding():
    cell = torch.diag(torch.tensor([4.0, 5.0, 6.0], dtype=torch.float64))
    v = torch.tensor([[3.9, -2.6, 7.0], [0.1, 2.4, -3.1]], dtype=torch.float64)
    expect = torch.tensor([[-0.1, 2.4, 1.0], [0.1, 2.4, 2.9]], dtype=torch.float64)
    assert torch.allclose(minimum_image(v, cell), expect)


def test_wrap_keeps_fractional_in_unit_interval():
    s = _random(TRICLINIC, 50, seed=5, unwrap=3)
    w = wrap(s)
    frac = to_fractional(w.positions, w.cell, w.system_idx)
    assert bool((frac >= 0).all()) and bool((frac < 1).all())
    assert torch.allclose(to_cartesian(frac, w.cell, w.system_idx), w.positions)
    # same structure: identical pair distances
    assert torch.allclose(neighbor_pairs(w, 3.0).distances.sort().values, neighbor_pairs(s, 3.0).distances.sort().values)
    # edge case: a tiny negative coordinate must not land on the face at fractional 1.0
    cell = torch.eye(3, dtype=torch.float64)[None] * 10.0
    pos = torch.tensor([[-1e-20, 5.0, 5.0], [-1e-17, -1e-17, 10.0]], dtype=torch.float64)
    frac = to_fractional(wrap_positions(pos, cell, torch.zeros(2, dtype=torch.long)), cell, torch.zeros(2, dtype=torch.long))
    assert bool((frac >= 0).all()) and bool((frac < 1).all())


def test_wrap_gradient_is_identity():
    s = _random(TRICLINIC, 4, seed=6, unwrap=2)
    pos = s.positions.clone().requires_grad_(True)
    wrap_positions(pos, s.cell, s.system_idx).sum().backward()
    assert torch.allclose(pos.grad, torch.ones_like(pos))


def test_heights_of_triclinic_cell():
    cell = torch.tensor(TRICLINIC, dtype=torch.float64)
    h = heights(cell)
    vol = torch.linalg.det(cell)
    assert torch.allclose(h[2], vol / torch.linalg.cross(cell[0], cell[1]).norm())
    assert abs(float(h[0]) - float(vol) / float(torch.linalg.cross(cell[1], cell[2]).norm())) < 1e-12


def test_pair_distance_gradcheck_positions_and_cell():
    s = _random(TRICLINIC, 4, seed=7)
    n_ref = neighbor_pairs(s, 4.2).n_pairs

    def dist(pos, cell):
        p = neighbor_pairs(s.replace(positions=pos, cell=cell), 4.2)
        assert p.n_pairs == n_ref  # no pair crosses the cutoff under the tiny perturbations
        return p.distances

    pos = s.positions.clone().requires_grad_(True)
    cell = s.cell.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(dist, (pos, cell), eps=1e-6, atol=1e-8)


def test_pair_distances_match_dense_pairs_with_and_without_indices():
    s = concatenate([_random(TRICLINIC, 7, seed=3, unwrap=1), _random(SKEWED, 5, seed=4, unwrap=1)])
    ref = dense_pairs(s, 4.5)

    def key(d, i, j, system):
        return sorted(zip(system.tolist(), torch.minimum(i, j).tolist(), torch.maximum(i, j).tolist(),
                          d.detach().round(decimals=9).tolist()))

    d, i, j, system = pair_distances(s, 4.5)
    assert key(d, i, j, system) == key(ref.distances, ref.i, ref.j, ref.system)
    d2, i2, j2, system2 = pair_distances(s, 4.5, indices=False)  # forward only: distances alone
    assert i2 is None and j2 is None
    assert torch.equal(torch.sort(d2).values, torch.sort(d).values) and torch.equal(system2, system)  # any order


def test_reused_neighbor_lists_depend_only_on_the_arguments():
    a, b = _random(TRICLINIC, 9, seed=5), _random(TRICLINIC, 30, seed=6, unwrap=1)
    first = _key(neighbor_pairs(a, 3.5))
    assert _key(neighbor_pairs(b, 3.5)) == _key(dense_pairs(b, 3.5))  # larger search in between
    assert _key(neighbor_pairs(a, 3.5)) == first == _key(dense_pairs(a, 3.5))
    release_neighbor_lists()
    assert _key(neighbor_pairs(a, 3.5)) == first


def test_pair_distances_gradcheck_positions_only_and_with_cell():
    s = _random(SKEWED, 4, seed=8, unwrap=1)
    n_ref = pair_distances(s, 4.0)[0].shape[0]

    def dist(pos, cell=s.cell):
        d = pair_distances(s.replace(positions=pos, cell=cell), 4.0)[0]
        assert d.shape[0] == n_ref
        return d

    pos = s.positions.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(dist, (pos,), eps=1e-6, atol=1e-8)
    assert torch.autograd.gradcheck(dist, (pos, s.cell.clone().requires_grad_(True)), eps=1e-6, atol=1e-8)


def test_bad_cutoff():
    s = _random(TRICLINIC, 3)
    with pytest.raises(InputError):
        neighbor_pairs(s, 0.0)
    with pytest.raises(InputError):
        dense_pairs(s, -1.0)
