"""glasslib.diffusion.cell_contents: the training-set summary in checkpoints and the cell of sampling."""

from __future__ import annotations

import ase
import numpy as np
import pytest
import torch

from glasslib.core.errors import InputError
from glasslib.core.structures import from_ase
from glasslib.diffusion.cell_contents import resolve_contents, training_set_summary


def _cell(symbols: str, density: float, seed: int) -> ase.Atoms:
    """Random positions in a cubic cell at ``density`` g/cm³ (box from ASE's masses, independently of glasslib)."""
    a = ase.Atoms(symbols, pbc=True)
    length = (a.get_masses().sum() * 1.66053906660 / density) ** (1 / 3)
    a.set_cell([length] * 3)
    a.set_scaled_positions(np.random.default_rng(seed).random((len(a), 3)))
    return a


@pytest.fixture(scope="module")
def mixed():
    """Cu-Zr set: two Cu2Zr2 cells (8 atoms) at 7.0 and 7.4 g/cm³ and one Cu6Zr2 cell at 7.8 g/cm³."""
    return from_ase([_cell("Cu4Zr4", 7.0, 0), _cell("Cu4Zr4", 7.4, 1), _cell("Cu6Zr2", 7.8, 2)])


def test_summary_of_a_mixed_set(mixed):
    s = training_set_summary(mixed)
    assert s["n_structures"] == 3 and s["species"] == [29, 40]
    assert s["compositions"] == {"Cu4Zr4": 2, "Cu6Zr2": 1}
    assert s["atoms"] == [8, 8]
    assert s["density"] == pytest.approx([7.0, 7.4, 7.8], abs=1e-4)
    # mean Cu fraction 0.5833: Cu4Zr4 (0.5) is closer than Cu6Zr2 (0.75); its mean density is 7.2
    assert s["default"] == {"composition": "Cu4Zr4", "atoms": 8, "density": pytest.approx(7.2, abs=1e-4)}


def test_defaults_fill_what_is_left_out(mixed):
    summary = training_set_summary(mixed)
    c = resolve_contents((29, 40), summary, None, None, None, cutoff=1.0)
    assert (c.composition, c.atoms, c.density) == ("Cu4Zr4", 8, pytest.approx(7.2, abs=1e-4))
    assert torch.equal(torch.bincount(c.species, minlength=41)[[29, 40]], torch.tensor([4, 4]))
    c = resolve_contents((29, 40), summary, "Cu64.5Zr35.5", 200, 6.9, cutoff=1.0)
    assert c.composition == "Cu129Zr71" and c.atoms == 200 and c.species.shape == (200,)
    mass = 129 * ase.data.atomic_masses[29] + 71 * ase.data.atomic_masses[40]
    assert mass * 1.66053906660 / c.box ** 3 == pytest.approx(6.9)
    c = resolve_contents((29, 40), summary, "Cu", 64, None, cutoff=1.0)  # one species of the network
    assert c.composition == "Cu64" and c.density == pytest.approx(7.2, abs=1e-4)


@pytest.mark.parametrize("composition, atoms, density, needle", [
    ("CuZrAl", 30, 7.0, "species Al not in the checkpoint"),
    ("SiO2", 30, 7.0, "species Si, O not in the checkpoint"),
    ("Cu64.5Zr35.5", 500, 7.0, "multiple of 200 atoms"),
    ("CuZr", 8, 7.0, "less than twice the network cutoff"),
    ("CuZr", 8, -1.0, "density"),
])
def test_bad_contents_are_refused(mixed, composition, atoms, density, needle):
    with pytest.raises(InputError, match=needle):
        resolve_contents((29, 40), training_set_summary(mixed), composition, atoms, density, cutoff=5.0, source="ck.pt")


def test_checkpoints_without_a_summary():
    c = resolve_contents((14,), None, None, 64, 2.28, cutoff=5.0)
    assert c.composition == "Si64"
    with pytest.raises(InputError, match="give the composition"):
        resolve_contents((8, 14), None, None, 24, 2.2, cutoff=1.0)
    with pytest.raises(InputError, match="give the number of atoms"):
        resolve_contents((14,), None, None, None, 2.28, cutoff=5.0)
