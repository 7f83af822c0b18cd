"""The bond graph's pair cutoffs: defaults, overrides and bad input."""

from __future__ import annotations

import pytest

from glasslib.analysis.bonds import bond_cutoffs
from glasslib.core.errors import InputError


def test_bond_cutoffs_defaults_overrides_and_errors():
    t = bond_cutoffs([14, 8])
    assert t[(14, 14)] == 2.85 and 2.1 < t[(8, 14)] < 2.3
    assert bond_cutoffs([14, 8], {"Si-O": 2.0})[(8, 14)] == 2.0
    assert set(bond_cutoffs([14, 8], 3.0).values()) == {3.0}
    assert bond_cutoffs([14, 8], {"Si-Si": 0})[(14, 14)] == 0.0  # 0: the pair never bonds
    with pytest.raises(InputError, match="positive"):
        bond_cutoffs([14], -1.0)
    with pytest.raises(InputError, match="zero"):
        bond_cutoffs([14], {"Si-Si": 0})
    with pytest.raises(InputError, match="unknown element"):
        bond_cutoffs([14], {"Xx-Si": 2.0})
