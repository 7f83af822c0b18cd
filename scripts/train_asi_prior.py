#!/usr/bin/env python3
"""Rebuild the shipped a-Si prior ``data/models/asi_sw_prior/checkpoint.pt`` (issue 4).

    python scripts/train_asi_prior.py                 # build the data (cached), train, write the checkpoint
    python scripts/train_asi_prior.py --out runs/p    # somewhere else
    python scripts/train_asi_prior.py --steps 200     # shorter (a different checkpoint; for checks)
    python scripts/train_asi_prior.py --weak          # the weak model for autoguidance (OUT/weak)

1. Builds the declared set ``aSi-SW-prior`` (``data/specs/datasets.yaml``: SW a-Si, 216 atoms,
   2.1-2.5 g/cm3, 100 K/ps; LAMMPS, ~16 s per structure on one core; cached by content hash,
   so a second run only reads it).
2. Trains with ``CONFIG`` below (the defaults of :class:`glasslib.diffusion.training.TrainConfig` plus the
   overrides listed there) on one CPU thread, in the stages of ``STAGES``
   (:func:`glasslib.diffusion.training.train_stages`: the first runs warm-up and a cosine decay over its
   steps; each later stage resumes that run with ``steps`` raised, so the cosine schedule is
   stretched to the new end, a warm restart). Training resumes from ``OUT/checkpoint.pt`` if
   present and ends with the same weights as an uninterrupted run (same machine, same torch).
   ``OUT/train_info.json`` records the stages (notebook 03's ``paper`` profile reads them).

``--weak`` trains the deliberately weaker network that autoguidance
(:func:`glasslib.diffusion.guidance.with_autoguidance`) extrapolates away from: the same data, noise
process and seed, ``WEAK_CONFIG`` (a quarter of the width, half the depth) and ``WEAK_STAGES``
(1 500 steps, about 6 minutes), into ``data/models/asi_sw_prior/weak``.

The held-out set used by the model card's guided evaluation is ``aSi-SW-prior-heldout``
(same protocol, 2.28 g/cm3); ``--heldout`` builds it too.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parent.parent
DATASET = "aSi-SW-prior"
HELDOUT = "aSi-SW-prior-heldout"
DEFAULT_OUT = REPO / "data" / "models" / "asi_sw_prior"
WEAK_OUT = DEFAULT_OUT / "weak"

#: overrides of glasslib.diffusion.training.TrainConfig (everything else: its defaults); the resolved
#: config is embedded in the checkpoint and written to OUT/config.json
CONFIG = {
    "model.hidden": 80,
    "model.n_layers": 4,
    "sigma_distribution": "log_normal",
    "batch_size": 8,
    "lr": 5e-4,
    "warmup_steps": 200,
    "val_interval": 250,
    "checkpoint_interval": 250,
    "seed": 0,
}

#: optimiser steps at the end of each stage (the shipped prior: 10 000, then extended to 24 000)
STAGES = (10000, 24000)

#: the weak model for autoguidance: CONFIG with these changes, trained for WEAK_STAGES
WEAK_CONFIG = {**CONFIG, "model.hidden": 32, "model.n_layers": 2, "warmup_steps": 100}
WEAK_STAGES = (1500,)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=None,
                   help=f"run folder (default {DEFAULT_OUT.relative_to(REPO)}, with --weak {WEAK_OUT.relative_to(REPO)})")
    p.add_argument("--weak", action="store_true", help="train the weak model for autoguidance (WEAK_CONFIG, WEAK_STAGES)")
    p.add_argument("--steps", type=int, default=None,
                   help=f"one stage of this many steps instead of the stages {STAGES} (for checks)")
    p.add_argument("--config", action="append", default=[], metavar="KEY=VALUE|FILE.json",
                   help="override config entries as `glass train --config` does, e.g. model.hidden=96 (repeatable)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1; the model card's timing)")
    p.add_argument("--heldout", action="store_true", help=f"also build the held-out set {HELDOUT}")
    p.add_argument("--no-resume", action="store_true", help="start afresh even if OUT holds a checkpoint")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)

    import torch

    from glasslib.cli.train import parse_overrides
    from glasslib.simulate.datasets import build_spec, get_spec, read_dataset
    from glasslib.diffusion.training import TrainConfig, data_sha256, train_stages

    torch.set_num_threads(args.threads)
    spec = get_spec(DATASET)
    built = build_spec(spec, progress=not args.no_progress)
    if args.heldout:
        build_spec(HELDOUT, progress=not args.no_progress)
    data = read_dataset(built.out_dir)
    out = args.out or (WEAK_OUT if args.weak else DEFAULT_OUT)
    overrides = dict(WEAK_CONFIG if args.weak else CONFIG)
    overrides.update(parse_overrides(args.config))
    stages = (WEAK_STAGES if args.weak else STAGES) if args.steps is None else (args.steps,)
    print(f"data: {built.out_dir} ({data.n_systems} structures, sha256 {data_sha256(data)[:16]}...)", flush=True)
    t0 = time.perf_counter()
    path = train_stages(TrainConfig().with_overrides(overrides), data, out, stages, resume=not args.no_resume,
                        progress=not args.no_progress)
    wall = time.perf_counter() - t0
    info = {"dataset": DATASET, "dataset_dir": built.out_dir.name, "data_sha256": data_sha256(data),
            "stages": list(stages), "wall_seconds_this_call": round(wall, 1), "threads": args.threads,
            "torch": torch.__version__}
    (out / "train_info.json").write_text(json.dumps(info, indent=2) + "\n")
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
