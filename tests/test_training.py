"""Tests for glasslib.diffusion.training: config, exact resume, checkpoint round trip and bad checkpoints."""

from __future__ import annotations

import argparse
import json

import ase.build
import pytest
import torch

import glasslib.diffusion.training as training
from glasslib.core.errors import InputError
from glasslib.diffusion.model import ScoreNetConfig
from glasslib.core.structures import from_ase
from glasslib.diffusion.training import TrainConfig, data_sha256, load_checkpoint, lr_factor, train, train_stages

TINY = ScoreNetConfig(cutoff=3.0, angular_cutoff=2.6, hidden=8, channels=2, n_layers=1, n_rbf=6, n_fourier=4)


def _data(n=5):
    frames = []
    for k in range(n):
        a = ase.build.bulk("Si", "diamond", a=5.43 + 0.05 * k, cubic=True)
        a.rattle(0.05, seed=k)
        frames.append(a)
    return from_ase(frames)


def _config(**kw):
    base = dict(model=TINY, steps=20, batch_size=2, warmup_steps=3, val_interval=5, checkpoint_interval=5, lr=1e-3)
    return TrainConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("full")
    return train(_config(), _data(), out, progress=False)


def test_config_round_trip_and_overrides():
    cfg = _config()
    assert TrainConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    new = cfg.with_overrides({"lr": 2e-3, "model.hidden": 12, "sde.k": 4.0})
    assert new.lr == 2e-3 and new.model.hidden == 12 and new.sde.k == 4.0 and new.model.channels == 2
    with pytest.raises(InputError):
        cfg.with_overrides({"model.bogus": 1})
    with pytest.raises(InputError):
        cfg.with_overrides({"bogus": 1})
    with pytest.raises(InputError):
        TrainConfig(dtype="float16")


def test_lr_schedule():
    cfg = TrainConfig(steps=100, warmup_steps=10, min_lr_ratio=0.1)
    f = [lr_factor(s, cfg) for s in range(100)]
    assert f[0] < f[5] < f[9] < 1.0 and f[10] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(f[10:], f[11:])) and lr_factor(100, cfg) == pytest.approx(0.1)


def test_data_hash_sensitive():
    a = _data()
    b = a.with_positions(a.positions.clone())
    assert data_sha256(a) == data_sha256(b)
    b.positions[3, 1] += 1e-9
    assert data_sha256(a) != data_sha256(b)


def test_resume_equals_uninterrupted(uninterrupted, tmp_path):
    train(_config(), _data(), tmp_path, progress=False, stop_at=10)
    assert torch.load(tmp_path / "checkpoint.pt", weights_only=True)["step"] == 10
    train(_config(), _data(), tmp_path, progress=False)
    a = torch.load(uninterrupted, weights_only=True)
    b = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert a["step"] == b["step"] == 20
    for key in ("model", "ema"):
        for name in a[key]:
            assert torch.equal(a[key][name], b[key][name]), (key, name)
    assert [h.get("val_loss") for h in a["history"]] == [h.get("val_loss") for h in b["history"]]
    seconds = [h["seconds"] for h in b["history"]]  # training time so far, carried over the resume
    assert seconds == sorted(seconds) and seconds[2] > seconds[1] > 0


def test_stages_restart_the_schedule_and_resume_exactly(uninterrupted, tmp_path):
    a_dir, b_dir = tmp_path / "a", tmp_path / "b"
    train_stages(_config(), _data(), a_dir, [10, 20], progress=False)
    a = torch.load(a_dir / "checkpoint.pt", weights_only=True)
    lrs = {h["step"]: h["lr"] for h in a["history"]}
    # stage 1 decays to the floor at step 10; stage 2 stretches the cosine to 20 (warm restart)
    assert lrs[10] == pytest.approx(1e-3 * 0.05) and lrs[15] > 4 * lrs[10] and lrs[20] == pytest.approx(lrs[10])
    single = torch.load(uninterrupted, weights_only=True)  # one 20-step stage: another schedule, other weights
    assert any(not torch.equal(a["model"][k], single["model"][k]) for k in a["model"])
    # interrupted in the second stage, then rerun: the same weights as the uninterrupted stages
    train_stages(_config(), _data(), b_dir, [10, 20], progress=False, stop_at=15)
    assert torch.load(b_dir / "checkpoint.pt", weights_only=True)["step"] == 15
    train_stages(_config(), _data(), b_dir, [10, 20], progress=False)
    b = torch.load(b_dir / "checkpoint.pt", weights_only=True)
    for key in ("model", "ema"):
        for name in a[key]:
            assert torch.equal(a[key][name], b[key][name]), (key, name)
    with pytest.raises(InputError, match="increasing"):
        train_stages(_config(), _data(), tmp_path / "c", [10, 10])


def test_checkpoint_round_trip_exact(uninterrupted):
    state = torch.load(uninterrupted, weights_only=True)
    ck = load_checkpoint(uninterrupted)
    for name, value in ck.denoiser.state_dict().items():
        assert torch.equal(value, state["ema"][name])
    raw = load_checkpoint(uninterrupted, ema=False)
    assert all(torch.equal(v, state["model"][k]) for k, v in raw.denoiser.state_dict().items())
    assert ck.config.model.species == (14,) and ck.step == 20 and ck.data_sha256 == data_sha256(_data())
    assert ck.config == TrainConfig.from_dict(json.loads((uninterrupted.parent / "config.json").read_text()))
    x = _data(2).to(dtype=torch.float32)
    assert torch.equal(ck.score(x, 0.3), load_checkpoint(uninterrupted).score(x, 0.3))
    assert len(ck.history) == 4 and all("val_loss" in h for h in ck.history)


def test_bad_checkpoints(uninterrupted, tmp_path):
    blob = uninterrupted.read_bytes()
    cut = tmp_path / "truncated.pt"
    cut.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(InputError, match="truncated.pt"):
        load_checkpoint(cut)
    junk = tmp_path / "junk.pt"
    junk.write_text("not a checkpoint")
    with pytest.raises(InputError, match="junk.pt"):
        load_checkpoint(junk)
    with pytest.raises(InputError, match="not found"):
        load_checkpoint(tmp_path / "missing.pt")
    with pytest.raises(InputError, match="species"):
        load_checkpoint(uninterrupted, species=[14, 8])
    assert load_checkpoint(uninterrupted, species=[14]).species == (14,)


def test_resume_refuses_other_data_or_config(uninterrupted):
    before = uninterrupted.read_bytes()
    with pytest.raises(InputError, match="different data"):
        train(_config(), _data(4), uninterrupted.parent, progress=False)
    with pytest.raises(InputError, match="different configuration"):
        train(_config(lr=5e-3), _data(), uninterrupted.parent, progress=False)
    assert uninterrupted.read_bytes() == before  # nothing overwritten


def test_species_must_cover_data(tmp_path):
    with pytest.raises(InputError, match="species"):
        train(_config(model=ScoreNetConfig(species=(8,), cutoff=3.0, angular_cutoff=2.6, hidden=8, channels=2, n_layers=1)), _data(), tmp_path,
              progress=False)


def test_non_finite_steps_are_skipped_and_counted(tmp_path, monkeypatch):
    real = training.dsm_loss
    calls = {"n": 0}

    def flaky(*args, **kw):
        loss = real(*args, **kw)
        calls["n"] += 1
        return loss * float("nan") if calls["n"] == 3 else loss

    monkeypatch.setattr(training, "dsm_loss", flaky)
    path = train(_config(steps=6, val_fraction=0.0), _data(), tmp_path, progress=False)
    state = torch.load(path, weights_only=True)
    assert state["n_skipped"] == 1 and state["step"] == 6
    assert all(torch.isfinite(v).all() for v in state["model"].values())


def test_cli_train_overrides(tmp_path):
    import ase.io

    from glasslib.cli import train as cli_train

    data = tmp_path / "d.extxyz"
    ase.io.write(data, [ase.build.bulk("Si", "diamond", a=5.43, cubic=True)] * 3)
    cfg_file = tmp_path / "c.json"
    cfg_file.write_text(json.dumps({"model": {"hidden": 8, "channels": 2, "n_layers": 1, "cutoff": 3.0, "angular_cutoff": 2.6}, "batch_size": 2}))
    parser = argparse.ArgumentParser()
    cli_train.register(parser.add_subparsers())
    args = parser.parse_args(["train", str(data), "--out", str(tmp_path / "r"), "--config", str(cfg_file),
                              "--config", "lr=0.002", "--steps", "2", "--seed", "3", "--quiet"])
    assert args.func(args) == 0
    cfg = load_checkpoint(tmp_path / "r" / "checkpoint.pt").config
    assert (cfg.lr, cfg.steps, cfg.seed, cfg.model.hidden, cfg.batch_size) == (0.002, 2, 3, 8, 2)
    with pytest.raises(InputError):
        cli_train.parse_overrides([str(tmp_path / "nope.json")])


def test_require_companion_checks_species_sde_and_data():
    """The shipped weak a-Si network is a valid companion of the prior; changed copies are refused."""
    from dataclasses import replace as dc_replace

    from glasslib.core.paths import data_dir

    models = data_dir() / "models" / "asi_sw_prior"
    prior, weak = load_checkpoint(models / "checkpoint.pt"), load_checkpoint(models / "weak" / "checkpoint.pt")
    prior.require_companion(weak)
    for changed, message in (
        (dc_replace(weak, data_sha256="0" * 64), "other data"),
        (dc_replace(weak, config=weak.config.with_overrides({"sde.k": 4.0})), "noise process"),
        (dc_replace(weak, config=weak.config.with_overrides({"model.species": (8, 14)})), "species"),
    ):
        with pytest.raises(InputError, match=message) as err:
            prior.require_companion(changed)
        assert "weak" in str(err.value) and len(str(err.value).splitlines()) == 1
