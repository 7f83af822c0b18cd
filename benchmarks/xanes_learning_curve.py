"""Benchmark: how the XANES surrogate's held-out accuracy grows with the number of training cells.

The declared recipe (:data:`glasslib.spectra.xanes.MODEL`, :data:`~glasslib.spectra.xanes.TRAIN`) is
trained on nested, seeded random subsets of the 20 training cells that are not validation cells
(:data:`~glasslib.spectra.xanes.VALIDATION_CELLS`), and scored on the 5 validation cells (per-atom R²
and RMSE, structure-averaged RMSE). The test cells are not read. If R² still rises at 20 cells, the
surrogate is limited by the number of training structures rather than by its descriptor or network.

Usage: python benchmarks/xanes_learning_curve.py [--sizes 5,10,15,20] [--seeds 0,1,2] [--threads 1]
       [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="XANES surrogate learning curve (validation cells only)")
    p.add_argument("--sizes", default="5,10,15,20", help="training cells per fit (nested subsets)")
    p.add_argument("--seeds", default="0,1,2", help="subset draws (also the training seeds)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)

    import numpy as np
    import torch

    from glasslib.core.atomic_io import atomic_write_text
    from glasslib.spectra import xanes

    torch.set_num_threads(args.threads)
    sizes = [int(v) for v in args.sizes.split(",")]
    seeds = [int(v) for v in args.seeds.split(",")]
    pool = sorted(c.stem for c, _ in xanes.xanes_files("train") if c.stem not in xanes.VALIDATION_CELLS)
    if max(sizes) > len(pool):
        p.error(f"at most {len(pool)} training cells outside the validation cells")
    every = [c.stem for c, _ in xanes.xanes_files("train")]
    names, structures, spectra = xanes.read_xanes_set("train", exclude=[c for c in every if c not in xanes.VALIDATION_CELLS])
    rows = []
    for seed in seeds:
        order = [pool[k] for k in np.random.default_rng(seed).permutation(len(pool))]
        for n in sizes:
            keep = set(order[:n])
            config = replace(xanes.TRAIN, seed=seed, exclude=tuple(c for c in every if c not in keep))
            t0 = time.perf_counter()
            model = xanes.train_xanes_surrogate(xanes.MODEL, config)
            acc = xanes.accuracy(model, names, structures, spectra)
            rows.append({"seed": seed, "cells": n, "seconds": time.perf_counter() - t0,
                         "per_atom_r2": acc["per_atom"]["r2"], "per_atom_rmse": acc["per_atom"]["rmse"],
                         "structure_rmse": acc["structure"]["rmse"]})
            print(f"done seed {seed}, {n} cells", flush=True)
    keys = ["per_atom_r2", "per_atom_rmse", "structure_rmse"]
    print(f"\nXANES surrogate, declared recipe, scored on the {len(xanes.VALIDATION_CELLS)} validation cells; "
          f"{args.threads} thread(s), torch {torch.__version__}")
    print("| training cells | fits | " + " | ".join(keys) + " | seconds per fit |")
    print("|" + "---|" * (len(keys) + 3))
    for n in sizes:
        sel = [r for r in rows if r["cells"] == n]
        cells = " | ".join(f"{np.mean([r[k] for r in sel]):.4f} ± {np.std([r[k] for r in sel]):.4f}" for k in keys)
        print(f"| {n} | {len(sel)} | {cells} | {np.mean([r['seconds'] for r in sel]):.0f} |")
    if args.json:
        atomic_write_text(args.json, json.dumps({"meta": {"sizes": sizes, "seeds": seeds, "threads": args.threads,
                                                          "torch": torch.__version__,
                                                          "validation_cells": list(xanes.VALIDATION_CELLS)},
                                                 "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
