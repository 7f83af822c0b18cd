"""Run a batch of parameterized notebooks on Dask distributed: resumable, results in one table.

The batch is a SPEC (:mod:`glasslib.workflows.batch_spec`): one notebook, an output folder and a
list of parameter sets. Each run executes the notebook with papermill (kernel ``python3``; working
directory: the notebook's folder, as when it is opened in Jupyter) with the run's parameters and
one more, ``result_path``: the absolute path of a JSON file where the notebook records its numbers
as one flat JSON object::

    # parameters cell
    profile = "default"
    result_path = None   # the batch runner passes a path

    # last cell
    if result_path:
        Path(result_path).write_text(json.dumps({"r_factor": r, "n_atoms": n}))

``result_path`` is a temporary name in the output folder; the runner moves the object to
``<run-id>.result.json`` once the notebook has finished. A notebook that writes nothing there
records an empty object; one that writes something other than a JSON object fails. (The name keeps
clear of a notebook's own ``{run_id}.json``, e.g. the summary next to ``figure_path``.)

Files in the output folder:

* ``<run-id>.ipynb``: the executed notebook, of failed runs too, with the runner's record of the run
  in ``metadata.glasslib_batch`` (run_id, parameters, status, seconds, error);
* ``<run-id>.result.json``: the run's result object, written last and only when the run
  succeeded. A run is *complete* when both files exist (and the notebook's record says ok); a
  rerun of the batch skips complete runs and runs all the others, failed ones included;
* ``results.csv``: one row per finished run, in SPEC order, rewritten (atomically) after every
  finished run, so a killed batch keeps the rows of its finished runs. Columns: the parameters (as
  passed, ``{output}``/``{run_id}`` filled in), the keys of the result objects in order of first
  appearance (a key that is also a parameter or runner column is prefixed ``result.``), then
  ``run_id``, ``notebook_path`` (relative to the repository when inside it), ``status`` (ok or
  failed), ``seconds`` (the run's wall time) and ``error`` (the error line of a failed run). Lists
  and mappings (parameters or results) are written as JSON text; null as an empty cell.

Every file is written atomically: papermill writes the executed notebook into a temporary
``.<run-id>.<tag>.ipynb`` next to it, renamed when the run ends, so killing the batch loses at most
the runs in flight and leaves nothing that looks complete (the next attempt of the same run removes
its temporary files ``.<run-id>.*``, the next batch a half-written ``.results.csv.*.tmp``). Files of
runs that are no longer in the SPEC are left alone (and not in results.csv).

Call :func:`run_batch` from a script under ``if __name__ == "__main__":``: the LocalCluster's worker
processes are started with ``spawn``, which imports the calling script again.

Execution: by default a Dask ``LocalCluster`` of worker processes sized to the machine (CPU cores
// ``threads_per_worker`` workers, each running one notebook at a time); ``scheduler=ADDRESS``
submits to an existing Dask cluster instead (its workers must import glasslib and see the SPEC's
notebook and output folder at the same paths, e.g. a shared file system); ``serial=True`` runs one
after another in this process, without Dask. Every run's kernel gets ``threads_per_worker`` threads
(default 1): ``OMP_NUM_THREADS`` and the like are set in the worker's environment before the kernel
starts, and torch, numba and the BLAS libraries read them.

A failed run does not stop the others; :attr:`BatchResult.failed` lists them (``glass batch``
prints them and exits with status 1).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from tqdm.auto import tqdm

from glasslib.core.atomic_io import atomic_write_text, sha256_file
from glasslib.core.errors import InputError
from glasslib.core.paths import repo_relative
from glasslib.workflows.batch_spec import RESULT_PARAMETER, BatchRun, BatchSpec, batch_spec_from_dict, read_batch_spec

#: the results table in the output folder
RESULTS_NAME = "results.csv"
#: the runner's columns, after the parameters and the results
RUNNER_COLUMNS = ("run_id", "notebook_path", "status", "seconds", "error")
#: where an executed notebook keeps the runner's record of the run
METADATA_KEY = "glasslib_batch"
#: environment variables that set the thread count of torch (OpenMP), numba and the BLAS libraries
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMBA_NUM_THREADS")
#: the Jupyter kernel the notebooks run in (the project environment's, as in the Makefile)
KERNEL_NAME = "python3"


@dataclass(frozen=True)
class RunTask:
    """What a worker needs for one run (plain data, sent to the Dask workers)."""

    run_id: str
    notebook: str  #: absolute path
    notebook_sha256: str  #: the notebook's hash when the SPEC was read (the run id covers it)
    parameters: dict  #: as passed to the notebook, without result_path
    output: str  #: the batch folder (absolute)
    threads: int = 1  #: threads of the run's kernel
    kernel_name: str = KERNEL_NAME


@dataclass(frozen=True)
class RunRecord:
    """The outcome of one run: executed now (``ran``) or found complete in the output folder."""

    run_id: str
    parameters: dict
    status: str  #: "ok" or "failed"
    seconds: float | None  #: wall time of the run (kernel start to notebook written)
    notebook_path: Path  #: the executed notebook (a failed run's may be missing if the kernel never started)
    result: dict = field(default_factory=dict)  #: the object the notebook wrote to result_path
    error: str = ""  #: a failed run's error line, e.g. "ValueError: boom"
    ran: bool = True  #: False: skipped, it was complete before the batch started


@dataclass(frozen=True)
class BatchResult:
    """What :func:`run_batch` did: a record per finished run in SPEC order, and the results table."""

    spec: BatchSpec
    records: tuple[RunRecord, ...]
    results_path: Path

    @property
    def ran(self) -> int:
        """Runs executed by this batch (successful or not)."""
        return sum(r.ran for r in self.records)

    @property
    def skipped(self) -> int:
        """Runs that were complete before this batch started."""
        return sum(not r.ran for r in self.records)

    @property
    def failed(self) -> list[RunRecord]:
        return [r for r in self.records if r.status != "ok"]

    @property
    def ok(self) -> bool:
        """Every run of the SPEC finished and none failed."""
        return not self.failed and len(self.records) == len(self.spec.runs)

    @property
    def rows(self) -> list[dict]:
        """The rows of results.csv as dicts (column -> Python value), in column order."""
        return results_table(self.spec, self.records)[1]


def run_batch(spec: BatchSpec | dict | str | os.PathLike, *, scheduler: str | None = None, n_workers: int | None = None,
              threads_per_worker: int = 1, serial: bool = False, progress: bool = True) -> BatchResult:
    """Run every incomplete run of a batch and write ``<output>/results.csv``.

    ``spec``: a SPEC file, a SPEC mapping (relative paths from the working directory) or a
    :class:`BatchSpec`. ``scheduler``: the address of an existing Dask scheduler (default: a
    ``LocalCluster`` of ``n_workers`` processes, default CPU cores // ``threads_per_worker``).
    ``threads_per_worker``: threads of each run's kernel. ``serial``: run in this process, no Dask.
    Failed runs are in the result's ``failed``; they do not raise.
    """
    if not isinstance(spec, BatchSpec):
        spec = batch_spec_from_dict(spec) if isinstance(spec, dict) else read_batch_spec(spec)
    if not isinstance(threads_per_worker, int) or threads_per_worker < 1:
        raise InputError(f"threads per worker must be a whole number >= 1 (got {threads_per_worker})")
    if n_workers is not None and (not isinstance(n_workers, int) or n_workers < 1):
        raise InputError(f"the number of workers must be a whole number >= 1 (got {n_workers})")
    if serial and (scheduler or n_workers):
        raise InputError("serial runs in this process: it does not combine with a scheduler or a number of workers")
    if scheduler and n_workers:
        raise InputError("the number of workers sizes the local cluster; with a scheduler, its own workers run")

    output = spec.output
    output.mkdir(parents=True, exist_ok=True)
    for stale in output.glob(f".{RESULTS_NAME}.*.tmp"):  # a killed batch's half-written table
        stale.unlink(missing_ok=True)
    records = {}
    for run in spec.runs:
        record = completed_record(run, output)
        if record is not None:
            records[run.run_id] = record
    results_path = output / RESULTS_NAME
    write_results(results_path, spec, records)
    todo = [RunTask(run_id=run.run_id, notebook=str(spec.notebook), notebook_sha256=spec.notebook_sha256,
                    parameters=run.expanded_parameters(output), output=str(output), threads=threads_per_worker)
            for run in spec.runs if run.run_id not in records]

    bar = tqdm(total=len(spec.runs), initial=len(records), unit="run", desc="batch", disable=not progress)
    n_failed = 0
    try:
        if serial:
            finished = (execute_run(task, restore_environment=True) for task in todo)
        else:
            finished = _run_on_dask(todo, scheduler, n_workers or default_workers(threads_per_worker))
        with contextlib.closing(finished):
            for record in finished:
                records[record.run_id] = record
                write_results(results_path, spec, records)
                n_failed += record.status != "ok"
                bar.update(1)
                if n_failed:
                    bar.set_postfix(failed=n_failed)
    finally:
        bar.close()
    ordered = tuple(records[run.run_id] for run in spec.runs if run.run_id in records)
    return BatchResult(spec=spec, records=ordered, results_path=results_path)


def default_workers(threads_per_worker: int = 1) -> int:
    """Workers of the default LocalCluster: the CPU cores this process may use // threads per worker."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores // threads_per_worker)


def run_files(output: str | os.PathLike, run_id: str) -> tuple[Path, Path]:
    """(executed notebook, result JSON) of a run in the output folder."""
    output = Path(output)
    return output / f"{run_id}.ipynb", output / f"{run_id}.result.json"


def completed_record(run: BatchRun, output: Path) -> RunRecord | None:
    """The record of a run that is complete in ``output`` (executed notebook recorded as ok, and its
    result JSON), else None."""
    notebook_path, result_path = run_files(output, run.run_id)
    if not (notebook_path.is_file() and result_path.is_file()):
        return None
    try:
        result = json.loads(result_path.read_text())
        meta = json.loads(notebook_path.read_text())["metadata"][METADATA_KEY]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(result, dict) or not isinstance(meta, dict):
        return None
    if meta.get("status") != "ok" or meta.get("run_id") != run.run_id:
        return None
    return RunRecord(run_id=run.run_id, parameters=run.expanded_parameters(output), status="ok",
                     seconds=meta.get("seconds"), notebook_path=notebook_path, result=result, ran=False)


def execute_run(task: RunTask, *, restore_environment: bool = False) -> RunRecord:
    """Execute one run (on a Dask worker, or in this process) and write its files; never raises for
    a failing notebook: the record says ``failed`` with the error line.

    The thread variables stay set in this process afterwards (a worker runs runs of one batch in
    several threads), unless ``restore_environment``."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    _quiet_result_path_warning()
    output = Path(task.output)
    notebook_path, result_path = run_files(output, task.run_id)
    output.mkdir(parents=True, exist_ok=True)
    # This run is incomplete (or it would not be running): clear what an earlier attempt left.
    for stale in output.glob(f".{task.run_id}.*"):
        stale.unlink(missing_ok=True)
    result_path.unlink(missing_ok=True)
    notebook_path.unlink(missing_ok=True)
    tag = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    partial_notebook = output / f".{task.run_id}.{tag}.ipynb"
    partial_result = output / f".{task.run_id}.{tag}.result.json"

    start = time.perf_counter()
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    os.environ.update({name: str(task.threads) for name in THREAD_VARIABLES})
    result, error = {}, ""
    try:
        if sha256_file(task.notebook) != task.notebook_sha256:
            raise RuntimeError(f"{task.notebook} changed since the batch started; rerun the batch")
        papermill.execute_notebook(
            task.notebook, str(partial_notebook),
            parameters={**task.parameters, RESULT_PARAMETER: str(partial_result)},
            kernel_name=task.kernel_name, language="python", progress_bar=False,
            cwd=str(Path(task.notebook).parent),
        )
        result = _read_result(partial_result)
    except PapermillExecutionError as exc:
        error = f"{exc.ename}: {exc.evalue}"
    except Exception as exc:  # the kernel died, could not start, timed out; a bad result file
        error = f"{type(exc).__name__}: {exc}"
    finally:
        if restore_environment:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    seconds = round(time.perf_counter() - start, 3)
    error = " ".join(error.split())
    record = RunRecord(run_id=task.run_id, parameters=task.parameters, status="failed" if error else "ok",
                       seconds=seconds, notebook_path=notebook_path, result=result if not error else {}, error=error)
    try:
        if partial_notebook.exists():
            nb = nbformat.read(partial_notebook, as_version=4)
            nb.metadata.setdefault("papermill", {})["output_path"] = str(notebook_path)
            nb.metadata[METADATA_KEY] = {"run_id": record.run_id, "parameters": record.parameters,
                                         "status": record.status, "seconds": record.seconds, "error": record.error}
            atomic_write_text(notebook_path, nbformat.writes(nb))
        elif record.status == "ok":
            raise RuntimeError("papermill wrote no executed notebook")
        if record.status == "ok":  # the result file last: its presence marks the run complete
            atomic_write_text(result_path, json.dumps(record.result, indent=2, ensure_ascii=False) + "\n")
    except Exception as exc:
        result_path.unlink(missing_ok=True)
        record = RunRecord(run_id=task.run_id, parameters=task.parameters, status="failed", seconds=seconds,
                           notebook_path=notebook_path, error=" ".join(f"{type(exc).__name__}: {exc}".split()))
    finally:
        partial_notebook.unlink(missing_ok=True)
        partial_result.unlink(missing_ok=True)
    return record


def results_table(spec: BatchSpec, records) -> tuple[list[str], list[dict]]:
    """(columns, rows) of results.csv: one row per finished run in SPEC order; ``records`` is a
    mapping run id -> record or a sequence of records."""
    by_id = records if isinstance(records, dict) else {r.run_id: r for r in records}
    finished = [by_id[run.run_id] for run in spec.runs if run.run_id in by_id]
    parameter_columns = list(spec.columns)
    taken = set(parameter_columns) | set(RUNNER_COLUMNS)
    result_keys = []
    for record in finished:
        result_keys += [k for k in record.result if k not in result_keys]
    result_columns = {k: f"result.{k}" if k in taken else k for k in result_keys}
    columns = parameter_columns + list(result_columns.values()) + list(RUNNER_COLUMNS)
    rows = []
    for record in finished:
        row = {c: record.parameters.get(c) for c in parameter_columns}
        row.update({result_columns[k]: record.result.get(k) for k in result_keys})
        row.update(run_id=record.run_id, notebook_path=repo_relative(record.notebook_path), status=record.status,
                   seconds=record.seconds, error=record.error)
        rows.append({c: row.get(c) for c in columns})
    return columns, rows


def write_results(path: str | os.PathLike, spec: BatchSpec, records) -> Path:
    """Write results.csv atomically (see :func:`results_table`)."""
    columns, rows = results_table(spec, records)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in columns])
    return atomic_write_text(path, buf.getvalue())


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _read_result(path: Path) -> dict:
    """The object a notebook wrote to result_path ({} if it wrote nothing)."""
    if not path.exists():
        return {}
    try:
        value = json.loads(path.read_text())
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"the notebook wrote {RESULT_PARAMETER}, but not as JSON ({exc})") from None
    if not isinstance(value, dict):
        raise ValueError(f"the notebook wrote {RESULT_PARAMETER}, but not a JSON object (got {type(value).__name__})")
    return value


def _run_on_dask(tasks: list[RunTask], scheduler: str | None, n_workers: int):
    """Yield a record per task as the runs finish, on a new LocalCluster or an existing scheduler."""
    if not tasks:
        return
    from distributed import Client, LocalCluster, as_completed

    with contextlib.ExitStack() as stack:
        if scheduler is None:
            cluster = stack.enter_context(LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                                       dashboard_address=None))
            client = stack.enter_context(Client(cluster))
        else:
            try:
                client = stack.enter_context(Client(scheduler))
            except (OSError, ValueError) as exc:
                raise InputError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from None
        futures = {client.submit(execute_run, task, key=f"glass-batch-{task.run_id}", pure=False): task
                   for task in tasks}
        for future in as_completed(futures):
            task = futures[future]
            try:
                record = future.result()
            except Exception as exc:  # the worker died (KilledWorker) or the task could not run
                record = RunRecord(run_id=task.run_id, parameters=task.parameters, status="failed", seconds=None,
                                   notebook_path=run_files(task.output, task.run_id)[0],
                                   error=" ".join(f"{type(exc).__name__}: {exc}".split()))
            future.release()
            yield record


class _DropResultPathWarning(logging.Filter):
    """papermill warns about parameters the notebook does not declare; result_path is always passed."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != f"Passed unknown parameter: {RESULT_PARAMETER}"


def _quiet_result_path_warning() -> None:
    logger = logging.getLogger("papermill")
    if not any(isinstance(f, _DropResultPathWarning) for f in logger.filters):
        logger.addFilter(_DropResultPathWarning())
