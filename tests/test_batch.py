"""Batches of notebooks on a real Dask LocalCluster (2 worker processes) with real papermill: one row
per run, reruns skip complete runs, a killed batch resumes with only the missing runs, failed runs
are listed and retried.

Most tests submit to one LocalCluster shared by this module (``scheduler=``, as on a cluster); the
kill test's driver starts its own (the default)."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from distributed import LocalCluster

from glasslib.cli import batch as cli_batch
from glasslib.workflows import read_batch_spec, run_batch

PARAMETERS = """\
seed = 0
system = "a"
sleep = 0.0
log_path = None   # each run appends "seed,system" when it starts
fail_flag = None  # runs of system "b" raise while this file exists
note_path = None
result_path = None
"""

BODY = """\
import json, os, time
from pathlib import Path
if log_path:
    with open(log_path, "a") as fh:
        fh.write(f"{seed},{system}\\n")
time.sleep(sleep)
if fail_flag and system == "b" and Path(fail_flag).exists():
    raise ValueError(f"boom {seed} {system}")
if note_path:
    Path(note_path).write_text("note")
Path(result_path).write_text(json.dumps({"value": seed * 10 + len(system), "threads": os.environ.get("OMP_NUM_THREADS"),
                                         "pair": [seed, system]}))
"""


def write_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = nbformat.v4.new_code_cell(PARAMETERS)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell(BODY)]
    nbformat.write(nb, path)
    return path


def write_spec(tmp_path: Path, parameters: str) -> Path:
    write_notebook(tmp_path / "tiny.ipynb")
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"notebook: tiny.ipynb\noutput: out\nparameters: {parameters}\n"
                    "grid: {seed: [0, 1], system: [a, b]}\n")
    return spec


@pytest.fixture(scope="module")
def scheduler():
    """The address of a LocalCluster of 2 worker processes, one thread each."""
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_grid_gives_one_row_per_run_and_a_rerun_runs_nothing(tmp_path, scheduler):
    spec_path = write_spec(tmp_path, '{note_path: "{output}/note-{run_id}.txt"}')
    result = run_batch(spec_path, scheduler=scheduler, progress=False)
    assert result.ok and (result.ran, result.skipped) == (4, 0)
    out = tmp_path / "out"
    rows = read_csv(out / "results.csv")
    assert list(rows[0]) == ["note_path", "seed", "system", "value", "threads", "pair",
                             "run_id", "notebook_path", "status", "seconds", "error"]
    assert [(r["seed"], r["system"]) for r in rows] == [("0", "a"), ("0", "b"), ("1", "a"), ("1", "b")]  # SPEC order
    assert [r["value"] for r in rows] == ["1", "1", "11", "11"]
    assert {r["threads"] for r in rows} == {"1"}  # one thread per run's kernel by default
    assert rows[3]["pair"] == '[1, "b"]'  # lists are JSON text
    assert {r["status"] for r in rows} == {"ok"} and all(float(r["seconds"]) > 0 for r in rows)
    spec = read_batch_spec(spec_path)
    assert [r["run_id"] for r in rows] == [run.run_id for run in spec.runs]
    for r in rows:
        assert Path(r["notebook_path"]) == out / f"{r['run_id']}.ipynb"
        assert (out / f"{r['run_id']}.result.json").is_file()
        assert r["note_path"] == str(out / f"note-{r['run_id']}.txt") and Path(r["note_path"]).is_file()
    assert not list(out.glob(".*"))  # no temporary files left
    assert result.rows[0]["pair"] == [0, "a"]

    mtimes = {p.name: p.stat().st_mtime_ns for p in out.glob("*.ipynb")}
    again = run_batch(spec_path, scheduler=scheduler, progress=False)
    assert (again.ran, again.skipped, len(again.failed)) == (0, 4, 0)
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.ipynb")} == mtimes
    assert read_csv(out / "results.csv") == rows


def test_failed_runs_are_listed_the_others_finish_and_a_rerun_retries_them(tmp_path, capsys, scheduler):
    flag = tmp_path / "fail"
    flag.write_text("")
    spec_path = write_spec(tmp_path, f'{{fail_flag: "{flag}"}}')
    assert cli_batch.main([str(spec_path), "--scheduler", scheduler]) == 1
    captured = capsys.readouterr()
    assert "batch: 4 runs: ran 4, skipped 0, failed 2" in captured.out
    assert "4/4" in captured.err  # the progress bar
    rows = read_csv(tmp_path / "out" / "results.csv")
    assert [r["status"] for r in rows] == ["ok", "failed", "ok", "failed"]
    failed_lines = [line for line in captured.err.splitlines() if line.startswith("failed: ")]
    assert len(failed_lines) == 2
    for row, line in zip([r for r in rows if r["status"] == "failed"], failed_lines):
        notebook = tmp_path / "out" / f"{row['run_id']}.ipynb"
        assert line == f"failed: run {row['run_id']}: {notebook}: ValueError: boom {row['seed']} b"
        assert row["error"] == f"ValueError: boom {row['seed']} b" and row["value"] == ""
        assert notebook.is_file() and not notebook.with_suffix(".result.json").exists()
        assert "boom" in notebook.read_text()  # the executed notebook shows the error

    flag.unlink()
    assert cli_batch.main([str(spec_path), "--serial", "--threads-per-worker", "2", "--quiet"]) == 0
    assert "batch: 4 runs: ran 2, skipped 2, failed 0" in capsys.readouterr().out
    rows = read_csv(tmp_path / "out" / "results.csv")
    assert [r["status"] for r in rows] == ["ok"] * 4
    assert [r["threads"] for r in rows] == ["1", "2", "1", "2"]  # the retried runs had 2 threads each
    assert os.environ.get("OMP_NUM_THREADS") != "2"  # a serial batch restores this process's environment


def test_sigkill_of_the_driver_then_a_rerun_completes_only_the_missing_runs(tmp_path, scheduler):
    log = tmp_path / "log.txt"
    spec_path = write_spec(tmp_path, f'{{sleep: 2, log_path: "{log}"}}')
    out = tmp_path / "out"
    spec = read_batch_spec(spec_path)
    results = [out / f"{run.run_id}.result.json" for run in spec.runs]
    driver = subprocess.Popen([sys.executable, "-m", "glasslib.cli.batch", str(spec_path), "--workers", "2",
                               "--quiet"], cwd=tmp_path, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not any(p.is_file() for p in results):
            assert driver.poll() is None, "the batch ended before it could be killed"
            assert time.monotonic() < deadline, "no run finished within 60 s"
            time.sleep(0.05)
    finally:
        os.killpg(driver.pid, signal.SIGKILL)  # the driver, its LocalCluster and workers
        driver.wait()
    complete = {run.run_id for run in spec.runs if (out / f"{run.run_id}.result.json").is_file()}
    assert 1 <= len(complete) < 4, "kill mid-way: some runs complete, some not"
    assert {r["run_id"] for r in read_csv(out / "results.csv")} <= complete  # finished rows only
    mtimes = {rid: (out / f"{rid}.result.json").stat().st_mtime_ns for rid in complete}

    result = run_batch(spec_path, scheduler=scheduler, progress=False)
    assert result.ok and (result.ran, result.skipped) == (4 - len(complete), len(complete))
    assert {r.run_id for r in result.records if not r.ran} == complete
    assert {rid: (out / f"{rid}.result.json").stat().st_mtime_ns for rid in complete} == mtimes
    rows = read_csv(out / "results.csv")
    assert [r["run_id"] for r in rows] == [run.run_id for run in spec.runs] and {r["status"] for r in rows} == {"ok"}
    # complete runs started once (before the kill); every other run started again in the rerun
    starts = log.read_text().splitlines()
    for run in spec.runs:
        n = starts.count(f"{run.parameters['seed']},{run.parameters['system']}")
        assert n == 1 if run.run_id in complete else n >= 1
    # The rerun removed the killed attempts' temporary files. A kernel orphaned by the kill may still
    # write its (temporary, ignored) result file for a second or so: ipykernel exits once it notices
    # that its parent process is gone.
    assert not [p for p in out.glob(".*") if not p.name.endswith(".result.json")]


@pytest.mark.parametrize("spec_text, message", [
    ("notebook: missing.ipynb\noutput: out\n", "notebook missing.ipynb not found"),
    ("notebook: tiny.ipynb\noutput: out\ngrid: {seed: 3}\n", "grid: seed must be a list"),
])
def test_a_bad_spec_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, spec_text, message):
    write_notebook(tmp_path / "tiny.ipynb")
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_text)
    assert cli_batch.main([str(spec), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"glass: error: {spec}: ") and message in err
    assert not (tmp_path / "out").exists()
