"""glasslib.simulate.placement: random and lattice placements in a periodic cube."""

from __future__ import annotations

import numpy as np
import pytest

from glasslib.core.errors import InputError
from glasslib.core.units import cubic_box_length
from glasslib.simulate.placement import _void_site, diamond_positions, lattice_positions, random_positions, random_rotations, random_water


def test_random_start_respects_minimum_distance_and_seed():
    box = cubic_box_length(np.full(216, 28.0855), 2.28)
    p1 = random_positions(216, box, 2.0, np.random.default_rng(1))
    p2 = random_positions(216, box, 2.0, np.random.default_rng(1))
    np.testing.assert_array_equal(p1, p2)
    d = p1[:, None] - p1[None]
    d -= box * np.round(d / box)
    r = np.linalg.norm(d, axis=-1)[np.triu_indices(216, 1)]
    assert r.min() >= 2.0 and np.all((p1 >= 0) & (p1 < box))


def test_random_start_fills_the_last_voids_of_a_metallic_glass_box():
    # Cu50Zr50 at 500 atoms and 0.061 atoms/A^3 (a 20.164 A box) with 2.1 A: uniform candidates
    # alone (2000 per atom) jam before the last atoms, as in the CuZr-train build; the void search places them
    box, n, dmin = 20.164, 500, 2.1
    p = random_positions(n, box, dmin, np.random.default_rng(500030))
    d = p[:, None] - p[None]
    d -= box * np.round(d / box)
    assert np.linalg.norm(d, axis=-1)[np.triu_indices(n, 1)].min() >= dmin
    assert np.all((p >= 0) & (p < box))
    np.testing.assert_array_equal(p, random_positions(n, box, dmin, np.random.default_rng(500030)))


def test_void_search_reports_a_full_box():
    # a simple-cubic lattice of spacing 2 A leaves no point 2 A from every atom (the farthest is sqrt(3) A)
    sc = np.stack(np.meshgrid(*[np.arange(2) * 2.0] * 3, indexing="ij"), -1).reshape(-1, 3)
    assert _void_site(sc, 4.0, 2.0, np.random.default_rng(0)) is None
    site = _void_site(sc, 4.0, 1.5, np.random.default_rng(0))  # a 0.25 A grid always has a point this far
    assert site is not None and np.linalg.norm(site % 2.0 - 1.0) <= 0.24  # only near the cube centres


def test_lattice_start():
    box = 10.0
    p = lattice_positions(60, box, 2.0, np.random.default_rng(0))
    assert p.shape == (60, 3) and len(np.unique(p.round(6), axis=0)) == 60
    with pytest.raises(InputError, match="impossible density"):
        lattice_positions(1000, box, 2.0, np.random.default_rng(0))


def test_rotations_are_proper_and_water_keeps_its_geometry():
    rng = np.random.default_rng(0)
    rot = random_rotations(50, rng)
    np.testing.assert_allclose(rot @ rot.transpose(0, 2, 1), np.broadcast_to(np.eye(3), rot.shape), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(rot), 1.0, atol=1e-12)
    mol = random_water(20, 12.0, 2.5, rng, 0.9572, 104.52).reshape(-1, 3, 3)
    oh = mol[:, 1:] - mol[:, :1]
    r = np.linalg.norm(oh, axis=-1)
    np.testing.assert_allclose(r, 0.9572, atol=1e-12)
    cos = (oh[:, 0] * oh[:, 1]).sum(-1) / r.prod(-1)
    np.testing.assert_allclose(np.degrees(np.arccos(cos)), 104.52, atol=1e-9)


def test_diamond_start_is_a_crystal():
    """64 sites of 2 x 2 x 2 diamond cells: every site has four neighbours at a sqrt(3)/4 and twelve at
    a / sqrt(2) (periodic), the count must be 8 m^3, and too dense a cell is refused."""
    from scipy.spatial import cKDTree

    box = 2 * 5.431
    p = diamond_positions(64, box, 2.0)
    d, _ = cKDTree(p, boxsize=box).query(p, k=17)
    np.testing.assert_allclose(d[:, 1:5], 5.431 * np.sqrt(3) / 4, atol=1e-9)
    np.testing.assert_allclose(d[:, 5:17], 5.431 / np.sqrt(2), atol=1e-9)
    assert len(np.unique(p.round(6), axis=0)) == 64
    with pytest.raises(InputError, match="8 m\\^3 atoms"):
        diamond_positions(100, box, 2.0)
    with pytest.raises(InputError, match="impossible density"):
        diamond_positions(64, 8.0, 2.0)
