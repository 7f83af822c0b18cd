"""Tests for glasslib.diffusion.sampling: time grid, start state, and the sampler on a Gaussian with exact score."""

from __future__ import annotations

import argparse
import json
import math

import pytest
import torch

from glasslib.diffusion.sde import VESDE
from glasslib.core.errors import InputError
from glasslib.core.geometry import to_fractional
from glasslib.diffusion.sampling import cubic_cell, initial_noise, sample, sample_heun, time_grid
from glasslib.core.structures import Structures

SDE = VESDE(k=3.0, sigma_min=0.01)
MU = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
S0 = 0.5  # data standard deviation, Å


def gaussian_score(x: Structures, t) -> torch.Tensor:
    """Exact score of p_t = N(μ, (s0² + σ(t)²) I), the VE-SDE marginal of N(μ, s0² I)."""
    var = S0**2 + SDE.sigma(torch.as_tensor(t, dtype=x.dtype)) ** 2
    return -(x.positions - MU) / var[x.system_idx, None]


def _gaussian_start(n_sys: int, n: int, gen: torch.Generator) -> Structures:
    """Non-periodic "structures" (no wrapping) drawn from p_1 = N(μ, s0² + σ_max²)."""
    total = n_sys * n
    pos = MU + math.sqrt(S0**2 + SDE.sigma_max**2) * torch.randn(total, 3, generator=gen, dtype=torch.float64)
    return Structures(
        positions=pos, cell=torch.zeros(n_sys, 3, 3, dtype=torch.float64), species=torch.full((total,), 14),
        system_idx=torch.arange(n_sys).repeat_interleave(n), pbc=torch.zeros(n_sys, 3, dtype=torch.bool),
    )


def test_time_grid():
    t = time_grid(10, 1.0, 1e-3, 7.0)
    assert t.shape == (11,) and float(t[0]) == 1.0 and math.isclose(float(t[-1]), 1e-3)
    assert bool((t[1:] < t[:-1]).all())
    assert torch.allclose(time_grid(4, 1.0, 0.2, 1.0), torch.tensor([1.0, 0.8, 0.6, 0.4, 0.2], dtype=torch.float64))
    d = time_grid(50, 1.0, 1e-3, 7.0).diff().abs()
    assert float(d[-1]) < float(d[0])  # ρ > 1: finer steps at low noise
    with pytest.raises(InputError):
        time_grid(0)


@pytest.mark.parametrize(
    "options",
    [
        {"n_corrector": 0},  # plain Euler–Maruyama
        {"n_corrector": 1, "snr": 0.16, "corrector_sigma_max": 1.0},  # predictor–corrector
        {"n_corrector": 0, "n_restarts": 1, "t_restart": 0.3},  # restarts
    ],
    ids=["em", "pc", "restart"],
)
def test_gaussian_mean_and_variance(options):
    gen = torch.Generator().manual_seed(0)
    x = _gaussian_start(4, 2500, gen)
    # 200 steps: the Euler–Maruyama variance bias on this Gaussian is +2.3% (it is +8% at 60 steps)
    out = sample(gaussian_score, x, time_grid(200, 1.0, SDE.t_min, 7.0), generator=gen, sde=SDE, **options)
    mean, var = out.positions.mean(0), out.positions.var(0)
    assert bool(((mean - MU).abs() < 0.05 * MU.abs()).all()), mean
    # the sampled law is N(μ, s0²) (σ_min² = 1e-4 removed by the final Tweedie step)
    assert bool(((var / S0**2 - 1).abs() < 0.05).all()), var


@pytest.mark.parametrize("churn", [0.0, 10.0], ids=["ode", "churn"])
def test_heun_reaches_the_gaussian_in_few_steps_with_2n_plus_1_evaluations(churn):
    """Second route to the same law: the probability-flow ODE (Heun, 35 steps, 71 score calls)
    maps N(μ, s0² + σ_max²) onto N(μ, s0²) as the 200-step predictor–corrector sampler does."""
    gen = torch.Generator().manual_seed(0)
    x = _gaussian_start(4, 2500, gen)
    calls = []

    def counted(x, t):
        calls.append(float(t[0]))
        return gaussian_score(x, t)

    out = sample_heun(counted, x, time_grid(35, 1.0, SDE.t_min, 7.0), generator=gen, sde=SDE, churn=churn)
    assert len(calls) == 2 * 35 + 1
    assert max(calls) <= 1.0 + 1e-12  # churn never asks the network above σ_max (t = 1)
    mean, var = out.positions.mean(0), out.positions.var(0)
    assert bool(((mean - MU).abs() < 0.05 * MU.abs()).all()), mean
    assert bool(((var / S0**2 - 1).abs() < 0.05).all()), var


def test_heun_without_churn_is_deterministic_and_second_order():
    """Churn 0 draws nothing; halving the step of the ODE cuts the error on one path about 4×."""
    x0 = _gaussian_start(1, 50, torch.Generator().manual_seed(2))
    gen = torch.Generator().manual_seed(0)
    state = gen.get_state()
    a = sample_heun(gaussian_score, x0, time_grid(10, 1.0, 0.05, 1.0), generator=gen, sde=SDE, denoise=False)
    assert torch.equal(gen.get_state(), state)
    # exact flow of the Gaussian ODE: x − μ scales with sqrt(s0² + σ²)
    exact = MU + (x0.positions - MU) * math.sqrt((S0**2 + 0.05**2 * 9) / (S0**2 + 9))
    errs = [float((sample_heun(gaussian_score, x0, time_grid(n, 1.0, 0.05, 1.0), generator=gen, sde=SDE,
                               denoise=False).positions - exact).abs().max()) for n in (10, 20)]
    assert float((a.positions - exact).abs().max()) == errs[0]
    assert 3.0 < errs[0] / errs[1] < 5.0, errs
    with pytest.raises(InputError, match="churn"):
        sample_heun(gaussian_score, x0, [0.5, 0.1], generator=gen, sde=SDE, churn=-1.0)


def test_sampler_is_deterministic_and_reports_steps():
    seen = []
    x0 = _gaussian_start(2, 20, torch.Generator().manual_seed(1))
    a = sample(gaussian_score, x0, time_grid(5, 1.0, 0.01), generator=torch.Generator().manual_seed(7), sde=SDE,
               callback=lambda d: seen.append((d["phase"], d["t"])), corrector_sigma_max=10.0)
    b = sample(gaussian_score, x0, time_grid(5, 1.0, 0.01), generator=torch.Generator().manual_seed(7), sde=SDE,
               corrector_sigma_max=10.0)
    c = sample(gaussian_score, x0, time_grid(5, 1.0, 0.01), generator=torch.Generator().manual_seed(8), sde=SDE)
    assert torch.equal(a.positions, b.positions) and not torch.equal(a.positions, c.positions)
    assert [p for p, _ in seen] == ["predictor", "corrector"] * 5 + ["denoise"]


def test_periodic_positions_wrapped_after_every_step():
    cell = cubic_cell(16, 14, 2.3)
    gen = torch.Generator().manual_seed(0)
    x = initial_noise(3, 16, cell, 14, gen)

    def push(x, t):  # a score that drives atoms across the faces
        return torch.full_like(x.positions, 40.0)

    def check(d):
        frac = to_fractional(d["x"].positions, d["x"].cell, d["x"].system_idx)
        assert bool((frac >= 0).all()) and bool((frac < 1).all())

    sample(push, x, time_grid(4, 1.0, 0.05), generator=gen, sde=SDE, callback=check, corrector_sigma_max=10.0,
           n_restarts=1, t_restart=0.5)
    sample_heun(push, x, time_grid(4, 1.0, 0.05), generator=gen, sde=SDE, callback=check, churn=2.0, n_restarts=1,
                t_restart=0.5)


def test_initial_noise_and_density():
    gen = torch.Generator().manual_seed(0)
    cell = cubic_cell(216, 14, 2.3)
    x = initial_noise(4, 216, cell, 14, gen)
    assert x.n_systems == 4 and x.n_atoms == 864 and bool(x.periodic.all())
    assert torch.allclose(x.mass_density, torch.full((4,), 2.3, dtype=torch.float64))
    frac = to_fractional(x.positions, x.cell, x.system_idx)
    assert bool((frac >= 0).all()) and bool((frac < 1).all()) and abs(float(frac.mean()) - 0.5) < 0.02
    per_cell = initial_noise(2, 3, torch.stack([cell, 2 * cell]), [14, 14, 14], gen)
    assert torch.equal(per_cell.cell[1], 2 * cell)
    with pytest.raises(InputError):
        initial_noise(2, 3, cell, [14, 14], gen)
    with pytest.raises(InputError):
        cubic_cell(8, 14, -1.0)


def test_bad_arguments():
    x = _gaussian_start(1, 5, torch.Generator().manual_seed(0))
    with pytest.raises(InputError):
        sample(gaussian_score, x, [0.5, 0.7], generator=torch.Generator(), sde=SDE)
    with pytest.raises(InputError):
        sample(gaussian_score, x, [0.5, 0.1], generator=None, sde=SDE)
    with pytest.raises(InputError):
        sample(gaussian_score, x, [0.5, 0.1], generator=torch.Generator(), sde=SDE, n_restarts=1, t_restart=0.9)


def test_cli_sample_end_to_end(tmp_path):
    """glass train (4 steps) then glass sample, unguided and guided by reference structures' g(r)."""
    import ase.build
    import ase.io

    from glasslib.cli import sample as cli_sample
    from glasslib.cli import train as cli_train
    from glasslib.core.structures import read_structures

    frames = []
    for k in range(3):
        a = ase.build.bulk("Si", "diamond", a=5.43, cubic=True)
        a.rattle(0.05, seed=k)
        frames.append(a)
    data = tmp_path / "data.extxyz"
    ase.io.write(data, frames)

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    cli_train.register(sub)
    cli_sample.register(sub)

    def train(structures, run, steps, hidden):
        """glass train of a tiny network; returns its checkpoint."""
        args = parser.parse_args(["train", str(structures), "--out", str(run), "--steps", str(steps), "--quiet",
                                  "--config", f"model.hidden={hidden}", "--config", "model.channels=2",
                                  "--config", "model.n_layers=1", "--config", "batch_size=2", "--config", "model.cutoff=3.0",
                                  "--config", "model.angular_cutoff=2.6"])
        assert args.func(args) == 0
        return run / "checkpoint.pt"

    ckpt = train(data, tmp_path / "run", 4, 8)
    out = tmp_path / "samples"
    common = [str(ckpt), "--n", "2", "--atoms", "16", "--density", "2.3", "--seed", "0", "--steps", "3", "--quiet"]
    args = parser.parse_args(["sample", *common, "--out", str(out)])
    assert args.func(args) == 0
    got = read_structures(sorted(out.glob("*.extxyz")))
    assert got.n_systems == 2 and got.n_atoms == 32
    assert torch.allclose(got.mass_density, torch.full((2,), 2.3, dtype=torch.float64), rtol=1e-6)
    with pytest.raises(InputError, match="nothing was overwritten"):
        args.func(args)
    args = parser.parse_args(["sample", *common, "--out", str(tmp_path / "guided"),
                              "--target", str(data), "--kind", "gr", "--weight", "2"])
    assert args.targets[0]["kind"] == "gr" and args.targets[0]["weight"] == 2.0
    # the 16-atom cell (6.9 Å) covers a third of the target's r grid: refused before anything is written,
    # accepted when the check is skipped by name
    with pytest.raises(InputError, match="--skip-check overlap"):
        args.func(args)
    assert not (tmp_path / "guided").exists()
    args = parser.parse_args(["sample", *common, "--out", str(tmp_path / "guided"),
                              "--target", str(data), "--kind", "gr", "--weight", "2", "--skip-check", "overlap"])
    assert args.func(args) == 0
    assert len(list((tmp_path / "guided").glob("*.extxyz"))) == 2
    # the Heun sampler, guided and with churn; its choice is in every structure's record
    args = parser.parse_args(["sample", *common, "--out", str(tmp_path / "heun"), "--sampler", "heun", "--churn", "1",
                              "--target", str(data), "--kind", "gr", "--skip-check", "overlap"])
    assert args.func(args) == 0
    heun = sorted((tmp_path / "heun").glob("*.extxyz"))
    assert len(heun) == 2 and "sampler=heun" in heun[0].read_text().splitlines()[1]
    assert json.loads((tmp_path / "heun" / "sample_config.json").read_text())["config"]["churn"] == 1.0

    # autoguidance with a second (weaker: 2 steps) network of the same data; a weak network of
    # other data, or --autoguidance without --weak, is refused before anything is written
    weak = train(data, tmp_path / "weak", 2, 4)
    auto_out = tmp_path / "auto"
    args = parser.parse_args(["sample", *common, "--out", str(auto_out), "--weak", str(weak),
                              "--autoguidance", "2.5", "--target", str(data), "--kind", "gr",
                              "--skip-check", "overlap"])
    assert args.func(args) == 0
    got = sorted(auto_out.glob("*.extxyz"))
    assert len(got) == 2 and "autoguidance=2.5" in got[0].read_text().splitlines()[1]
    other = tmp_path / "other.extxyz"
    ase.io.write(other, frames[:2])
    other_weak = train(other, tmp_path / "other", 1, 4)
    for extra, message in ((["--weak", str(other_weak)], "other data"),
                           (["--autoguidance", "2"], "needs --weak")):
        args = parser.parse_args(["sample", *common, "--out", str(tmp_path / "refused"), *extra])
        with pytest.raises(InputError, match=message):
            args.func(args)
        assert not (tmp_path / "refused").exists()
