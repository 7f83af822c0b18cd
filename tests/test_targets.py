"""The one target reader: files glass spectra writes, measured files, structure files."""

from __future__ import annotations

from pathlib import Path

import ase
import numpy as np
import pytest
import torch

from glasslib.cli import main
from glasslib.core.errors import InputError
from glasslib.core.structures import from_ase, read_structures
from glasslib.spectra.kinds import KINDS
from glasslib.spectra.measured import convert, read_columns, read_mint01
from glasslib.spectra.targets import Target, is_structure_file, read_target

DATA = Path(__file__).resolve().parents[1] / "data"
ASI = DATA / "a-Si" / "glass-epsr_Si_2.5_00.xyz"
NIMROD = DATA / "SiO2" / "SiO2_NIMROD.mint01"


def test_reads_back_what_glass_spectra_writes(tmp_path):
    out = tmp_path / "gr.csv"
    assert main(["spectra", str(ASI), "--kind", "gr", "--out", str(out)]) == 0
    t = read_target(out, "gr")
    ref = Target.from_structures("gr", read_structures(ASI))
    assert t.x == pytest.approx(ref.x, abs=1e-12) and t.y == pytest.approx(ref.y, abs=1e-7)  # %.8g in the file
    assert t.sigma == KINDS["gr"].uncertainty and t.source == str(out)


def test_structure_file_target_is_the_mean_spectrum():
    s = read_structures(ASI)
    t = read_target(ASI, "sq-neutron")
    assert is_structure_file(ASI) and not is_structure_file(NIMROD)
    assert torch.allclose(t.values(), KINDS["sq-neutron"].compute(s).mean(0))
    assert len(t.x) == KINDS["sq-neutron"].default_grid().numel()


def test_mint01_is_converted_with_the_composition():
    composition = {"Si": 1 / 3, "O": 2 / 3}
    t = read_target(NIMROD, "fq-neutron", composition=composition)
    ref = convert(read_mint01(NIMROD), "fq", composition=composition)
    assert np.allclose(t.y, ref.y.numpy()) and np.allclose(t.x, ref.x.numpy())
    with pytest.raises(InputError, match="composition"):
        read_target(NIMROD, "sq-neutron")
    with pytest.raises(InputError, match="neutron data"):
        read_target(NIMROD, "sq-xray", composition=composition)


def test_header_row_is_recognised_but_junk_is_not(tmp_path):
    f = tmp_path / "s.csv"
    f.write_text("# a comment\nQ,S(Q)\n1.0,0.5\n2.0,1.5\n")
    s = read_columns(f, "sq")
    assert s.meta["column_names"] == ["Q", "S(Q)"] and s.y.tolist() == [0.5, 1.5]
    f.write_text("1.0,0.5\nQ,S\n2.0,1.5\n")
    with pytest.raises(InputError, match="line 2: non-numeric"):
        read_columns(f, "sq")


def test_uneven_grid_is_made_uniform_over_its_range():
    x = (0.5, 0.7, 1.5, 2.0)
    t = Target("gr", x, tuple(3.0 * v + 1.0 for v in x))  # linear: interpolation is exact
    u = t.uniform()
    assert not t.is_uniform() and u.is_uniform() and len(u.x) == 4 and u.x[0] == 0.5 and u.x[-1] == 2.0
    assert np.allclose(u.y, 3.0 * np.asarray(u.x) + 1.0)
    assert u.uniform() is u


@pytest.mark.parametrize("args, message", [
    (("missing.csv", "gr"), "not found"),
    ((ASI, "adf"), "neighbour cutoff"),
    ((ASI, "xrd"), "unknown spectrum kind"),
])
def test_bad_targets_give_one_line_errors(args, message):
    with pytest.raises(InputError, match=message) as exc:
        read_target(*args)
    assert "\n" not in str(exc.value)


def test_target_checks_its_values():
    with pytest.raises(InputError, match="sorted"):
        Target("gr", (2.0, 1.0), (1.0, 1.0))
    with pytest.raises(InputError, match="non-finite"):
        Target("gr", (1.0, 2.0), (1.0, float("nan")))
    with pytest.raises(InputError, match="at least two"):
        Target("gr", (1.0,), (1.0,))


D2O = DATA / "water_ice" / "water_SANDALS_SLS18502-D2O.mint01"


def test_isotopes_convert_heavy_water_and_enter_the_observable():
    """D2O measured on SANDALS: with H→D the Faber–Ziman S(Q) is sane (→ 1, within [0, 2]); with
    natural H its normalisation ⟨b⟩² is nearly zero and the curve runs to ±100. The simulated
    curve of a target uses the same scattering lengths."""
    water = {"H": 2.0, "O": 1.0}
    heavy = read_target(D2O, "sq-neutron", composition=water, isotopes={"H": "D"})
    natural = read_target(D2O, "sq-neutron", composition=water)
    x, y, y_nat = np.asarray(heavy.x), np.asarray(heavy.y), np.asarray(natural.y)
    assert heavy.isotopes == (("H", "D"),) and natural.isotopes is None
    assert abs(y[x > 15].mean() - 1.0) < 0.01 and 0.0 <= y.min() and y.max() < 2.0
    assert np.abs(y_nat).max() > 50
    s = _water_box()
    q = torch.tensor(heavy.x, dtype=torch.float64)
    expect = KINDS["sq-neutron"].compute(s, q, isotopes={"H": "D"})
    assert torch.allclose(heavy.observable()(s), expect)
    assert not torch.allclose(natural.observable()(s), expect, atol=1e-2)
    back = Target(**{**heavy.__dict__, "isotopes": [list(p) for p in heavy.isotopes]})  # as a JSON record holds it
    assert back.isotopes == heavy.isotopes
    with pytest.raises(InputError, match="neutron"):
        Target("sq-xray", heavy.x, heavy.y, isotopes={"H": "D"})
    with pytest.raises(InputError, match=r"SLS18502.*isotope"):
        read_target(D2O, "sq-neutron", composition=water, isotopes={"H": "Q7"})


def _water_box():
    """64 water molecules (O-H 0.96 Å) on a cubic lattice at 1 g/cm³ (a fixed geometry, no randomness)."""
    n, edge = 4, (64 * 18.015 / 0.6022) ** (1 / 3)
    pos, sym = [], []
    for i in range(n):
        for j in range(n):
            for k in range(n):
                o = np.array([i, j, k]) * edge / n
                pos += [o, o + [0.96, 0, 0], o + [-0.24, 0.93, 0]]
                sym += ["O", "H", "H"]
    return from_ase([ase.Atoms(sym, positions=pos, cell=[edge] * 3, pbc=True)])
