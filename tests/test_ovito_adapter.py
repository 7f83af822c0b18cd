"""The OVITO adapter: diamond types, rings, CHILL+ and rendering on structures with known answers."""

from __future__ import annotations

import ase
import ase.build
import numpy as np
import pytest

from glasslib.analysis import ovito_adapter as ov
from glasslib.core.errors import InputError
from glasslib.core.structures import concatenate, from_ase
from glasslib.simulate.ice import ice_ih

from crystals import diamond, lonsdaleite


def test_identify_diamond_cubic_and_hexagonal_in_one_batch():
    res = ov.identify_diamond(from_ase([diamond(), lonsdaleite()]))
    assert len(res) == 2
    assert res[0]["fractions"]["cubic_diamond"] == 1.0 and np.all(res[0]["types"] == 1)
    assert res[1]["fractions"]["hex_diamond"] == 1.0 and np.all(res[1]["types"] == 4)
    assert set(res[0]["fractions"]) == {
        "other", "cubic_diamond", "cubic_diamond_first_neighbor", "cubic_diamond_second_neighbor",
        "hex_diamond", "hex_diamond_first_neighbor", "hex_diamond_second_neighbor",
    }


def test_identify_diamond_rattled_and_vacancy_lower_the_fraction():
    a = diamond()
    del a[0]
    res = ov.identify_diamond(from_ase(a))[0]
    f = res["fractions"]
    assert f["cubic_diamond"] < 1.0
    assert f["cubic_diamond_first_neighbor"] + f["cubic_diamond_second_neighbor"] > 0  # around the vacancy
    assert abs(sum(f.values()) - 1.0) < 1e-12


def test_find_rings_diamond_has_432_six_rings():
    res = ov.find_rings(from_ase(diamond()), 2.8, 10)[0]
    assert res["counts"] == {n: (432 if n == 6 else 0) for n in range(3, 11)}
    assert res["rings"][6].shape == (432, 6)
    assert not any(res["winding_dropped"].values())


def test_find_rings_drops_cycles_that_wind_through_the_cell():
    # 64-atom diamond (10.9 Å): zigzag paths of 8 bonds wrap around the cell
    res = ov.find_rings(from_ase(diamond(2)), 2.8, 12)[0]
    assert res["counts"][6] == 128 and res["counts"][8] == 0 and res["counts"][12] == 0
    assert res["winding_dropped"][8] > 0


def test_find_rings_pairwise_cutoffs_and_bad_sizes():
    res = ov.find_rings(from_ase(diamond()), {("Si", "Si"): 2.8}, 8)[0]
    assert res["counts"][6] == 432
    with pytest.raises(InputError, match="ring sizes"):
        ov.find_rings(from_ase(diamond()), 2.8, 40)


def test_chill_plus_ice_is_hexagonal_and_random_oxygens_are_not():
    ice = ice_ih(3, 2, 2, seed=2)
    rng = np.random.default_rng(0)
    liquid = ase.Atoms("O96", positions=rng.uniform(0, 1, (96, 3)) @ ice.cell.array, cell=ice.cell, pbc=True)
    res = ov.chill_plus(concatenate([from_ase(ice), from_ase(liquid)]))
    assert res[0]["fractions"]["hexagonal_ice"] == 1.0
    assert res[0]["types"].shape == (96,) and np.all(ice.numbers[res[0]["oxygen_index"]] == 8)
    assert res[1]["fractions"]["hexagonal_ice"] + res[1]["fractions"]["cubic_ice"] < 0.1
    with pytest.raises(InputError, match="oxygen"):
        ov.chill_plus(from_ase(diamond(1)))


def test_render_writes_png_atomically(tmp_path):
    out = tmp_path / "sub" / "si.png"
    assert ov.render(from_ase(diamond(2)), out, color_by="diamond", size=(96, 72)) == out
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
    assert [p.name for p in out.parent.iterdir()] == ["si.png"]  # no temporary file left
    with pytest.raises(InputError, match="colouring"):
        ov.render(from_ase(diamond(1)), tmp_path / "x.png", color_by="rainbow")
    with pytest.raises(InputError, match="png"):
        ov.render(from_ase(diamond(1)), tmp_path / "x.gif")


def test_non_periodic_structure_is_refused():
    with pytest.raises(InputError, match="periodic"):
        ov.identify_diamond(from_ase(ase.build.molecule("H2O")))
