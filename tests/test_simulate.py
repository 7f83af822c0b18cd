"""``glass simulate`` (glasslib.cli.simulate): builds and resumes, one-line errors, the listing."""

from __future__ import annotations

import math

import ase.io
import pytest

from glasslib.cli import main
from glasslib.simulate.engine import counters


# ------------------------------------------------------------------------------------ CLI
def test_cli_builds_and_resumes(tmp_path, capsys):
    out = tmp_path / "cli"
    argv = ["simulate", "a-Si", "--atoms", "32", "--density", "2.3", "--quench-rate", "1000", "--melt-time", "1",
            "--anneal-time", "0.5", "--n", "2", "--seed", "4", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    assert sorted(p.name for p in out.glob("*.extxyz")) == ["00000_seed4.extxyz", "00001_seed5.extxyz"]
    a = ase.io.read(out / "00001_seed5.extxyz")
    assert abs(a.info["density_g_cm3"] - 2.3) < 1e-6 and a.info["seed"] == 5
    before = counters["lammps_runs"]
    assert main(argv) == 0
    assert counters["lammps_runs"] == before
    assert "0 simulated, 2 already there" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, match",
    [
        (["unobtanium"], "unknown system"),
        (["sulfur", "--atoms", "12"], "multiple of 8 atoms"),
        (["zrnial", "--potential", "/nonexistent/x.pth"], "does not apply"),
        (["a-Si", "--quench-rate", "-3"], "--quench-rate must be a positive"),
        (["a-Si", "--quench-rate", "0"], "--quench-rate must be a positive"),
        (["a-Si", "--density", "25"], "impossible density"),
        (["a-Si", "--potential", "/nonexistent/Si.sw"], "potential file not found"),
        (["CuZr", "--composition", "Cu0.5Ni0.5"], "not in"),
        (["--spec", "no-such-set"], "no dataset"),
        ([], "give a SYSTEM"),
    ],
)
def test_cli_errors_are_one_line(tmp_path, capsys, args, match):
    rc = main(["simulate", *args, "--out", str(tmp_path / "x"), "--quiet", "--melt-time", "0.1"]
              if args and not args[0].startswith("--spec") else ["simulate", *args, "--quiet"])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert err.startswith("glass: error:") and match in err and "\n" not in err, err


def test_cli_lammps_error_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.sw"
    bad.write_text("Si Si Si 1.0\n")
    rc = main(["simulate", "a-Si", "--atoms", "32", "--potential", str(bad), "--out", str(tmp_path / "o"),
               "--quiet", "--melt-time", "0.1"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.startswith("glass: error: LAMMPS error") and "\n" not in err
    assert not list((tmp_path / "o").glob("*.extxyz"))


def test_cli_list(capsys):
    assert main(["simulate", "--list"]) == 0
    out = capsys.readouterr().out
    assert "a-Si-SW" in out and "aSi-SW-smoke" in out and math.isfinite(len(out))
