"""Tetrahedral-network descriptors: diamond-type crystallinity of cubic and hexagonal diamond Si."""

from __future__ import annotations

from glasslib.analysis.tetrahedral import crystallinity
from glasslib.core.structures import from_ase

from crystals import diamond, lonsdaleite


def test_crystallinity_cubic_and_hexagonal():
    cub = crystallinity(from_ase(diamond()))[0]
    assert cub["crystallinity_cubic"] == 1.0 and cub["crystallinity_hexagonal"] == 0.0
    hexa = crystallinity(from_ase(lonsdaleite()))[0]
    assert hexa["crystallinity_hexagonal"] == 1.0 and hexa["diamond_type_fractions"]["hex_diamond"] == 1.0
