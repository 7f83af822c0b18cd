"""glasslib.studies.mda_ice and the shear route to MDA it needs (protocols.Stage.shear, the LAMMPS
shear stage): analytic cases on ice Ih, the records and acceptance logic, refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import glasslib.simulate.tasks as sim
from glasslib.core.errors import InputError
from glasslib.core.structures import from_ase
from glasslib.simulate.datasets import get_spec
from glasslib.simulate.ice import ice_ih_at_density
from glasslib.simulate.protocols import Protocol, Stage
from glasslib.studies import mda_ice as study


@pytest.fixture(scope="module")
def ice():
    return study.ice_start(288, 0.92, seed=1)


def test_ice_ih_goo_shells_and_rings(ice):
    """Ice Ih: first O–O shell at 2.75 Å, second near 4.5 Å; its H-bond network is all six-rings."""
    g = study.goo(ice)[0]
    r = study.R_GRID
    first = float(r[(r > 2.0) & (r < 3.3)][g[(r > 2.0) & (r < 3.3)].argmax()])
    assert 2.70 <= first <= 2.82
    r2, h2 = study.second_shell(g)
    assert 4.35 <= r2 <= 4.65 and h2 > 1.5
    rings = study.ring_fractions(ice, 8)
    assert rings["6"] == 1.0 and sum(rings.values()) == pytest.approx(1.0)
    assert study.water_intact_fraction(ice) == 1.0
    assert study.closest_oo(ice) == pytest.approx(2.759, abs=0.01)


def test_spectra_tend_to_one_and_neutron_uses_d2o(ice):
    s = study.spectra(ice)
    assert set(s) == set(study.MODALITIES)
    for kind in ("sq-xray", "sq-neutron"):
        assert abs(float(s[kind][0, -100:].mean()) - 1.0) < 0.15  # a rigid crystal: molecular oscillations remain
    natural = study.KINDS["sq-neutron"].compute(ice, study.Q_GRID)
    assert float((natural - s["sq-neutron"]).abs().max()) > 0.5  # H as D changes the curve


def test_records_error_and_leave_one_out(ice):
    two = study.from_ase([ice_ih_at_density(288, 0.92, seed=1), ice_ih_at_density(288, 0.95, seed=2)])
    target, div, replicas = study.target_curves(two, None)
    assert set(div) == set(study.MODALITIES) and all(v > 0 for v in div.values())
    recs, curves = study.records_for("MDA-target", two, target, div, synthetic=True, ring_max=8, leave_one_out=True)
    assert [r["replica"] for r in recs] == [0, 1] and all(r["synthetic"] for r in recs)
    # with two replicas the leave-one-out error of each is the RMSE to the other one
    expected = float(study.rmse(curves["goo"][0], curves["goo"][1]))
    assert recs[0]["error"]["goo"] == pytest.approx(expected)
    keys = {"kind", "synthetic", "replica", "density", "goo_shell2_r_A", "goo_shell2_height", "ring_fractions",
            "intact_molecules", "error", "diversity"}
    assert keys <= set(recs[0])
    json.dumps(recs)


def _rec(kind, r2, h2, six, intact=1.0):
    return {"kind": kind, "goo_shell2_r_A": r2, "goo_shell2_height": h2, "ring_fractions": {"6": six},
            "intact_molecules": intact}


def test_acceptance_checks_each_claim():
    recs = [_rec("LDA", 4.5, 1.2, 0.4), _rec("HDA", 4.2, 1.0, 0.2), _rec("MDA-generated", 4.4, 1.1, 0.3, 0.96)]
    ed = {"goo": {"error_over_diversity": 1.5}, "sq-xray": {"error_over_diversity": 2.5}}
    a = study.acceptance(recs, ed)
    assert a["shell2_between"] and a["six_ring_below_LDA"] and a["intact_at_least_95"]
    assert not a["error_within_2_diversity"]
    a = study.acceptance(recs[:2] + [_rec("MDA-generated", 4.7, 1.3, 0.5, 0.9)], {})
    assert not (a["shell2_between"] or a["six_ring_below_LDA"] or a["intact_at_least_95"] or
                a["error_within_2_diversity"])


def test_user_target_file(tmp_path):
    q = np.arange(0.5, 20, 0.05)
    good = tmp_path / "mda_sq.csv"
    sq = 1 + 0.9 * np.exp(-(q - 2.0) ** 2 / 0.08) - 0.3 * np.exp(-(q - 3.0) ** 2 / 0.3)
    np.savetxt(good, np.column_stack([q, sq]), delimiter=",")
    t = study.read_user_target(good, "sq-xray")
    assert t.x[0] >= 1.0 and t.x[-1] <= 15.0
    target, div, replicas = study.target_curves(None, t)
    assert set(target) == {"sq-xray"} and div == {} and replicas is None
    assert study.guidance_targets(None, t) == [t]
    bad = tmp_path / "bad.csv"
    bad.write_text("not,a\nspectrum,file\n")
    with pytest.raises(InputError, match="bad.csv"):
        study.read_user_target(bad, "sq-xray")
    with pytest.raises(InputError, match="sq-xray or sq-neutron"):
        study.read_user_target(good, "gr")


def test_shear_stage_serialises_only_when_used():
    """A stage without shear keeps the old serialisation (content hashes of existing sets)."""
    plain = Stage("hold", 1.0, 80.0, 80.0, "npt")
    assert "shear" not in plain.to_dict()
    assert Stage("s", 1.0, 80.0, 80.0, "npt", shear=0.4).to_dict()["shear"] == 0.4
    assert "shear" not in Protocol(extra_stages=(plain,)).to_dict()["extra_stages"][0]
    with pytest.raises(InputError, match="shear strain"):
        Protocol(extra_stages=(Stage("s", 1.0, 80.0, 80.0, shear=2.0),)).validate()
    spec = get_spec("MDA-TIP4P2005-shear")
    stages = spec.tasks()[0].protocol.extra_stages
    assert sum(1 for s in stages if s.shear) == 12


def test_lammps_shear_stage_tilts_the_cell():
    """A short shear stage of rigid TIP4P/2005 ice: the cell gains the tilt strain × length, the
    molecules stay whole, the steps are recorded; the same seed repeats them."""
    stages = [dict(name="shear0", time=0.1, t_start=80.0, t_stop=80.0, ensemble="nvt", shear=0.3)]
    task = sim.make_task("MDA-TIP4P2005", n_atoms=96, seed=3, melt_time=0.02, extra_stages=stages)
    atoms = sim.simulate(task)
    tilt, delta = atoms.info["shear_steps"][:2], float(atoms.info["shear_steps"][2:])
    cell = atoms.cell[:]
    row, col, axis = {"xy": (1, 0, 1), "xz": (2, 0, 2), "yz": (2, 1, 2)}[tilt]
    assert abs(cell[row, col] - delta) < 1e-3 and abs(abs(delta) - 0.3 * cell[axis, axis]) < 0.05
    assert study.water_intact_fraction(from_ase([atoms])) == 1.0
    assert sim.simulate(task).info["shear_steps"] == atoms.info["shear_steps"]


def test_every_profile_reads_declared_sets_of_the_same_routes():
    """Each profile's reference sets are declared, hold enough structures and follow the same route
    (system) as the full sets; the smoke profile reads only smoke-role sets (minutes to build)."""
    for name, profile in study.PROFILES.items():
        sets = profile["reference_sets"]
        assert set(sets) == set(study.REFERENCE_SETS), name
        for kind, set_name in sets.items():
            spec, full = get_spec(set_name), get_spec(study.REFERENCE_SETS[kind])
            assert spec.system == full.system, (name, kind)
            assert len(spec.tasks()) >= profile["reference"], (name, kind)
            if name == "smoke":
                assert spec.role == "smoke", (kind, set_name)
