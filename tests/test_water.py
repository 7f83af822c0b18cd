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


def test_water_census_counts_broken_molecules_by_kind():
    """Ice Ih with one H moved onto a neighbouring molecule's O and one H put midway between two O."""
    import numpy as np
    import pytest

    from glasslib.analysis.water import water_census, water_intact_fraction

    atoms = ice_ih(3, 2, 2, seed=4)
    z = atoms.numbers
    o_idx, h_idx = np.flatnonzero(z == 8), np.flatnonzero(z == 1)
    n_o, n_h = len(o_idx), len(h_idx)
    census = water_census(from_ase([atoms]))
    assert census["o_with_h"] == [0.0, 0.0, 1.0, 0.0, 0.0] and census["h_with_o"] == [0.0, 1.0, 0.0]
    d = atoms.get_all_distances(mic=True)
    pos = atoms.get_positions()

    def own_h(o):
        return h_idx[np.argmin(d[o, h_idx])]

    def nearest_o(o, exclude):
        others = [k for k in o_idx if k != o and k not in exclude]
        return others[int(np.argmin(d[o, others]))]

    donor = o_idx[0]
    acceptor = nearest_o(donor, ())
    pos[own_h(donor)] = pos[acceptor] + np.array([0.0, 0.0, 0.97])  # 0.97 Å above the acceptor's O
    far = [k for k in o_idx if min(d[k, donor], d[k, acceptor]) > 6.0]
    o2 = far[0]
    o3 = nearest_o(o2, (donor, acceptor))
    pos[own_h(o2)] = pos[o2] + 0.5 * atoms.get_distance(o2, o3, mic=True, vector=True)  # 1.38 Å from both
    atoms.set_positions(pos)
    atoms.wrap()
    x = from_ase([atoms])
    census = water_census(x)
    assert census["o_with_h"][1] == pytest.approx(2 / n_o) and census["o_with_h"][3] == pytest.approx(1 / n_o)
    assert census["o_with_h"][2] == pytest.approx((n_o - 3) / n_o) == water_intact_fraction(x)
    assert census["h_with_o"] == pytest.approx([1 / n_h, (n_h - 1) / n_h, 0.0])
    assert sum(census["o_with_h"]) == pytest.approx(1.0)
