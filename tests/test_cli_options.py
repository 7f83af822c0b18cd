"""glasslib.cli.options: one name per concept (every deprecated alias still works and prints exactly
one line naming the new option) and one overwrite policy (an existing output is refused in one line
and left unchanged unless ``--force``, which overwrites it). Real small structures from ase.build."""

from __future__ import annotations

import argparse
import json

import ase.build
import ase.io
import numpy as np
import pytest

from glasslib.cli import build_parser, main
from glasslib.cli.options import DeprecatedAlias
from test_cli import PRIOR, _read_csv

#: (arguments the command needs, old option, new option, value) for every deprecated alias
ALIASES = [
    (["spectra", "si.extxyz", "--kind", "gr", "--out", "gr.csv"], "--sigma", "--smearing", "0.1"),
    (["spectra", "si.extxyz", "--kind", "gr", "--out", "gr.csv"], "--rmax", "--r-max", "8"),
    (["rmc", "--out", "run"], "--species", "--composition", "Si:1,O:2"),
    (["sample", "ckpt.pt", "--n", "1", "--seed", "0", "--out", "run"], "--element", "--composition", "SiO2"),
    (["sample", "ckpt.pt", "--n", "1", "--seed", "0", "--out", "run"], "--no-progress", "--quiet", None),
    (["simulate", "a-Si"], "--no-progress", "--quiet", None),
    (["train", "data.extxyz", "--out", "run"], "--no-progress", "--quiet", None),
    (["batch", "spec.yaml"], "--no-progress", "--quiet", None),
]


def _warning(old: str, new: str) -> str:
    return f"glass: warning: {old} is deprecated; use {new}"


def _si(tmp_path):
    """Diamond Si, 2 × 2 × 2 conventional cells (64 atoms, 10.86 Å), slightly rattled."""
    atoms = ase.build.bulk("Si", "diamond", a=5.43, cubic=True) * (2, 2, 2)
    atoms.rattle(0.05, seed=0)
    path = tmp_path / "si.extxyz"
    ase.io.write(path, atoms)
    return path


def test_every_deprecated_alias_is_listed():
    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    registered = {(name, option) for name, sub in commands.choices.items() for a in sub._actions
                  if isinstance(a, DeprecatedAlias) for option in a.option_strings}
    assert registered == {(argv[0], old) for argv, old, _, _ in ALIASES}


@pytest.mark.parametrize("argv, old, new, value", ALIASES, ids=[f"{a[0]} {o}" for a, o, _, _ in ALIASES])
def test_alias_parses_as_the_new_option_with_one_warning(argv, old, new, value, capsys):
    given = [] if value is None else [value]
    args_new = build_parser().parse_args([*argv, new, *given])
    assert capsys.readouterr().err == ""
    args_old = build_parser().parse_args([*argv, old, *given])
    assert capsys.readouterr().err.splitlines() == [_warning(old, new)]
    assert vars(args_old) == vars(args_new)


def test_spectra_aliases_write_the_same_spectrum(tmp_path, capsys):
    si = _si(tmp_path)
    new, old = tmp_path / "new.csv", tmp_path / "old.csv"
    assert main(["spectra", str(si), "--kind", "gr", "--r-max", "6", "--smearing", "0.1", "--quiet", "--out", str(new)]) == 0
    assert capsys.readouterr().err == ""
    assert main(["spectra", str(si), "--kind", "gr", "--rmax", "6", "--sigma", "0.1", "--quiet", "--out", str(old)]) == 0
    assert capsys.readouterr().err.splitlines() == [_warning("--rmax", "--r-max"), _warning("--sigma", "--smearing")]
    (c_new, h_new, d_new), (c_old, h_old, d_old) = _read_csv(new), _read_csv(old)
    assert h_new == h_old == ["r_A", "g"] and np.array_equal(d_new, d_old)
    assert d_new[-1, 0] == pytest.approx(6.0) and "# smearing_A: 0.1" in c_old


def test_spectra_refuses_an_existing_csv_unless_forced(tmp_path, capsys):
    si, out = _si(tmp_path), tmp_path / "gr.csv"
    out.write_text("precious\n")
    assert main(["spectra", str(si), "--kind", "gr", "--out", str(out)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == f"glass: error: {out}: output exists; pass --force to overwrite it (nothing was overwritten)"
    assert out.read_text() == "precious\n" and not list(tmp_path.glob(".gr.csv*"))
    assert main(["spectra", str(si), "--kind", "gr", "--out", str(out), "--force"]) == 0
    _, header, data = _read_csv(out)
    assert header == ["r_A", "g"] and data.shape == (200, 2)


def test_analyze_refuses_an_existing_report_or_image_unless_forced(tmp_path, capsys):
    si, out, image = _si(tmp_path), tmp_path / "report.json", tmp_path / "si.png"
    out.write_text("precious\n")
    assert main(["analyze", str(si), "--no-entropy", "--out", str(out)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert f"{out}: output exists; pass --force" in line and out.read_text() == "precious\n"
    # an existing --render image is refused too, before anything is computed or written
    image.write_bytes(b"not an image")
    fresh = tmp_path / "fresh.json"
    assert main(["analyze", str(si), "--no-entropy", "--out", str(fresh), "--render", str(image)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert f"{image}: output exists; pass --force" in line
    assert image.read_bytes() == b"not an image" and not fresh.exists()
    assert main(["analyze", str(si), "--no-entropy", "--quiet", "--out", str(out), "--force"]) == 0
    report = json.loads(out.read_text())
    assert report["n_structures"] == 1 and report["inputs"] == [str(si)]


def test_sample_refuses_a_folder_with_samples_and_force_replaces_the_run(tmp_path, capsys):
    out = tmp_path / "samples"
    common = [str(PRIOR), "--atoms", "64", "--density", "2.28", "--seed", "0", "--steps", "1", "--quiet", "--out", str(out)]
    assert main(["sample", *common, "--n", "2", "--composition", "Si"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    assert main(["sample", *common, "--n", "1", "--element", "Si"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == _warning("--element", "--composition") and len(lines) == 2
    assert "output exists; pass --force" in lines[1] and "nothing was overwritten" in lines[1]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    (out / "notes.txt").write_text("mine\n")
    assert main(["sample", *common, "--n", "1", "--element", "Si", "--force"]) == 0
    assert capsys.readouterr().err.splitlines() == [_warning("--element", "--composition")]
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "sample_0000.extxyz", "sample_config.json"]
    record = json.loads((out / "sample_config.json").read_text())
    assert record["config"]["n"] == 1 and record["config"]["composition"] == "Si64"
