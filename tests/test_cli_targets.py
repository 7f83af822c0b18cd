"""glasslib.cli.targets: the target options `glass sample` and `glass rmc` share, and the silent
cases they close (wrong units, kind, columns and offsets refused in one line naming the file; read
correctly with the option), the measurement model on the command line, and the prior's scope."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from glasslib.cli import main
from glasslib.core.errors import InputError
from glasslib.cli.targets import isotopes_of, measurement_of, read_group
from glasslib.spectra.targets import read_target

DATA = Path(__file__).resolve().parents[1] / "data"
PRIOR = DATA / "models" / "asi_sw_prior" / "checkpoint.pt"
ASI = DATA / "a-Si" / "glass-epsr_Si_2.5_00.xyz"
LAAZIRI = DATA / "a-Si" / "rosset2024_fig5_Sq_Laaziri_digitized.csv"
NAKHMANSON = DATA / "a-Si" / "rosset2024_fig2_gr_Nakhmanson_digitized.csv"
CRN = DATA / "a-Si" / "rosset2024_fig5_Sq_model_CRN.csv"
SAMPLE = ["--n", "1", "--atoms", "64", "--density", "2.28", "--seed", "0", "--steps", "2", "--quiet"]


def _glass(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "glasslib", *map(str, args)], capture_output=True, text=True)


def _refused(out: Path, path: Path, needle: str, *target):
    r = _glass("sample", PRIOR, *SAMPLE, "--out", out, "--target", path, *target)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert str(path) in lines[0] and needle in lines[0], lines[0]
    assert not out.exists()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("targets")
    gr = read_target(ASI, "gr")
    sq = read_target(LAAZIRI, "sq-xray")
    np.savetxt(d / "gr_nm.csv", np.c_[np.asarray(gr.x) / 10, gr.y], delimiter=",")
    np.savetxt(d / "sq_per_nm.csv", np.c_[10 * np.asarray(sq.x), sq.y], delimiter=",")
    return d


def test_silent_cases_are_refused_with_the_file_named(tmp_path, files):
    out = tmp_path / "run"
    _refused(out, files / "sq_per_nm.csv", "--x-unit 1/nm", "--kind", "sq-xray")
    _refused(out, files / "gr_nm.csv", "--x-unit nm", "--kind", "gr")
    _refused(out, LAAZIRI, "target check 'peak' failed", "--kind", "gr")  # an S(Q) file as g(r)
    _refused(out, NAKHMANSON, "target check 'baseline' failed", "--kind", "gr")  # g(r) + 2
    _refused(out, CRN, "non-negative", "--kind", "sq-xray")  # columns swapped
    _refused(out, files / "gr_nm.csv", "--columns expects two", "--kind", "gr", "--columns", "1")
    _refused(out, LAAZIRI, "unknown check 'units'", "--kind", "sq-xray", "--skip-check", "units")
    _refused(out, LAAZIRI, "qmax, lorch do(es) not apply", "--kind", "sq-xray", "--qmax", "20", "--lorch")
    r = _glass("sample", PRIOR, *SAMPLE, "--out", out, "--qmax", "8", "--target", LAAZIRI, "--kind", "sq-xray")
    assert r.returncode == 2 and "comes before any --target" in r.stderr and not out.exists()


def test_the_options_read_them_correctly(tmp_path, files):
    runs = [
        ("per_nm", ["--target", files / "sq_per_nm.csv", "--kind", "sq-xray", "--x-unit", "1/nm"]),
        ("nm", ["--target", files / "gr_nm.csv", "--kind", "gr", "--x-unit", "nm", "--qmax", "20", "--lorch"]),
        ("swapped", ["--target", CRN, "--kind", "sq-xray", "--columns", "1,0", "--skip-check", "baseline",
                     "--biso", "0.5"]),
    ]
    for name, target in runs:
        out = tmp_path / name
        assert main(["sample", str(PRIOR), *SAMPLE, "--out", str(out), *map(str, target)]) == 0
        (term,) = json.loads((out / "sample_config.json").read_text())["targets"]
        assert term["x_range"][0] >= 0 and term["x_range"][1] < 30
    term = json.loads((tmp_path / "nm" / "sample_config.json").read_text())["targets"][0]
    assert term["measurement"] == {"qmax": 20.0, "lorch": True}
    assert 4 < term["x_range"][1] < 20  # r in Å again


def test_rmc_reads_the_file_options_and_the_measurement_model(tmp_path, files):
    out = tmp_path / "rmc"
    args = ["rmc", "--target", files / "sq_per_nm.csv", "--kind", "sq-xray", "--x-unit", "1/nm", "--composition", "Si",
            "--atoms", "64", "--density", "2.28", "--moves", "200", "--quiet", "--out", out]
    assert main([str(a) for a in args]) == 0 and (out / "structure.extxyz").is_file()
    # the measurement model is part of the run's inputs: the same files with B_iso are another run
    biso = [*args[:7], "--biso", "0.5", *args[7:]]
    assert main([str(a) for a in biso]) == 2  # "holds a run with different inputs"
    recorded = json.loads((out / "config.json").read_text())["inputs"]["targets"][0]
    assert "measurement" not in recorded
    assert main([str(a) for a in biso[:-1]] + [str(tmp_path / "rmc_biso")]) == 0
    recorded = json.loads((tmp_path / "rmc_biso" / "config.json").read_text())["inputs"]["targets"][0]
    assert recorded["measurement"] == {"biso": 0.5}
    r = _glass("rmc", "--target", ASI, "--kind", "gr", "--qmax", "20", "--composition", "Si", "--atoms", "64",
               "--density", "2.28", "--moves", "10", "--out", tmp_path / "rmc2")
    assert r.returncode == 2 and "Q_max termination" in r.stderr and str(ASI) in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "rmc2").exists()
    r = _glass("rmc", "--target", LAAZIRI, "--kind", "gr", "--composition", "Si", "--atoms", "64", "--density", "2.28",
               "--moves", "10", "--out", tmp_path / "rmc3")
    assert r.returncode == 2 and "target check 'peak' failed" in r.stderr


def test_isotopes_on_the_command_line(tmp_path):
    """--isotopes H=D reads the SANDALS D2O file as heavy water (S(Q) -> 1, values within [0, 2]);
    a malformed item or an x-ray kind is one line naming the file."""
    d2o = DATA / "water_ice" / "water_SANDALS_SLS18502-D2O.mint01"
    assert isotopes_of({"target": "x"}) is None
    assert isotopes_of({"target": "x", "isotopes": "H=D, Si=-2.5"}) == {"H": "D", "Si": -2.5}
    with pytest.raises(InputError, match="x: --isotopes expects"):
        isotopes_of({"target": "x", "isotopes": "H"})
    t = read_group({"target": d2o, "isotopes": "H=D"}, "sq-neutron", composition={"H": 2, "O": 1})
    y = np.asarray(t.y)
    assert t.isotopes == (("H", "D"),) and 0.0 <= y.min() and y.max() < 2.0
    with pytest.raises(InputError, match="isotopes apply to neutron"):
        read_group({"target": ASI, "isotopes": "Si=29Si"}, "sq-xray")


def test_a_cell_outside_the_priors_training_set_is_warned_about(tmp_path):
    r = _glass("sample", PRIOR, *SAMPLE[:4], "--density", "1.6", *SAMPLE[6:], "--out", tmp_path / "low")
    assert r.returncode == 0, r.stderr
    warnings = [ln for ln in r.stderr.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 1 and "density 1.6 g/cm3 is outside the prior's training range" in warnings[0]
    record = json.loads((tmp_path / "low" / "sample_config.json").read_text())
    assert record["scope_warnings"] and "1.6" in record["scope_warnings"][0]
    inside = _glass("sample", PRIOR, *SAMPLE, "--out", tmp_path / "inside")
    assert inside.returncode == 0 and "warning" not in inside.stderr


def test_measurement_of_a_group():
    assert measurement_of({"target": "x.csv"}) is None
    m = measurement_of({"target": "x.csv", "qmax": 25.0, "lorch": True, "qdamp": 0.03})
    assert (m.qmax, m.lorch, m.qdamp) == (25.0, True, 0.03)
    with pytest.raises(InputError, match="x.csv.*Lorch modification needs qmax"):
        measurement_of({"target": "x.csv", "lorch": True})
