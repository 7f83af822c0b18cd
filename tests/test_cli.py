"""The ``glass`` command line: outputs, averaging, and one-line errors for bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import ase
import ase.build
import ase.io
import numpy as np
import torch

from glasslib.cli import main
from glasslib.diffusion.priors import load_priors
from glasslib.spectra.rdf import pair_distribution
from glasslib.core.structures import read_structures

DATA = Path(__file__).resolve().parents[1] / "data"
ASI = DATA / "a-Si" / "glass-epsr_Si_2.5_00.xyz"
SIO2 = DATA / "SiO2" / "dm2_bks_glass" / "sio2_3000_glass_1k_sample0.dat"


def _read_csv(path: Path):
    lines = path.read_text().splitlines()
    comments = [ln for ln in lines if ln.startswith("#")]
    header = [ln for ln in lines if not ln.startswith("#")][0].split(",")
    data = np.loadtxt(path, delimiter=",", comments="#", skiprows=len(comments) + 1)
    return comments, header, data


def _glass(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "glasslib", *map(str, args)], capture_output=True, text=True)


def test_gr_csv_has_header_units_and_matches_library(tmp_path):
    out = tmp_path / "gr.csv"
    assert main(["spectra", str(ASI), "--kind", "gr", "--r-max", "8", "--dr", "0.05", "--smearing", "0.05",
                 "--partials", "--out", str(out)]) == 0
    comments, header, data = _read_csv(out)
    assert header == ["r_A", "g", "g_SiSi"]
    assert any("smearing_A: 0.05" in c for c in comments)
    s = read_structures(ASI)
    r = torch.arange(1, 161, dtype=torch.float64) * 0.05
    ref = pair_distribution(s, r, sigma=0.05).g[0].numpy()
    assert np.allclose(data[:, 0], r.numpy())
    assert np.allclose(data[:, 1], ref, atol=1e-6)
    assert np.allclose(data[:, 2], data[:, 1], atol=1e-6)  # one element: partial = total


def test_averages_over_files_and_trajectory_frames(tmp_path):
    atoms = ase.io.read(ASI)
    shaken = atoms.copy()
    shaken.rattle(0.1, seed=3)
    traj = tmp_path / "traj.extxyz"
    ase.io.write(traj, [atoms, shaken])
    single = tmp_path / "shaken.extxyz"
    ase.io.write(single, shaken)
    out_traj, out_files = tmp_path / "a.csv", tmp_path / "b.csv"
    common = ["--kind", "sq-xray", "--qmin", "1", "--qmax", "10", "--dq", "0.1"]
    assert main(["spectra", str(traj), *common, "--out", str(out_traj)]) == 0
    assert main(["spectra", str(ASI), str(single), *common, "--out", str(out_files)]) == 0
    _, header, a = _read_csv(out_traj)
    _, _, b = _read_csv(out_files)
    assert header == ["Q_per_A", "S"]
    assert np.allclose(a, b, atol=1e-7)


def test_neutron_fq_of_lammps_data_with_species_map(tmp_path):
    out = tmp_path / "fq.csv"
    assert main(["spectra", str(SIO2), "--species-map", "1=O,2=Si", "--kind", "fq-neutron",
                 "--qmin", "0.5", "--qmax", "20", "--dq", "0.1", "--out", str(out)]) == 0
    _, header, data = _read_csv(out)
    assert header == ["Q_per_A", "F_per_A"]
    q, f = data[:, 0], data[:, 1]
    # Si-O first-neighbour oscillation dominates at high Q: F(Q) keeps amplitude of order 1 there
    assert np.abs(f[q > 10]).max() > 0.5
    assert np.isfinite(f).all()


def test_adf_needs_cutoff_and_integrates_to_one(tmp_path):
    out = tmp_path / "adf.csv"
    assert main(["spectra", str(ASI), "--kind", "adf", "--out", str(out)]) == 2
    assert not out.exists()
    assert main(["spectra", str(ASI), "--kind", "adf", "--cutoff", "2.85", "--out", str(out)]) == 0
    _, header, data = _read_csv(out)
    assert header == ["theta_deg", "adf_per_deg"]
    assert abs(np.trapezoid(data[:, 1], data[:, 0]) - 1.0) < 0.02
    assert 95 < data[np.argmax(data[:, 1]), 0] < 120


def test_xas_csv_headers_are_the_kinds_own(tmp_path):
    """exafs: the header names k (1/Å) and k²χ(k) as the kind defines them, with the surrogate's
    notes (no S(Q) conventions), on the kind's k grid, and reads back as the exafs target the
    structures give; xanes: the index grid and μ."""
    from glasslib.spectra.kinds import KINDS
    from glasslib.spectra.targets import read_target

    cuzr = ase.build.bulk("CuZr", "cesiumchloride", a=3.26) * (3, 3, 3)  # B2 CuZr, 54 atoms, 9.78 Å
    cuzr.rattle(0.05, seed=1)
    src, csv = tmp_path / "cuzr.extxyz", tmp_path / "exafs.csv"
    ase.io.write(src, cuzr)
    assert main(["spectra", str(src), "--kind", "exafs", "--quiet", "--out", str(csv)]) == 0
    comments, header, data = _read_csv(csv)
    kind = KINDS["exafs"]
    assert header == list(kind.columns) == ["k_per_A", "k2chi_per_A2"] and kind.x_unit == "1/Å"
    assert any(kind.label in c for c in comments) and any("exafs_cuzr_surrogate" in c for c in comments)
    assert not any(word in c for c in comments for word in ("Faber-Ziman", "debye_cutoff", "radiation", "window"))
    assert np.allclose(data[:, 0], kind.default_grid().numpy())
    back, direct = read_target(csv, "exafs"), read_target(src, "exafs")
    assert np.allclose(back.x, direct.x) and np.allclose(back.y, direct.y, atol=1e-6)
    diamond = ase.build.bulk("C", "diamond", a=3.567, cubic=True) * (2, 2, 2)
    ase.io.write(tmp_path / "c.extxyz", diamond)
    assert main(["spectra", str(tmp_path / "c.extxyz"), "--kind", "xanes", "--quiet", "--out", str(tmp_path / "x.csv")]) == 0
    comments, header, data = _read_csv(tmp_path / "x.csv")
    assert header == list(KINDS["xanes"].columns) == ["index", "mu"] and np.array_equal(data[:, 0], np.arange(100.0))
    assert not any("Faber-Ziman" in c for c in comments)


def _bad_inputs(tmp_path):
    junk = tmp_path / "junk.foo"
    junk.write_text("not a structure\n")
    cluster = tmp_path / "cluster.xyz"
    ase.io.write(cluster, ase.Atoms("Si2", positions=[[0, 0, 0], [2.3, 0, 0]]), format="xyz")
    nan = tmp_path / "nan.extxyz"
    a = ase.io.read(ASI)
    a.positions[5, 1] = np.nan
    ase.io.write(nan, a)
    return [
        ([str(tmp_path / "missing.xyz"), "--kind", "gr"], "no such file"),
        ([str(junk), "--kind", "gr"], "junk.foo"),
        ([str(cluster), "--kind", "sq-xray"], "not periodic"),
        ([str(nan), "--kind", "gr"], "NaN"),
        ([str(ASI), "--kind", "gr", "--dr", "-1"], "grid"),
        ([str(SIO2), "--kind", "gr"], "species map"),
    ]


def test_bad_input_gives_one_line_error_and_no_output(tmp_path):
    for args, needle in _bad_inputs(tmp_path):
        out = tmp_path / "out.csv"
        proc = _glass("spectra", *args, "--out", out)
        assert proc.returncode == 2, (args, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("glass: error:"), proc.stderr
        assert needle.lower() in lines[0].lower(), (needle, lines[0])
        assert "Traceback" not in proc.stderr
        assert not out.exists()
        assert not list(tmp_path.glob(".out.csv*"))  # no temporary left behind


def test_existing_output_survives_a_failed_run(tmp_path):
    out = tmp_path / "keep.csv"
    out.write_text("precious\n")
    proc = _glass("spectra", tmp_path / "missing.xyz", "--kind", "gr", "--out", out, "--force")
    assert proc.returncode == 2 and "no such file" in proc.stderr
    assert out.read_text() == "precious\n"


# ------------------------------------------------------------------ round trips between commands
PRIOR = DATA / "models" / "asi_sw_prior" / "checkpoint.pt"
RMC_KINDS = ("gr", "sq-xray", "sq-neutron", "fq-xray", "fq-neutron", "adf")


def _kind_options(kind: str, flag: str) -> list[str]:
    return [flag, "2.85"] if kind == "adf" else []


def test_every_kind_round_trips_through_the_commands(tmp_path):
    """Each file `glass spectra` writes is read back by `glass sample --target` and (kinds RMC fits)
    `glass rmc --target`, with the registry's grid and smearing: the spectra command's default file
    equals the target `glass sample` computes from the same structures."""
    from glasslib.spectra.kinds import KINDS
    from glasslib.spectra.targets import read_target

    for kind in (k for k in KINDS if k not in ("xanes", "exafs")):  # xanes needs carbon, exafs Cu (test_xanes.py, test_exafs_surrogate.py)
        csv = tmp_path / f"{kind}.csv"
        assert main(["spectra", str(ASI), "--kind", kind, "--out", str(csv), *_kind_options(kind, "--cutoff")]) == 0
        from_file = read_target(csv, kind, cutoff=2.85 if kind == "adf" else None)
        from_structures = read_target(ASI, kind, cutoff=2.85 if kind == "adf" else None)
        assert np.allclose(from_file.x, from_structures.x) and np.allclose(from_file.y, from_structures.y, atol=1e-6), kind
        out = tmp_path / f"sample-{kind}"
        assert main(["sample", str(PRIOR), "--n", "1", "--atoms", "64", "--density", "2.28", "--seed", "0", "--steps", "2",
                     "--quiet", "--out", str(out), "--target", str(csv), "--kind", kind,
                     *_kind_options(kind, "--adf-cutoff")]) == 0, kind
        if kind in RMC_KINDS:
            rmc_out = tmp_path / f"rmc-{kind}"
            assert main(["rmc", "--target", str(csv), "--kind", kind, *_kind_options(kind, "--cutoff"), "--composition", "Si",
                         "--atoms", "64", "--density", "2.28", "--moves", "200", "--quiet", "--out", str(rmc_out)]) == 0, kind
    # the structure RMC writes is read by spectra, and as a structure target by sample
    rmc_structure = tmp_path / "rmc-gr" / "structure.extxyz"
    assert main(["spectra", str(rmc_structure), "--kind", "gr", "--out", str(tmp_path / "rmc-gr.csv")]) == 0
    assert main(["sample", str(PRIOR), "--n", "1", "--atoms", "64", "--density", "2.28", "--seed", "0", "--steps", "2",
                 "--quiet", "--out", str(tmp_path / "sample-rmc"), "--target", str(rmc_structure), "--kind", "gr"]) == 0
    # G(r) is not an RMC observable: refused in one line, nothing written
    r = _glass("rmc", "--target", tmp_path / "Gr.csv", "--kind", "Gr", "--composition", "Si", "--atoms", "64",
               "--density", "2.28", "--moves", "10", "--out", tmp_path / "rmc-Gr")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "rmc-Gr").exists()


def test_sampled_structures_are_read_by_spectra_and_analyze(tmp_path):
    out = tmp_path / "samples"
    assert main(["sample", str(PRIOR), "--n", "2", "--atoms", "64", "--density", "2.28", "--seed", "1", "--steps", "2",
                 "--quiet", "--out", str(out)]) == 0
    files = sorted(out.glob("*.extxyz"))
    assert len(files) == 2 and (out / "sample_config.json").is_file()
    assert main(["spectra", *map(str, files), "--kind", "sq-xray", "--out", str(tmp_path / "sq.csv")]) == 0
    assert main(["analyze", *map(str, files), "--no-entropy", "--out", str(tmp_path / "report.json")]) == 0


def test_sample_with_checkpoint_defaults_and_one_line_errors(tmp_path):
    """No --atoms/--density: the training set's default cell (Si216 at 2.3 g/cm3); bad cells and species
    are refused in one line, exit 2, with no output folder."""
    out = tmp_path / "defaults"
    assert main(["sample", str(PRIOR), "--n", "1", "--seed", "0", "--steps", "1", "--quiet", "--out", str(out)]) == 0
    (s,) = read_structures(sorted(out.glob("*.extxyz"))).split()
    assert s.n_atoms == 216 and abs(float(s.mass_density[0]) - 2.3) < 1e-4
    for extra, needle in [(["--composition", "SiO2", "--atoms", "216"], "species O not in the checkpoint"),
                          (["--atoms", "40"], "less than twice the network cutoff"),
                          (["--composition", "Si2Ge", "--atoms", "64"], "Ge not in the checkpoint"),
                          (["--composition", "Sio"], "cannot parse formula")]:
        bad = tmp_path / "bad"
        r = _glass("sample", PRIOR, "--n", "1", "--seed", "0", "--steps", "1", "--quiet", "--out", bad, *extra)
        lines = r.stderr.strip().splitlines()
        assert r.returncode == 2 and len(lines) == 1 and needle in lines[0], (extra, r.stderr)
        assert "Traceback" not in r.stderr and not bad.exists()


def test_train_prior_refuses_mixed_or_unknown_requests(tmp_path):
    for args, needle in [(["--prior", "nope", "--out", tmp_path / "a"], "no prior named 'nope'"),
                         (["--prior", "asi_sw_prior", ASI], "do not combine"),
                         (["--prior", "asi_sw_prior", "--steps", "5"], "give --out"),
                         (["--weak", ASI, "--out", tmp_path / "b"], "--weak needs --prior"),
                         ([ASI], "give training files DATA and --out")]:
        r = _glass("train", *args)
        lines = r.stderr.strip().splitlines()
        assert r.returncode == 2 and len(lines) == 1 and needle in lines[0], (args, r.stderr)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def _shipped_priors() -> list[Path]:
    return [DATA / "models" / name for name in load_priors() if (DATA / "models" / name / "checkpoint.pt").is_file()]


SHIPPED = _shipped_priors()


def test_every_shipped_prior_samples_with_its_defaults(tmp_path):
    """`glass sample data/models/<name>/checkpoint.pt --n 2 --seed 0 --out DIR` (2 sampler steps here)
    writes structures of the training set's default cell that `glass analyze` and `glass spectra` read."""
    import json

    assert SHIPPED, "no shipped prior"
    for model in SHIPPED:
        out = tmp_path / model.name
        assert main(["sample", str(model / "checkpoint.pt"), "--n", "2", "--seed", "0", "--steps", "2", "--quiet",
                     "--out", str(out)]) == 0
        files = sorted(out.glob("*.extxyz"))
        default = torch.load(model / "checkpoint.pt", weights_only=True)["data_summary"]["default"]
        got = read_structures(files)
        assert len(files) == 2 and got.n_atoms == 2 * default["atoms"], model.name
        assert torch.allclose(got.mass_density, torch.full((2,), float(default["density"]), dtype=got.dtype), rtol=1e-4)
        assert json.loads((out / "sample_config.json").read_text())["config"]["composition"] == default["composition"]
        assert main(["analyze", *map(str, files), "--no-entropy", "--out", str(out / "report.json")]) == 0
        assert main(["spectra", *map(str, files), "--kind", "gr", "--out", str(out / "gr.csv")]) == 0
