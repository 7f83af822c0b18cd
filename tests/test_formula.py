"""glasslib.core.formula: one parser of chemical formulas and exact atom counts."""

from __future__ import annotations

import pytest

from glasslib.core.errors import InputError
from glasslib.core.formula import atom_counts, formula_label, fractions_of, parse_formula, smallest_cell


@pytest.mark.parametrize("text, amounts", [
    ("SiO2", {"Si": 1.0, "O": 2.0}),
    ("H2O", {"H": 2.0, "O": 1.0}),
    ("Cu64.5Zr35.5", {"Cu": 64.5, "Zr": 35.5}),
    ("Cu0.5Zr0.5", {"Cu": 0.5, "Zr": 0.5}),
    ("Zr.6Ni.25Al.15", {"Zr": 0.6, "Ni": 0.25, "Al": 0.15}),
    ("CH3CH3", {"C": 2.0, "H": 6.0}),
    ("Si", {"Si": 1.0}),
])
def test_parse(text, amounts):
    assert parse_formula(text) == pytest.approx(amounts)


@pytest.mark.parametrize("text, needle", [
    ("Sio2", "cannot parse"), ("Xx2", "not an element"), ("", "cannot parse"), ("Si-2", "cannot parse"),
    ("Si0", "positive total"), ("2Si", "cannot parse"),
])
def test_bad_formulas(text, needle):
    with pytest.raises(InputError, match=needle):
        parse_formula(text)


def test_exact_counts():
    assert atom_counts(parse_formula("SiO2"), 648) == {"Si": 216, "O": 432}
    assert atom_counts(parse_formula("Cu64.5Zr35.5"), 200) == {"Cu": 129, "Zr": 71}
    assert atom_counts(parse_formula("H2O"), 96) == {"H": 64, "O": 32}
    assert atom_counts(parse_formula("Zr0.6Ni0.25Al0.15"), 20) == {"Zr": 12, "Ni": 5, "Al": 3}
    assert fractions_of({"Si": 1, "O": 2}) == pytest.approx({"Si": 1 / 3, "O": 2 / 3})


def test_counts_that_are_not_whole_atoms_say_what_would_work():
    with pytest.raises(InputError, match=r"322.5 Cu.*multiple of 200 atoms"):
        atom_counts(parse_formula("Cu64.5Zr35.5"), 500)
    with pytest.raises(InputError, match="multiple of 3 atoms"):
        atom_counts(parse_formula("H2O"), 100)
    assert smallest_cell(parse_formula("Zr60Ni25Al15")) == 20
    assert smallest_cell(parse_formula("SiO2")) == 3


def test_label_round_trips():
    for counts in ({"Si": 216, "O": 432}, {"Cu": 0.645, "Zr": 0.355}, {"Si": 1}):
        assert parse_formula(formula_label(counts)) == pytest.approx(counts)
    assert formula_label({"Si": 1, "O": 2}) == "SiO2"
