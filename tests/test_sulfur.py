"""Starting configurations for liquid sulfur (glasslib.simulate.sulfur): geometry, packing, errors."""

import math

import numpy as np
import pytest

from glasslib.core.errors import InputError
from glasslib.core.units import cubic_box_length
from glasslib.simulate.sulfur import pack_rigid, s8_ring, sulfur_chain, sulfur_start, torsion


def _angle(a, b, c):
    u, v = a - b, c - b
    return math.degrees(math.acos(u @ v / np.linalg.norm(u) / np.linalg.norm(v)))


def _torsion_by_normals(p0, p1, p2, p3):
    """|torsion| from the angle between the two bond-plane normals (an independent route)."""
    n1, n2 = np.cross(p1 - p0, p2 - p1), np.cross(p2 - p1, p3 - p2)
    return math.degrees(math.acos(n1 @ n2 / np.linalg.norm(n1) / np.linalg.norm(n2)))


def _min_image(d, box):
    return d - box * np.round(d / box)


def test_s8_ring_is_the_crown_with_given_bond_and_angle():
    ring = s8_ring(2.05, 108.0)
    idx = np.arange(8)
    bonds = np.linalg.norm(ring[(idx + 1) % 8] - ring, axis=1)
    angles = [_angle(ring[k - 1], ring[k], ring[(k + 1) % 8]) for k in idx]
    torsions = [torsion(ring[k], ring[(k + 1) % 8], ring[(k + 2) % 8], ring[(k + 3) % 8]) for k in idx]
    assert np.allclose(bonds, 2.05, atol=1e-12) and np.allclose(angles, 108.0, atol=1e-9)
    # D4d crown: equal torsion magnitudes with alternating signs, ≈ 98.8° as in α-S₈
    assert np.allclose(np.abs(torsions), abs(torsions[0])) and abs(abs(torsions[0]) - 98.8) < 0.1
    assert np.all(np.sign(torsions) == -np.sign(np.roll(torsions, 1)))
    assert abs(abs(torsions[0]) - _torsion_by_normals(*ring[:4])) < 1e-9
    assert np.allclose(ring.mean(0), 0.0, atol=1e-12)
    with pytest.raises(InputError, match="no crown ring"):
        s8_ring(2.05, 170.0)


def test_sulfur_chain_geometry_and_self_avoidance():
    rng = np.random.default_rng(3)
    c = sulfur_chain(24, rng)
    bonds = np.linalg.norm(np.diff(c, axis=0), axis=1)
    angles = [_angle(c[k - 1], c[k], c[k + 1]) for k in range(1, 23)]
    tors = [abs(torsion(*c[k:k + 4])) for k in range(21)]
    assert np.allclose(bonds, 2.05) and np.allclose(angles, 108.0) and np.allclose(tors, 98.76, atol=0.05)
    d = np.linalg.norm(c[:, None] - c[None], axis=-1)
    far = np.abs(np.arange(24)[:, None] - np.arange(24)[None]) >= 3
    assert d[far].min() >= 3.0 - 1e-9
    assert np.array_equal(c, sulfur_chain(24, np.random.default_rng(3)))
    assert not np.allclose(c, sulfur_chain(24, np.random.default_rng(4)))


@pytest.mark.parametrize("kind, density", [("rings", 2.0), ("chains", 1.9)])
def test_sulfur_start_keeps_molecules_whole_and_apart(kind, density):
    n = 64
    box = cubic_box_length(np.full(n, 32.06), density)
    pos = sulfur_start(n, box, np.random.default_rng(1), kind)
    assert pos.shape == (n, 3) and (pos >= 0).all() and (pos < box).all()
    mol = np.arange(n) // 8
    d = np.linalg.norm(_min_image(pos[:, None] - pos[None], box), axis=-1)
    inter = mol[:, None] != mol[None]
    assert d[inter].min() >= (3.0 if kind == "rings" else 2.7) - 1e-9
    # every molecule keeps its 2.05 Å bonds (minimum image) and, for rings, its closure
    k = np.arange(n)
    nxt = np.where(k % 8 == 7, k - 7, k + 1) if kind == "rings" else k[k % 8 != 7] + 1
    first = k if kind == "rings" else k[k % 8 != 7]
    assert np.allclose(d[first, nxt], 2.05)


def test_pack_rigid_is_seeded_and_refuses_impossible_densities():
    ring = s8_ring()
    a = pack_rigid([ring] * 4, 12.0, np.random.default_rng(7))
    assert np.array_equal(a, pack_rigid([ring] * 4, 12.0, np.random.default_rng(7)))
    with pytest.raises(InputError, match="impossible density"):
        pack_rigid([ring] * 8, 8.0, np.random.default_rng(0))
    with pytest.raises(InputError, match="multiple of 8"):
        sulfur_start(12, 10.0, np.random.default_rng(0), "rings")
    with pytest.raises(InputError, match="'rings' or 'chains'"):
        sulfur_start(16, 10.0, np.random.default_rng(0), "helix")
