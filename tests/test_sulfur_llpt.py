"""glasslib.studies.sulfur_llpt: analytic cases on S₈ crystals and opened rings, the peak finder on a
known parabola, the rank correlation, the records' error bookkeeping, a measured g(r) file replacing the
synthetic series (and its refusals), the renders without S₈ rings, and the synthetic specs' seeds."""

from __future__ import annotations

import math

import ase
import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from glasslib.analysis.bonds import bond_graph
from glasslib.analysis.sulfur_network import s8_atoms, sulfur_rings
from glasslib.core.errors import InputError
from glasslib.core.structures import from_ase
from glasslib.simulate.datasets import load_specs
from glasslib.simulate.sulfur import s8_ring, sulfur_chain
from glasslib.spectra.targets import Target
from glasslib.studies import sulfur_llpt as study


def rings_and_chains(n_rings: int, n_chains: int, spacing: float = 13.0, seed: int = 0) -> ase.Atoms:
    """S₈ rings and open 8-atom chains on a 2×2×2 cubic lattice (one molecule per site, far apart)."""
    rng = np.random.default_rng(seed)
    mols = [s8_ring()] * n_rings + [sulfur_chain(8, rng)] * n_chains
    pos = []
    for mol, idx in zip(mols, np.ndindex(2, 2, 2)):
        rot = Rotation.random(random_state=int(rng.integers(1 << 30))).as_matrix()
        pos.append((mol - mol.mean(0)) @ rot.T + spacing * (np.array(idx) + 0.5))
    return ase.Atoms(f"S{8 * len(mols)}", positions=np.concatenate(pos), cell=[2 * spacing] * 3, pbc=True)


@pytest.mark.parametrize("n_rings", [8, 5, 2, 0])
def test_topology_counts_rings_and_chain_ends(n_rings):
    """k intact rings of 8 molecules: S₈ fraction k/8; each open chain adds two chain ends of 64 atoms."""
    s = from_ase([rings_and_chains(n_rings, 8 - n_rings)])
    t = study.topology(s)
    assert t["s8_fraction"] == pytest.approx(n_rings / 8)
    assert t["chain_end_fraction"] == pytest.approx(2 * (8 - n_rings) / 64)
    mask = s8_atoms(bond_graph(s))
    assert mask.sum() == 8 * n_rings and mask[: 8 * n_rings].all()
    kept = study.without_s8(s)
    assert kept.n_atoms == max(64 - 8 * n_rings, 1)
    if n_rings < 8:  # what is left has no ring, only the chains
        assert sulfur_rings(bond_graph(kept))["s8_fraction"] == 0.0


def test_peak_position_on_a_parabola():
    r = np.arange(3.5, 5.0, 0.02)
    g = 1.0 - (r - 4.137) ** 2 + 0.5 * np.exp(-((r - 4.45) / 0.03) ** 2)
    assert study.peak_position(r, g, (3.75, 4.3)) == pytest.approx(4.137, abs=1e-6)
    assert study.peak_position(r, g, (4.3, 4.75)) == pytest.approx(4.45, abs=0.005)
    assert math.isnan(study.peak_position(r, g, (6.0, 7.0)))
    assert math.isnan(study.peak_position(r, r, (3.75, 4.3)))  # monotonic: no peak inside the window


def two_states():
    """Two synthetic states from S₈ crystals (two replicas each), their generated structures the other set."""
    box = 26.0
    rings = from_ase([rings_and_chains(8, 0, seed=1), rings_and_chains(8, 0, seed=2)])
    chains = from_ase([rings_and_chains(0, 8, seed=3), rings_and_chains(0, 8, seed=4)])
    grid = study.r_grid(box)
    out = []
    for k, (label, refs) in enumerate((("rings", rings), ("chains", chains))):
        t = Target.from_structures("gr", refs, grid, smearing=study.GR_SMEARING, source=f"SYNTHETIC {label}")
        out.append(study.State(label, k, None, t, True, refs, generated=refs))
    return out


def test_records_leave_one_out_and_acceptance():
    states = two_states()
    recs, per_state = study.records(states)
    assert len(recs) == 8 and {r["source"] for r in recs} == {"target", "generated"}
    keys = {"state", "order", "pressure_GPa", "source", "synthetic", "replica", "s8_fraction", "chain_end_fraction",
            "entropy", "gr_error", "diversity", "peak_4p0_A", "peak_4p45_A"}
    assert keys <= set(recs[0])
    t0, t1 = (r for r in recs if r["state"] == "rings" and r["source"] == "target")
    assert t0["synthetic"] and t0["gr_error"] == pytest.approx(t1["gr_error"])  # LOO of two = RMSE to the other
    g = study.gr(states[0].target, states[0].replicas)
    assert t0["gr_error"] == pytest.approx(float(study.rmse(g[0], g[1])), abs=1e-5)
    gen = [r for r in recs if r["source"] == "generated"]
    assert not any(r["synthetic"] for r in gen) and all(r["target_synthetic"] for r in gen)
    # two replicas: each leave-one-out mean is the other replica, so its peaks are that replica's own
    loo = per_state["rings"]["target_peaks_leave_one_out"]
    for key in ("peak_4p0_A", "peak_4p45_A"):
        assert loo[key] == [t1[key], t0[key]]
    assert any(v is not None for key in loo for v in loo[key])
    acc = study.acceptance(recs, per_state)
    assert acc["s8_fraction"]["target"] == [1.0, 0.0] and acc["s8_fraction"]["generated"] == [1.0, 0.0]
    assert acc["s8_fraction"]["spearman_rho"] == pytest.approx(1.0) and acc["s8_fraction"]["pass"]
    assert acc["s8_fraction"]["spearman_rho"] is not None
    # generated = the replicas themselves: E is half of D for two replicas
    ratio = acc["error_over_diversity"]["rings"]
    assert 0.4 < ratio < 0.6 and acc["error_within_2_diversity"]
    assert all(abs(v) < 1e-9 for d in acc["peak_offsets_A"].values() for v in d.values() if v is not None)
    assert acc["peaks_within_0p05_A"] and all(v for d in acc["peaks_agree"].values() for v in d.values())


def test_peaks_follow_the_target_present_or_absent():
    assert study._peaks_agree(4.02, 4.0) and not study._peaks_agree(4.06, 4.0)
    assert study._peaks_agree(None, None)  # the target lacks the feature and so does the generated curve
    assert not study._peaks_agree(4.45, None) and not study._peaks_agree(None, 4.45)


def test_measured_file_replaces_the_series_and_bad_files_refused(tmp_path):
    states = two_states()
    r, y = states[0].target.x, states[0].target.y
    good = tmp_path / "sulfur_gr_1GPa.dat"
    good.write_text("".join(f"{a:.4f} {b:.6f}\n" for a, b in zip(r, y)))
    series = study.measured_series([(good, 1.0)], study.box_length(64))
    assert len(series) == 1 and series[0].pressure == 1.0 and not series[0].synthetic
    assert series[0].target.y[:50] == pytest.approx(y[:50], abs=1e-5)
    rows = list(zip(r, y))
    rows[100], rows[101] = rows[101], rows[100]
    bad = tmp_path / "nonmonotonic.dat"
    bad.write_text("".join(f"{a:.4f} {b:.6f}\n" for a, b in rows))
    with pytest.raises(InputError) as err:
        study.measured_series([(bad, 2.0)], study.box_length(64))
    assert "nonmonotonic.dat" in str(err.value) and "\n" not in str(err.value)
    junk = tmp_path / "junk.dat"
    junk.write_text("r g\nabc def\n1.0\n")
    with pytest.raises(InputError) as err:
        study.measured_series([(junk, 2.0)], study.box_length(64))
    assert "junk.dat" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(InputError):
        study.measured_series([good], study.box_length(64))


def test_synthetic_specs_are_labelled_with_disjoint_seeds():
    declared = load_specs()
    seeds = {s.name: (s.seed, s.seed + len(s.tasks())) for s in declared.values()}
    for name in ("smoke", "default"):
        specs = study.state_specs(study.PROFILES[name])
        assert len(specs) >= 4 and all("SYNTHETIC" in s.name for s in specs)
        ranges = [(s.seed, s.seed + len(s.tasks())) for s in specs] + list(seeds.values())
        ranges.sort()
        assert all(a[1] <= b[0] for a, b in zip(ranges, ranges[1:])), "seed ranges overlap"
    temps = [s.protocol["melt_temperature"] for s in study.state_specs(study.PROFILES["default"])]
    assert temps == sorted(temps)
    # 64 × 32.06 g/mol / N_A / 1.85 g/cm³ = 1841.8 Å³, edge 12.258 Å
    assert study.box_length(64) == pytest.approx(12.258, abs=0.002)


def test_sampling_from_the_ring_start():
    """The ring start is 64 atoms of whole S₈ rings at the study's density; sampled from it at σ = 0.1 Å
    (5 steps), guided by its own g(r), the prior keeps rings, and the same seed gives the same structures."""
    start = study.ring_start(64, seed=0)
    assert start.n_atoms == 64 and study.topology(start)["s8_fraction"] == 1.0
    assert math.isclose(float(start.mass_density[0]), study.DENSITY, rel_tol=1e-6)
    box = study.box_length(64)
    target = Target.from_structures("gr", start, study.r_grid(box), smearing=study.GR_SMEARING, source="ring start")
    states = [study.State("rings", 0, None, target, True), study.State("rings again", 0, None, target, True)]
    torch.set_num_threads(1)
    study.sample(states[:1], n=1, steps=5, atoms=64, seed=0, start_sigma=0.1)
    study.sample(states[1:], n=1, steps=5, atoms=64, seed=0, start_sigma=0.1)
    assert study.topology(states[0].generated)["s8_fraction"] > 0.5
    assert torch.equal(states[0].generated.positions, states[1].generated.positions)
