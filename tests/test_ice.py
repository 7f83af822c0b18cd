"""glasslib.simulate.ice: proton-disordered ice Ih obeying the Bernal-Fowler rules, and its builder engine."""

from __future__ import annotations

import math

import numpy as np
import pytest
from ase.neighborlist import neighbor_list

from glasslib.analysis.ovito_adapter import chill_plus
from glasslib.core.errors import InputError
from glasslib.core.structures import from_ase
from glasslib.core.units import AMU_PER_A3_TO_G_PER_CM3
from glasslib.simulate.ice import IceBuilder, ice_ih, ice_rule_report, orthorhombic_ice_oxygens, supercell_for
from glasslib.simulate.systems import get_system
from glasslib.simulate.tasks import make_task, simulate


@pytest.fixture(scope="module")
def ice():
    return ice_ih(4, 2, 2, seed=3)  # 128 molecules


def test_oxygen_lattice_is_tetrahedral(ice):
    o = ice[ice.numbers == 8]
    i, d, D = neighbor_list("idD", o, 3.0)
    assert np.all(np.bincount(i, minlength=len(o)) == 4)
    assert np.allclose(d, 3 / 8 * 7.356, atol=0.02)  # O-O 2.76 A
    for a in range(len(o)):  # tetrahedral O-O-O angles
        v = D[i == a] / d[i == a][:, None]
        cos = (v @ v.T)[np.triu_indices(4, 1)]
        assert np.allclose(np.degrees(np.arccos(cos)), 109.47, atol=0.5)


def test_ice_rules(ice):
    r = ice_rule_report(ice)
    assert np.all(r["covalent_h"] == 2)  # two covalent H on every O
    assert np.all(r["covalent_o"] == 1)  # every H on exactly one O
    assert np.all(r["donated"] == 2) and np.all(r["accepted"] == 2)  # four H-bonds per O
    assert ice.get_chemical_formula() == "H256O128"


def test_molecular_geometry_and_density(ice):
    pos = ice.positions
    for m in range(0, len(ice), 3):  # O, H, H per molecule
        o = pos[m]
        v = [ice.get_distance(m, m + k, mic=True, vector=True) for k in (1, 2)]
        r = [np.linalg.norm(x) for x in v]
        assert np.allclose(r, 0.9572, atol=1e-6)
        ang = math.degrees(math.acos(v[0] @ v[1] / r[0] / r[1]))
        assert abs(ang - 104.52) < 1e-6
        assert np.all(np.isfinite(o))
    mass = len(ice) // 3 * 18.015
    rho = mass / ice.get_volume() * AMU_PER_A3_TO_G_PER_CM3
    assert abs(rho - 0.92) < 0.005 and abs(ice.info["density_g_cm3"] - rho) < 1e-9


def test_zero_dipole_and_disorder():
    a = ice_ih(4, 2, 2, seed=1)
    b = ice_ih(4, 2, 2, seed=2)
    assert a.info["net_dipole_A"] < 1e-6 and b.info["net_dipole_A"] < 1e-6
    # the proton arrangement differs between seeds (disorder), the O lattice does not
    np.testing.assert_allclose(a.positions[::3], b.positions[::3])
    assert not np.allclose(a.positions, b.positions)
    # seeded: the same seed gives the same structure
    np.testing.assert_array_equal(ice_ih(4, 2, 2, seed=1).positions, a.positions)
    # molecular orientations are spread over the six ice-rule orientations, not ordered
    dip = np.array([(a.get_distance(m, m + 1, mic=True, vector=True) + a.get_distance(m, m + 2, mic=True, vector=True))
                    for m in range(0, len(a), 3)])
    dirs = np.round(dip / np.linalg.norm(dip, axis=1)[:, None], 2)
    assert len(np.unique(dirs, axis=0)) >= 6
    c = ice_ih(4, 2, 2, seed=1, zero_dipole=False, n_flips=0)
    assert np.all(ice_rule_report(c)["donated"] == 2)


def test_chill_plus_recognises_hexagonal_ice(ice):
    assert chill_plus(from_ase(ice), cutoff=3.5)[0]["counts"]["hexagonal_ice"] == 128


def test_supercells_and_errors():
    assert supercell_for(96) == (2, 1, 2)
    assert np.prod(supercell_for(768)) * 24 == 768
    with pytest.raises(InputError, match="multiple of 24"):
        supercell_for(100)
    with pytest.raises(InputError, match="positive"):
        ice_ih(0, 1, 1)
    o8, cell = orthorhombic_ice_oxygens()
    assert o8.shape == (8, 3) and np.allclose(np.diag(cell), [4.518, 4.518 * math.sqrt(3), 7.356])


def test_ice_builder_system():
    a = simulate(make_task("ice-Ih", n_atoms=96, seed=4))
    rep = ice_rule_report(a)
    assert np.all(rep["covalent_h"] == 2) and np.all(rep["accepted"] == 2)
    assert abs(a.info["density_g_cm3"] - 0.92) < 0.005 and a.info["system"] == "ice-Ih"
    with pytest.raises(InputError, match="multiple of 24"):
        make_task("ice-Ih", n_atoms=99)
    assert isinstance(get_system("ice-Ih").engine, IceBuilder)
    b = simulate(make_task("ice-Ih", n_atoms=96, seed=4, density=0.95))
    assert abs(b.info["density_g_cm3"] - 0.95) < 1e-12 and b.info["target_density_g_cm3"] == 0.95
    np.testing.assert_allclose(b.cell.volume * 0.95, a.cell.volume * a.info["density_g_cm3"], rtol=1e-12)
