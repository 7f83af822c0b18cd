"""Benchmark: GLASS sampling and training speed with the shipped a-Si prior.

Prints one table:

* wall time per 216-atom a-Si structure (2.28 g/cm³), one structure at a time, for the default
  unconditional schedule (200 predictor steps, power-law grid ρ = 7, one Langevin corrector
  step below σ = 0.5 Å, snr 0.1, final Tweedie step: the defaults of
  :class:`glasslib.diffusion.generate.SampleConfig`, which ``glass sample`` uses) and the
  default g(r)-guided schedule (the same plus DPS guidance on g(r) on the registry's default
  grid and smearing, step 1.0, gradient through the score network); both through
  :func:`glasslib.diffusion.generate.generate`, the recipe ``glass sample`` and the notebooks use;
* the same two with autoguidance (weight 2, the shipped weak network ``--weak``), as notebook 03
  samples them (the guided one differentiates through both networks);
* the unconditional and guided schedules with the Heun sampler (``sampler="heun"``, EDM's
  second-order sampler, churn 0) at 18 and 35 steps, side by side with the PC default in the
  same run (their sample quality: ``benchmarks/sampler_ablation.py``);
* throughput (structures per second) of the unconditional schedule with B = 1, 4, 16
  structures sampled together as one batched graph (``--quick`` times a 20-step schedule and
  scales it, which is what the per-step costs below justify);
* time per sampler step (one score evaluation, predictor update and wrap) for N = 216, 1000,
  4096 atoms at 2.28 g/cm³ (random positions, as at the start of sampling; the neighbour count
  within the 5 Å cutoff is fixed by the density, so the cost should grow linearly in N);
* training steps per second with the checkpoint's configuration (batch of 216-atom structures).

Runs on one CPU thread by default (``--threads``); ``--device cuda`` times the same on a GPU
(synchronised). The checkpoint's network is used as is (weights do not change the cost).

Usage: python benchmarks/sampling.py [--checkpoint data/models/asi_sw_prior/checkpoint.pt]
       [--device cpu] [--threads 1] [--quick] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CKPT = REPO / "data" / "models" / "asi_sw_prior" / "checkpoint.pt"
DEFAULT_WEAK = REPO / "data" / "models" / "asi_sw_prior" / "weak" / "checkpoint.pt"
DENSITY = 2.28  # g/cm³
#: steps of the Heun rows (2 network evaluations per step, +1 for the final Tweedie step)
HEUN_STEPS = (18, 35)


def _sync(device):
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()


def _timed(fn, device):
    _sync(device)
    t0 = time.perf_counter()
    out = fn()
    _sync(device)
    return time.perf_counter() - t0, out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="GLASS sampling/training benchmark")
    p.add_argument("--checkpoint", type=Path, default=DEFAULT_CKPT)
    p.add_argument("--weak", type=Path, default=DEFAULT_WEAK, help="weak network for the autoguided rows")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=200, help="predictor steps of the default schedules")
    p.add_argument("--quick", action="store_true", help="time B = 4, 16 on 20-step schedules and scale to --steps")
    p.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = p.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))

    import torch

    from glasslib.diffusion.generate import GuidanceTerm, SampleConfig, generate
    from glasslib.diffusion.sampling import cubic_cell, initial_noise, sample, time_grid
    from glasslib.diffusion.sde import dsm_loss
    from glasslib.diffusion.training import build_denoiser, load_checkpoint
    from glasslib.spectra.targets import Target

    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    ckpt = load_checkpoint(args.checkpoint, device)
    sde, dt = ckpt.sde, ckpt.config.torch_dtype
    z = ckpt.species[0]
    rows = []

    weak = load_checkpoint(args.weak, device)

    def run(n, n_steps=args.steps, targets=(), weak_ckpt=None, seed=0, **sampler):
        config = SampleConfig(n=n, atoms=216, density=DENSITY, seed=seed, steps=n_steps, device=str(device), **sampler)
        return _timed(lambda: generate(ckpt, config, targets, weak=weak_ckpt), device)[0]

    # reference g(r) target: any smooth curve on the grid costs the same; use a random structure's own
    gen = torch.Generator(device=device).manual_seed(123)
    x0 = initial_noise(1, 216, cubic_cell(216, z, DENSITY, dtype=dt, device=device), z, gen)
    gr = [GuidanceTerm(Target.from_structures("gr", x0, source="random 216-atom structure"))]

    run(1, n_steps=5)  # warm-up
    t_unc = run(1)
    rows.append(("unconditional, 216 atoms, B=1", f"{t_unc:.2f} s/structure", f"{args.steps} PC steps"))
    t_g = run(1, targets=gr)
    rows.append(("g(r)-guided, 216 atoms, B=1", f"{t_g:.2f} s/structure", f"{args.steps} PC steps"))
    t_a = run(1, weak_ckpt=weak)
    rows.append(("autoguided, 216 atoms, B=1", f"{t_a:.2f} s/structure", f"{args.steps} PC steps, w = 2"))
    t_ag = run(1, targets=gr, weak_ckpt=weak)
    rows.append(("autoguided + g(r)-guided, 216 atoms, B=1", f"{t_ag:.2f} s/structure", f"{args.steps} PC steps, w = 2"))
    for n_heun in HEUN_STEPS:
        nfe = 2 * n_heun + 1
        t_h = run(1, n_steps=n_heun, sampler="heun")
        rows.append((f"unconditional, Heun {n_heun} steps, B=1", f"{t_h:.2f} s/structure",
                     f"{nfe} network evaluations, x{t_unc / t_h:.1f} faster than the PC default"))
        t_hg = run(1, n_steps=n_heun, sampler="heun", targets=gr)
        rows.append((f"g(r)-guided, Heun {n_heun} steps, B=1", f"{t_hg:.2f} s/structure",
                     f"{nfe} network evaluations, x{t_g / t_hg:.1f} faster than the PC default"))
    thr = {1: 1.0 / t_unc}
    for b in (4, 16):
        if args.quick:
            t = run(b, n_steps=20) * args.steps / 20
        else:
            t = run(b)
        thr[b] = b / t
    for b in (1, 4, 16):
        rows.append((f"throughput, unconditional, B={b}", f"{thr[b]:.3f} structures/s", f"x{thr[b] / thr[1]:.2f} vs B=1"))

    per_step = {}
    for n_atoms in (216, 1000, 4096):
        gen = torch.Generator(device=device).manual_seed(1)
        cell = cubic_cell(n_atoms, z, DENSITY, dtype=dt, device=device)
        x = initial_noise(1, n_atoms, cell, z, gen)
        grid = time_grid(10, 0.2, sde.t_min, 7.0, dtype=dt)  # low-noise end: predictor + corrector
        sample(ckpt.score, x, grid[:3], generator=gen, sde=sde, n_corrector=0, denoise=False)
        t, _ = _timed(lambda: sample(ckpt.score, x, grid, generator=gen, sde=sde, n_corrector=0, denoise=False), device)
        per_step[n_atoms] = t / 10
    for n_atoms in (216, 1000, 4096):
        rows.append((f"sampler step, N={n_atoms}", f"{1e3 * per_step[n_atoms]:.1f} ms/step",
                     f"{1e6 * per_step[n_atoms] / n_atoms:.1f} µs/atom"))

    # training steps per second with the checkpoint's config (fresh weights; cost only)
    config = ckpt.config
    den = build_denoiser(config, device)
    opt = torch.optim.AdamW(den.parameters(), lr=config.lr)
    gen = torch.Generator(device=device).manual_seed(2)
    cell = cubic_cell(216, z, DENSITY, dtype=dt, device=device)
    batch = initial_noise(config.batch_size, 216, cell, z, gen)

    def train_steps(n):
        for _ in range(n):
            loss = dsm_loss(den, batch, gen)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(den.parameters(), config.grad_clip)
            opt.step()

    train_steps(2)
    t, _ = _timed(lambda: train_steps(10), device)
    rows.append((f"training, batch {config.batch_size} x 216 atoms", f"{10 / t:.2f} steps/s", f"{t / 10:.3f} s/step"))

    w = max(len(a) for a, _, _ in rows)
    print(f"device: {device} ({torch.cuda.get_device_name(device) if device.type == 'cuda' else f'CPU, {args.threads} thread(s)'}), "
          f"checkpoint {args.checkpoint.name} step {ckpt.step}")
    print(f"{'case':<{w}}  {'result':>24}  note")
    for a, b, c in rows:
        print(f"{a:<{w}}  {b:>24}  {c}")
    if args.json:
        args.json.write_text(json.dumps({"device": str(device), "threads": args.threads,
                                         "rows": [list(r) for r in rows]}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
