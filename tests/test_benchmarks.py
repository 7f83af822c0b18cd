"""glasslib.studies.benchmarks: grids, RMC closest approach, local columns, records and claims
on structures and records whose answers are known."""

from __future__ import annotations

import math

import ase.build
import numpy as np
import pytest
import torch

from glasslib.core.structures import concatenate, from_ase
from glasslib.diffusion.priors import load_priors
from glasslib.studies import benchmarks as b
from glasslib.studies.prior_cards import CARDS


@pytest.fixture(scope="module")
def diamond():
    return from_ase([ase.build.bulk("Si", "diamond", a=5.431, cubic=True).repeat(2)])


def rattled(x, seed, amp=0.05):
    g = torch.Generator().manual_seed(seed)
    return x.replace(positions=x.positions + amp * torch.randn(x.positions.shape, generator=g, dtype=x.positions.dtype))


def test_the_five_systems_are_declared():
    priors = load_priors()
    assert set(b.SYSTEMS) == {"a-C", "a-Si", "SiO2", "CuZr", "ZrNiAl"}
    for s in b.SYSTEMS.values():
        assert s.prior in priors and s.prior in CARDS and s.heldout == priors[s.prior].heldout
    assert b.SYSTEMS["a-C"].surrogates == ("xanes",) and b.SYSTEMS["CuZr"].surrogates == ("exafs",)


def test_missing_prior_is_named_not_faked(monkeypatch, tmp_path):
    monkeypatch.setattr(b, "data_dir", lambda: tmp_path)
    why = b.SYSTEMS["CuZr"].available()
    assert why is not None and "cuzr_mendelev_prior" in why


def test_grids_stay_inside_the_cell():
    g = b.grids(b.SYSTEMS["a-Si"], 10.0)
    assert set(g) == set(b.GUIDED)
    assert float(g["gr"]["grid"].max()) <= 5.0 + 1e-9 and float(g["gr"]["grid"][0]) == pytest.approx(0.05)
    q = g["sq-xray"]["grid"]
    assert float(q[0]) >= 2 * math.pi / 10.0 and float(q[0]) < 2 * math.pi / 10.0 + 0.05 and float(q[-1]) == pytest.approx(20.0)
    assert g["adf"]["cutoff"] == 2.85
    assert "xanes" in b.grids(b.SYSTEMS["a-C"], 12.0) and "xanes" not in b.grids(b.SYSTEMS["a-C"], 12.0, surrogates=False)


def test_local_columns_of_diamond(diamond):
    c = b.local_columns(diamond, b.SYSTEMS["a-Si"])
    assert c["coordination"] == pytest.approx(4.0)
    assert c["closest_pair_A"] == pytest.approx(5.431 * math.sqrt(3) / 4, abs=1e-6)
    assert c["angle_fraction_below_70"] == 0 and c["angle_std_deg"] < 1e-6


def test_closest_approach_metal_below_covalent_default():
    cu = from_ase([ase.build.bulk("Cu", "fcc", a=3.615, cubic=True).repeat(2)])
    d = b.closest_approach(cu)
    assert d["Cu-Cu"] == pytest.approx(0.85 * 3.615 / math.sqrt(2), abs=1e-3)  # below 0.9 × 2 × 1.32 Å
    si = from_ase([ase.build.bulk("Si", "diamond", a=5.431, cubic=True)])
    assert b.closest_approach(si)["Si-Si"] == pytest.approx(min(0.9 * 2 * 1.11, 0.85 * 2.3517), abs=1e-3)


def test_evaluate_gives_one_record_per_method_guidance_and_modality(diamond):
    ref = concatenate([rattled(diamond, k) for k in range(3)])
    specs = b.grids(b.SYSTEMS["a-Si"], float(diamond.cell[0, 0, 0]))
    same = b.Ensemble("glass-conditional", "gr", concatenate([rattled(diamond, 10 + k) for k in range(2)]), 1.0)
    far = b.Ensemble("rmc-random", "gr", concatenate([rattled(diamond, 20 + k, 0.4) for k in range(2)]), 1.0)
    run = {"ref": ref, "specs": specs, "ensembles": [same, far], "reference": "r", "cell": {"density_g_cm3": 2.33}}
    recs = b.evaluate(b.SYSTEMS["a-Si"], run)
    assert len(recs) == 2 * len(specs)
    assert {r["evaluated_on"] for r in recs} == set(b.GUIDED)
    by = {(r["method"], r["evaluated_on"]): r for r in recs}
    for kind in b.GUIDED:
        # a draw from the reference's own distribution sits within its spread; a strongly rattled one does not
        assert abs(by["glass-conditional", kind]["delta_ed_normalized"]) < 0.5 * by["rmc-random", kind]["delta_ed_normalized"]
        r = by["glass-conditional", kind]
        assert r["delta_ed"] == pytest.approx(r["error"] - r["diversity"]) and r["n_replicas"] == 2


def _rec(system, method, guided, evaluated, error, diversity=0.1, **local):
    base = {"coordination": 4.0, "closest_pair_A": 2.3, "angle_std_deg": 10.0, "angle_fraction_below_70": 0.0}
    return {"system": system, "reference": "ref", "method": method, "guided_on": guided, "evaluated_on": evaluated,
            "error": error, "diversity": diversity, "delta_ed": error - diversity, "error_normalized": error,
            "delta_ed_normalized": error - diversity, **{**base, **local}}


def test_claims_on_known_records():
    recs = [_rec("a-Si", "glass-unconditional", None, k, 0.5) for k in ("gr", "adf")]
    recs += [_rec("a-Si", "glass-conditional", "gr", "gr", 0.05), _rec("a-Si", "glass-conditional", "gr", "adf", 0.2),
             _rec("a-Si", "glass-conditional", "adf", "gr", 0.4), _rec("a-Si", "glass-conditional", "adf", "adf", 0.6)]
    for start in ("rmc-random", "rmc-liquid"):
        recs += [_rec("a-Si", start, k, e, 0.1, coordination=3.0, angle_fraction_below_70=0.2)
                 for k in ("gr", "adf") for e in ("gr", "adf")]
    refs = {"a-Si": {"reference": "ref", "coordination": 4.0, "closest_pair_A": 2.3, "angle_fraction_below_70": 0.0}}
    c = b.claims(recs, refs)
    assert c["cond_beats_uncond"]["a-Si/gr"]["holds"] and not c["cond_beats_uncond"]["a-Si/adf"]["holds"]
    assert c["cond_beats_uncond_fraction"] == 0.5
    assert c["cond_delta_ed_gr_le_0"]["a-Si"] == {"delta_ed": pytest.approx(-0.05), "holds": True}
    assert c["local_closer_than_rmc_fraction"] == 1.0
    assert c["asi_best_guidance"] == "gr"
    assert c["asi_mean_delta_ed_normalized_by_guidance"]["adf"] == pytest.approx(np.mean([0.3, 0.5]))
