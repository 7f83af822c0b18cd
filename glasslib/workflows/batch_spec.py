"""Batch SPEC files: which notebook to run, where its outputs go, and with which parameters.

A SPEC is a small YAML file (or the same mapping given to :func:`batch_spec_from_dict`)::

    notebook: notebooks/00_spectra_validation.ipynb   # relative to the SPEC's folder, else to the repository
    output: runs/my-batch                 # relative to the SPEC's folder: executed notebooks, results.csv
    parameters: {profile: smoke}          # fixed parameters, the same for every run (optional)
    grid:                                 # every combination of these lists (optional)
      seed: [0, 1]
      system: [a-Si, a-C]
    # instead of grid, an explicit list of parameter sets (optional):
    # runs:
    #   - {seed: 0, system: a-Si}
    #   - {seed: 7, system: a-C}

Keys:

* ``notebook`` (required): a notebook with a cell tagged ``parameters`` (papermill's convention).
  A relative path is looked up in the SPEC file's folder first, then in the repository root.
* ``output`` (required): the batch's folder; a relative path is taken from the SPEC file's folder.
* ``parameters``: fixed parameters, passed to every run.
* ``grid``: a mapping of parameter name -> list of values; the runs are the product of the lists,
  in the SPEC's key order with the last key varying fastest.
* ``runs``: a list of parameter mappings, one run each, in the listed order.
  ``grid`` and ``runs`` do not combine; with neither, the batch is one run with ``parameters``.
  A name given in ``parameters`` must not appear again in ``grid`` or ``runs``.

Parameter names must be Python identifiers; ``result_path`` is reserved (the runner passes it, see
:mod:`glasslib.workflows.batch`). Values are JSON values: strings, numbers, booleans, null, lists,
mappings (quote YAML dates). In a string value, ``{output}`` becomes the batch's output folder
(absolute) and ``{run_id}`` the run's id, when the run starts: ``figure_path: "{output}/{run_id}.png"``
gives every run its own figure inside the batch folder.

Run ids: the first 12 hex digits of the SHA-256 of the notebook file's bytes, a zero byte, and the
canonical JSON (sorted keys, no spaces) of the run's parameters before ``{output}``/``{run_id}``
are filled in. Editing the notebook or a parameter gives new ids (those runs are run again); moving
the batch folder does not. Two runs with the same parameters are an error.

Every problem is an :class:`~glasslib.core.errors.InputError` naming the SPEC file, raised before
anything is written.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import keyword
import math
import os
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

from glasslib.core.errors import InputError, reject_unknown_keys
from glasslib.core.paths import REPO_ROOT

#: keys a SPEC may have
SPEC_KEYS = ("notebook", "output", "parameters", "grid", "runs")
#: the parameter the runner passes to every run (where the notebook writes its results)
RESULT_PARAMETER = "result_path"
#: hex digits of the SHA-256 kept in a run id
RUN_ID_DIGITS = 12


@dataclass(frozen=True)
class BatchRun:
    """One run of a batch: its id (content hash) and its parameters (fixed ones first)."""

    run_id: str
    parameters: dict

    def expanded_parameters(self, output: Path) -> dict:
        """The parameters the notebook gets: ``{output}`` and ``{run_id}`` filled in string values."""
        return _expand(self.parameters, {"{output}": str(output), "{run_id}": self.run_id})


@dataclass(frozen=True)
class BatchSpec:
    """A checked SPEC: absolute notebook and output paths, and the runs in SPEC order."""

    notebook: Path  #: the notebook (absolute)
    notebook_sha256: str  #: SHA-256 (hex) of the notebook file when the SPEC was read
    output: Path  #: the batch folder (absolute)
    parameters: dict  #: the fixed parameters
    runs: tuple[BatchRun, ...]  #: every run, in SPEC order
    columns: tuple[str, ...]  #: parameter names, fixed ones first, then the varying ones in SPEC order
    source: Path | None = None  #: the SPEC file, if it came from one


def read_batch_spec(path: str | os.PathLike) -> BatchSpec:
    """Read and check a SPEC file (YAML); relative paths in it are taken from its folder."""
    path = Path(path)
    if not path.is_file():
        raise InputError("batch SPEC not found", path)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"not a readable YAML file ({_first_line(exc)})", path) from None
    return batch_spec_from_dict(data, base=path.resolve().parent, source=path)


def batch_spec_from_dict(data, base: str | os.PathLike | None = None,
                         source: str | os.PathLike | None = None) -> BatchSpec:
    """Check a SPEC mapping. ``base``: the folder relative paths start from (default: the working
    directory); ``source``: the file it came from (named in error messages)."""
    base = Path(base).resolve() if base is not None else Path.cwd()
    where = source if source is not None else "batch SPEC"
    if not isinstance(data, dict):
        raise InputError("a batch SPEC must be a mapping with notebook, output and parameters/grid/runs", where)
    try:
        reject_unknown_keys(data, SPEC_KEYS, "SPEC")
    except InputError as exc:
        raise InputError(f"{exc} (allowed: {', '.join(SPEC_KEYS)})", where) from None
    for key in ("notebook", "output"):
        if not isinstance(data.get(key), (str, os.PathLike)) or not str(data.get(key)).strip():
            raise InputError(f"'{key}' must be given as a path", where)

    notebook = _find_notebook(Path(data["notebook"]), base, where)
    notebook_bytes = notebook.read_bytes()
    _require_parameters_cell(notebook, notebook_bytes, where)
    output = Path(data["output"])
    output = (output if output.is_absolute() else base / output).resolve()
    if output.exists() and not output.is_dir():
        raise InputError(f"output {output} exists and is not a folder", where)

    fixed = _parameter_mapping({} if data.get("parameters") is None else data["parameters"], "parameters", where)
    if "grid" in data and "runs" in data:
        raise InputError("give either 'grid' or 'runs', not both", where)
    if "grid" in data:
        varying = _grid_runs(data["grid"], where)
    elif "runs" in data:
        varying = _listed_runs(data["runs"], where)
    else:
        varying = [{}]
    for i, values in enumerate(varying):
        repeated = sorted(set(values) & set(fixed))
        if repeated:
            raise InputError(f"run {i + 1}: {repeated} also given in 'parameters' (give each name in one place)", where)

    columns = list(fixed)
    for values in varying:
        columns += [k for k in values if k not in columns]
    digest = hashlib.sha256(notebook_bytes).hexdigest()
    runs, seen = [], {}
    for i, values in enumerate(varying):
        params = {**fixed, **values}
        rid = run_id(notebook_bytes, params)
        if rid in seen:
            raise InputError(f"runs {seen[rid] + 1} and {i + 1} have the same parameters", where)
        seen[rid] = i
        runs.append(BatchRun(rid, params))
    return BatchSpec(notebook=notebook, notebook_sha256=digest, output=output, parameters=fixed, runs=tuple(runs),
                     columns=tuple(columns), source=None if source is None else Path(source))


def run_id(notebook_bytes: bytes, parameters: dict) -> str:
    """The id of a run: SHA-256 over the notebook's bytes, a zero byte and the canonical JSON of its
    parameters, first :data:`RUN_ID_DIGITS` hex digits."""
    h = hashlib.sha256(notebook_bytes)
    h.update(b"\0")
    h.update(canonical_json(parameters).encode("utf-8"))
    return h.hexdigest()[:RUN_ID_DIGITS]


def canonical_json(value) -> str:
    """JSON with sorted keys and no spaces: equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _find_notebook(notebook: Path, base: Path, where) -> Path:
    candidates = [notebook] if notebook.is_absolute() else [base / notebook, REPO_ROOT / notebook]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    tried = " or ".join(str(c) for c in dict.fromkeys(candidates))
    raise InputError(f"notebook {notebook} not found (looked for {tried})", where)


def _require_parameters_cell(notebook: Path, data: bytes, where) -> None:
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as exc:  # nbformat raises several kinds (JSON, validation, unicode)
        raise InputError(f"notebook {notebook} is not a readable notebook ({_first_line(exc)})", where) from None
    if not any("parameters" in (cell.get("metadata", {}).get("tags") or []) for cell in nb.cells):
        raise InputError(f"notebook {notebook} has no cell tagged 'parameters' (papermill puts the run's "
                         "parameters after it)", where)


def _parameter_mapping(values, what: str, where) -> dict:
    """Check a mapping of parameter names to JSON values."""
    if not isinstance(values, dict):
        raise InputError(f"'{what}' must be a mapping of parameter names to values", where)
    for name, value in values.items():
        _check_name(name, what, where)
        _check_value(value, f"{what}: {name}", where)
    return dict(values)


def _check_name(name, what: str, where) -> None:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise InputError(f"{what}: parameter name {name!r} is not a Python identifier", where)
    if name == RESULT_PARAMETER:
        raise InputError(f"{what}: '{RESULT_PARAMETER}' is passed by the batch runner and cannot be set", where)


def _check_value(value, what: str, where) -> None:
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(f"{what}: {value} is not a finite number", where)
        return
    if isinstance(value, list):
        for item in value:
            _check_value(item, what, where)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InputError(f"{what}: mapping key {key!r} is not a string", where)
            _check_value(item, what, where)
        return
    raise InputError(f"{what}: {value!r} ({type(value).__name__}) is not a JSON value (quote it)", where)


def _grid_runs(grid, where) -> list[dict]:
    if not isinstance(grid, dict) or not grid:
        raise InputError("'grid' must be a mapping of parameter names to lists of values", where)
    for name, values in grid.items():
        _check_name(name, "grid", where)
        if not isinstance(values, list):
            raise InputError(f"grid: {name} must be a list of values (got {type(values).__name__}; "
                             f"write [{values}] for one value, or put it in 'parameters')", where)
        if not values:
            raise InputError(f"grid: {name} is an empty list (the batch would have no runs)", where)
        for value in values:
            _check_value(value, f"grid: {name}", where)
    names = list(grid)
    return [dict(zip(names, combo)) for combo in itertools.product(*(grid[n] for n in names))]


def _listed_runs(runs, where) -> list[dict]:
    if not isinstance(runs, list) or not runs:
        raise InputError("'runs' must be a non-empty list of parameter mappings", where)
    return [_parameter_mapping(values, f"runs[{i + 1}]", where) for i, values in enumerate(runs)]


def _expand(value, replacements: dict):
    if isinstance(value, str):
        for key, text in replacements.items():
            value = value.replace(key, text)
        return value
    if isinstance(value, list):
        return [_expand(v, replacements) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v, replacements) for k, v in value.items()}
    return value


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
