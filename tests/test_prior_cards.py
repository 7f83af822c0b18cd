"""glasslib.studies.prior_cards: the card criteria on structures whose answers are known."""

from __future__ import annotations

import ase
import ase.build
import numpy as np
import pytest
import torch

from glasslib.core.structures import from_ase
from glasslib.analysis.water import water_intact_fraction
from glasslib.studies.prior_cards import CARDS, angle_stats, bonded, coordination, criteria, partials


@pytest.fixture(scope="module")
def diamond():
    return from_ase([ase.build.bulk("Si", "diamond", a=5.431, cubic=True).repeat(3)])


def test_crystalline_silicon(diamond):
    card = CARDS["asi_sw_prior"]
    graphs = bonded(diamond, card)
    assert coordination(graphs, "Si-Si") == pytest.approx(4.0)
    a = angle_stats(graphs, "Si-Si-Si")
    assert a["mean_deg"] == pytest.approx(109.47, abs=0.01) and a["std_deg"] < 1e-6 and a["fraction_below_70"] == 0
    d = 5.431 * np.sqrt(3) / 4
    ref = partials(diamond, card, [14])
    c = criteria(diamond, card, {k: v.repeat(2, 1) for k, v in ref.items()}, [14])
    pair = c["pairs"]["Si-Si"]
    assert pair["gr_rmse_to_training_mean"] == pytest.approx(0.0, abs=1e-12) and pair["training_spread"] == pytest.approx(0.0)
    assert pair["first_peak_A"] == pytest.approx(2.35, abs=0.03)
    assert c["min_closest_over_covalent"] == pytest.approx(d / (2 * ase.data.covalent_radii[14]))


def _water_box(n_side=3, spacing=3.1, broken=0) -> ase.Atoms:
    """H2O molecules on a simple cubic lattice (O–H 0.9572 Å, H–O–H 104.52°); ``broken`` molecules
    have one H moved 1.5 Å away from its O."""
    atoms = ase.Atoms(cell=[n_side * spacing] * 3, pbc=True)
    half = np.radians(104.52) / 2
    k = 0
    for i in range(n_side):
        for j in range(n_side):
            for m in range(n_side):
                o = np.array([i, j, m], float) * spacing + 0.5
                h1 = o + 0.9572 * np.array([np.sin(half), np.cos(half), 0])
                h2 = o + 0.9572 * np.array([-np.sin(half), np.cos(half), 0])
                if k < broken:
                    h2 = o + np.array([0, 0, 1.5])
                atoms += ase.Atoms("OH2", positions=[o, h1, h2])
                k += 1
    return atoms


def test_intact_water_and_the_hoh_angle():
    x = from_ase([_water_box()])
    assert water_intact_fraction(x) == 1.0
    card = CARDS["water_tip4p2005_prior"]
    graphs = bonded(x, card)
    assert coordination(graphs, "O-H") == pytest.approx(2.0)
    assert angle_stats(graphs, "H-O-H")["mean_deg"] == pytest.approx(104.52, abs=1e-6)
    assert water_intact_fraction(from_ase([_water_box(broken=9)])) == pytest.approx(18 / 27)


def test_an_s8_ring_is_counted():
    """A crown S8 ring (S–S 2.05 Å) in a big box: every S two-fold and in an 8-ring."""
    r, z = 2.05 / (2 * np.sin(np.pi / 8)) * 0.95, 0.5
    pos = [[r * np.cos(k * np.pi / 4), r * np.sin(k * np.pi / 4), z * (-1) ** k] for k in range(8)]
    ring = ase.Atoms("S8", positions=np.array(pos) + 7.0, cell=[14.0] * 3, pbc=True)
    bonds = np.linalg.norm(ring.positions - np.roll(ring.positions, 1, axis=0), axis=1)
    assert np.all((bonds > 1.8) & (bonds < 2.3))
    x = from_ase([ring])
    card = CARDS["sulfur_chgnet_prior"]
    ref = partials(x, card, [16])
    c = criteria(x, card, {k: v.repeat(2, 1) for k, v in ref.items()}, [16])
    assert c["s_twofold_fraction"] == 1.0 and c["s8_fraction"] == 1.0 and c["coordination"]["S-S"] == 2.0


def test_of_composition_ignores_the_order_of_atoms():
    from glasslib.studies.prior_cards import of_composition

    a = ase.Atoms("Cu2Zr2", scaled_positions=np.random.default_rng(0).random((4, 3)), cell=[6.0] * 3, pbc=True)
    b = ase.Atoms("Zr2Cu2", scaled_positions=np.random.default_rng(1).random((4, 3)), cell=[6.0] * 3, pbc=True)
    c = ase.Atoms("Cu3Zr", scaled_positions=np.random.default_rng(2).random((4, 3)), cell=[6.0] * 3, pbc=True)
    assert of_composition(from_ase([a, b, c]), "Zr2Cu2").n_systems == 2


def test_sample_card_takes_another_checkpoint_and_a_weak_companion(diamond, tmp_path):
    """The benchmarks compare checkpoints of one prior: the card samples the one given, autoguided by
    its weak companion when given, and says so in the records."""
    from glasslib.diffusion.priors import default_out_dir, load_priors
    from glasslib.studies.prior_cards import card_records, sample_card

    from glasslib.core.structures import concatenate

    two = concatenate([diamond, diamond.replace(positions=diamond.positions + 0.05)])  # the guided card needs two
    spec = load_priors()["asi_sw_prior"]
    shipped = default_out_dir(spec) / "checkpoint.pt"
    other = tmp_path / "other.pt"
    other.write_bytes(shipped.read_bytes())
    weak = default_out_dir(spec, weak=True) / "checkpoint.pt"
    e = sample_card(spec, two, two, n=1, steps=3, seed=0, sp3_n=0, checkpoint=other, weak=weak)
    assert e.checkpoint == other and set(e.samples) == {"unconditional", "guided"}
    for name in ("unconditional", "guided"):
        assert e.records[name]["checkpoint"] == str(other) and e.records[name]["weak_checkpoint"] == str(weak)
        assert e.records[name]["config"]["autoguidance"] == 2.0
    assert [r["ensemble"] for r in card_records(e)] == ["training", "unconditional", "guided"]
    plain = sample_card(spec, two, two, n=1, steps=3, seed=0, sp3_n=0)
    assert plain.checkpoint == shipped and plain.records["unconditional"]["weak_checkpoint"] is None


def test_panel_holds_the_curves_of_the_figure(diamond):
    """A panel is the figure's data: the training range brackets the training structures, the
    target is the mean of the held-out ones, every sampled ensemble has a curve on the card's grid."""
    from glasslib.diffusion.priors import load_priors
    from glasslib.studies.prior_cards import PriorEnsembles, figure, panel, total_gr

    from glasslib.core.structures import concatenate

    card = CARDS["asi_sw_prior"]
    noise = torch.randn(diamond.positions.shape, generator=torch.Generator().manual_seed(0), dtype=diamond.positions.dtype)
    hot = diamond.replace(positions=diamond.positions + 0.3 * noise)
    two = concatenate([diamond, hot])
    e = PriorEnsembles(load_priors()["asi_sw_prior"], None, two, two, hot, samples={"unconditional": hot, "guided": diamond})
    p = panel(e)
    g = total_gr(two, card).numpy()
    assert len(p["r"]) == len(p["target"]) == g.shape[1] and p["r"][-1] == pytest.approx(card.r_max)
    assert np.allclose(p["training_min"], g.min(0), atol=1e-5) and np.allclose(p["training_max"], g.max(0), atol=1e-5)
    assert np.allclose(p["target"], g[1], atol=1e-5) and np.allclose(p["samples"]["guided"], g[0], atol=1e-5)
    assert max(p["training_max"]) > 2 * max(p["samples"]["unconditional"]) > 0  # the crystal's sharp peaks
    assert len(figure([p, p]).axes) == 2
    gap = figure([p, {"prior": "sio2_vashishta_prior", "curves": None}]).axes[1]  # merge_summary's panel without curves
    assert not gap.lines and "update=False" in gap.texts[0].get_text()


def _summary(profile, priors):
    return {"profile": profile, "priors": priors,
            "records": [{"prior": n, "ensemble": e, "run": profile} for n in priors for e in ("training", "guided")],
            "panels": [{"prior": n, "run": profile} for n in priors]}


def test_merge_keeps_the_priors_not_rerun():
    from glasslib.core.errors import InputError
    from glasslib.studies.prior_cards import merge_summary

    old = _summary("default", ["a", "b", "c"])
    new = _summary("default", ["b"])
    new["records"] = [dict(r, run="new") for r in new["records"]]
    new["panels"] = [{"prior": "b", "run": "new"}]
    out = merge_summary(old, new)
    assert [p["prior"] for p in out["panels"]] == ["a", "b", "c"] and out["kept_from_previous_run"] == ["a", "c"]
    assert [(r["prior"], r["run"]) for r in out["records"]] == [("a", "default")] * 2 + [("b", "new")] * 2 + [("c", "default")] * 2
    newer = _summary("default", ["d", "a"])
    assert [p["prior"] for p in merge_summary(out, newer)["panels"]] == ["a", "b", "c", "d"]  # a new prior comes last
    before_panels = merge_summary({**old, "panels": old["panels"][1:]}, new)  # a summary from before panels
    assert before_panels["panels"][0] == {"prior": "a", "curves": None} and before_panels["panels_without_curves"] == ["a"]
    assert [(r["prior"], r["run"]) for r in before_panels["records"]] == [(r["prior"], r["run"]) for r in out["records"]]
    with pytest.raises(InputError, match="no records for a"):
        merge_summary({**old, "records": old["records"][2:]}, new)
    with pytest.raises(InputError, match="'smoke' profile"):
        merge_summary(_summary("smoke", ["a", "b", "c"]), new)
