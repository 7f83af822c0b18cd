"""glasslib.studies.training_data: the per-system numbers on known-answer crystals and the
profile table (the whole study, with its simulated sets, runs in tests/test_notebooks.py)."""

from __future__ import annotations

import math

import ase
import ase.build
import pytest

from crystals import diamond
from glasslib.core.structures import from_ase
from glasslib.studies import training_data as study


def test_profiles_name_declared_sets_for_every_panel():
    from glasslib.simulate import load_specs

    specs = load_specs()
    panels = set(study.PROFILES["smoke"])
    for name, entries in study.PROFILES.items():
        assert set(entries) == panels, name
        for entry in entries.values():
            if entry is not None:
                assert entry[0] in specs, entry


def test_grids():
    r, theta = study.radial_grid(), study.angle_grid()
    assert r.shape == (799,) and float(r[0]) == pytest.approx(0.01) and float(r[-1]) == pytest.approx(7.99)
    assert theta.shape == (180,) and float(theta[0]) == 0.5 and float(theta[-1]) == 179.5


def test_carbon_hybridisation_of_diamond_and_a_dilated_lattice():
    # diamond C (bond 1.545 Å) is all sp3 within 1.85 Å; the same lattice at 1.3x has no bonds
    c = ase.build.bulk("C", "diamond", 3.567, cubic=True).repeat(2)
    wide = ase.build.bulk("C", "diamond", 3.567 * 1.3, cubic=True).repeat(2)
    rows = study.carbon_hybridisation(from_ase([c, wide]))
    assert rows[0]["sp3"] == 1.0 and rows[0]["sp2"] == 0.0
    assert rows[0]["density"] == pytest.approx(3.51, abs=0.02)
    assert rows[1]["sp3"] == 0.0
    assert set(study.carbon_hybridisation(from_ase([c]), sp2=False)[0]) == {"density", "sp3"}


def test_partial_first_peaks_of_b2_cuzr():
    # CsCl-type CuZr, a = 3.2 Å: Cu–Zr at a·√3/2 = 2.771 Å, Cu–Cu and Zr–Zr at a = 3.2 Å
    b2 = ase.build.bulk("CuZr", "cesiumchloride", a=3.2).repeat(6)
    curves, peaks = study.partial_first_peaks(from_ase([b2]), study.CUZR_PAIRS)
    assert peaks["Cu-Zr"] == pytest.approx(3.2 * math.sqrt(3) / 2, abs=0.015)
    assert peaks["Cu-Cu"] == pytest.approx(3.2, abs=0.015)
    assert peaks["Zr-Zr"] == pytest.approx(3.2, abs=0.015)
    assert curves["Cu-Zr"].shape == curves["r"].shape == (799,)


def test_silicon_structure_of_diamond():
    # diamond Si: every atom four-fold, the ADF peaks at the tetrahedral angle; the highest g(r)
    # peak is the second shell, 12 atoms at a/√2 = 3.840 Å (12/3.84² > 4/2.35², g ∝ n/r²)
    panel = study.silicon_structure(from_ase([diamond(3)]))
    rec = panel.record
    assert rec["first_peak_A"] == pytest.approx(5.431 / 2**0.5, abs=0.015)
    assert rec["mean_coordination"] == 4.0 and rec["fourfold_fraction"] == 1.0
    assert rec["adf_peak_deg"] == pytest.approx(109.5, abs=1.0)
    assert rec["density"] == [pytest.approx(2.33, abs=0.005)]
    assert panel.curves["q"].shape == panel.curves["s"].shape


def _zigzag_sulfur(bond=2.05, angle=106.0):
    """Planar zigzag S chains along x, endless through the cell (every atom two-fold), 6 Å apart."""
    half = math.radians(angle / 2)
    dx, dy = bond * math.sin(half), bond * math.cos(half)
    chain = ase.Atoms("S4", positions=[(k * dx, (k % 2) * dy, 0.0) for k in range(4)],
                      cell=[4 * dx, 6.0, 6.0], pbc=True).repeat(2)
    chain.info.update(start="chains", final_temperature_K=300.0, pressure_mean_GPa=0.0)
    return from_ase([chain])


def test_sulfur_structure_of_endless_chains():
    chains = _zigzag_sulfur()
    rec = study.sulfur_structure([chains, chains]).record  # two sets are pooled
    assert [s["n"] for s in rec["sets"]] == [1, 1] and len(rec["density"]) == 2
    assert rec["bond_peak_A"] == pytest.approx(2.05, abs=0.015)
    assert rec["mean_coordination"] == 2.0 and rec["twofold_fraction"] == 1.0
    assert rec["adf_peak_deg"] == pytest.approx(106.0, abs=1.0)
    assert rec["s8_fraction"] == [0.0, 0.0] and rec["chain_end_fraction"] == [0.0, 0.0]
