"""Benchmark: training and sampling speed of every declared prior (``data/specs/priors.yaml``), one table.

For each prior whose training sets are built (``glass simulate --spec NAME``; ``--build`` builds them):

* training: seconds per optimiser step with the prior's resolved configuration on its declared
  data, and the projected wall time of the declared stages against the 2-hour budget. After two
  untimed steps, the run is resumed twice, for ``--train-steps`` N and then 2N more steps, each call
  ending in one validation pass and one checkpoint write: s/step = (t₂ − t₁)/N, and the fixed cost of a
  validation + checkpoint (+ resume) is t₁ − N·s/step. The projection is steps × s/step plus one fixed
  cost per ``val_interval`` steps, as in a real run (N steps timed with their validation, as this
  benchmark did before, charged that pass to those N steps: about 4 % too slow for a-Si at N = 10);
* sampling: seconds per structure of the default unconditional recipe
  (:class:`glasslib.diffusion.generate.SampleConfig` defaults, the training set's default cell),
  one structure at a time, with the shipped checkpoint if it exists, otherwise with the network
  this benchmark just trained (same architecture, so the same cost). ``--quick`` times 20 sampler
  steps and scales to the default number (marked ``scaled``).

With ``--synthetic``, priors whose training sets are not built are timed on uniformly random
positions in the shipped checkpoint's default cell (the training set's default composition, atoms
and density; 16 structures, seed 0), marked ``synthetic``: the cost of a step is set by the number of
pairs within the cutoffs, which random positions at the same density match on average. Where a set is
built, ``--synthetic`` also times the same prior on random positions next to its real row, as a check
of that proxy.

One CPU thread by default (``--threads``), as the model cards state their training times.

Usage: python benchmarks/priors.py [--prior NAME ...] [--threads 1] [--train-steps 10] [--quick]
       [--build | --partial | --synthetic] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

BUDGET_HOURS = 2.0


def _built(spec) -> bool:
    from glasslib.simulate.datasets import dataset_dir, get_spec

    for name in spec.datasets:
        ds = get_spec(name)
        folder = dataset_dir(ds)
        if len(list(folder.glob("*.extxyz"))) < len(ds.tasks()):
            return False
    return True


def _cached_data(spec):
    """The structures of the prior's training sets that are in the cache now (for timing only)."""
    from glasslib.core.errors import InputError
    from glasslib.core.structures import concatenate
    from glasslib.simulate.datasets import dataset_dir, get_spec, read_dataset

    parts = [read_dataset(sorted(dataset_dir(get_spec(n)).glob("*.extxyz"))) for n in spec.datasets
             if list(dataset_dir(get_spec(n)).glob("*.extxyz"))]
    if not parts:
        raise InputError(f"no structure of {', '.join(spec.datasets)} is cached yet")
    return concatenate(parts) if len(parts) > 1 else parts[0]


def _synthetic_data(spec, count: int = 16):
    """``count`` structures of uniformly random positions in the shipped checkpoint's default cell
    (seed 0): timing only, with the pair counts of the real density."""
    import torch

    from glasslib.core.errors import InputError
    from glasslib.diffusion.generate import SampleConfig, cell_contents
    from glasslib.diffusion.priors import default_out_dir
    from glasslib.diffusion.sampling import initial_noise
    from glasslib.diffusion.training import load_checkpoint

    shipped = default_out_dir(spec) / "checkpoint.pt"
    if not shipped.exists():
        raise InputError(f"{spec.name}: no shipped checkpoint to take the default cell from")
    ckpt = load_checkpoint(shipped)
    contents = cell_contents(ckpt, SampleConfig(n=1, seed=0))
    cell = torch.eye(3, dtype=torch.float64) * contents.box
    return initial_noise(count, contents.atoms, cell, contents.species, torch.Generator().manual_seed(0))


def bench(spec, *, train_steps: int, sample_steps: int, default_steps: int, partial: bool = False,
          synthetic: bool = False) -> dict:
    from glasslib.diffusion.generate import SampleConfig, generate
    from glasslib.diffusion.priors import default_out_dir, resolved_config, training_data
    from glasslib.diffusion.training import load_checkpoint, train

    if synthetic:
        data = _synthetic_data(spec)
    else:
        data = _cached_data(spec) if partial else training_data(spec)[0]
    config = resolved_config(spec)
    row = {"prior": spec.name, "structures": data.n_systems, "atoms": int(data.n_atoms_per_system.max()),
           "declared_steps": int(spec.stages[-1])}
    with tempfile.TemporaryDirectory() as tmp:
        seconds = []
        once = 10**9  # every call validates and writes the checkpoint once, at its end (and the resumed
        # calls must share the configuration)
        for end in (2, 2 + train_steps, 2 + 3 * train_steps):  # warm-up, then N and 2N more steps
            call = replace(config, steps=end, val_interval=once, checkpoint_interval=once)
            t0 = time.perf_counter()
            path = train(call, data, tmp, progress=False)
            seconds.append(time.perf_counter() - t0)
        per_step = (seconds[2] - seconds[1]) / train_steps
        fixed = max(seconds[1] - train_steps * per_step, 0.0)  # one validation + checkpoint + resume
        shipped = default_out_dir(spec) / "checkpoint.pt"
        ckpt = load_checkpoint(shipped if shipped.exists() else path)
        row["params"] = sum(p.numel() for p in ckpt.denoiser.parameters())
        t0 = time.perf_counter()
        out = generate(ckpt, SampleConfig(n=1, seed=0, steps=sample_steps))
        per_structure = (time.perf_counter() - t0) * default_steps / sample_steps
    steps = row["declared_steps"]
    row.update(train_s_per_step=round(per_step, 3), steps_per_s=round(1 / per_step, 2),
               validation_checkpoint_s=round(fixed, 2),
               projected_hours=round((per_step * steps + fixed * steps / config.val_interval) / 3600, 2),
               sample_cell=out.record["config"]["composition"],
               sample_density=out.record["config"]["density"], sample_s_per_structure=round(per_structure, 1),
               sample_scaled=sample_steps != default_steps, network="shipped" if shipped.exists() else "benchmark")
    return row


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--prior", nargs="*", default=None, help="prior names (default: every declared prior)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--train-steps", type=int, default=10)
    p.add_argument("--quick", action="store_true", help="20 sampler steps, scaled to the default")
    p.add_argument("--build", action="store_true", help="build missing training sets first (slow)")
    p.add_argument("--partial", action="store_true",
                   help="time priors whose sets are partly built on the structures cached so far (marked partial)")
    p.add_argument("--synthetic", action="store_true",
                   help="time priors whose sets are not built on random positions in their default cell (marked "
                        "synthetic), and built ones on both")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)

    import torch

    from glasslib.core.errors import InputError
    from glasslib.diffusion.generate import SampleConfig
    from glasslib.diffusion.priors import load_priors

    torch.set_num_threads(args.threads)
    default_steps = SampleConfig(n=1, seed=0).steps
    sample_steps = 20 if args.quick else default_steps
    priors = load_priors()
    names = args.prior or list(priors)
    rows = []
    for name in names:
        spec = priors[name]
        built = args.build or _built(spec)
        runs = [] if not built else [{"partial": False, "synthetic": False}]
        if not built and args.partial:
            runs.append({"partial": True, "synthetic": False})
        if args.synthetic:
            runs.append({"partial": False, "synthetic": True})
        if not runs:
            rows.append({"prior": name, "skipped": "training sets not built (glass simulate --spec ...)"})
        for run in runs:
            try:
                rows.append(bench(spec, train_steps=args.train_steps, sample_steps=sample_steps,
                                  default_steps=default_steps, **run)
                            | {"partial_data": run["partial"], "synthetic_data": run["synthetic"]})
            except InputError as exc:
                rows.append({"prior": name, "skipped": str(exc)})

    print(f"# priors: training and sampling speed, {args.threads} CPU thread(s), torch {torch.__version__}")
    print(f"# sampling: default recipe ({default_steps} predictor steps), one structure"
          + (f"; timed over {sample_steps} steps and scaled" if args.quick else ""))
    head = (f"{'prior':<18} {'structs':>7} {'atoms':>5} {'params':>8} {'s/step':>7} {'steps/s':>7} "
            f"{'steps':>6} {'proj. h':>7} {'<=2h':>4} {'cell':>12} {'g/cm3':>6} {'s/struct':>8} {'network':>9}")
    print(head)
    for r in rows:
        if "skipped" in r:
            print(f"{r['prior']:<18} skipped: {r['skipped']}")
            continue
        print(f"{r['prior']:<18} {r['structures']:>7} {r['atoms']:>5} {r['params']:>8} {r['train_s_per_step']:>7.3f} "
              f"{r['steps_per_s']:>7.2f} {r['declared_steps']:>6} {r['projected_hours']:>7.2f} "
              f"{'yes' if r['projected_hours'] <= BUDGET_HOURS else 'NO':>4} {r['sample_cell']:>12} "
              f"{r['sample_density']:>6.3f} {r['sample_s_per_structure']:>8.1f} {r['network']:>9}"
              + ("  (partial data)" if r["partial_data"] else "")
              + ("  (synthetic positions)" if r.get("synthetic_data") else ""))
    if args.json:
        from glasslib.core.atomic_io import atomic_write_text

        atomic_write_text(args.json, json.dumps({"threads": args.threads, "torch": torch.__version__, "rows": rows},
                                                indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
