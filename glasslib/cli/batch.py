"""``glass batch``: run a batch of parameterized notebooks on Dask (resumable) into one results table.

Examples::

    glass batch runs/seeds.yaml                          # a LocalCluster sized to this machine
    glass batch runs/seeds.yaml --workers 4 --threads-per-worker 2
    glass batch runs/seeds.yaml --scheduler tcp://10.0.0.5:8786   # an existing Dask cluster
    glass batch runs/seeds.yaml --serial                 # one after another in this process

SPEC.yaml names the notebook, the output folder and the parameter sets (a grid or a list of runs):
see :mod:`glasslib.workflows.batch_spec`. Each run writes ``<output>/<run-id>.ipynb`` and, when it
succeeds, ``<output>/<run-id>.result.json``; ``<output>/results.csv`` holds one row per run (see
:mod:`glasslib.workflows.batch`). Rerunning the command skips the complete runs and runs the
others (failed ones, and those in flight when a batch was killed).

A bad SPEC stops the command with one line and status 2 before anything is written. Failed runs do
not stop the others; at the end each is listed (run id, executed notebook, error line) and the
status is 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

from glasslib.cli.options import add_quiet
from glasslib.cli import main as glass_main
from glasslib.core.paths import repo_relative
from glasslib.workflows.batch import run_batch


def register(sub) -> None:
    p = sub.add_parser(
        "batch",
        help="run a batch of parameterized notebooks on Dask (resumable)",
        description="Run a SPEC's parameterized notebook runs with papermill on Dask distributed; "
                    "complete runs are skipped; results go to <output>/results.csv.",
    )
    p.add_argument("spec", type=Path, metavar="SPEC",
                   help="batch SPEC (YAML: notebook, output, parameters, grid|runs); an existing output folder is "
                        "resumed, not overwritten: complete runs are skipped, the others rerun")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="address of an existing Dask scheduler, e.g. tcp://host:8786 (default: a LocalCluster)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="workers of the LocalCluster (default: CPU cores // threads per worker)")
    p.add_argument("--threads-per-worker", type=int, default=1, metavar="N",
                   help="threads of each run's kernel (OMP_NUM_THREADS etc.; default 1)")
    p.add_argument("--serial", action="store_true", help="run one after another in this process, without Dask")
    add_quiet(p)
    p.set_defaults(func=run)


def run(args) -> int:
    result = run_batch(args.spec, scheduler=args.scheduler, n_workers=args.workers,
                       threads_per_worker=args.threads_per_worker, serial=args.serial, progress=not args.quiet)
    failed = result.failed
    print(f"batch: {len(result.spec.runs)} runs: ran {result.ran}, skipped {result.skipped}, failed {len(failed)}; "
          f"results: {repo_relative(result.results_path)}")
    for record in failed:
        where = repo_relative(record.notebook_path)
        if not record.notebook_path.exists():
            where += " (not written)"
        print(f"failed: run {record.run_id}: {where}: {record.error}", file=sys.stderr)
    return 1 if failed else 0


def main(argv=None) -> int:
    """``python -m glasslib.cli.batch SPEC ...``: the same as ``glass batch SPEC ...``."""
    return glass_main(["batch", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
