"""Every notebook runs end to end in the smoke profile (papermill, the venv's kernel).

Figures go to a temporary folder (the ``figure_path`` parameter), so running the tests never
touches ``figures/``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from notebook_expectations import EXPECTED, check

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_has_parameters_cell_and_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    assert "profile" in tagged[0].source and "figure_path" in tagged[0].source
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit notebooks without outputs"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_smoke_profile(path, tmp_path):
    import papermill

    figure = tmp_path / "figure.png"
    papermill.execute_notebook(
        str(path), str(tmp_path / path.name), parameters={"profile": "smoke", "figure_path": str(figure)},
        kernel_name="python3", cwd=str(path.parent), progress_bar=False,
    )
    assert figure.stat().st_size > 10_000
    summary = json.loads(figure.with_suffix(".json").read_text())
    assert summary["profile"] == "smoke"
    failures = check(path.stem, summary)
    assert not failures, "\n".join(failures)


def test_every_notebook_has_expectations():
    assert {p.stem for p in NOTEBOOKS} == set(EXPECTED)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebooks_speak_of_science_not_task_numbers(path):
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert not re.search(r"\b(issue|task)s? ?#?\d", text, re.I), "notebooks cite no internal issue/task numbers"
