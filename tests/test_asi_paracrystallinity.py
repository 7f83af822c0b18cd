"""glasslib.studies.asi_paracrystallinity: the declared mixture sets, the per-structure records on
known-answer structures (diamond is fully crystalline; identical spectra have zero error) and the
acceptance numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from crystals import diamond
from glasslib.core.errors import InputError
from glasslib.core.structures import concatenate, from_ase
from glasslib.core.units import cubic_box_length
from glasslib.simulate import load_specs
from glasslib.simulate.paracrystalline import diamond_sphere
from glasslib.spectra.targets import Target
from glasslib.studies import asi_paracrystallinity as study


@pytest.mark.parametrize("name", sorted(study.PROFILES))
def test_mixture_specs_fit_their_cells_and_own_their_seeds(name):
    profile = study.PROFILES[name]
    specs = study.mixture_specs(profile)
    assert len(specs) == len(profile["radii"]) and len({s.name for s in specs}) == len(specs)
    box = cubic_box_length(np.full(profile["ref_atoms"], 28.0855), study.DENSITY)
    for spec, r in zip(specs, profile["radii"]):
        assert spec.options["n_grains"] == (1 if r > 0 else 0)
        assert 2 * spec.options["grain_radius"] + 2.5 <= box  # the builder's check: the grain fits the cell
        assert spec.role == "reference" and spec.count == profile["ref_count"]
    # 0 to >= 40 % nominal grain fraction in the default and paper profiles
    top = len(diamond_sphere(max(profile["radii"]))) / profile["ref_atoms"]
    assert name == "smoke" or top >= 0.40
    seeds = [t.seed for s in specs for t in s.tasks()]
    declared = {t.seed for s in load_specs().values() for t in s.tasks()}
    assert len(seeds) == len(set(seeds)) and not set(seeds) & declared


def test_r_grid_stays_inside_half_the_cell():
    r = study.r_grid(10.9)
    assert math.isclose(float(r[0]), 0.05) and float(r[-1]) <= 5.45 and torch.allclose(r.diff(), torch.tensor(0.05, dtype=r.dtype))
    assert math.isclose(float(study.r_grid(16.4)[-1]), 8.0)


def test_dihedrals_of_diamond_are_staggered():
    phi = study.dihedrals(from_ase(diamond(2)))
    assert study.staggered_fraction(concatenate([from_ase(diamond(2))] * 2)) == [1.0, 1.0]
    assert np.allclose(np.sort(phi)[: 2 * phi.size // 3], 60.0) and np.allclose(np.sort(phi)[2 * phi.size // 3:], 180.0)


def test_crystal_start_fills_the_generated_cell_with_diamond():
    """The crystal start of the default cell (216 atoms at 2.28 g/cm³): 3 × 3 × 3 cells, every atom diamond
    for OVITO, four neighbours at a√3/4."""
    box = cubic_box_length(np.full(216, 28.0855), study.DENSITY)
    x = study.crystal_start(216, box)
    assert x.n_atoms == 216 and study.crystallinities(x) == [1.0]
    d = torch.cdist(x.positions, x.positions)
    a = box / 3
    assert math.isclose(float(d[d > 0.1].min()), a * math.sqrt(3) / 4, rel_tol=1e-6)  # cdist: 1e-7 Å rounding


def test_with_atoms_sets_a_cell_the_crystal_start_fills():
    """The generated cell may be set to any 8 m³ atoms (the paper profile uses the references' 1000); the
    references stay; anything else is refused in one line."""
    p = study.with_atoms(study.PROFILES["default"], 1000)
    assert p["atoms"] == 1000 and p["ref_atoms"] == study.PROFILES["default"]["ref_atoms"]
    assert study.PROFILES["default"]["atoms"] == 216  # the profile itself is not changed
    assert study.PROFILES["paper"]["atoms"] == study.PROFILES["paper"]["ref_atoms"] == 1000
    box = cubic_box_length(np.full(512, 28.0855), study.DENSITY)
    assert study.crystallinities(study.crystal_start(study.with_atoms(p, 512)["atoms"], box)) == [1.0]
    for bad in (100, 217, 0, -8, 2.0, "1000", True):
        with pytest.raises(InputError, match="8 m\\^3"):
            study.with_atoms(p, bad)


def test_records_on_known_answers():
    """Diamond guided towards its own g(r): crystallinity 1, error 0, one record per structure."""
    x = from_ase(diamond(2))
    pair = concatenate([x, x])
    r = study.r_grid(float(x.cell[0, 0, 0]))
    gr = Target.from_structures("gr", pair, r, smearing=study.GR_SMEARING, source="diamond")
    sq = Target.from_structures("sq-xray", pair, torch.linspace(1.0, 10.0, 50, dtype=torch.float64), source="diamond")
    groups = [study.Group("mixture", 1.0, gr, pair, pair, 1.0, label="diamond", smearing=study.GR_SMEARING),
              study.Group("measured", None, sq, None, pair, 1.0),
              study.Group("melt-quench", None, sq, pair, pair, 1.0),
              study.Group("unconditional", None, None, None, pair, 1.0)]
    data = study.StudyData(groups, sq, float(x.cell[0, 0, 0]), r, {})
    recs, summary = study.records(data)
    assert len(recs) == 2 * 4 + 2 * 2  # generated of 4 groups, references of 2
    assert {(k["target"], k["source"]) for k in recs} == {(t, "generated") for t in study.TARGETS} | {
        ("mixture", "reference"), ("melt-quench", "reference")}
    assert all(k["crystallinity"] == 1.0 and k["gr_error"] < 1e-9 and k["staggered_dihedral_fraction"] == 1.0 for k in recs)
    assert [k["error_kind"] for k in recs if k["target"] == "mixture"] == ["gr"] * 4
    assert summary["diamond"]["error_within_diversity"] and summary["measured"]["r_factor_measured_of_mean"] < 1e-9
    assert all(set(k) >= {"target", "source", "fraction", "replica", "crystallinity", "gr_error", "diversity"} for k in recs)


def _group(target, fraction, values):
    return {"target": target, "fraction": fraction, "crystallinity_mean": float(np.mean(values)),
            "crystallinity_median": float(np.median(values)), "error_within_diversity": True}


def test_acceptance_numbers():
    groups = {f"mixture {f}": _group("mixture", f, [0.5 * f]) for f in (0.0, 0.1, 0.2, 0.3, 0.4)}
    groups |= {"measured": _group("measured", None, [0.0, 0.02, 0.03]),
               "unconditional": _group("unconditional", None, [0.0, 0.0, 0.0]),
               "melt-quench": _group("melt-quench", None, [0.0, 0.01, 0.0])}
    a = study.acceptance(groups)
    assert a["spearman_rho"] == pytest.approx(1.0) and a["tracks_fraction"]
    assert a["underprediction"] == pytest.approx([0.0, 0.05, 0.1, 0.15, 0.2])
    assert a["measured_above_zero"] and a["measured_above_others"] and a["medians"]["measured"] == 0.02
    flat = {k: {**g, "crystallinity_mean": 0.0} if g["target"] == "mixture" else g for k, g in groups.items()}
    assert study.acceptance(flat)["spearman_rho"] is None and not study.acceptance(flat)["tracks_fraction"]
