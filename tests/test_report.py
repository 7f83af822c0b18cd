"""The analysis report: descriptor sets chosen by composition through the one registry or named
by the caller, the mean over structures, JSON-ready values; and ``glass analyze``."""

from __future__ import annotations

import json

import ase.io
import pytest

import glasslib.cli as cli
from glasslib.analysis.report import DESCRIPTOR_SETS, analyze, applicable_descriptor_sets, named_descriptor_sets
from glasslib.core.errors import InputError
from glasslib.core.structures import concatenate, from_ase
from glasslib.simulate.ice import ice_ih

from crystals import diamond
from test_sulfur_network import s8_crystal


def test_analyze_picks_descriptors_by_species_and_is_json_ready():
    a = diamond(2)
    a.rattle(0.05, seed=2)
    ice = ice_ih(2, 1, 1, seed=0)
    batch = concatenate([from_ase(diamond(2)), from_ase(a), from_ase(ice), from_ase(s8_crystal())])
    rep = analyze(batch)
    json.dumps(rep, allow_nan=False)
    si, rattled, water, sulfur = rep["structures"]
    assert si["crystallinity_cubic"] == 1.0 and si["ring_size_counts"]["6"] == 128 and si["entropy_nats"] < 1e-6
    assert rattled["entropy_nats"] > 0 and "dihedral_histogram" in rattled
    assert water["chillplus_hexagonal_ice"] == 1.0 and water["coordination_O_H"] == 2.0
    assert "ring_size_counts" not in water and "s8_fraction" not in water
    assert sulfur["s8_fraction"] == 1.0 and "crystallinity" not in sulfur
    mean = rep["mean"]
    assert mean["crystallinity_cubic"] == 1.0  # mean over the two Si structures
    assert mean["composition"]["Si"] == 32.0  # counts: missing keys count as 0
    assert len(mean["bond_angle_histogram"]) == 90


def test_registry_predicates_select_by_composition():
    def names(*z):
        return [d.name for d in applicable_descriptor_sets(z)]

    assert [d.name for d in DESCRIPTOR_SETS] == ["network", "diamond", "water", "sulfur"]
    assert names(14) == ["network", "diamond"] and names(6, 14) == ["network", "diamond"]
    assert names(8, 14) == ["network"]  # silica: no diamond types
    assert names(1, 8) == ["water"] and names(16) == ["sulfur"] and names(11, 17) == []
    assert names(1, 8, 14) == ["network", "water"]


def test_named_descriptor_sets_replace_the_composition_rule():
    a = diamond(2)
    a.rattle(0.05, seed=3)
    si = from_ase(a)
    auto = analyze(si, entropy=False)
    named = analyze(si, entropy=False, descriptor_sets="diamond, network")
    assert named["settings"].pop("descriptor_sets") == ["network", "diamond"]  # registry order
    assert "descriptor_sets" not in auto["settings"] and named == auto
    only = analyze(si, entropy=False, descriptor_sets=["network"])["structures"][0]
    assert "ring_size_counts" in only and "crystallinity" not in only
    bare = analyze(si, entropy=False, descriptor_sets=())["structures"][0]
    assert not any(k.startswith(("dihedral", "ring", "crystallinity")) for k in bare)
    assert [d.name for d in named_descriptor_sets(["sulfur", "water"])] == ["water", "sulfur"]
    with pytest.raises(InputError, match="unknown descriptor set 'ice'; known: network, diamond, water, sulfur"):
        analyze(si, descriptor_sets=["ice"])
    with pytest.raises(InputError, match="needs O and H"):
        analyze(si, entropy=False, descriptor_sets=["water"])


def test_cli_analyze_writes_report_and_image(tmp_path):
    a = diamond(2)
    b = a.copy()
    b.rattle(0.05, seed=0)
    traj = tmp_path / "si.extxyz"
    ase.io.write(traj, [a, b])
    out, png = tmp_path / "report.json", tmp_path / "si.png"
    assert _cli(["analyze", traj, "--out", out, "--cutoff", "Si-Si=2.9", "--no-entropy",
                 "--render", png, "--size", "80x60"]) == 0
    rep = json.loads(out.read_text())
    assert rep["n_structures"] == 2 and rep["settings"]["bond_cutoffs_A"] == {"Si-Si": 2.9}
    assert [s["frame"] for s in rep["structures"]] == [0, 1] and rep["structures"][0]["source"] == str(traj)
    assert rep["mean"]["ring_size_counts"]["6"] <= 128 and rep["image"]["color_by"] == "diamond"
    assert png.read_bytes()[:4] == b"\x89PNG"
    # --descriptors names the sets (none: only the generic descriptors); --force replaces the report
    assert _cli(["analyze", traj, "--out", out, "--no-entropy", "--descriptors", "none", "--force"]) == 0
    rep = json.loads(out.read_text())
    assert rep["settings"]["descriptor_sets"] == [] and "ring_size_counts" not in rep["mean"]


def test_cli_analyze_bad_input_is_one_line_exit_2(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert _cli(["analyze", tmp_path / "missing.xyz", "--out", out]) == 2
    assert _cli(["analyze", tmp_path / "missing.xyz", "--out", out, "--cutoff", "Si=x"]) == 2
    assert _cli(["analyze", tmp_path / "missing.xyz", "--out", out, "--size", "big"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("glass: error: ") for line in err)
    assert "no such file" in err[0] and "--cutoff" in err[1] and "--size" in err[2]
    assert not out.exists()
    assert _cli(["analyze", tmp_path / "missing.xyz", "--out", out, "--descriptors", "water,ice"]) == 2
    assert "unknown descriptor set 'ice'" in capsys.readouterr().err


def _cli(argv):
    return cli.main([str(a) for a in argv])
