"""glasslib.studies.rmc_baseline: local-structure numbers on diamond Si, the RMC grid, the
records of a short fit and of the references (the whole study runs in tests/test_notebooks.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from crystals import diamond
from glasslib.core.errors import InputError
from glasslib.core.structures import from_ase
from glasslib.studies import rmc_baseline as study
from glasslib.studies import select_profile


def test_profiles():
    assert set(study.PROFILES) == {"smoke", "default", "paper"}
    settings = study.fit_settings(select_profile(study.PROFILES, "smoke"))
    assert settings == {"dr_A": 0.05, "sigma": 0.02, "step_A": 0.3, "bond_cutoff_A": 2.85, "seconds_per_run": 4.0}
    with pytest.raises(InputError):
        select_profile(study.PROFILES, "huge")


def test_local_record_of_diamond():
    ls = study.local_of(from_ase([diamond(2)]))
    d = study.local_record(ls)
    assert list(d) == ["coordination_mean", "fourfold_fraction", "coordination_counts", "angle_mean_deg",
                       "angle_std_deg", "angle_fraction_below_70"]  # the JSON's order
    assert d["coordination_mean"] == 4.0 and d["fourfold_fraction"] == 1.0
    assert d["coordination_counts"] == {4: 64}
    assert d["angle_mean_deg"] == pytest.approx(109.47, abs=0.01)
    assert d["angle_std_deg"] < 0.01 and d["angle_fraction_below_70"] == 0.0
    assert len(ls.angles) == 64 * 6  # four bonds, six angles per atom


def test_rmc_grid_stops_at_half_the_box():
    s = from_ase([diamond(3)])  # 16.29 Å cube
    r = study.rmc_grid(s)
    assert float(r[0]) == pytest.approx(study.DR / 2)
    assert np.allclose(np.diff(r.numpy()), study.DR)
    assert float(r[-1]) + study.DR / 2 <= 0.5 * 3 * 5.431 + 1e-9
    assert float(r[-1]) + 1.5 * study.DR > 0.5 * 3 * 5.431
    assert r.dtype == torch.float64


def test_histogram_gr_of_diamond_has_its_shells():
    # bonds at 2.352 Å; second shell (12 atoms) at a/√2 = 3.840 Å; nothing closer than the bond
    s = from_ase([diamond(3)])
    r = study.rmc_grid(s)
    g = study.histogram_gr(s, r)
    first = r < 3.0
    assert float(r[first][g[first].argmax()]) == pytest.approx(2.352, abs=study.DR / 2)
    assert float(r[g.argmax()]) == pytest.approx(3.840, abs=study.DR / 2)
    assert float(g[r < 2.3].abs().max()) == 0.0


def test_unknown_start_is_refused():
    with pytest.raises(ValueError, match="random.*liquid"):
        study.start_structure("crystal", 64, 2.33)


def _references(ref):
    local = study.local_of(ref)
    return study.References({study.TARGET_A: ref, study.TARGET_B: ref}, {study.TARGET_A: local, study.TARGET_B: local},
                            [ref, ref], [0.1], 1.5, 1000.0)


def test_reference_records():
    ref = from_ase([diamond(2)])
    refs = _references(ref)
    assert refs.diversity_mean == pytest.approx(0.1)
    references, sw = refs.records()
    assert list(references) == [study.TARGET_A, study.TARGET_B]
    assert references[study.TARGET_A] == study.local_record(refs.local[study.TARGET_A])
    assert sw == dict(n=2, quench_rate_K_per_ps=1000.0, seconds=1.5, gr_rmse_between_replicas=[0.1],
                      fourfold_fraction=[1.0, 1.0], angle_std_deg=[pytest.approx(0.0, abs=0.01)] * 2)


def test_short_fit_from_random_start_improves_gr_and_records_it():
    # 64 Si atoms fitted to diamond's g(r) for a fraction of a second from a random start
    ref = from_ase([diamond(2)])
    run = study.fit_gr(study.TARGET_A, ref, "random", seconds=0.5, liquid_ps=0.1, seed=1)
    assert run.fit.moves > 0 and run.n_points == len(run.r)
    rec = study.rmc_record(run, _references(ref))
    assert rec["gr_rmse"] < run.start_gr_rmse  # the fit moved towards the target
    assert rec["target"] == study.TARGET_A and rec["start"] == "random"
    assert rec["reference_fourfold_fraction"] == 1.0 and rec["reference_diversity"] == pytest.approx(0.1)
    assert 0.0 <= rec["acceptance"] <= 1.0 and rec["chi2"] >= 0.0
    assert rec["moves_per_s"] == pytest.approx(rec["moves"] / run.fit.elapsed)
