"""Water descriptors on ice Ih: a four-fold H-bond network of six-membered rings, CHILL+ hexagonal."""

from __future__ import annotations

from glasslib.analysis.water import chill_plus_phases, hydrogen_bonds
from glasslib.core.structures import from_ase
from glasslib.simulate.ice import ice_ih


def test_ice_ih_hbond_network_has_only_six_rings_and_chill_plus_hexagonal():
    for reps in ((2, 1, 1), (3, 2, 2)):  # the small cell has 4-cycles winding along c
        ice = from_ase(ice_ih(*reps, seed=4))
        hb = hydrogen_bonds(ice)
        n_mol = ice.n_atoms // 3
        assert hb["hbonds_per_molecule"] == 4.0 and hb["hbond_distribution"] == {"4": 1.0}
        assert hb["hbond_donated_mean"] == 2.0 and hb["hbond_accepted_mean"] == 2.0
        assert hb["hbond_ring_size_counts"] == {str(n): (2 * n_mol if n == 6 else 0) for n in range(3, 11)}
    assert chill_plus_phases(ice)[0]["chillplus_hexagonal_ice"] == 1.0
    # TIP4P/2005 H sit 2.5° off the O–O axis: a 2° angle criterion finds no H-bond
    assert hydrogen_bonds(ice, max_angle=2.0)["hbond_count"] == 0
