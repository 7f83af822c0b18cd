"""Benchmark: a 2 × 2 batch of the smoke-profile spectra notebook, serial against a Dask LocalCluster.

Notebook: notebooks/00_spectra_validation.ipynb with ``profile: smoke`` and each run's figure in
the batch folder (``figure_path: "{output}/{run_id}.png"``, so figures/ is not touched). The
notebook's parameters (profile, device, figure_path) have nothing to vary in a grid on a CPU
machine, so the grid is ``replica: [0, 1] × seed: [0, 1]``, two names the notebook does not
declare: papermill passes them (and warns) and the four runs do the same work. What is measured
is the wall time of four equal runs.

* serial: ``run_batch(..., serial=True)``, the runs one after another in this process, as the
  Makefile runs notebooks (one papermill call after another);
* LocalCluster: ``run_batch(..., n_workers=--workers)``, the default of ``glass batch`` on this
  machine, cluster start and stop included.

Both give every run's kernel one thread (OMP_NUM_THREADS=1 and the like). Each mode runs in its own
fresh folder, so no run is skipped. The table gives the wall time of each batch and the mean time
of one run (kernel start to executed notebook written) in each. The speed-up is bounded by the
cores that are free: the load average is printed with it.

Usage: python benchmarks/batch.py [--workers 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from glasslib.core.paths import REPO_ROOT
from glasslib.workflows import batch_spec_from_dict, run_batch

NOTEBOOK = REPO_ROOT / "notebooks" / "00_spectra_validation.ipynb"


def spec(output: Path):
    return batch_spec_from_dict({
        "notebook": str(NOTEBOOK),
        "output": str(output),
        "parameters": {"profile": "smoke", "figure_path": "{output}/{run_id}.png"},
        "grid": {"replica": [0, 1], "seed": [0, 1]},
    })


def timed(output: Path, **options) -> tuple[float, int, float]:
    """(wall seconds of the batch, runs, mean seconds of one run as the runner measured it)."""
    t = time.perf_counter()
    result = run_batch(spec(output), progress=False, **options)
    seconds = time.perf_counter() - t
    if result.failed or result.ran != 4:
        raise SystemExit(f"the batch in {output} did not run 4 runs cleanly: "
                         f"{[(r.run_id, r.error) for r in result.failed]}")
    return seconds, result.ran, sum(r.seconds for r in result.records) / len(result.records)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster workers (default 2)")
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR",
                        help="write the two batches under DIR (default: a temporary folder, removed)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="glass-batch-bench-") as tmp:
        root = args.keep or Path(tmp)
        serial_s, runs, serial_run_s = timed(root / "serial", serial=True)
        cluster_s, _, cluster_run_s = timed(root / "cluster", n_workers=args.workers)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    print(f"notebook: {NOTEBOOK.relative_to(REPO_ROOT)} (profile smoke); {cores} cores, load average {load}")
    print(f"{'runs':>4}  {'workers':>7}  {'serial s':>9}  {'LocalCluster s':>14}  {'serial / cluster':>16}  "
          f"{'one run s, serial':>17}  {'one run s, cluster':>18}")
    print(f"{runs:>4}  {args.workers:>7}  {serial_s:>9.1f}  {cluster_s:>14.1f}  {serial_s / cluster_s:>16.2f}  "
          f"{serial_run_s:>17.1f}  {cluster_run_s:>18.1f}")


if __name__ == "__main__":
    main()
