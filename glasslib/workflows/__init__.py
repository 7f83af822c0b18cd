"""Workflows: batches of parameterized notebooks (papermill) run on Dask, resumable, into one table.

A batch SPEC names a notebook, an output folder and the parameter sets to run
(:mod:`glasslib.workflows.batch_spec`); :func:`run_batch` executes the incomplete runs and writes
``<output>/results.csv`` (:mod:`glasslib.workflows.batch`). The command line is ``glass batch``::

    from glasslib.workflows import run_batch
    result = run_batch("runs/seeds.yaml")             # a LocalCluster sized to this machine
    result = run_batch("runs/seeds.yaml", scheduler="tcp://10.0.0.5:8786")   # an existing cluster
    result.rows, result.failed, result.results_path
"""

from glasslib.workflows.batch_spec import BatchRun, BatchSpec, batch_spec_from_dict, read_batch_spec, run_id
from glasslib.workflows.batch import BatchResult, RunRecord, RunTask, execute_run, run_batch, write_results

__all__ = ["BatchRun", "BatchSpec", "batch_spec_from_dict", "read_batch_spec", "run_id", "BatchResult", "RunRecord",
           "RunTask", "execute_run", "run_batch", "write_results"]
