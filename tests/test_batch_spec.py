"""Batch SPECs: runs from a grid or a list, content-hash run ids, paths, placeholders, and one-line
errors naming the SPEC for every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from glasslib.core.errors import InputError
from glasslib.core.paths import REPO_ROOT
from glasslib.workflows.batch_spec import batch_spec_from_dict, read_batch_spec, run_id


def write_notebook(path: Path, *, parameters_cell: bool = True, source: str = "seed = 0") -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(source)
    if parameters_cell:
        cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell("print(seed)")]
    nbformat.write(nb, path)
    return path


def spec_file(tmp_path: Path, text: str, **notebook_options) -> Path:
    write_notebook(tmp_path / "nb.ipynb", **notebook_options)
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


def test_grid_is_the_product_in_spec_order_with_fixed_parameters_first(tmp_path):
    spec = read_batch_spec(spec_file(tmp_path, "notebook: nb.ipynb\noutput: runs/b\nparameters: {profile: smoke}\n"
                                               "grid: {seed: [0, 1], system: [a-Si, a-C]}\n"))
    assert spec.notebook == tmp_path / "nb.ipynb" and spec.output == tmp_path / "runs" / "b"
    assert [r.parameters for r in spec.runs] == [
        {"profile": "smoke", "seed": 0, "system": "a-Si"}, {"profile": "smoke", "seed": 0, "system": "a-C"},
        {"profile": "smoke", "seed": 1, "system": "a-Si"}, {"profile": "smoke", "seed": 1, "system": "a-C"}]
    assert spec.columns == ("profile", "seed", "system")
    assert len({r.run_id for r in spec.runs}) == 4 and all(len(r.run_id) == 12 for r in spec.runs)
    assert not (tmp_path / "runs").exists()  # reading a SPEC writes nothing


def test_runs_list_and_a_single_run(tmp_path):
    spec = read_batch_spec(spec_file(tmp_path, "notebook: nb.ipynb\noutput: out\n"
                                               "runs:\n  - {seed: 3}\n  - {seed: 1, system: a-C}\n"))
    assert [r.parameters for r in spec.runs] == [{"seed": 3}, {"seed": 1, "system": "a-C"}]
    assert spec.columns == ("seed", "system")
    one = read_batch_spec(spec_file(tmp_path, "notebook: nb.ipynb\noutput: out\nparameters: {seed: 2}\n"))
    assert [r.parameters for r in one.runs] == [{"seed": 2}]


def test_run_ids_hash_notebook_bytes_and_parameters_not_locations(tmp_path):
    text = "notebook: nb.ipynb\noutput: out\ngrid: {seed: [0]}\n"
    a = read_batch_spec(spec_file(tmp_path, text))
    notebook_bytes = (tmp_path / "nb.ipynb").read_bytes()
    assert a.runs[0].run_id == run_id(notebook_bytes, {"seed": 0})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "copy.ipynb").write_bytes(notebook_bytes)
    (elsewhere / "spec.yaml").write_text("notebook: copy.ipynb\noutput: other-out\ngrid: {seed: [0]}\n")
    b = read_batch_spec(elsewhere / "spec.yaml")
    assert b.runs[0].run_id == a.runs[0].run_id  # same notebook bytes and parameters, other paths
    c = read_batch_spec(spec_file(elsewhere, text, source="seed = 1"))
    assert c.runs[0].run_id != a.runs[0].run_id  # the notebook changed
    d = read_batch_spec(spec_file(tmp_path, text.replace("[0]", "[0.0]")))
    assert d.runs[0].run_id != a.runs[0].run_id  # 0.0 is another parameter value than 0


def test_notebook_falls_back_to_the_repository_and_placeholders_fill_in(tmp_path):
    spec = read_batch_spec(spec_file(tmp_path, "notebook: notebooks/00_spectra_validation.ipynb\noutput: out\n"
                                               "parameters: {profile: smoke, figure_path: '{output}/{run_id}.png'}\n"))
    assert spec.notebook == REPO_ROOT / "notebooks" / "00_spectra_validation.ipynb"
    run = spec.runs[0]
    assert run.parameters["figure_path"] == "{output}/{run_id}.png"
    assert run.expanded_parameters(spec.output)["figure_path"] == f"{tmp_path / 'out'}/{run.run_id}.png"


def test_a_mapping_takes_paths_from_the_given_folder(tmp_path):
    write_notebook(tmp_path / "nb.ipynb")
    spec = batch_spec_from_dict({"notebook": "nb.ipynb", "output": "o", "grid": {"seed": [1, 2]}}, base=tmp_path)
    assert spec.output == tmp_path / "o" and len(spec.runs) == 2 and spec.source is None


@pytest.mark.parametrize("text, message", [
    ("output: out\n", "'notebook' must be given"),
    ("notebook: nb.ipynb\n", "'output' must be given"),
    ("notebook: gone.ipynb\noutput: out\n", "notebook gone.ipynb not found"),
    ("notebook: nb.ipynb\noutput: out\ngrids: {seed: [0]}\n", "unknown SPEC keys ['grids']"),
    ("notebook: nb.ipynb\noutput: out\ngrid: {seed: 0}\n", "grid: seed must be a list"),
    ("notebook: nb.ipynb\noutput: out\ngrid: {seed: []}\n", "grid: seed is an empty list"),
    ("notebook: nb.ipynb\noutput: out\ngrid: {seed: [0]}\nruns: [{seed: 1}]\n", "either 'grid' or 'runs', not both"),
    ("notebook: nb.ipynb\noutput: out\nruns: [3]\n", "'runs[1]' must be a mapping"),
    ("notebook: nb.ipynb\noutput: out\nruns: []\n", "'runs' must be a non-empty list"),
    ("notebook: nb.ipynb\noutput: out\nruns: [{seed: 1}, {seed: 1}]\n", "runs 1 and 2 have the same parameters"),
    ("notebook: nb.ipynb\noutput: out\nparameters: {seed: 1}\ngrid: {seed: [2]}\n", "also given in 'parameters'"),
    ("notebook: nb.ipynb\noutput: out\nparameters: {result_path: x}\n", "'result_path' is passed by the batch runner"),
    ("notebook: nb.ipynb\noutput: out\nparameters: {2x: 1}\n", "'2x' is not a Python identifier"),
    ("notebook: nb.ipynb\noutput: out\nparameters: {day: 2024-01-01}\n", "is not a JSON value"),
    ("notebook: nb.ipynb\noutput: out\nparameters: [1]\n", "'parameters' must be a mapping"),
    ("- notebook: nb.ipynb\n", "must be a mapping"),
    ("notebook: nb.ipynb\noutput: [unclosed\n", "not a readable YAML file"),
])
def test_bad_specs_are_one_line_errors_naming_the_spec(tmp_path, text, message):
    path = spec_file(tmp_path, text)
    with pytest.raises(InputError) as info:
        read_batch_spec(path)
    assert str(info.value).startswith(f"{path}: ") and message in str(info.value)
    assert "\n" not in str(info.value)


def test_a_notebook_without_a_parameters_cell_or_an_output_that_is_a_file(tmp_path):
    path = spec_file(tmp_path, "notebook: nb.ipynb\noutput: out\n", parameters_cell=False)
    with pytest.raises(InputError, match="has no cell tagged 'parameters'"):
        read_batch_spec(path)
    path = spec_file(tmp_path, "notebook: nb.ipynb\noutput: spec.yaml\n")
    with pytest.raises(InputError, match="exists and is not a folder"):
        read_batch_spec(path)
    (tmp_path / "broken.ipynb").write_text("{not json")
    path.write_text("notebook: broken.ipynb\noutput: out\n")
    with pytest.raises(InputError, match="is not a readable notebook"):
        read_batch_spec(path)
    with pytest.raises(InputError, match="batch SPEC not found"):
        read_batch_spec(tmp_path / "none.yaml")
