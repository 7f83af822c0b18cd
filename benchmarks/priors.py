"""Benchmark: training and sampling speed of every declared prior (``data/specs/priors.yaml``), one table.

For each prior whose training sets are built (``glass simulate --spec NAME``; ``--build`` builds them):

* training: seconds per optimiser step with the prior's resolved configuration on its declared
  data (``--train-steps`` steps after two untimed ones; the timed call includes one validation
  pass and one checkpoint write, as every ``val_interval`` steps of a real run do), and the
  projected wall time of the declared stages (steps × s/step) against the 2-hour budget;
* sampling: seconds per structure of the default unconditional recipe
  (:class:`glasslib.diffusion.generate.SampleConfig` defaults, the training set's default cell),
  one structure at a time, with the shipped checkpoint if it exists, otherwise with the network
  this benchmark just trained (same architecture, so the same cost). ``--quick`` times 20 sampler
  steps and scales to the default number (marked ``scaled``).

One CPU thread by default (``--threads``), as the model cards state their training times.

Usage: python benchmarks/priors.py [--prior NAME ...] [--threads 1] [--train-steps 10] [--quick]
       [--build] [--json OUT.json]
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


def bench(spec, *, train_steps: int, sample_steps: int, default_steps: int, partial: bool = False) -> dict:
    from glasslib.diffusion.generate import SampleConfig, generate
    from glasslib.diffusion.priors import default_out_dir, resolved_config, training_data
    from glasslib.diffusion.training import load_checkpoint, train

    data = _cached_data(spec) if partial else training_data(spec)[0]
    config = resolved_config(spec)
    row = {"prior": spec.name, "structures": data.n_systems, "atoms": int(data.n_atoms_per_system.max()),
           "declared_steps": int(spec.stages[-1])}
    with tempfile.TemporaryDirectory() as tmp:
        every = 2 + train_steps  # the timed call validates and writes the checkpoint once, at its end
        train(replace(config, steps=2, val_interval=every, checkpoint_interval=every), data, tmp, progress=False)
        timed = replace(config, steps=every, val_interval=every, checkpoint_interval=every)
        t0 = time.perf_counter()
        path = train(timed, data, tmp, progress=False)
        per_step = (time.perf_counter() - t0) / train_steps
        shipped = default_out_dir(spec) / "checkpoint.pt"
        ckpt = load_checkpoint(shipped if shipped.exists() else path)
        row["params"] = sum(p.numel() for p in ckpt.denoiser.parameters())
        t0 = time.perf_counter()
        out = generate(ckpt, SampleConfig(n=1, seed=0, steps=sample_steps))
        per_structure = (time.perf_counter() - t0) * default_steps / sample_steps
    row.update(train_s_per_step=round(per_step, 3), steps_per_s=round(1 / per_step, 2),
               projected_hours=round(per_step * row["declared_steps"] / 3600, 2),
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
        partial = not args.build and not _built(spec)
        if partial and not args.partial:
            rows.append({"prior": name, "skipped": "training sets not built (glass simulate --spec ...)"})
            continue
        try:
            rows.append(bench(spec, train_steps=args.train_steps, sample_steps=sample_steps, default_steps=default_steps,
                              partial=partial) | {"partial_data": partial})
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
              + ("  (partial data)" if r["partial_data"] else ""))
    if args.json:
        args.json.write_text(json.dumps({"threads": args.threads, "torch": torch.__version__, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
