"""The one box-from-density conversion (glasslib.core.units)."""

from __future__ import annotations

import math

import ase.build
import numpy as np
import pytest

from glasslib.core.errors import InputError
from glasslib.core.units import AMU_PER_A3_TO_G_PER_CM3, atomic_masses, cubic_box_length, mass_density


def test_constant_is_the_atomic_mass_unit():
    # 1 amu/Å³ = 1.66053906660e-24 g / 1e-24 cm³ (CODATA 2018); since 2019 N_A·u = 1 g/mol only to 3.5e-10
    assert math.isclose(AMU_PER_A3_TO_G_PER_CM3, 1e24 / 6.02214076e23, rel_tol=1e-9)
    assert not math.isclose(AMU_PER_A3_TO_G_PER_CM3, 1e24 / 6.02214076e23 * 1.001, rel_tol=1e-9)


def test_diamond_silicon_box_and_density_are_inverse():
    si = ase.build.bulk("Si", "diamond", a=5.431, cubic=True)  # 8 atoms in a 5.431 Å cube: 2.329 g/cm³
    rho = mass_density(si.get_masses(), si.get_volume())
    assert rho == pytest.approx(2.329, abs=1e-3)
    assert cubic_box_length(atomic_masses()[si.numbers], rho) == pytest.approx(5.431, rel=1e-12)
    # 216 atoms at the same density: a cube three times as wide
    assert cubic_box_length(np.full(216, atomic_masses()[14]), rho) == pytest.approx(3 * 5.431, rel=1e-12)


@pytest.mark.parametrize("density", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_density_is_refused(density):
    with pytest.raises(InputError, match="density"):
        cubic_box_length([28.0855], density)
