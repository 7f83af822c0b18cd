"""The EXAFS surrogate recipe: the least-squares fit recovers a kernel that generated the data
exactly, the accuracy measures behave on exact and perturbed predictions, and the shipped
checkpoint carries its records (held-out accuracy, data hashes) as its model card states."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from glasslib.spectra.exafs import _solve, accuracy, normal_equations
from glasslib.spectra.exafs_data import ExafsSet
from glasslib.spectra.exafs_surrogate import SHIPPED, ExafsConfig, ExafsSurrogate

from test_exafs_feff import b2_cuzr

DATA = Path(__file__).resolve().parents[1] / "data"


def _synthetic_set(model: ExafsSurrogate, n: int = 6) -> ExafsSet:
    from glasslib.core.structures import concatenate

    s = concatenate([b2_cuzr(rattle=0.15, seed=k) for k in range(n)])
    with torch.no_grad():
        chi, index = model.per_atom(s)
    k = model.config.k_grid()
    return ExafsSet([f"synthetic/{k}" for k in range(n)], s, index, k, chi, "0" * 64, np.zeros(index.numel()))


def test_least_squares_recovers_a_generating_kernel():
    cfg = ExafsConfig(n_radial=8, n_kbasis=6, k_max=10.0, k_step=0.1)
    truth = ExafsSurrogate(cfg).double()
    with torch.no_grad():
        truth.coef.copy_(torch.randn(truth.coef.shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 0.01)
    data = _synthetic_set(truth)
    fitted = ExafsSurrogate(cfg).double()
    g, h, yy = normal_equations(fitted, data)
    _solve(fitted, g, h, 1e-12)
    acc = accuracy(fitted, data, k_range=(2.0, 10.0))
    assert acc["per_absorber"]["r2"] > 0.999999 and acc["ensemble"]["r_factor"] < 1e-10
    # a worse model scores worse
    with torch.no_grad():
        fitted.coef.mul_(0.8)
    worse = accuracy(fitted, data, k_range=(2.0, 10.0))
    assert worse["ensemble"]["r_factor"] == np.float64(worse["ensemble"]["r_factor"]) and \
        abs(worse["ensemble"]["r_factor"] - 0.04) < 1e-6  # (0.2)² exactly: R = Σ(0.2 y)²/Σ y²


def test_shipped_checkpoint_records():
    model = ExafsSurrogate.load(DATA / SHIPPED)
    info = model.train_info
    assert set(model.data_sha256) == {"train", "heldout"}
    held = info["heldout"]
    assert held["k_range"] == [2.0, 12.0] and held["absorbers"] > 0
    card = (DATA / SHIPPED).with_name("model_card.md").read_text()
    assert f"{held['per_absorber']['r2']:.3f}" in card and f"{held['ensemble']['r_factor']:.2e}" in card
    config = json.loads((DATA / SHIPPED).with_name("config.json").read_text())
    assert config["model"] == model.config.to_dict() and (DATA / SHIPPED).stat().st_size < 5e6
