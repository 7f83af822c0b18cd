"""glasslib.simulate.composition: parsing, atoms per type, ideal-mixing density."""

from __future__ import annotations

import pytest

from glasslib.core.errors import InputError
from glasslib.core.units import AMU_PER_A3_TO_G_PER_CM3
from glasslib.simulate.composition import ideal_mixing_density, parse_composition, species_counts
from glasslib.simulate.systems import get_system
from glasslib.simulate.tasks import make_task


def test_compositions():
    cuzr = get_system("CuZr")
    assert parse_composition("Cu64Zr36", cuzr) == pytest.approx((0.64, 0.36))
    assert parse_composition("Cu0.3Zr0.7", cuzr) == pytest.approx((0.3, 0.7))
    assert list(species_counts(cuzr, 101, (0.64, 0.36))) == [65, 36]
    with pytest.raises(InputError, match="not in"):
        parse_composition("Cu0.5Ni0.5", cuzr)
    with pytest.raises(InputError, match="cannot parse"):
        parse_composition("copper", cuzr)
    with pytest.raises(InputError, match="multiple of 3"):
        make_task("SiO2", n_atoms=100)
    with pytest.raises(InputError, match="fixed stoichiometry"):
        make_task("SiO2", composition="Si1O1")


def test_ideal_mixing_density():
    cuzr = get_system("CuZr")
    # Cu50Zr50: (63.546 + 91.224) / 2 amu over (11.81 + 23.28) / 2 A^3
    assert ideal_mixing_density(cuzr, (0.5, 0.5)) == pytest.approx(154.77 / 35.09 * AMU_PER_A3_TO_G_PER_CM3, rel=1e-12)
    assert ideal_mixing_density(get_system("SiO2"), (1 / 3, 2 / 3)) == get_system("SiO2").density
