"""glasslib.diffusion.priors: declared priors, their resolved configs and resumable builds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml

from glasslib.core.errors import InputError
from glasslib.diffusion.priors import PriorSpec, build_prior, get_prior, load_priors, resolved_config, stage_wall_seconds
from glasslib.diffusion.training import load_checkpoint

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "data" / "models"

#: a two-structure a-Si SW set (the tasks of aSi-SW-smoke, so a few seconds of LAMMPS) declared as training data
DATASETS = {"datasets": [{
    "name": "prior-test-set", "system": "a-Si-SW", "n_atoms": 64, "densities": [2.28], "quench_rates": [200.0],
    "count": 2, "seed": 190000, "protocol": {"melt_time": 2.0, "anneal_time": 1.0}, "role": "train"}]}
TINY = {"model.hidden": 8, "model.channels": 2, "model.n_layers": 1, "model.n_rbf": 6, "model.n_fourier": 4,
        "model.cutoff": 4.0, "model.angular_cutoff": 3.0, "batch_size": 1, "val_fraction": 0.0, "warmup_steps": 2,
        "val_interval": 2, "checkpoint_interval": 2}


def _specs(tmp_path: Path, stages) -> tuple[Path, Path]:
    datasets = tmp_path / "datasets.yaml"
    datasets.write_text(yaml.safe_dump(DATASETS))
    priors = tmp_path / "priors.yaml"
    priors.write_text(yaml.safe_dump({"priors": [{"name": "tiny", "datasets": ["prior-test-set"], "seed": 3,
                                                   "config": TINY, "stages": list(stages)}]}))
    return priors, datasets


def _resolved_against(spec: PriorSpec, config_path: Path, *, weak: bool = False) -> tuple[dict, dict]:
    """(resolved config of ``spec``, the config written at ``config_path``), species taken from the latter
    (filled from the data when training)."""
    expected = json.loads(config_path.read_text())
    got = resolved_config(spec, weak=weak).to_dict()
    got["model"]["species"] = expected["model"]["species"]
    return got, expected


def test_declared_priors_resolve_to_their_shipped_configs():
    """The rebuild command (glass train --prior NAME) reproduces every shipped resolved config."""
    priors = load_priors()
    assert "asi_sw_prior" in priors
    shipped = 0
    for name, spec in priors.items():
        for weak in (False, True) if spec.weak else (False,):
            path = MODELS / name / ("weak" if weak else "") / "config.json"
            if not path.exists():
                continue
            got, expected = _resolved_against(spec, path, weak=weak)
            assert got == expected, (name, weak)
            shipped += 1
    assert shipped >= 2


def test_trial_networks_resolve_from_their_own_entries():
    """A kept trial network (data/models/NAME/trials/TRIAL/) holds the prior entry it was trained with
    (priors.yaml); that entry reproduces its resolved config, and the checkpoint records the same entry."""
    trials = sorted(MODELS.glob("*/trials/*/config.json"))
    assert trials
    for path in trials:
        name = path.parents[2].name
        spec = load_priors(path.parent / "priors.yaml")[name]
        got, expected = _resolved_against(spec, path)
        assert got == expected, path
        record = load_checkpoint(path.parent / "checkpoint.pt").record
        assert record["prior"] == name and record["stages"] == list(spec.stages), path
        assert record["spec"]["config"] == dict(spec.config), path


def test_build_resumes_across_stages_exactly(tmp_path):
    priors, datasets = _specs(tmp_path, [4, 8])
    full = build_prior("tiny", out_dir=tmp_path / "full", progress=False, specs_path=priors, datasets_path=datasets)
    # the same prior declared with only its first stage, then with both: as if stopped after stage one
    (tmp_path / "first").mkdir()
    first, _ = _specs(tmp_path / "first", [4])
    build_prior("tiny", out_dir=tmp_path / "staged", progress=False, specs_path=first, datasets_path=datasets)
    staged = build_prior("tiny", out_dir=tmp_path / "staged", progress=False, specs_path=priors, datasets_path=datasets)
    a, b = torch.load(full, weights_only=True), torch.load(staged, weights_only=True)
    assert a["step"] == b["step"] == 8
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    ckpt = load_checkpoint(full)
    assert ckpt.record["prior"] == "tiny" and ckpt.record["stages"] == [4, 8]
    assert ckpt.record["datasets"][0]["name"] == "prior-test-set" and ckpt.record["data_sha256"] == ckpt.data_sha256
    assert ckpt.data_summary["default"]["composition"] == "Si64"
    info = json.loads((full.parent / "train_info.json").read_text())
    assert info["stages"] == [4, 8] and len(info["wall_seconds_per_stage"]) == 2 and info["threads"] >= 1
    assert info["wall_seconds_per_stage"] == stage_wall_seconds(ckpt.history, [4, 8])
    config = json.loads((full.parent / "config.json").read_text())
    assert config["seed"] == 3 and config["steps"] == 8 and config["model"]["hidden"] == 8


@pytest.mark.parametrize("entry, needle", [
    ({"name": "x", "datasets": ["aSi-SW-prior"], "stages": [10], "colour": 1}, "unknown"),
    ({"name": "x", "datasets": ["aSi-SW-prior"]}, "needs stages"),
    ({"name": "x", "datasets": ["aSi-SW-prior"], "stages": [10], "config": {"model.hiden": 8}}, "unknown config key"),
    ({"name": "x", "datasets": ["aSi-SW-prior"], "stages": [10], "config": {"seed": 1}}, "entry's seed"),
    ({"name": "x", "datasets": ["aSi-SW-prior"], "stages": [10], "weak": {"stages": [1], "lr": 1}}, "weak takes only"),
])
def test_bad_prior_entries(entry, needle):
    with pytest.raises(InputError, match=needle):
        PriorSpec.from_dict(entry, "priors.yaml")


def test_unknown_prior_and_non_training_sets(tmp_path):
    with pytest.raises(InputError, match="no prior named 'nope'"):
        get_prior("nope")
    priors = tmp_path / "priors.yaml"
    priors.write_text(yaml.safe_dump({"priors": [{"name": "p", "datasets": ["aSi-SW-smoke"], "stages": [2]}]}))
    with pytest.raises(InputError, match="role 'smoke'"):
        build_prior("p", out_dir=tmp_path / "run", specs_path=priors, progress=False)
    assert not (tmp_path / "run").exists()


def test_stage_wall_seconds_from_a_history_of_cumulative_seconds():
    history = [{"step": 250, "seconds": 100.0}, {"step": 500, "seconds": 230.0},  # stage 1 ends at 500
               {"step": 750, "seconds": 300.0}, {"step": 1000}]  # an entry without a time is skipped
    assert stage_wall_seconds(history, [500, 1000]) == [230.0, 70.0]
    assert stage_wall_seconds(history[:2], [500, 1000]) == [230.0]  # stage 2 not reached
    assert stage_wall_seconds([], [500]) == []
